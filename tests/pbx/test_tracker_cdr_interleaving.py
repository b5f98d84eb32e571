"""CDRs as a real Asterisk 22 sends them with ``cdr_manager``: one record per Dial or Queue attempt,
the first of them while the call is still going, interleaved with the hangups, the rest after the last
hangup. The real captures are replayed with their origin's CDRs moved that way and with the clock
following the PBX (a channel's creation second from its Uniqueid; the origin's hangup and all after it at
the call's end, as its CDRs give it). The call's length is the events'; a partial batch never shortens
it, and no time comes out negative.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, timezone

from callcenter.bus import CALL_ENDED
from pbx.tracker.model import CallRecord, Disposition
from pbx.tracker.tracker import CallTracker
from tests.support.captures import load_capture


def interleaved(name: str, origin: str, first_attempt: str) -> list[Mapping[str, str]]:
    """The capture with the origin's first CDR right after the first attempt's hangup, its others at the end."""
    messages = load_capture(name)
    cdrs = [m for m in messages if m.get("Event") == "Cdr" and m.get("UniqueID") == origin]
    rest = [m for m in messages if m not in cdrs]
    at = next(i for i, m in enumerate(rest) if m.get("Event") == "Hangup" and m.get("Uniqueid") == first_attempt)
    return [*rest[: at + 1], cdrs[0], *rest[at + 1:], *cdrs[1:]]


def replay_as_lived(messages: list[Mapping[str, str]], origin: str, end: float) -> CallRecord:
    tracker, now, ended = CallTracker(), 0.0, []
    for message in messages:
        if message.get("Event") == "Newchannel":
            now = max(now, float(message["Uniqueid"].split(".")[0]))
        if message.get("Event") == "Hangup" and message.get("Uniqueid") == origin:
            now = end
        ended += [e for e in tracker.handle(message, _at(now)) if e.name == CALL_ENDED]
    ended += [e for e in tracker.expire(_at(now + 60)) if e.name == CALL_ENDED]
    [event] = ended
    return event.payload


def _at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, timezone.utc)


def test_a_missed_call_lasts_until_its_last_hangup_whatever_part_of_the_cdr_batch_came_first():
    """Missed Test: Dial 101 for 20 s (the first CDR), three queue rounds, abandoned at 10:30:41: 60 s.
    With only the first CDR in at the last hangup, the call was stored as 20 s."""
    origin = "1795429781.33"
    record = replay_as_lived(interleaved("missed-all-away.ami", origin, "1795429781.35"), origin, 1795429841)
    assert record.disposition is Disposition.MISSED
    assert record.ended_at - record.started_at == timedelta(seconds=60)
    assert (record.wait_seconds, record.talk_seconds) == (60.0, 0.0)


def test_an_answered_calls_times_stay_the_events_when_the_cdr_batch_is_partial():
    """Мария: Dial 103 for 20 s (the first CDR), then the queue, 101 answers, the call ends 28 s after it
    began. The partial batch (20 s, no answer) once cut the call to 20 s and its talk to nothing."""
    origin = "1795429734.13"
    record = replay_as_lived(interleaved("away-to-queue.ami", origin, "1795429734.15"), origin, 1795429762)
    assert (record.disposition, record.answered_by) == (Disposition.ANSWERED, "101")
    assert record.ended_at - record.started_at == timedelta(seconds=28)
    assert record.started_at <= record.answered_at <= record.ended_at
    assert (record.wait_seconds, record.talk_seconds) == (20.0, 8.0)  # the events' own: the queue rang at 754
