"""Channels as Asterisk snapshots them, and the per-simulator id counters."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

UNKNOWN = "<unknown>"
STATE_DESC = {0: "Down", 4: "Ring", 5: "Ringing", 6: "Up", 7: "Busy"}
DOWN, RING, RINGING, UP, BUSY = 0, 4, 5, 6, 7
SNAPSHOT_FIELDS = (
    "Channel", "ChannelState", "ChannelStateDesc", "CallerIDNum", "CallerIDName",
    "ConnectedLineNum", "ConnectedLineName", "Language", "AccountCode",
    "Context", "Exten", "Priority", "Uniqueid", "Linkedid",
)


@dataclass
class Party:
    """Caller id or connected line."""

    num: str = UNKNOWN
    name: str = UNKNOWN

    def merged(self) -> str:
        """``CALLERID(all)`` as Asterisk formats it."""
        num = "" if self.num == UNKNOWN else self.num
        name = "" if self.name == UNKNOWN else self.name
        if name and num:
            return f'"{name}" <{num}>'
        return name or num


@dataclass
class Channel:
    name: str
    uniqueid: str
    linkedid: str
    context: str
    exten: str
    created_at: float
    priority: int = 1
    state: int = DOWN
    caller: Party = field(default_factory=Party)
    connected: Party = field(default_factory=Party)
    # newest first, like Asterisk's channel variable list
    variables: dict[str, str] = field(default_factory=dict)
    application: str = ""
    app_data: str = ""
    answered_at: float | None = None
    bridge_id: str = ""
    hungup: bool = False

    def snapshot(self, prefix: str = "") -> dict[str, str]:
        values = (
            self.name, str(self.state), STATE_DESC[self.state], self.caller.num, self.caller.name,
            self.connected.num, self.connected.name, "en", "", self.context, self.exten,
            str(self.priority), self.uniqueid, self.linkedid,
        )
        return {prefix + key: value for key, value in zip(SNAPSHOT_FIELDS, values)}

    def store(self, name: str, value: str, append: bool = False) -> None:
        """Set a variable: dialplan sets go to the head of the list, copies (inheritance) to its tail."""
        self.variables.pop(name, None)
        self.variables = {**self.variables, name: value} if append else {name: value, **self.variables}

    def inheritable(self) -> list[tuple[str, str]]:
        """``_`` and ``__`` variables a dialled channel receives, in list order."""
        return [(k, v) for k, v in self.variables.items() if k.startswith("_")]

    def lookup(self, name: str) -> str | None:
        for key in (name, "_" + name, "__" + name):
            if key in self.variables:
                return self.variables[key]
        return None

    @property
    def device(self) -> str:
        """``Local/101@sim-agent`` for ``Local/101@sim-agent-0000000a;1``."""
        return self.name.rsplit("-", 1)[0]


class ChannelFactory:
    """One Uniqueid sequence and one Local channel counter per simulator."""

    def __init__(self) -> None:
        self._sequence = itertools.count()
        self._local = itertools.count()

    def local_pair(self, exten: str, context: str, now: float, linkedid: str = "") -> tuple[Channel, Channel]:
        """``Local/<exten>@<context>-<8 hex>;1`` (Down) and ``;2`` (Ring); a new call links to ``;1``."""
        base = f"Local/{exten}@{context}-{next(self._local):08x}"
        one = Channel(base + ";1", self._uniqueid(now), linkedid, context, exten, now, state=DOWN)
        one.linkedid = linkedid or one.uniqueid
        two = Channel(base + ";2", self._uniqueid(now), one.linkedid, context, exten, now, state=RING)
        return one, two

    def _uniqueid(self, now: float) -> str:
        return f"{int(now)}.{next(self._sequence)}"
