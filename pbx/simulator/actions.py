"""AMI actions the simulator answers, registered on an AmiServer."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pbx.simulator.agi_client import ASTERISK_VERSION
from pbx.ami.framing import header
from pbx.simulator.agent import AGENT_CONTEXT
from pbx.simulator.call import CALLER_CONTEXT, PSTN, TRANSFER, InboundCall, OriginateRequest
from pbx.simulator.channel import UNKNOWN, Channel, Party
from pbx.simulator.events import CALL, event
from pbx.simulator.outbound import ORIGINATE_TIMEOUT, OUTBOUND, CallbackRequest
from pbx.simulator.recording import Monitor

if TYPE_CHECKING:
    from pbx.simulator.simulator import AmiPort, Simulator

Reply = list[dict[str, str]]
ORIGINATE_CHANNEL = re.compile(rf"Local/(\d+)@{PSTN}")
CALLBACK_CHANNEL = re.compile(rf"Local/(\w+)@{AGENT_CONTEXT}")
TRANSFER_EXTEN = re.compile(r"\d.+")  # _X. in [transfer] and [outbound]
CALLERID = re.compile(r'^\s*(?:"?(?P<name>[^"<]*?)"?\s*)?<(?P<num>[^>]*)>\s*$')


def error(message: str) -> Reply:
    return [{"Response": "Error", "Message": message}]


def success(message: str, **fields: str) -> Reply:
    return [{"Response": "Success", "Message": message, **fields}]


def parse_callerid(text: str) -> Party:
    """``"Name" <num>``, ``<num>`` or a bare number."""
    match = CALLERID.match(text)
    if match is None:
        return Party(text.strip() or UNKNOWN, UNKNOWN)
    return Party(match["num"] or UNKNOWN, (match["name"] or "").strip() or UNKNOWN)


def parse_variables(value: str | list[str]) -> list[tuple[str, str]]:
    """``Variable:`` headers (repeated, or comma separated) in order."""
    items = value if isinstance(value, list) else [value]
    pairs = []
    for item in items:
        for assignment in filter(None, (part.strip() for part in item.split(","))):
            name, sep, val = assignment.partition("=")
            if not sep or not name:
                raise ValueError(f"bad Variable {assignment!r}")
            pairs.append((name, val))
    return pairs


class SimulatorActions:
    def __init__(self, simulator: Simulator) -> None:
        self.sim = simulator
        self.engine = simulator.engine

    def _channel(self, headers: dict[str, str]) -> Channel | None:
        return self.engine.channels.get(header(headers, "Channel"))

    def _call_of(self, channel: Channel) -> InboundCall | None:
        """The inbound call ``channel`` belongs to; None for a click-to-call's channels."""
        call = self.sim.calls.get(channel.linkedid)
        return call if isinstance(call, InboundCall) else None

    async def originate(self, session: Any, headers: dict[str, str]) -> Reply:
        """``Local/<DID>@from-pstn`` into ``sim-caller,s,1`` (an inbound call), or ``Local/<extension>@sim-agent``
        into ``outbound,<number>,1`` (a click-to-call, see ``pbx.simulator.outbound``)."""
        channel, context, exten = header(headers, "Channel"), header(headers, "Context"), header(headers, "Exten")
        inbound, callback = ORIGINATE_CHANNEL.fullmatch(channel), CALLBACK_CHANNEL.fullmatch(channel)
        if inbound is None and callback is None:
            return error(f"Originate: only Local/<DID>@{PSTN} and Local/<extension>@{AGENT_CONTEXT} are simulated")
        if inbound is not None and (context, exten or "s") != (CALLER_CONTEXT, "s"):
            return error(f"Originate: Context must be {CALLER_CONTEXT}, Exten s")
        if callback is not None and (context != OUTBOUND or not TRANSFER_EXTEN.fullmatch(exten)
                                     or (header(headers, "Priority") or "1") != "1"):
            return error(f"Originate: Local/<extension>@{AGENT_CONTEXT} goes to {OUTBOUND},<number>,1")
        try:
            variables = parse_variables(header(headers, "Variable"))
            timeout = float(header(headers, "Timeout")) / 1000 if header(headers, "Timeout") else None
        except ValueError as problem:
            return error(f"Originate: {problem}")
        caller, action_id = parse_callerid(header(headers, "CallerID")), header(headers, "ActionID")
        if inbound is not None:
            self.sim.originate(OriginateRequest(inbound[1], caller, variables, action_id, timeout))
        else:
            self.sim.originate(CallbackRequest(callback[1], exten, caller, variables, action_id,
                                               timeout or ORIGINATE_TIMEOUT))
        return success("Originate successfully queued")

    async def hangup(self, session: Any, headers: dict[str, str]) -> Reply:
        channel = self._channel(headers)
        if channel is None:
            return error("No such channel")
        call = self._call_of(channel)
        if call is None:
            return error("Hangup: only the channels of inbound calls are simulated")
        call.request_hangup()
        return success("Channel Hungup")

    async def redirect(self, session: Any, headers: dict[str, str]) -> Reply:
        """Blind transfer from outside: the inbound ;2 channel, while it talks with a manager, to
        ``transfer,<exten>,1`` (see ``pbx.simulator.call``). Replies and checks as manager.c's."""
        for name in ("Channel", "Context", "Exten", "Priority"):
            if not header(headers, name):
                return error(f"{name} not specified")
        context, exten, priority = header(headers, "Context"), header(headers, "Exten"), header(headers, "Priority")
        if not priority.isdigit() or int(priority) < 1:
            return error("Priority is invalid")
        channel = self._channel(headers)
        if channel is None:
            return error("Channel specified does not exist")
        if header(headers, "ExtraChannel"):
            return error("Redirect: ExtraChannel is not simulated")
        call = self._call_of(channel)
        if call is None or channel is not call.inbound:
            return error("Redirect: only the inbound ;2 channel is simulated")
        if (context, int(priority)) != (TRANSFER, 1) or not TRANSFER_EXTEN.fullmatch(exten):
            return error(f"Redirect: only {TRANSFER},<number>,1 is simulated")
        problem = call.request_redirect(exten)
        if problem is not None:
            return error(problem)
        return success("Redirect successful")

    async def getvar(self, session: Any, headers: dict[str, str]) -> Reply:
        name = header(headers, "Variable")
        if not name:
            return error("No variable specified")
        channel = None
        if header(headers, "Channel"):
            channel = self._channel(headers)
            if channel is None:
                return error("No such channel")
        return [{"Response": "Success", "Variable": name, "Value": self.engine.variable(channel, name)}]

    async def setvar(self, session: Any, headers: dict[str, str]) -> Reply:
        name = header(headers, "Variable")
        if not name:
            return error("No variable specified")
        value = header(headers, "Value")
        if not header(headers, "Channel"):
            self.engine.globals[name] = value
            return success("Variable Set")
        channel = self._channel(headers)
        if channel is None:
            return error("No such channel")
        self.engine.setvar(channel, name, value)
        return success("Variable Set")

    async def core_show_channels(self, session: Any, headers: dict[str, str]) -> Reply:
        now = self.engine.clock.now()
        items = [
            event("CoreShowChannel", CALL, channel.snapshot(), {
                "Application": channel.application, "ApplicationData": channel.app_data,
                "Duration": _hms(now - channel.created_at), "BridgeId": channel.bridge_id,
            })
            for channel in self.engine.channels.values()
        ]
        for item in items:
            del item["Privilege"]
        complete = {"Event": "CoreShowChannelsComplete", "EventList": "Complete", "ListItems": str(len(items))}
        return [{"Response": "Success", "EventList": "start", "Message": "Channels will follow"}, *items, complete]

    async def mix_monitor(self, session: Any, headers: dict[str, str]) -> Reply:
        channel = self._channel(headers)
        call = channel and self._call_of(channel)
        if call is None or channel is not call.inbound:
            return error("No such channel (only the inbound ;2 channel is recorded)")
        file = header(headers, "File") or f"{channel.uniqueid}.wav"
        path = Path(file) if Path(file).is_absolute() else self.engine.config.recordings_dir / file
        self.engine.setvar(channel, "MIXMONITOR_FILENAME", str(path))
        self.engine.emit(event("MixMonitorStart", CALL, channel.snapshot()))
        call.monitor = Monitor(path, self.engine.clock.now())
        return success("MixMonitor started")

    async def queue_pause(self, session: Any, headers: dict[str, str]) -> Reply:
        """``QueuePause``: Interface, Paused (true/false), optional Queue and Reason; ``QueueMemberPause``."""
        queue, interface = self.engine.queue, header(headers, "Interface")
        if not interface:
            return error("Need 'Interface' parameter.")
        paused = header(headers, "Paused").lower()
        if paused not in ("true", "false", "yes", "no", "1", "0"):
            return error("Need 'Paused' parameter.")
        member = queue.member_by_interface(interface)
        if member is None or header(headers, "Queue") not in ("", queue.name):
            return error("Interface not found")
        member.paused = paused in ("true", "yes", "1")
        member.paused_reason = header(headers, "Reason") if member.paused else ""
        member.last_pause = int(self.engine.clock.now()) if member.paused else member.last_pause
        self.engine.emit(queue.member_status(member, "QueueMemberPause"))
        return success("Interface paused successfully" if member.paused else "Interface unpaused successfully")

    async def queue_status(self, session: Any, headers: dict[str, str]) -> Reply:
        queue = self.engine.queue
        wanted = header(headers, "Queue")
        if wanted and wanted != queue.name:
            return [{"Response": "Success", "EventList": "start", "Message": "Queue status will follow"},
                    {"Event": "QueueStatusComplete", "EventList": "Complete", "ListItems": "0"}]
        items = [{"Event": "QueueParams", **queue.params()}]
        items += [{"Event": "QueueMember", **queue.member_entry(member)} for member in queue.members]
        now = self.engine.clock.now()
        for position, name in enumerate(queue.waiting, start=1):
            channel = self.engine.channels[name]
            items.append({
                "Event": "QueueEntry", "Queue": queue.name, "Position": str(position), "Channel": name,
                "Uniqueid": channel.uniqueid, "CallerIDNum": channel.caller.num, "CallerIDName": channel.caller.name,
                "ConnectedLineNum": channel.connected.num, "ConnectedLineName": channel.connected.name,
                "Wait": str(int(now - channel.created_at)), "Priority": "0",
            })
        complete = {"Event": "QueueStatusComplete", "EventList": "Complete", "ListItems": str(len(items))}
        return [{"Response": "Success", "EventList": "start", "Message": "Queue status will follow"}, *items, complete]

    async def command(self, session: Any, headers: dict[str, str]) -> Reply:
        command = " ".join(header(headers, "Command").split())
        if command == "core show version":
            output = f"Asterisk {ASTERISK_VERSION} built by simulator @ pbx.simulator on a x86_64 running Linux"
            return [{"Response": "Success", "Message": "Command output follows", "Output": output}]
        return [{"Response": "Error", "Message": "Command output follows",
                 "Output": f"No such command '{command}' (see 'core show help {command}' for more information)"}]


def _hms(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def register_actions(ami_server: AmiPort, simulator: Simulator) -> None:
    actions = SimulatorActions(simulator)
    for name, handler in (
        ("Originate", actions.originate), ("Hangup", actions.hangup), ("Redirect", actions.redirect),
        ("Getvar", actions.getvar), ("Setvar", actions.setvar), ("CoreShowChannels", actions.core_show_channels),
        ("MixMonitor", actions.mix_monitor), ("QueueStatus", actions.queue_status), ("Command", actions.command),
        ("QueuePause", actions.queue_pause),
    ):
        ami_server.register_action(name, handler)
