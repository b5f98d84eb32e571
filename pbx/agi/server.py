"""A FastAGI server that answers Asterisk's routing question.

Asterisk connects, sends its ``agi_*`` environment (``key: value`` lines, then
a blank line) and waits for commands. The server asks ``decide`` for channel
variables (plus ``ROUTE_DECIDED_BY``) and sets them with as few commands as it
can, each answered by Asterisk before the next is sent, then hangs up:

- ``EXEC MSet "NAME=value,NAME2=value2"`` sets many variables in one round trip
  (Asterisk's MSet application; a command line stays under
  ``MAX_COMMAND_BYTES``, so a long answer takes several);
- a value MSet cannot carry (commas, quotes, backslashes, brackets, ``$``) is
  sent on its own as ``SET VARIABLE NAME "value"``, escaped.

Asterisk reads a FastAGI socket one command at a time, so commands are never
pipelined. If ``decide`` fails or is late, no command is sent: ``ROUTE_TARGET``
stays empty and the dialplan routes to the default queue. Bad peers are
logged and dropped.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from callcenter.stopping import stop_tasks

log = logging.getLogger(__name__)

DECIDED_BY = "callcenter"
VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
MSET_UNSAFE = re.compile(r'[,"\\()\[\]{}$|]')  # what Asterisk's argument parser or MSet would read
MAX_COMMAND_BYTES = 1024  # well under res_agi's 2048-byte command buffer
SESSION_ENDING_REPLIES = ("HANGUP", "510", "520")
APPLICATION_NOT_FOUND = "result=-2"


@dataclass(frozen=True)
class AgiRequest:
    """One routing request: the fields routing needs and the whole environment."""

    script: str  # the path of the agi:// URL, e.g. "route"
    channel: str
    uniqueid: str
    callerid: str
    calleridname: str
    extension: str  # the DID the call came in on
    context: str
    env: Mapping[str, str]

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> AgiRequest:
        def field(name: str) -> str:
            return env.get(f"agi_{name}", "")

        return cls(
            script=field("network_script"),
            channel=field("channel"),
            uniqueid=field("uniqueid"),
            callerid=field("callerid"),
            calleridname=field("calleridname"),
            extension=field("extension"),
            context=field("context"),
            env=dict(env),
        )


Decide = Callable[[AgiRequest], Awaitable[Mapping[str, str]]]
Encode = Callable[[Mapping[str, str]], list[str]]


class AgiProtocolError(Exception):
    """The peer did not speak AGI."""


def set_variable_command(name: str, value: str) -> str:
    """``SET VARIABLE name "value"`` escaped for Asterisk's AGI argument parser."""
    escaped = CONTROL_CHARACTERS.sub("", value).replace("\\", "\\\\").replace('"', '\\"')
    return f'SET VARIABLE {_checked(name)} "{escaped}"'


def _checked(name: str) -> str:
    if not VARIABLE_NAME.fullmatch(name):
        raise ValueError(f"not a channel variable name: {name!r}")
    return name


def variable_commands(variables: Mapping[str, str]) -> list[str]:
    """The fewest AGI commands that set ``variables``: ``EXEC MSet`` for the
    values it can carry, ``SET VARIABLE`` for the others. Raises ``ValueError``
    for a bad name and ``TypeError`` for a value that is not a string."""
    batches: list[list[str]] = []
    singles: list[str] = []
    size = 0  # bytes of the last batch's pairs joined with commas
    for name, value in variables.items():
        value = CONTROL_CHARACTERS.sub("", value)
        if MSET_UNSAFE.search(value):
            singles.append(set_variable_command(name, value))
            continue
        pair = f"{_checked(name)}={value}"
        pair_size = len(pair.encode())
        if not batches or size + 1 + pair_size > MAX_COMMAND_BYTES:
            batches.append([pair])
            size = pair_size
        else:
            batches[-1].append(pair)
            size += 1 + pair_size
    return [f'EXEC MSet "{",".join(pairs)}"' for pairs in batches] + singles


class FastAgiServer:
    """Serves ``agi://host:port/<script>`` requests with ``decide``."""

    def __init__(
        self,
        decide: Decide,
        *,
        read_timeout: float = 2.0,
        max_header_bytes: int = 16384,
        decide_timeout: float = 0.3,
        encode: Encode = variable_commands,
    ) -> None:
        """``encode`` turns the answer into AGI commands (``variable_commands``:
        as few as possible)."""
        self.decide = decide
        self.encode = encode
        self.read_timeout = read_timeout
        self.max_header_bytes = max_header_bytes
        self.decide_timeout = decide_timeout
        self._server: asyncio.Server | None = None
        self._session_tasks: set[asyncio.Task[None]] = set()

    async def start(self, host: str = "127.0.0.1", port: int = 0, *, reuse_port: bool = False) -> int:
        """Listen; return the bound port. ``reuse_port``: several processes may
        listen on it (SO_REUSEPORT), the kernel spreading connections among them."""
        self._server = await asyncio.start_server(
            self._serve, host, port, limit=self.max_header_bytes, reuse_port=reuse_port or None
        )
        return self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        await stop_tasks(self._session_tasks)
        await self._server.wait_closed()
        self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._session_tasks.add(task)
        peer = writer.get_extra_info("peername")
        try:
            request = AgiRequest.from_env(await self._read_env(reader))
            for command in await self._commands(request):
                if not await self._execute(command, reader, writer):
                    break
        except AgiProtocolError as exc:
            log.warning("FastAGI %s: %s; dropped", peer, exc)
        except TimeoutError:
            log.warning("FastAGI %s: nothing within %.1f s; dropped", peer, self.read_timeout)
        except ConnectionError as exc:
            log.info("FastAGI %s: %s", peer, exc)
        except asyncio.CancelledError:
            pass  # stop(); asyncio's stream machinery would log a cancelled task as an error
        except Exception:
            log.exception("FastAGI session %s failed", peer)
        finally:
            self._session_tasks.discard(task)
            writer.close()

    async def _read_env(self, reader: asyncio.StreamReader) -> dict[str, str]:
        """The ``agi_*`` header block, within ``read_timeout`` and ``max_header_bytes``."""
        env: dict[str, str] = {}
        size = 0
        async with asyncio.timeout(self.read_timeout):
            while True:
                line = await read_line(reader)
                size += len(line)
                if size > self.max_header_bytes:
                    raise AgiProtocolError(f"headers over {self.max_header_bytes} bytes")
                if not line.endswith(b"\n"):
                    raise AgiProtocolError("closed before the end of the headers")
                text = line.decode("utf-8", "replace").rstrip("\r\n")
                if not text:
                    if not env:
                        raise AgiProtocolError("no AGI headers")
                    return env
                key, sep, value = text.partition(":")
                if not sep or not key.startswith("agi_"):
                    raise AgiProtocolError(f"not an AGI header: {text[:80]!r}")
                env[key] = value.removeprefix(" ")

    async def _commands(self, request: AgiRequest) -> list[str]:
        """The commands for ``decide``'s answer; none if it fails or is late."""
        try:
            async with asyncio.timeout(self.decide_timeout):
                variables = await self.decide(request)
            return self.encode({**variables, "ROUTE_DECIDED_BY": DECIDED_BY})
        except TimeoutError:
            log.warning("routing %s took over %.2f s; leaving it to the dialplan", request.channel, self.decide_timeout)
        except Exception:
            log.exception("routing %s failed; leaving it to the dialplan", request.channel)
        return []

    async def _execute(self, command: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Send one command; True if Asterisk accepted it and the session goes on."""
        writer.write(command.encode() + b"\n")
        async with asyncio.timeout(self.read_timeout):
            reply = (await read_line(reader)).decode("utf-8", "replace").strip()
        if reply.startswith("200") and APPLICATION_NOT_FOUND not in reply:
            return True
        if not reply or reply.startswith(SESSION_ENDING_REPLIES):
            log.info("FastAGI: %r after %r; ending the session", reply or "EOF", command)
        else:
            log.warning("FastAGI: unexpected reply %r to %r; ending the session", reply, command)
        return False


async def read_line(reader: asyncio.StreamReader) -> bytes:
    """One line; AgiProtocolError if it is longer than the reader's limit."""
    try:
        return await reader.readline()
    except ValueError as exc:
        raise AgiProtocolError(f"line too long: {exc}") from None
