"""AMI event dicts assembled from channel snapshots, in Asterisk 22 header order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from pbx.simulator.channel import Channel, Party

CALL = "call,all"
DIALPLAN = "dialplan,all"
AGENT = "agent,all"
AGI = "agi,all"
CDR = "cdr,all"
CAUSE_TEXT = {0: "Unknown", 16: "Normal Clearing", 17: "User busy", 19: "No user responding", 26: "Answered elsewhere"}


def event(name: str, privilege: str, *parts: dict[str, str]) -> dict[str, str]:
    """``Event`` and ``Privilege`` first, then each part's headers in order."""
    headers = {"Event": name, "Privilege": privilege}
    for part in parts:
        headers.update(part)
    return headers


def dial_event(name: str, caller: Channel | None, dest: Channel, extra: dict[str, str]) -> dict[str, str]:
    """Dial*/Agent* events: the caller snapshot (absent for an Originate's own dial), then Dest*."""
    parts = [caller.snapshot()] if caller is not None else []
    privilege = AGENT if name.startswith("Agent") else CALL
    return event(name, privilege, *parts, dest.snapshot("Dest"), extra)


def bridge_part(bridge_id: str, channels: int) -> dict[str, str]:
    return {
        "BridgeUniqueid": bridge_id, "BridgeType": "basic", "BridgeTechnology": "simple_bridge",
        "BridgeCreator": "<unknown>", "BridgeName": "<unknown>", "BridgeNumChannels": str(channels),
        "BridgeVideoSourceMode": "none",
    }


def cause_part(cause: int, with_text: bool = False) -> dict[str, str]:
    part = {"Cause": str(cause)}
    if with_text:
        part["Cause-txt"] = CAUSE_TEXT.get(cause, "Unknown")
    return part


def device_state(device: str, state: str) -> dict[str, str]:
    return event("DeviceStateChange", CALL, {"Device": device, "State": state})


@dataclass
class CdrRecord:
    """One CDR row as the ``Cdr`` event reports it."""

    channel: Channel
    destination: str
    context: str
    caller: Party
    start: float
    dest_channel: str = ""
    last_app: str = ""
    last_data: str = ""
    answer: float | None = None
    end: float | None = None
    disposition: str = "NO ANSWER"
    userfield: str = ""

    def csv_fields(self) -> list[str | int]:
        """The row cdr_csv writes to Master.csv with ``loguniqueid``, ``loguserfield``, ``newcdrcolumns``
        and ``usegmtime`` on (pbx.cdr.master_csv reads it)."""
        end = self.end if self.end is not None else self.start
        billable = int(end - self.answer) if self.answer is not None else 0
        return [
            "", "" if self.caller.num == "<unknown>" else self.caller.num, self.destination, self.context,
            self.caller.merged(), self.channel.name, self.dest_channel, self.last_app, self.last_data,
            _cdr_time(self.start), _cdr_time(self.answer), _cdr_time(end), int(end - self.start), billable,
            self.disposition, "DOCUMENTATION", self.channel.uniqueid, self.userfield, "", self.channel.linkedid,
            0,
        ]

    def to_event(self) -> dict[str, str]:
        end = self.end if self.end is not None else self.start
        billable = int(end - self.answer) if self.answer is not None else 0
        return event("Cdr", CDR, {
            "AccountCode": "", "Source": "" if self.caller.num == "<unknown>" else self.caller.num,
            "Destination": self.destination, "DestinationContext": self.context,
            "CallerID": self.caller.merged(), "Channel": self.channel.name,
            "DestinationChannel": self.dest_channel, "LastApplication": self.last_app,
            "LastData": self.last_data, "StartTime": _cdr_time(self.start),
            "AnswerTime": _cdr_time(self.answer), "EndTime": _cdr_time(end),
            "Duration": str(int(end - self.start)), "BillableSeconds": str(billable),
            "Disposition": self.disposition, "AMAFlags": "DOCUMENTATION",
            "UniqueID": self.channel.uniqueid, "UserField": self.userfield,
        })


def _cdr_time(moment: float | None) -> str:
    if moment is None:
        return ""
    return datetime.fromtimestamp(moment, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
