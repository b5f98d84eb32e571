"""Shared PBX state and the channel operations every dialplan step is built from."""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pbx.simulator.channel import STATE_DESC, Channel, ChannelFactory, Party
from pbx.simulator.clock import SimClock
from pbx.simulator.events import CALL, DIALPLAN, CdrRecord, cause_part, event
from pbx.simulator.queue import SalesQueue
from pbx.simulator.recording import Monitor

EventSink = Callable[[dict[str, str]], None]
CALLING_PRES = "0 (Presentation Allowed, Not Screened)"
REFERENCE, PRODUCTION = "reference", "production"
DIALPLANS = (REFERENCE, PRODUCTION)


def dialplan_globals(rec_dir: str, agi_url: str) -> dict[str, str]:
    """``[globals]`` of both dialplans, with this simulator's paths: the reference extensions.conf's,
    plus those only docs/asterisk/extensions.conf has (its AGENT_CONTEXT is the simulator's agents, its
    trunk the simulated clients: ``Local/<number>@sim-callee``, see ``pbx.simulator.outbound``)."""
    return {
        "REC_DIR": rec_dir,
        "AGI_ROUTE_URL": agi_url,
        "DEFAULT_AGENT_AUDIO": "/var/lib/asterisk/sounds/custom/agent-hello",
        "FALLBACK_AUDIO": "/var/lib/asterisk/sounds/custom/fallback",
        "AGENT_101_STATE": "available",
        "AGENT_102_STATE": "available",
        "AGENT_103_STATE": "away",
        "AGENT_RING_SECONDS": "2",
        "AGENT_TALK_SECONDS": "8",
        "DEFAULT_QUEUE": "sales",
        "QUEUE_TIMEOUT": "40",
        "DEFAULT_RING_SECONDS": "20",
        "AGENT_CONTEXT": "sim-agent",
        "DEPARTMENT_NUMBER": "74951234567",
        "DEPARTMENT_NAME": "Sales",
        "TRUNK_TECH": "Local",
        "TRUNK": "sim-callee",
    }


@dataclass
class EngineConfig:
    agi_host: str
    agi_port: int
    recordings_dir: Path
    speed: float = 1.0
    agi_timeout: float = 5.0  # wall seconds to wait for a FastAGI connection/reply
    cdr_csv: Path | None = None  # where cdr_csv's Master.csv is written, as Asterisk's CDR store; None: nowhere
    dialplan: str = REFERENCE  # the [from-pstn] inbound calls run: "reference" or "production"

    def __post_init__(self) -> None:
        check_dialplan(self.dialplan)


def check_dialplan(name: str) -> None:
    if name not in DIALPLANS:
        raise ValueError(f"unknown dialplan {name!r} (known: {', '.join(DIALPLANS)})")


@dataclass
class PbxEngine:
    """Everything the calls share: clock, id counters, globals, live channels, the queue."""

    config: EngineConfig
    emit: EventSink
    clock: SimClock = field(init=False)
    factory: ChannelFactory = field(default_factory=ChannelFactory)
    globals: dict[str, str] = field(init=False)
    channels: dict[str, Channel] = field(default_factory=dict)
    queue: SalesQueue = field(init=False)
    mailboxes: dict[str, int] = field(default_factory=dict)  # new voicemail messages per mailbox@context

    def __post_init__(self) -> None:
        self.clock = SimClock(self.config.speed)
        agi_url = f"agi://{self.config.agi_host}:{self.config.agi_port}/route"
        self.globals = dialplan_globals(str(self.config.recordings_dir), agi_url)
        self.queue = SalesQueue(login_time=int(self.clock.now()))

    # --- lookups -------------------------------------------------------------

    def variable(self, channel: Channel | None, name: str) -> str:
        """``${NAME}``: the channel's (inherited) variable, else the global."""
        value = channel.lookup(name) if channel is not None else None
        return value if value is not None else self.globals.get(name, "")

    def member_status(self, agent_id: str, status: int) -> None:
        """A queue member's device changed: ``QueueMemberStatus`` (nothing for a non-member)."""
        member = self.queue.member(agent_id)
        if member is not None:
            member.status = status
            self.emit(self.queue.member_status(member))

    # --- channel lifecycle ---------------------------------------------------

    def local_pair(self, exten: str, context: str, linkedid: str = "") -> tuple[Channel, Channel]:
        one, two = self.factory.local_pair(exten, context, self.clock.now(), linkedid)
        for half in (one, two):
            self.channels[half.name] = half
            self.emit(event("Newchannel", CALL, half.snapshot()))
        return one, two

    def post_cdr(self, record: CdrRecord) -> None:
        """A finished CDR record: the ``Cdr`` event (cdr_manager) and a row of Master.csv (cdr_csv)."""
        self.emit(record.to_event())
        if self.config.cdr_csv is not None:
            with self.config.cdr_csv.open("a", encoding="utf-8", newline="") as handle:
                csv.writer(handle, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n").writerow(record.csv_fields())

    def hangup(self, channel: Channel, cause: int) -> None:
        channel.hungup = True
        self.channels.pop(channel.name, None)
        self.emit(event("Hangup", CALL, channel.snapshot(), cause_part(cause, with_text=True)))

    def soft_hangup_request(self, channel: Channel, cause: int = 16) -> None:
        self.emit(event("SoftHangupRequest", CALL, channel.snapshot(), cause_part(cause)))

    def hangup_request(self, channel: Channel, cause: int) -> None:
        self.emit(event("HangupRequest", CALL, channel.snapshot(), cause_part(cause)))

    # --- dialplan primitives -------------------------------------------------

    def step(self, channel: Channel, context: str, exten: str, priority: int, app: str, data: str = "") -> None:
        """Run one dialplan priority: ``Newexten``."""
        channel.context, channel.exten, channel.priority = context, exten, priority
        channel.application, channel.app_data = app, data
        self.emit(event("Newexten", DIALPLAN, channel.snapshot(), {"Extension": exten, "Application": app, "AppData": data}))

    def setvar(self, channel: Channel, name: str, value: str, append: bool = False) -> None:
        channel.store(name, value, append)
        self.emit(event("VarSet", DIALPLAN, channel.snapshot(), {"Variable": name, "Value": value}))

    def setvars(self, channel: Channel, pairs: list[tuple[str, str]]) -> None:
        for name, value in pairs:
            self.setvar(channel, name, value)

    def copy_variables(self, channel: Channel, pairs: list[tuple[str, str]]) -> None:
        """Variables handed over by another channel (Local copy, inheritance): appended in order."""
        for name, value in pairs:
            self.setvar(channel, name, value, append=True)

    def new_state(self, channel: Channel, state: int) -> None:
        if state not in STATE_DESC:
            raise ValueError(f"unknown channel state {state}")
        channel.state = state
        if state == 6 and channel.answered_at is None:
            channel.answered_at = self.clock.now()
        self.emit(event("Newstate", CALL, channel.snapshot()))

    def new_callerid(self, channel: Channel, caller: Party) -> None:
        channel.caller = Party(caller.num, caller.name)
        self.emit(event("NewCallerid", CALL, channel.snapshot(), {"CID-CallingPres": CALLING_PRES}))

    def new_connected_line(self, channel: Channel, connected: Party) -> None:
        channel.connected = Party(connected.num, connected.name)
        self.emit(event("NewConnectedLine", CALL, channel.snapshot()))

    def mix_monitor(self, channel: Channel, priority: int, recording: str, split: bool = False) -> Monitor:
        """``MixMonitor(<recording>[,r(<base>-in.wav)t(<base>-out.wav)])`` at ``priority`` of where ``channel`` runs."""
        base = recording.removesuffix(".wav")
        options = f",r({base}-in.wav)t({base}-out.wav)" if split else ""
        self.step(channel, channel.context, channel.exten, priority, "MixMonitor", recording + options)
        self.setvar(channel, "MIXMONITOR_FILENAME", recording)
        self.emit(event("MixMonitorStart", CALL, channel.snapshot()))
        return Monitor(Path(recording), self.clock.now(), Path(f"{base}-in.wav") if split else None,
                       Path(f"{base}-out.wav") if split else None)

    def local_bridge(self, one: Channel, two: Channel) -> None:
        self.emit(event("LocalBridge", CALL, one.snapshot("LocalOne"), two.snapshot("LocalTwo"),
                        {"Context": two.context, "Exten": two.exten, "LocalOptimization": "Yes"}))
