"""``GET /api/live`` over a real HTTP server, on the embedded server and the real Redis."""

from __future__ import annotations

import asyncio
import json

import pytest
from aiohttp import ClientResponse
from sqlalchemy import delete

from callcenter.bus import CALL_RINGING, TASK_CREATED, DomainEvent, EventBus
from callcenter.clock import FakeClock
from live.http import HEARTBEAT, STREAMS
from live.publisher import LivePublisher
from storage.models import Manager
from tests.api.conftest import NOW, PASSWORD, add_client
from tests.live.conftest import HEARTBEAT_SECONDS, ringing

CLIENT = "+79161112233"


async def next_event(stream: ClientResponse, timeout: float = 3.0) -> tuple[str, dict]:
    """The stream's next event (heartbeats skipped): its name and data."""
    async with asyncio.timeout(timeout):
        while True:
            block = (await stream.content.readuntil(b"\n\n")).decode()
            if not block.startswith(":"):
                event, data = block.strip().split("\n")
                return event.removeprefix("event: "), json.loads(data.removeprefix("data: "))


@pytest.fixture
async def bus(sessions, api_redis, settings) -> EventBus:
    """A bus whose events the live publisher sends to the API's Redis, as on the AMI leader."""
    bus = EventBus()
    LivePublisher.create(sessions, api_redis, bus, FakeClock(NOW), settings.live_channel_prefix).subscribe(bus)
    return bus


async def test_only_logged_in_call_data_roles_get_a_stream(api, sessions, department):
    assert (await api.json("GET", "/live", status=401))["error"] == "unauthorized"
    assert (await api.json("GET", "/live", "admin", status=403))["error"] == "forbidden"
    async with sessions() as session, session.begin():
        await session.execute(delete(Manager).where(Manager.id == department.olga))  # her login outlives her
    assert (await api.json("GET", "/live", "olga", status=403))["error"] == "no_manager"


async def test_a_manager_gets_their_own_ring_and_not_a_colleague_s(api, sessions, bus, department):
    client = await add_client(sessions, "ООО Ромашка", department.ivan, CLIENT)
    stream = await api.call("GET", "/live", "ivan")
    assert (stream.status, stream.content_type) == (200, "text/event-stream")

    await bus.publish(DomainEvent(CALL_RINGING, ringing("hers", "+79035556677", "102")))
    await bus.publish(DomainEvent(CALL_RINGING, ringing("mine", CLIENT, "101")))

    event, card = await next_event(stream)  # Olga's ring came first, and is not Ivan's to see
    assert (event, card["linkedid"], card["client"]["id"], card["owner"]["id"]) == (
        "call.ringing", "mine", client, department.ivan)
    stream.close()


async def test_the_head_of_sales_gets_every_ring_and_task(api, bus, department):
    stream = await api.call("GET", "/live", "rop")
    await bus.publish(DomainEvent(CALL_RINGING, ringing("a", CLIENT, "101")))
    await bus.publish(DomainEvent(CALL_RINGING, ringing("b", CLIENT, "102")))
    await bus.publish(DomainEvent(TASK_CREATED, {"task_id": 1, "manager_id": department.olga}))
    received = [await next_event(stream) for _ in range(3)]
    assert [(event, data.get("linkedid", data.get("task_id"))) for event, data in received] == [
        ("call.ringing", "a"), ("call.ringing", "b"), ("task.created", 1)]
    stream.close()


async def test_the_session_cookie_is_enough_and_a_quiet_stream_beats(api):
    login = await api.call("POST", "/auth/login", json={"username": "olga", "password": PASSWORD})
    assert login.status == 200
    stream = await api.call("GET", "/live")  # no Authorization, no X-Requested-With: the cookie alone
    assert stream.status == 200
    async with asyncio.timeout(HEARTBEAT_SECONDS * 5):
        assert await stream.content.readuntil(b"\n\n") == HEARTBEAT
    stream.close()


async def open_streams(api) -> int:
    return api.client.app[STREAMS].open


async def test_a_stream_ends_when_its_client_goes(api):
    stream = await api.call("GET", "/live", "ivan")
    assert await open_streams(api) == 1
    stream.close()
    async with asyncio.timeout(3):
        while await open_streams(api):
            await asyncio.sleep(0.05)


async def test_streams_end_when_the_app_stops(api):
    stream = await api.call("GET", "/live", "rop")
    async with asyncio.timeout(5):  # not the server's 60 s wait for unfinished handlers
        await api.client.server.close()
        await stream.content.read()
    assert stream.content.at_eof() and await open_streams(api) == 0
