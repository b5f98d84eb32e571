"""When things happened: the AMI event's own time, and the PBX's accounting.

Event times are exact only when Asterisk stamps its events
(``timestampevents=yes``); otherwise they are arrival times. The CDR records of
the call's first channel are Asterisk's own account of the call, to one second:
evidence that corrects the answer and lengthens a call whose events came late,
but never shortens one (see ``reconcile``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from pbx.tracker.model import CallRecord

TOLERANCE_SECONDS = 1.5


def event_time(event: Mapping[str, str], now: datetime) -> datetime:
    """The event's ``Timestamp`` header (epoch seconds) if it has a usable one, else ``now``."""
    stamp = event.get("Timestamp")
    if stamp is None:
        return now
    try:
        return datetime.fromtimestamp(float(stamp), timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return now


@dataclass(frozen=True)
class CdrEntry:
    """One CDR record of a channel; a channel that dialled several times has several."""

    start: datetime | None  # the PBX's local wall clock, naive; only differences are used
    duration: float
    billable: float
    answered: bool

    @classmethod
    def from_event(cls, event: Mapping[str, str]) -> CdrEntry | None:
        try:
            duration = float(event.get("Duration", ""))
            billable = float(event.get("BillableSeconds", "0"))
        except (TypeError, ValueError):
            return None
        try:
            start: datetime | None = datetime.fromisoformat(event.get("StartTime", ""))
        except (TypeError, ValueError):
            start = None
        return cls(start, duration, min(billable, duration), event.get("Disposition") == "ANSWERED")


@dataclass(frozen=True)
class CdrSpan:
    """The call as the CDRs tell it, in seconds from the first record's start."""

    answer_offset: float | None
    end_offset: float


def cdr_span(entries: list[CdrEntry]) -> CdrSpan | None:
    """Merge a channel's records: the earliest start, the first answer, the latest end."""
    if not entries:
        return None
    starts = [entry.start for entry in entries if entry.start is not None]
    origin = min(starts) if starts else None

    def offset(entry: CdrEntry) -> float:
        if origin is None or entry.start is None:
            return 0.0
        return (entry.start - origin).total_seconds()

    end = max(offset(entry) + entry.duration for entry in entries)
    answers = [offset(entry) + entry.duration - entry.billable for entry in entries if entry.answered]
    return CdrSpan(min(answers) if answers else None, end)


def reconcile(record: CallRecord, entries: list[CdrEntry]) -> None:
    """Let the CDRs correct the record's times where they clearly differ, as evidence, never as the clock.

    A call lasts until its last channel hung up: the CDRs may lengthen it (events that all arrived at
    once, a call adopted after an outage) but never shorten it. CDRs that end clearly before the events
    do are a partial batch (Asterisk sends one record per Dial or Queue attempt, the first while the call
    goes on) or another clock, and change nothing. The answer they give is kept within the call."""
    span = cdr_span(entries)
    if span is None or record.ended_at is None:
        return
    total = (record.ended_at - record.started_at).total_seconds()
    if span.end_offset < total - TOLERANCE_SECONDS:
        return
    if span.end_offset > total + TOLERANCE_SECONDS:
        total = span.end_offset
        record.ended_at = record.started_at + timedelta(seconds=total)
    if record.answered_at is None or span.answer_offset is None:
        return
    wait = (record.answered_at - record.started_at).total_seconds()
    talk = total - span.answer_offset
    if abs(wait - span.answer_offset) > TOLERANCE_SECONDS or abs(record.talk_seconds - talk) > TOLERANCE_SECONDS:
        record.answered_at = record.started_at + timedelta(seconds=min(max(span.answer_offset, 0.0), total))
