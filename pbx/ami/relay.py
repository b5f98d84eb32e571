"""AMI actions from any instance, sent by the one that holds the AMI connection.

Only the leader (``callcenter.leadership``) is connected to Asterisk, but a
manager's click-to-call may reach any instance. ``ActionRelay.send_action``
sends on the local connection while this instance serves as the leader; on any
other instance it hands the action to the leader through Redis and waits for
the reply:

- the request goes onto the list ``ami:actions`` (JSON: id, action, deadline);
  the leader's ``serve`` pops requests one at a time, so each is sent by
  exactly one leader, and a leader that dies with one in hand loses it (the
  caller times out and may try again) rather than sending it twice;
- the reply (or the leader's connection error) comes back on
  ``ami:reply:<id>``, which the caller pops within its timeout;
- a request found with less than ``MIN_SECONDS_LEFT`` before its deadline is
  dropped unsent: its caller has given up or is about to, and an Originate
  sent then would ring a manager who was told it failed.

Both sides poll with ``LPOP`` every ``POLL_SECONDS`` rather than block in
``BLPOP``: a blocked pop holds a pooled connection for its whole wait. A
callback starts at most ``POLL_SECONDS`` later.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time

from redis.asyncio import Redis
from redis.exceptions import RedisError

from pbx.ami.connector import AmiConnector
from pbx.ami.protocol import ActionHeaders, Reply

log = logging.getLogger(__name__)

REQUESTS_KEY = "ami:actions"
REPLY_KEY = "ami:reply:{id}"
MIN_SECONDS_LEFT = 1.0
POLL_SECONDS = 0.1
REPLY_MARGIN = 0.5  # seconds the leader leaves the caller to read the reply before its deadline


class ActionRelay:
    def __init__(self, redis: Redis, connector: AmiConnector, *, timeout: float | None = None) -> None:
        """``timeout``: how long a follower waits for the leader's reply (by
        default, as long as the leader waits for Asterisk's, and a second)."""
        self._redis = redis
        self._connector = connector
        self.timeout = connector.action_timeout + 1.0 if timeout is None else timeout
        self.serving = False  # this instance is the leader and serves the others' requests

    async def send_action(self, action: ActionHeaders) -> Reply:
        """Send ``action`` to Asterisk from whichever instance is connected.

        Raises ConnectionError when Asterisk cannot be reached, TimeoutError
        when no reply comes within ``timeout`` (no leader, or a slow one)."""
        if self.serving:
            return await self._connector.send_action(action)
        request_id = secrets.token_hex(8)
        request = {"id": request_id, "action": dict(action), "deadline": time.time() + self.timeout}
        await self._redis.rpush(REQUESTS_KEY, json.dumps(request))
        reply_key, deadline = REPLY_KEY.format(id=request_id), time.monotonic() + self.timeout
        while (popped := await self._redis.lpop(reply_key)) is None:
            if time.monotonic() >= deadline:
                raise TimeoutError(f"no AMI leader answered within {self.timeout:.0f} s")
            await asyncio.sleep(POLL_SECONDS)
        answer = json.loads(popped)
        if "error" in answer:
            raise ConnectionError(answer["error"])
        return answer["reply"]

    async def serve(self) -> None:
        """Send the other instances' actions until cancelled (run by the leader)."""
        self.serving = True
        try:
            while True:
                try:
                    while (popped := await self._redis.lpop(REQUESTS_KEY)) is not None:
                        await self._answer(json.loads(popped))
                except (RedisError, OSError) as error:
                    log.warning("relaying AMI actions: Redis failed: %s; retrying", error)
                await asyncio.sleep(POLL_SECONDS)
        finally:
            self.serving = False

    async def _answer(self, request: dict) -> None:
        left = request["deadline"] - time.time()
        if left < MIN_SECONDS_LEFT:
            log.warning("AMI %s from another instance came too late; not sent", request["action"].get("Action"))
            return
        try:
            reply = await self._connector.send_action(request["action"], timeout=left - REPLY_MARGIN)
            answer: dict = {"reply": [dict(message) for message in reply] if isinstance(reply, list) else dict(reply)}
        except (ConnectionError, TimeoutError) as error:
            answer = {"error": str(error) or type(error).__name__}
        reply_key = REPLY_KEY.format(id=request["id"])
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.rpush(reply_key, json.dumps(answer))
            pipe.expire(reply_key, round(self.timeout) + 1)  # nobody may be waiting any more
            await pipe.execute()
