"""A lasting AMI session: connect, log in, resynchronise, keep alive, reconnect.

Replaces panoramisk's ``Manager``, whose every part needed fixing: a failed
Login went unnoticed, Ping never checked for a reply, reconnects used one fixed
delay, ``ping()`` crashed with no connection, and ``dispatch`` fired coroutine
callbacks with ``ensure_future`` (no ordering, exceptions lost). Here one
supervisor task owns the connection and one consumer task delivers events,
strictly in arrival order; both belong to the connector and end in ``stop()``.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
from collections.abc import Awaitable, Callable
from functools import partial

from panoramisk.message import Message

from callcenter.stopping import stop_tasks
from pbx.ami.protocol import ActionHeaders, AmiProtocol, Reply

log = logging.getLogger(__name__)

EventHandler = Callable[[Message], Awaitable[None]]
ResyncHandler = Callable[[list[Message]], Awaitable[None]]
Sleep = Callable[[float], Awaitable[None]]
Job = tuple[str, Callable[[], Awaitable[None]]]
MD5, PLAIN = "md5", "plain"  # how the Login proves the secret


class AmiLoginError(ConnectionError):
    """Asterisk refused the Login."""


class Backoff:
    """Reconnect delays: the n-th lies in [c/2, c] with c = min(maximum, initial * 2**n)."""

    def __init__(self, initial: float, maximum: float, rng: random.Random | None = None) -> None:
        self.initial = initial
        self.maximum = maximum
        self._rng = rng or random.Random()
        self._ceiling = initial

    def next_delay(self) -> float:
        ceiling = min(self._ceiling, self.maximum)
        self._ceiling = ceiling * 2
        return ceiling * (0.5 + self._rng.random() / 2)

    def reset(self) -> None:
        self._ceiling = self.initial


class AmiConnector:
    """Keeps one logged-in AMI connection and feeds its events to ``on_event``.

    After every login it fetches ``CoreShowChannels`` and awaits
    ``on_connected(channels)`` before any event received since the connect.
    """

    def __init__(
        self,
        host: str,
        port: int,
        username: str,
        secret: str,
        *,
        on_event: EventHandler,
        on_connected: ResyncHandler | None = None,
        ping_interval: float = 10.0,
        ping_timeout: float = 5.0,
        backoff_initial: float = 0.5,
        backoff_max: float = 30.0,
        action_timeout: float = 10.0,
        connect_timeout: float = 5.0,
        rng: random.Random | None = None,
        sleep: Sleep = asyncio.sleep,
        auth: str = MD5,
    ) -> None:
        if auth not in (MD5, PLAIN):
            raise ValueError(f"AMI auth {auth!r}: {MD5} or {PLAIN}")
        self.host = host
        self.port = port
        self.username = username
        self.secret = secret
        self.auth = auth
        self.on_event = on_event
        self.on_connected = on_connected
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.action_timeout = action_timeout
        self.connect_timeout = connect_timeout
        self.backoff = Backoff(backoff_initial, backoff_max, rng)
        self.connected = asyncio.Event()
        self._sleep = sleep
        self._protocol: AmiProtocol | None = None
        self._jobs: asyncio.Queue[Job] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Begin connecting in the background; wait on ``connected`` if needed."""
        if not self._tasks:
            self._jobs = asyncio.Queue()
            self._tasks = [
                asyncio.create_task(self._supervise(), name="ami-supervisor"),
                asyncio.create_task(self._deliver(), name="ami-events"),
            ]

    async def stop(self) -> None:
        """Close the connection and end both tasks; undelivered events are dropped."""
        await stop_tasks(self._tasks)
        self._tasks = []

    async def send_action(self, action: ActionHeaders, *, timeout: float | None = None) -> Reply:
        """Send an action on the live connection; see ``AmiProtocol.request``.

        Raises ConnectionError when not connected or when the connection drops
        before the reply, TimeoutError after ``timeout`` (default ``action_timeout``).
        """
        protocol = self._protocol
        if protocol is None:
            raise ConnectionError("AMI is not connected")
        return await protocol.request(action, self.action_timeout if timeout is None else timeout)

    async def _supervise(self) -> None:
        while True:
            try:
                await self._run_session()
            except (OSError, TimeoutError) as exc:
                log.warning("AMI %s:%s: %s", self.host, self.port, exc or type(exc).__name__)
            except Exception:
                log.exception("AMI session to %s:%s failed", self.host, self.port)
            delay = self.backoff.next_delay()
            log.info("AMI: reconnecting in %.2f s", delay)
            await self._sleep(delay)

    async def _run_session(self) -> None:
        """One connection, from connect to loss."""
        early_events: list[Message] = []
        loop = asyncio.get_running_loop()
        # asyncio.timeout, not wait_for: 3.11's wait_for turns a cancel into the refused connect's OSError
        async with asyncio.timeout(self.connect_timeout):
            _, protocol = await loop.create_connection(lambda: AmiProtocol(early_events.append), self.host, self.port)
        try:
            await self._login(protocol)
            channels = await self._channels(protocol) if self.on_connected else []
            self._go_live(protocol, channels, early_events)
            await self._heartbeat(protocol)
        finally:
            self._protocol = None
            self.connected.clear()
            protocol.close()

    async def _login(self, protocol: AmiProtocol) -> None:
        """Log in; with ``md5`` (the default) the secret never crosses the wire: Asterisk's ``Challenge``
        gives a one-time string, and the Login carries MD5(challenge + secret)."""
        login = {"Action": "Login", "Username": self.username, "Events": "on"}
        if self.auth == MD5:
            challenge = await protocol.request({"Action": "Challenge", "AuthType": "MD5"}, self.action_timeout)
            if not isinstance(challenge, Message) or not challenge.get("Challenge"):
                message = challenge.get("Message") if isinstance(challenge, Message) else challenge
                raise AmiLoginError(f"Challenge refused: {message}")
            key = hashlib.md5((challenge["Challenge"] + self.secret).encode()).hexdigest()  # noqa: S324 (AMI's own scheme)
            login |= {"AuthType": "MD5", "Key": key}
        else:
            login["Secret"] = self.secret
        reply = await protocol.request(login, self.action_timeout)
        if not isinstance(reply, Message) or reply.get("Response") != "Success":
            message = reply.get("Message") if isinstance(reply, Message) else reply
            raise AmiLoginError(f"login as {self.username!r} refused: {message}")
        log.info("AMI: logged in to %s:%s (AMI %s)", self.host, self.port, protocol.version)

    async def list_channels(self) -> list[Message]:
        """Asterisk's live channels now (``CoreShowChannels``); ConnectionError when not connected."""
        protocol = self._protocol
        if protocol is None:
            raise ConnectionError("AMI is not connected")
        return await self._channels(protocol)

    def in_order(self, label: str, job: Callable[[], Awaitable[None]]) -> None:
        """Run ``job`` where events are handled, after every event received so far."""
        self._jobs.put_nowait((label, job))

    async def _channels(self, protocol: AmiProtocol) -> list[Message]:
        reply = await protocol.request({"Action": "CoreShowChannels"}, self.action_timeout)
        if not isinstance(reply, list):
            raise ConnectionError(f"CoreShowChannels failed: {reply.get('Message')}")
        return [message for message in reply if message.get("Event") == "CoreShowChannel"]

    def _go_live(self, protocol: AmiProtocol, channels: list[Message], early_events: list[Message]) -> None:
        """Queue the resync, then the events held since connecting, then route new events to the queue."""
        if self.on_connected is not None:
            self._jobs.put_nowait(("resync", partial(self.on_connected, channels)))
        for event in early_events:
            self._enqueue(event)
        protocol.on_event = self._enqueue
        self._protocol = protocol
        self.backoff.reset()
        self.connected.set()

    def _enqueue(self, event: Message) -> None:
        self._jobs.put_nowait((event.get("Event", "?"), partial(self.on_event, event)))

    async def _heartbeat(self, protocol: AmiProtocol) -> None:
        """Ping every ``ping_interval``; return when the connection is lost or a Pong is late."""
        while True:
            lost, _ = await asyncio.wait({protocol.lost}, timeout=self.ping_interval)
            if lost:
                log.warning("AMI: connection to %s:%s lost", self.host, self.port)
                return
            try:
                await protocol.request({"Action": "Ping"}, self.ping_timeout)
            except TimeoutError:
                log.warning("AMI: no Pong within %.1f s; dropping the connection", self.ping_timeout)
                return

    async def _deliver(self) -> None:
        """The single consumer: one job at a time, in order; a failing handler is logged."""
        while True:
            label, job = await self._jobs.get()
            try:
                await job()
            except Exception:
                log.exception("AMI handler failed on %s; continuing", label)
