"""The Asterisk side of FastAGI: ``AGI(agi://host:port/script)`` on a simulated channel."""

from __future__ import annotations

import asyncio
import logging
import random
import shlex
from dataclasses import dataclass
from urllib.parse import urlsplit

from pbx.simulator.channel import UNKNOWN, Channel
from pbx.simulator.engine import PbxEngine
from pbx.simulator.events import AGI, event

log = logging.getLogger(__name__)
ASTERISK_VERSION = "22.10.1"
INVALID = "510 Invalid or unknown command"


@dataclass
class AgiResult:
    status: str  # AGISTATUS: SUCCESS or FAILURE
    hangup: bool = False  # the script sent HANGUP


def agi_environment(channel: Channel, url: str) -> dict[str, str]:
    """The ``agi_*`` block Asterisk 22 sends first (see captures/agi-requests.jsonl)."""
    def known(value: str) -> str:
        return value if value and value != UNKNOWN else "unknown"

    return {
        "agi_network": "yes", "agi_network_script": urlsplit(url).path.lstrip("/"), "agi_request": url,
        "agi_channel": channel.name, "agi_language": "en", "agi_type": "Local",
        "agi_uniqueid": channel.uniqueid, "agi_version": ASTERISK_VERSION,
        "agi_callerid": known(channel.caller.num), "agi_calleridname": known(channel.caller.name),
        "agi_callingpres": "0", "agi_callingani2": "0", "agi_callington": "0", "agi_callingtns": "0",
        "agi_dnid": "unknown", "agi_rdnis": "unknown", "agi_context": channel.context,
        "agi_extension": channel.exten, "agi_priority": str(channel.priority), "agi_enhanced": "0.0",
        "agi_accountcode": "", "agi_threadid": str(random.randrange(10**14, 10**15)),
    }


class AgiSession:
    """Runs one FastAGI conversation and applies the commands to the channel."""

    def __init__(self, engine: PbxEngine, channel: Channel, url: str) -> None:
        self.engine, self.channel, self.url = engine, channel, url
        self.hangup = False

    async def run(self) -> AgiResult:
        parts = urlsplit(self.url)
        timeout = self.engine.config.agi_timeout
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(parts.hostname, parts.port or 4573), timeout)
        except (OSError, asyncio.TimeoutError) as error:
            log.info("FastAGI %s unreachable: %s", self.url, error)
            return AgiResult("FAILURE")
        try:
            env = agi_environment(self.channel, self.url)
            writer.write(("".join(f"{k}: {v}\n" for k, v in env.items()) + "\n").encode())
            await writer.drain()
            while line := await asyncio.wait_for(reader.readline(), timeout):
                command = line.decode("utf-8", "replace").strip()
                if command:
                    writer.write((self.execute(command) + "\n").encode())
                    await writer.drain()
        except (OSError, asyncio.TimeoutError) as error:
            log.warning("FastAGI %s broke off: %s", self.url, error)
        finally:
            writer.close()
        return AgiResult("SUCCESS", self.hangup)

    def execute(self, command: str) -> str:
        """One command: ``AGIExecStart``, its effect, ``AGIExecEnd``; returns the reply line."""
        command_id = str(random.randrange(10**9, 2**31))
        base = {"CommandId": command_id, "Command": command}
        self.engine.emit(event("AGIExecStart", AGI, self.channel.snapshot(), base))
        reply = self._apply(command)
        code, _, _ = reply.partition(" ")
        result = "Success" if code == "200" else "Invalid or unknown command"
        self.engine.emit(event("AGIExecEnd", AGI, self.channel.snapshot(), base, {"ResultCode": code, "Result": result}))
        return reply

    def _apply(self, command: str) -> str:
        try:
            words = shlex.split(command)
        except ValueError:
            return INVALID
        verb = " ".join(words[:2]).upper()
        if verb == "SET VARIABLE" and len(words) == 4:
            self.engine.setvar(self.channel, words[2], words[3])
            return "200 result=1"
        if verb in ("GET VARIABLE", "GET FULL") and len(words) >= 3:
            name = words[-1].removeprefix("${").removesuffix("}") if verb == "GET FULL" else words[2]
            value = self.engine.variable(self.channel, name)
            return f"200 result=1 ({value})" if value else "200 result=0"
        head = words[0].upper() if words else ""
        if head == "EXEC" and len(words) >= 2:
            return self._exec(words[1], " ".join(words[2:]))
        if head == "VERBOSE":
            return "200 result=1"
        if head == "NOOP":
            return "200 result=0"
        if head == "HANGUP":
            self.hangup = True
            return "200 result=1"
        if verb == "CHANNEL STATUS":
            return f"200 result={self.channel.state}"
        return INVALID

    def _exec(self, application: str, arguments: str) -> str:
        """``EXEC <app> <args>``: MSet is the only application simulated; others are not found."""
        if application.lower() != "mset":
            return "200 result=-2"
        for pair in arguments.split(","):
            name, _, value = pair.partition("=")
            if name.strip():
                self.engine.setvar(self.channel, name.strip(), value.strip('"'))
        return "200 result=0"
