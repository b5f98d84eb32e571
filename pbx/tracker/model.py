"""The call record the tracker builds: what a call card is made from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"
    INTERNAL = "internal"


class Disposition(StrEnum):
    """How the call ended. A call that ends in voicemail was answered by the PBX, not by a manager: it is
    ``MISSED`` (and ``CallRecord.voicemail`` names the mailbox when a message was left), so it still
    becomes a callback task."""

    ANSWERED = "answered"
    MISSED = "missed"  # rang managers, nobody answered, the PBX gave up (timeout) or took a voicemail
    ABANDONED = "abandoned"  # the caller hung up before anyone answered
    BUSY = "busy"
    FAILED = "failed"


class LegResult(StrEnum):
    RINGING = "ringing"
    ANSWERED = "answered"
    NOANSWER = "noanswer"
    BUSY = "busy"
    CANCEL = "cancel"  # another manager answered first, or the caller left
    FAILED = "failed"


@dataclass
class CallLeg:
    """One attempt to reach a manager: a Dial or queue member channel, or the phone AMI Originate rings
    for a click-to-call (the manager's own leg of the call they place)."""

    extension: str  # "101", or a named target such as "fallback"
    channel: str
    rang_at: datetime
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    result: LegResult = LegResult.RINGING
    queue: str | None = None


@dataclass
class CallRecord:
    """Everything known about one call (one ``Linkedid``)."""

    linkedid: str
    direction: Direction
    started_at: datetime
    caller_raw: str = ""  # the caller number as the PBX sent it
    caller_number: str | None = None  # E.164, None for anonymous or unknown
    caller_name: str = ""
    did: str | None = None  # the dialled number the call came in on
    callee_raw: str = ""  # outbound and internal calls: what the manager dialled
    callee_number: str | None = None  # E.164 of callee_raw, None for an extension
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    legs: list[CallLeg] = field(default_factory=list)
    answered_by: str | None = None  # extension of the manager who talked (placing a call: once the callee answers)
    queue: str | None = None
    voicemail: str | None = None  # the mailbox the caller left a message in (VoiceMail app), None if none
    disposition: Disposition | None = None  # set when the call ends
    hangup_cause: int | None = None
    hangup_cause_text: str = ""
    recording_file: str | None = None
    channels: list[str] = field(default_factory=list)
    recovered: bool = False  # rebuilt from the PBX's CDR store (pbx.cdr): nobody followed it over AMI

    @property
    def rung(self) -> list[str]:
        """Every manager who was rung, in order, each once."""
        return list(dict.fromkeys(leg.extension for leg in self.legs))

    @property
    def client_number(self) -> str | None:
        """The outside party's number: the caller of an inbound call, the callee of an outbound one."""
        if self.direction is Direction.INBOUND:
            return self.caller_number
        if self.direction is Direction.OUTBOUND:
            return self.callee_number
        return None

    @property
    def wait_seconds(self) -> float | None:
        """From arrival to answer, or to the end for an unanswered call."""
        until = self.answered_at or self.ended_at
        return None if until is None else (until - self.started_at).total_seconds()

    @property
    def talk_seconds(self) -> float:
        if self.answered_at is None or self.ended_at is None:
            return 0.0
        return (self.ended_at - self.answered_at).total_seconds()

    @property
    def is_live(self) -> bool:
        return self.ended_at is None
