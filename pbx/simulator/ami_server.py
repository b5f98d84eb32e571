"""An AMI server that speaks the Manager protocol like Asterisk 22.

It handles connections, the banner, login (plain and MD5 challenge), event
delivery and the session actions (Challenge, Login, Logoff, Ping, Events).
Every other action is answered by a handler registered with
``register_action``; the simulator's dialplan engine and tests plug in there.
Test hooks: ``stall``/``unstall`` (actions go unanswered), ``send_raw`` (inject
bytes) and ``drop_connections`` (abrupt disconnect).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping

from pbx.ami.framing import AmiFrameDecoder, AmiMessage, header, parse_headers

log = logging.getLogger(__name__)

READ_CHUNK = 64 * 1024
MAX_PENDING_WRITE = 8 * 1024 * 1024  # a client that stops reading is dropped, like Asterisk's writetimeout
PRE_LOGIN_ACTIONS = frozenset({"login", "challenge", "logoff"})
OFF_WORDS = frozenset({"off", "no", "false", "n", "f", "0"})

ActionHandler = Callable[["AmiSession", dict[str, str]], Awaitable[list[dict[str, str]]]]


def encode_message(message: Mapping[str, str]) -> bytes:
    """Headers in their given order, CRLF framed."""
    return "".join(f"{key}: {value}\r\n" for key, value in message.items()).encode() + b"\r\n"


def with_action_id(message: dict[str, str], action_id: str) -> dict[str, str]:
    """Insert ``ActionID`` after the first header, where Asterisk puts it."""
    if not action_id or header(message, "ActionID"):
        return message
    items = list(message.items())
    return dict([*items[:1], ("ActionID", action_id), *items[1:]])


class ActionDecoder(AmiFrameDecoder):
    """Frames client actions: any block of headers, not only Event/Response."""

    def _parse(self, raw: bytes) -> list[AmiMessage]:
        headers, _ = parse_headers(raw.decode("utf-8", "replace"))
        if not headers:
            if raw.strip():
                self.stats.problem("malformed", repr(raw[:80]))
            return []
        self.stats.messages += 1
        return [AmiMessage(headers)]


class AmiSession:
    """One client connection and its login state."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.username: str | None = None
        self.events_on = True
        self.challenge = ""
        self.closing = False  # set by a handler to close the connection after its reply
        self.decoder = ActionDecoder()
        self._writer = writer
        self._after_reply: list[dict[str, str]] = []

    @property
    def authenticated(self) -> bool:
        return self.username is not None

    @property
    def peer(self) -> tuple[str, int] | None:
        return self._writer.get_extra_info("peername")

    def send(self, message: Mapping[str, str]) -> None:
        self.send_raw(encode_message(message))

    def after_reply(self, message: dict[str, str]) -> None:
        """Send ``message`` as is (no ActionID) once the current action's reply is out."""
        self._after_reply.append(message)

    def flush_after_reply(self) -> None:
        for message in self._after_reply:
            self.send(message)
        self._after_reply.clear()

    def send_raw(self, data: bytes) -> None:
        if self._writer.is_closing():
            return
        self._writer.write(data)
        if self._writer.transport.get_write_buffer_size() > MAX_PENDING_WRITE:
            log.warning("AMI client %s is not reading; dropping it", self.peer)
            self.abort()

    def abort(self) -> None:
        self._writer.transport.abort()


class AmiServer:
    """A listening AMI endpoint with one account."""

    def __init__(self, *, username: str, secret: str, version: str = "11.0.0") -> None:
        self.username = username
        self.secret = secret
        self.version = version
        self.sessions: list[AmiSession] = []
        self.stalled = False
        self.port: int | None = None
        self._handlers: dict[str, ActionHandler] = {
            "challenge": self._challenge,
            "login": self._login,
            "logoff": self._logoff,
            "ping": self._ping,
            "events": self._events,
        }
        self._server: asyncio.Server | None = None
        self._session_tasks: set[asyncio.Task[None]] = set()
        self._started_at = time.monotonic()

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen; return the bound port."""
        self._server = await asyncio.start_server(self._serve, host, port)
        self._started_at = time.monotonic()
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        await self.drop_connections()
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    def register_action(self, name: str, handler: ActionHandler) -> None:
        """Answer the action ``name`` (case-insensitive) with ``handler``."""
        self._handlers[name.lower()] = handler

    def emit(self, event: dict[str, str]) -> None:
        """Broadcast an event to every logged-in session with events on."""
        data = encode_message(event)
        for session in self.sessions:
            if session.authenticated and session.events_on:
                session.send_raw(data)

    def send_raw(self, data: bytes) -> None:
        """Write bytes as they are to every connected client."""
        for session in self.sessions:
            session.send_raw(data)

    def stall(self) -> None:
        """Stop answering actions (they are read and dropped); sockets stay open."""
        self.stalled = True

    def unstall(self) -> None:
        self.stalled = False

    async def drop_connections(self) -> None:
        """Abort every client socket at once."""
        for session in self.sessions:
            session.abort()
        others = self._session_tasks - {asyncio.current_task()}  # a handler may drop its own session
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._session_tasks.add(task)
        session = AmiSession(writer)
        self.sessions.append(session)
        log.info("AMI client connected: %s", session.peer)
        try:
            session.send_raw(f"Asterisk Call Manager/{self.version}\r\n".encode())
            while not session.closing and (data := await reader.read(READ_CHUNK)):
                for action in session.decoder.feed(data):
                    await self._handle(session, action)
                    if session.closing:
                        break
        except ConnectionError as exc:
            log.info("AMI client %s: %s", session.peer, exc)
        except asyncio.CancelledError:
            pass  # drop_connections/stop; asyncio's stream machinery would log a cancelled task as an error
        except Exception:
            log.exception("AMI session %s failed", session.peer)
        finally:
            self.sessions.remove(session)
            self._session_tasks.discard(task)
            writer.close()
            log.info("AMI client gone: %s", session.peer)

    async def _handle(self, session: AmiSession, action: AmiMessage) -> None:
        if self.stalled:
            log.debug("stalled: dropping %r", action)
            return
        headers = {key: ",".join(value) if isinstance(value, list) else value for key, value in action.items()}
        name = header(headers, "Action")
        for reply in await self._replies(session, name, headers):
            session.send(with_action_id(reply, header(headers, "ActionID")))
        session.flush_after_reply()

    async def _replies(self, session: AmiSession, name: str, headers: dict[str, str]) -> list[dict[str, str]]:
        if not name:
            return [error("Missing action in request")]
        if not session.authenticated and name.lower() not in PRE_LOGIN_ACTIONS:
            return [error("Permission denied")]
        handler = self._handlers.get(name.lower())
        if handler is None:
            return [error("Invalid/unknown command")]
        try:
            return await handler(session, headers)
        except Exception:
            log.exception("AMI action %s failed", name)
            return [error(f"Action {name} failed")]

    async def _challenge(self, session: AmiSession, headers: dict[str, str]) -> list[dict[str, str]]:
        if header(headers, "AuthType").lower() != "md5":
            return [error("Must specify AuthType")]
        session.challenge = session.challenge or str(secrets.randbelow(2**31))
        return [{"Response": "Success", "Challenge": session.challenge}]

    async def _login(self, session: AmiSession, headers: dict[str, str]) -> list[dict[str, str]]:
        if session.authenticated:
            return [{"Response": "Success", "Message": "Already authenticated"}]
        if not self._credentials_valid(session, headers):
            log.warning("AMI login failed from %s as %r", session.peer, header(headers, "Username"))
            session.closing = True
            return [error("Authentication failed")]
        session.username = header(headers, "Username")
        events = header(headers, "Events")
        if events:
            session.events_on = events.lower() not in OFF_WORDS
        if session.events_on:
            uptime = str(int(time.monotonic() - self._started_at))
            session.after_reply(
                {
                    "Event": "FullyBooted",
                    "Privilege": "system,all",
                    "Uptime": uptime,
                    "LastReload": uptime,
                    "Status": "Fully Booted",
                }
            )
        return [{"Response": "Success", "Message": "Authentication accepted"}]

    def _credentials_valid(self, session: AmiSession, headers: dict[str, str]) -> bool:
        if header(headers, "Username") != self.username:
            return False
        if header(headers, "AuthType").lower() == "md5":
            expected = hashlib.md5((session.challenge + self.secret).encode()).hexdigest()
            return bool(session.challenge) and hmac.compare_digest(header(headers, "Key").lower(), expected)
        return hmac.compare_digest(header(headers, "Secret").encode(), self.secret.encode())

    async def _logoff(self, session: AmiSession, headers: dict[str, str]) -> list[dict[str, str]]:
        session.closing = True
        return [{"Response": "Goodbye", "Message": "Thanks for all the fish."}]

    async def _ping(self, session: AmiSession, headers: dict[str, str]) -> list[dict[str, str]]:
        return [{"Response": "Success", "Ping": "Pong", "Timestamp": f"{time.time():.6f}"}]

    async def _events(self, session: AmiSession, headers: dict[str, str]) -> list[dict[str, str]]:
        mask = header(headers, "EventMask").lower()
        if not mask:
            return [error("Invalid event mask")]
        session.events_on = mask not in OFF_WORDS
        return [{"Response": "Success", "Events": "On" if session.events_on else "Off"}]


def error(message: str) -> dict[str, str]:
    return {"Response": "Error", "Message": message}
