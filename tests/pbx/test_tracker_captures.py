"""The five real Asterisk 22 captures, replayed through the tracker in process.

Every expected value below was read from the capture itself (the message
quoted in the comment), not from the tracker's output. The captures carry no
``Timestamp`` headers and the replay clock stands still, so every wait and talk
time here is the PBX's own accounting (the inbound channel's CDRs) winning over
arrival times that are all equal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from callcenter.bus import CALL_ANSWERED, CALL_ENDED, CALL_RINGING, CALL_STARTED, DomainEvent
from callcenter.clock import FakeClock
from pbx.tracker.model import CallRecord, Direction, Disposition, LegResult
from pbx.tracker.tracker import CallTracker
from tests.support.captures import load_capture, replay

MONITOR = "/var/spool/asterisk/monitor"


@dataclass(frozen=True)
class Card:
    caller_raw: str
    caller_number: str
    caller_name: str
    did: str
    legs: list[tuple[str, LegResult, str | None]]  # (extension, result, queue), in the order they rang
    answered_by: str | None
    disposition: Disposition
    wait: float
    talk: float
    recording: str
    queue: str | None = None
    ends_on_expire: bool = False  # the inbound CDR comes after the last Hangup, so expire() finalises


CARDS = {
    # NewCallerid of ;2: "Test Caller" <79161234567>, Exten 79161234567. DialBegin to
    # Local/101@sim-agent-00000001;1, DialEnd ANSWER. Cdr of ;2 (UniqueID 1795429694.1):
    # Duration 8, BillableSeconds 6 -> wait 8-6=2, talk 6 (ANSWEREDTIME 6, DIALEDTIME 8 agree).
    # That Cdr precedes the ;2 Hangup, before the last Hangup (101;2).
    "one-call.ami": Card(
        "79161234567", "+79161234567", "Test Caller", "79161234567",
        [("101", LegResult.ANSWERED, None)], "101", Disposition.ANSWERED, 2.0, 6.0,
        f"{MONITOR}/1795429694.1.wav",
    ),
    # "Fallback Test" <+79261234567>, no AGI, Dial(Local/fallback@sim-agent) answered.
    # Cdr of ;2 (1795429720.9): Duration 8, BillableSeconds 6 -> wait 2, talk 6
    # (ANSWEREDTIME 6, DIALEDTIME 8). It arrives after the last Hangup (fallback;2).
    "agi-down-fallback.ami": Card(
        "+79261234567", "+79261234567", "Fallback Test", "74951234567",
        [("fallback", LegResult.ANSWERED, None)], "fallback", Disposition.ANSWERED, 2.0, 6.0,
        f"{MONITOR}/1795429720.9.wav", ends_on_expire=True,
    ),
    # "Мария" <79035550011>: Dial to 103 ends NOANSWER; queue sales rings 101, 102, 103;
    # AgentConnect 101 (HoldTime 2); DialEnd CANCEL for 102 and 103. Cdrs of ;2 (1795429734.13):
    # 10:28:54 Duration 20 NO ANSWER (the Dial), 10:29:14 Duration 8 BillableSeconds 6 ANSWERED
    # (the queue) -> wait 20 + (8-6) = 22 = Dial 20 s + HoldTime 2, talk 6 (AgentComplete
    # TalkTime 6, ANSWEREDTIME 6); 22 + 6 = DIALEDTIME 28.
    "away-to-queue.ami": Card(
        "79035550011", "+79035550011", "Мария", "74951234567",
        [
            ("103", LegResult.NOANSWER, None),
            ("101", LegResult.ANSWERED, "sales"),
            ("102", LegResult.CANCEL, "sales"),
            ("103", LegResult.CANCEL, "sales"),
        ],
        "101", Disposition.ANSWERED, 22.0, 6.0, f"{MONITOR}/1795429734.13.wav", queue="sales",
    ),
    # "Missed Test" <+79031112233>: Dial to 101 NOANSWER, then three queue rounds of
    # AgentCalled/AgentRingNoAnswer for 101, 102, 103, QueueCallerAbandon (HoldTime 40) and
    # QUEUESTATUS=TIMEOUT: the PBX gave up. Cdrs of ;2 (1795429781.33) run from 10:29:41
    # (Duration 20) to 10:30:41 (the last, Duration 0) -> wait 60 = Dial 20 + HoldTime 40
    # = DIALEDTIME 60, talk 0 (ANSWEREDTIME 0).
    "missed-all-away.ami": Card(
        "+79031112233", "+79031112233", "Missed Test", "74951234567",
        [("101", LegResult.NOANSWER, None)] + [(ext, LegResult.NOANSWER, "sales") for ext in ("101", "102", "103")] * 3,
        None, Disposition.MISSED, 60.0, 0.0, f"{MONITOR}/1795429781.33.wav", queue="sales",
    ),
    # "Елена Смирнова" <89161112233> on DID 74951234567, 101 answers. Cdr of ;2 (1795430021.1):
    # Duration 63, BillableSeconds 61 -> wait 2, talk 61 (ANSWEREDTIME 61, DIALEDTIME 63).
    # It arrives after the last Hangup (;1).
    "answered-split-recording.ami": Card(
        "89161112233", "+79161112233", "Елена Смирнова", "74951234567",
        [("101", LegResult.ANSWERED, None)], "101", Disposition.ANSWERED, 2.0, 61.0,
        f"{MONITOR}/1795430021.1.wav", ends_on_expire=True,
    ),
}


def replay_capture(name: str, times: int = 1) -> tuple[list[DomainEvent], list[DomainEvent]]:
    """What the replay published, and what the next expire() tick published."""
    tracker, clock = CallTracker(), FakeClock()
    published = replay(load_capture(name) * times, tracker, clock)
    return published, tracker.expire(clock.now())


def final_record(events: list[DomainEvent]) -> CallRecord:
    [ended] = [event for event in events if event.name == CALL_ENDED]
    return ended.payload


@pytest.mark.parametrize("name", CARDS)
def test_call_card(name):
    expected = CARDS[name]
    published, expired = replay_capture(name)
    record = final_record(published + expired)

    assert record.direction is Direction.INBOUND
    assert (record.caller_raw, record.caller_number, record.caller_name, record.did) == (
        expected.caller_raw, expected.caller_number, expected.caller_name, expected.did)
    assert [(leg.extension, leg.result, leg.queue) for leg in record.legs] == expected.legs
    assert record.rung == list(dict.fromkeys(extension for extension, _, _ in expected.legs))
    assert (record.answered_by, record.disposition, record.queue) == (
        expected.answered_by, expected.disposition, expected.queue)
    assert (record.hangup_cause, record.hangup_cause_text) == (16, "Normal Clearing")  # ;2 Hangup, all five
    assert (record.wait_seconds, record.talk_seconds) == (expected.wait, expected.talk)
    assert record.recording_file == expected.recording  # VarSet MIXMONITOR_FILENAME on ;2


@pytest.mark.parametrize("name", CARDS)
def test_domain_events_in_order(name):
    expected = CARDS[name]
    published, expired = replay_capture(name)
    answered = [CALL_ANSWERED] if expected.answered_by else []
    closing = [CALL_ENDED]

    assert [event.name for event in published + expired] == (
        [CALL_STARTED] + [CALL_RINGING] * len(expected.legs) + answered + closing)
    assert [event.name for event in expired] == (closing if expected.ends_on_expire else [])
    rung_in_order = [event.payload.legs[-1].extension for event in published if event.name == CALL_RINGING]
    assert rung_in_order == [extension for extension, _, _ in expected.legs]
    started = published[0].payload
    assert (started.did, started.ended_at, started.disposition) == (expected.did, None, None)
    if expected.answered_by:
        [answer] = [event.payload for event in published if event.name == CALL_ANSWERED]
        assert (answer.answered_by, answer.ended_at) == (expected.answered_by, None)


@pytest.mark.parametrize("name", CARDS)
def test_times_agree_with_the_dial_accounting(name):
    """The Dial/Queue app's own ANSWEREDTIME and DIALEDTIME, which the tracker does not read."""
    messages = load_capture(name)
    accounting = {
        message["Variable"]: float(message["Value"])
        for message in messages
        if message.get("Event") == "VarSet" and message.get("Variable") in ("ANSWEREDTIME", "DIALEDTIME")
        and message.get("Value")
    }
    record = final_record(sum(replay_capture(name), []))

    assert record.talk_seconds == accounting["ANSWEREDTIME"]
    assert record.wait_seconds + record.talk_seconds == accounting["DIALEDTIME"]


@pytest.mark.parametrize("name", CARDS)
def test_replaying_twice_yields_one_call_and_no_duplicate_events(name):
    once = [event.name for event in sum(replay_capture(name), [])]
    twice = sum(replay_capture(name, times=2), [])

    assert [event.name for event in twice] == once
    assert {event.payload.linkedid for event in twice} == {twice[0].payload.linkedid}


def test_late_arrival_times_are_not_cut_short_by_the_cdr():
    """Events trickling in half a second apart put 49 s between the Newchannel and the answer; a CDR that
    ends long before the events cannot be told from a partial batch, so the call keeps the events' times
    (``timestampevents = yes`` in manager.conf makes them the PBX's own, docs/asterisk)."""
    record = final_record(replay(load_capture("one-call.ami"), seconds_per_message=0.5))
    events_say = record.ended_at - record.started_at
    assert events_say > timedelta(seconds=30)  # the CDR says 8 s
    assert record.wait_seconds > 0 and record.talk_seconds > 0
    assert record.wait_seconds + record.talk_seconds == events_say.total_seconds()


def test_replaying_part_of_a_live_call_changes_nothing():
    messages = load_capture("away-to-queue.ami")
    connect = next(i for i, message in enumerate(messages) if message.get("Event") == "AgentConnect")
    replayed = messages[: connect + 1] + messages  # e.g. a connector re-sending after a hiccup

    once, again = replay(messages), replay(replayed)

    assert [event.name for event in again] == [event.name for event in once]
    assert final_record(again) == final_record(once)
    assert len(final_record(again).channels) == 10  # the summary's ten channels, each once


def test_live_calls_while_the_call_is_up():
    messages = load_capture("away-to-queue.ami")
    connect = next(i for i, message in enumerate(messages) if message.get("Event") == "AgentConnect")
    tracker, clock = CallTracker(), FakeClock()

    replay(messages[: connect + 1], tracker, clock)
    [live] = tracker.live_calls()
    assert (live.linkedid, live.answered_by, live.ended_at) == ("1795429734.12", "101", None)
    assert live.rung == ["103", "101", "102"]

    replay(messages[connect + 1 :], tracker, clock)
    assert tracker.live_calls() == []
