"""``GET /api/live``: the logged-in user's live events, as Server-Sent Events.

A manager gets their own channel (calls ringing their phone with the caller's
card, their notifications and tasks), the head of sales the team's (every
ringing call, every notification and task event). Each event is an
``event: <name>`` line and a ``data: <json>`` line; an idle stream sends a
comment every ``live_heartbeat_seconds`` so proxies keep it open. The stream
ends when the client goes (noticed within ``POLL_SECONDS``) or the app shuts
down; the browser's EventSource then reconnects, to any instance. EventSource
sends the session cookie and cannot set headers: a GET needs no CSRF header.
"""

from __future__ import annotations

import asyncio
import json
import logging

from aiohttp import web
from redis.asyncio.client import PubSub
from redis.exceptions import ConnectionError as RedisConnectionError

from accounts.access import CALL_DATA, Principal, data_scope
from api.app import context
from api.errors import Forbidden
from api.registry import Routes
from live.channels import Channels

log = logging.getLogger(__name__)

EVENT_STREAM = "text/event-stream"
POLL_SECONDS = 1.0  # how often an idle stream looks whether its client and the app are still there
HEARTBEAT = b": heartbeat\n\n"

routes = Routes("live")


class LiveStreams:
    """The API's open streams: counted, and all told to end when the app shuts down."""

    def __init__(self) -> None:
        self.open = 0
        self.closing = False

    async def close_all(self, _app: web.Application) -> None:
        self.closing = True


STREAMS = web.AppKey("live_streams", LiveStreams)


def install(app: web.Application) -> None:
    """Give the app that mounts the API its stream registry, closed on shutdown (before the app is frozen)."""
    app[STREAMS] = LiveStreams()
    app.on_shutdown.append(app[STREAMS].close_all)


@routes.get("/live", roles=CALL_DATA, produces=EVENT_STREAM)
async def live_events(request: web.Request, principal: Principal) -> web.StreamResponse:
    """Live events (Server-Sent Events): ringing calls with the caller's card, notifications, tasks."""
    ctx = context(request)
    channel = Channels(ctx.settings.live_channel_prefix).of_scope(data_scope(principal))
    if channel is None:
        raise Forbidden("this login is linked to no manager, so it has no live events", code="no_manager")
    streams = request.config_dict[STREAMS]
    response = web.StreamResponse(headers={"Content-Type": EVENT_STREAM, "Cache-Control": "no-cache",
                                           "X-Accel-Buffering": "no"})
    async with ctx.redis.pubsub() as pubsub:
        await pubsub.subscribe(channel)  # before the headers: whoever sees them may rely on being subscribed
        await response.prepare(request)
        streams.open += 1
        try:
            await _pump(request, response, pubsub, streams, ctx.settings.live_heartbeat_seconds)
        except ConnectionResetError:
            pass  # the client went while we wrote
        except RedisConnectionError:
            log.warning("live events: lost Redis; ending the stream for the browser to reconnect")
        finally:
            streams.open -= 1
    return response


async def _pump(
    request: web.Request, response: web.StreamResponse, pubsub: PubSub, streams: LiveStreams, heartbeat: float
) -> None:
    loop = asyncio.get_running_loop()
    last_write = loop.time()
    while not streams.closing and _connected(request):
        received = await pubsub.get_message(ignore_subscribe_messages=True, timeout=min(POLL_SECONDS, heartbeat))
        if received is not None:
            await response.write(_frame(received["data"]))
        elif loop.time() - last_write >= heartbeat:
            await response.write(HEARTBEAT)
        else:
            continue
        last_write = loop.time()


def _connected(request: web.Request) -> bool:
    return request.transport is not None and not request.transport.is_closing()


def _frame(published: str) -> bytes:
    """A channel message (``live.channels.message``) as an SSE event."""
    decoded = json.loads(published)
    data = json.dumps(decoded["data"], ensure_ascii=False, separators=(",", ":"))
    return f"event: {decoded['event']}\ndata: {data}\n\n".encode()
