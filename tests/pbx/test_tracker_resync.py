"""resync(): Asterisk's live channels (``CoreShowChannels``) after a reconnect or a takeover.

Calls are cut out of the real captures: the tracker sees the ``CoreShowChannel``
rows Asterisk would have listed at that moment, then the events that follow.
The rows are rebuilt from the events before the cut (each channel's latest
snapshot, the application of its last ``Newexten``, the bridge it is in); their
``Duration`` comes from the Uniqueid, whose integer part is the second Asterisk
created the channel (``1795429754.16`` was created 20 s after ``1795429734.12``).
Flows the captures lack are rows as in test_tracker_scenarios.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone

import pytest

from callcenter.bus import CALL_ANSWERED, CALL_ENDED, CALL_RINGING, CALL_STARTED, DomainEvent
from callcenter.clock import FakeClock
from pbx.tracker.listing import parse_duration, read_listing
from pbx.tracker.model import CallRecord, Direction, Disposition, LegResult
from pbx.tracker.tracker import CallTracker, TrackerConfig
from tests.pbx.test_tracker_captures import CARDS
from tests.pbx.test_tracker_scenarios import ANSWER_101, HANG_UP, INBOUND, LINGER, RING_101, T0, ami, ended, run
from tests.support.captures import load_capture, replay

SNAPSHOT = (
    "Channel", "ChannelState", "ChannelStateDesc", "CallerIDNum", "CallerIDName", "ConnectedLineNum",
    "ConnectedLineName", "Language", "AccountCode", "Context", "Exten", "Priority", "Uniqueid", "Linkedid",
)


def listing_at(messages: Iterable[Mapping[str, str]], now: datetime) -> list[dict[str, str]]:
    """The ``CoreShowChannel`` rows of the channels ``messages`` leave up, as listed at ``now``."""
    rows: dict[str, dict[str, str]] = {}
    for message in messages:
        uniqueid, event = message.get("Uniqueid"), message.get("Event")
        if not uniqueid:
            continue
        if event == "Hangup":
            rows.pop(uniqueid, None)
            continue
        row = rows.setdefault(uniqueid, {"Event": "CoreShowChannel", "Application": "", "ApplicationData": "",
                                         "BridgeId": ""})
        row.update({key: message[key] for key in SNAPSHOT if key in message})
        if event == "Newexten":
            row["Application"], row["ApplicationData"] = message["Application"], message["AppData"]
        elif event in ("BridgeEnter", "BridgeLeave"):
            row["BridgeId"] = message["BridgeUniqueid"] if event == "BridgeEnter" else ""
    for uniqueid, row in rows.items():
        age = int(now.timestamp()) - int(uniqueid.partition(".")[0])
        row["Duration"] = f"{age // 3600:02d}:{age // 60 % 60:02d}:{age % 60:02d}"
    return list(rows.values())


def at(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, timezone.utc)


def index(messages, event: str, **fields: str) -> int:
    """Where the first ``event`` with ``fields`` is."""
    return next(i for i, message in enumerate(messages)
                if message.get("Event") == event and all(message.get(k) == v for k, v in fields.items()))


def names(events: list[DomainEvent]) -> list[str]:
    return [event.name for event in events]


def legs(record: CallRecord) -> list[tuple[str, LegResult, str | None]]:
    return [(leg.extension, leg.result, leg.queue) for leg in record.legs]


# -- calls that started before we listened -------------------------------------------------

ONE_CALL = load_capture("one-call.ami")
ONE_CALL_BORN = 1795429694  # answered 2 s in, the customer hangs up 8 s in
TALKING = index(ONE_CALL, "BridgeEnter", Uniqueid="1795429694.1") + 1


def adopt(messages, cut: int, listed_at: int, ends_at: int, tracker: CallTracker | None = None):
    """The tracker lists the channels ``messages[:cut]`` leave up at ``listed_at`` (epoch seconds), then
    takes the rest at ``ends_at``; returns what the resync published, and everything after it."""
    tracker, clock = tracker or CallTracker(), FakeClock(at(listed_at))
    adopted = tracker.resync(listing_at(messages[:cut], clock.now()), clock.now())
    clock.set(at(ends_at))
    after = replay(messages[cut:], tracker, clock)
    return adopted, after + tracker.expire(clock.now() + LINGER)


def test_a_call_talking_when_we_connect_becomes_one_answered_card():
    adopted, after = adopt(ONE_CALL, TALKING, ONE_CALL_BORN + 4, ONE_CALL_BORN + 8)

    assert names(adopted) == [CALL_STARTED, CALL_RINGING, CALL_ANSWERED]
    started = adopted[0].payload
    assert (started.linkedid, started.direction, started.started_at) == ("1795429694.0", Direction.INBOUND,
                                                                         at(ONE_CALL_BORN))
    # ;2's row: CallerIDNum 79161234567, CallerIDName "Test Caller", Exten (the DID) 79161234567
    assert (started.caller_number, started.caller_name, started.did) == ("+79161234567", "Test Caller", "79161234567")
    assert adopted[2].payload.answered_by == "101"
    assert names(after) == [CALL_ENDED]  # the recording's VarSet came before the cut
    record = ended(after)
    assert (legs(record), record.answered_by, record.disposition) == (
        [("101", LegResult.ANSWERED, None)], "101", Disposition.ANSWERED)
    assert (record.hangup_cause, record.recording_file) == (16, None)
    # the listing cannot say when 101 answered (the record guesses 0 s in); ;2's Cdr says 2 s, talk 6
    assert (record.wait_seconds, record.talk_seconds) == (2.0, 6.0)


def test_without_a_cdr_the_answer_is_taken_as_early_as_it_can_have_been():
    without_cdr = [message for message in ONE_CALL if message.get("Event") != "Cdr"]
    cut = index(without_cdr, "BridgeEnter", Uniqueid="1795429694.1") + 1
    _, after = adopt(without_cdr, cut, ONE_CALL_BORN + 4, ONE_CALL_BORN + 8)

    record = ended(after)
    assert (record.answered_by, record.wait_seconds, record.talk_seconds) == ("101", 0.0, 8.0)  # 101 rang at 0 s


def test_a_call_in_the_queue_rings_on_and_is_answered_there():
    messages = load_capture("away-to-queue.ami")  # born 1795429734: Dial 103 for 20 s, the queue rings all
    ringing = index(messages, "AgentCalled", DestUniqueid="1795429754.20") + 1  # 101, 102, 103 ringing

    adopted, after = adopt(messages, ringing, 1795429734 + 21, 1795429734 + 28)

    assert names(adopted) == [CALL_STARTED] + [CALL_RINGING] * 3
    assert adopted[0].payload.caller_name == "Мария"
    assert {event.payload.queue for event in adopted[1:]} == {"sales"}  # ;2 runs Queue(sales,r,,,40)
    record = ended(after)
    # 103's Dial before the queue ended before we listened: it is not on the card
    assert legs(record) == [("101", LegResult.ANSWERED, "sales"), ("102", LegResult.CANCEL, "sales"),
                            ("103", LegResult.CANCEL, "sales")]
    assert (record.answered_by, record.disposition, record.queue) == ("101", Disposition.ANSWERED, "sales")
    assert (record.wait_seconds, record.talk_seconds) == (22.0, 6.0)  # the whole Cdr chain of ;2


def test_a_call_ringing_its_first_manager_ends_as_the_whole_capture_does():
    messages = load_capture("missed-all-away.ami")
    ringing_101 = index(messages, "DialBegin", DestUniqueid="1795429781.34") + 1
    expected = CARDS["missed-all-away.ami"]

    adopted, after = adopt(messages, ringing_101, 1795429781 + 10, 1795429781 + 60)

    assert names(adopted) == [CALL_STARTED, CALL_RINGING]
    record = ended(after)
    assert legs(record) == expected.legs
    assert (record.answered_by, record.disposition, record.queue) == (None, Disposition.MISSED, "sales")
    assert (record.caller_number, record.did) == (expected.caller_number, expected.did)
    assert (record.wait_seconds, record.talk_seconds) == (expected.wait, expected.talk)


def test_events_the_previous_leader_saw_replayed_after_the_adoption_still_make_one_call():
    tracker = CallTracker()
    adopted, after = adopt(ONE_CALL + ONE_CALL, TALKING, ONE_CALL_BORN + 4, ONE_CALL_BORN + 8, tracker)
    # i.e. after the listing: the rest of the call, then the whole call once more

    assert names(adopted + after) == [CALL_STARTED, CALL_RINGING, CALL_ANSWERED, CALL_ENDED]
    record = ended(after)
    assert (legs(record), record.answered_by, record.wait_seconds, record.talk_seconds) == (
        [("101", LegResult.ANSWERED, None)], "101", 2.0, 6.0)


def test_a_call_whose_origin_the_tracker_had_not_seen_yet_is_adopted():
    tracker, clock = CallTracker(), FakeClock(at(ONE_CALL_BORN))
    replay(ONE_CALL[:index(ONE_CALL, "Newchannel") + 1], tracker, clock)  # ;1 only: no record yet
    assert tracker.live_calls() == []

    adopted, after = adopt(ONE_CALL, TALKING, ONE_CALL_BORN + 4, ONE_CALL_BORN + 8, tracker)

    assert names(adopted) == [CALL_STARTED, CALL_RINGING, CALL_ANSWERED]
    assert ended(after).disposition is Disposition.ANSWERED


# -- calls we followed, across an outage ---------------------------------------------------------


def test_a_call_answered_during_the_outage_is_answered():
    tracker, clock = CallTracker(), FakeClock(at(ONE_CALL_BORN))
    dialled = index(ONE_CALL, "DialBegin", DestUniqueid="1795429694.2") + 1
    replay(ONE_CALL[:dialled], tracker, clock)  # then the connection drops until 101 talks

    clock.set(at(ONE_CALL_BORN + 4))
    caught_up = tracker.resync(listing_at(ONE_CALL[:TALKING], clock.now()), clock.now())
    clock.set(at(ONE_CALL_BORN + 8))
    after = replay(ONE_CALL[TALKING:], tracker, clock)

    assert [(event.name, event.payload.answered_by) for event in caught_up] == [(CALL_ANSWERED, "101")]
    record = ended(after)
    assert (legs(record), record.disposition, record.wait_seconds, record.talk_seconds) == (
        [("101", LegResult.ANSWERED, None)], Disposition.ANSWERED, 2.0, 6.0)


def test_channels_that_hung_up_during_the_outage_do_not_keep_the_call_open():
    messages = load_capture("away-to-queue.ami")
    tracker, clock = CallTracker(), FakeClock(at(1795429734))
    replay(messages[:index(messages, "DialBegin", DestUniqueid="1795429734.14") + 1], tracker, clock)  # 103 rings
    talking = index(messages, "BridgeEnter", Uniqueid="1795429734.13") + 1  # the queue put 101 through

    clock.set(at(1795429734 + 23))
    caught_up = tracker.resync(listing_at(messages[:talking], clock.now()), clock.now())
    clock.set(at(1795429734 + 28))
    after = replay(messages[talking:], tracker, clock)

    assert names(caught_up) == [CALL_RINGING, CALL_ANSWERED]
    record = ended(after)  # without the resync 103's Dial channels, whose Hangups we missed, kept it open
    # how 103's Dial ended went unseen: it counts as cancelled
    assert legs(record) == [("103", LegResult.CANCEL, None), ("101", LegResult.ANSWERED, "sales")]
    assert (record.answered_by, record.queue, record.wait_seconds, record.talk_seconds) == ("101", "sales", 22.0, 6.0)


def test_resync_closes_an_answered_call_that_ended_during_the_outage():
    tracker, clock, _ = run(INBOUND + RING_101 + ANSWER_101)
    later = clock.now() + timedelta(minutes=3)

    events = tracker.resync(ami("CoreShowChannel Linkedid=9.9 Uniqueid=9.9 Channel=PJSIP/trunk-00000009"), later)

    assert names(events) == [CALL_ENDED]
    assert (events[0].payload.disposition, events[0].payload.ended_at) == (Disposition.ANSWERED, later)
    assert tracker.live_calls() == []


def test_resync_closes_a_ringing_call_as_missed():
    tracker, clock, _ = run(INBOUND + RING_101)

    record = ended(tracker.resync([], clock.now()))

    assert (record.disposition, record.legs[0].result) == (Disposition.MISSED, LegResult.CANCEL)


def test_resync_keeps_calls_asterisk_still_has_and_ignores_stragglers():
    tracker, clock, _ = run(INBOUND + RING_101)

    still = ami("CoreShowChannel Linkedid=1.1 Uniqueid=1.2 Channel=PJSIP/101-00000002 ChannelState=5 Context=sim-agent")
    assert tracker.resync(still, clock.now()) == []
    assert [call.linkedid for call in tracker.live_calls()] == ["1.1"]

    tracker.resync([], clock.now())
    assert replay(ami(ANSWER_101 + HANG_UP), tracker, clock) == []
    assert tracker.expire(clock.now() + LINGER) == []
    assert tracker.resync(ami(INBOUND.replace("Newchannel", "CoreShowChannel")), clock.now()) == []  # finished


# -- flows the captures lack -----------------------------------------------------------------------

CLICK_TO_CALL_TALKING = """
CoreShowChannel Linkedid=5.1 Uniqueid=5.1 Channel=Local/101@sim-agent-00000004;1 ChannelState=6 Context=outbound Exten=79267770000 CallerIDNum=74951234567 CallerIDName=+79267770000 Application=Dial ApplicationData=Local/79267770000@sim-callee,60 Duration=00:00:09 BridgeId=b5
CoreShowChannel Linkedid=5.1 Uniqueid=5.2 Channel=Local/101@sim-agent-00000004;2 ChannelState=6 Context=agent-sub Exten=s CallerIDNum=101 Application=Wait ApplicationData=8 Duration=00:00:09
CoreShowChannel Linkedid=5.1 Uniqueid=5.3 Channel=Local/79267770000@sim-callee-00000005;1 ChannelState=6 Context=sim-callee Exten=79267770000 Application=AppDial ApplicationData="(Outgoing Line)" Duration=00:00:07 BridgeId=b5
CoreShowChannel Linkedid=5.1 Uniqueid=5.4 Channel=Local/79267770000@sim-callee-00000005;2 ChannelState=6 Context=agent-sub Exten=s Application=Wait ApplicationData=8 Duration=00:00:07
"""
CLICK_TO_CALL_ENDS = """
Hangup Linkedid=5.1 Uniqueid=5.2 Cause=16
Hangup Linkedid=5.1 Uniqueid=5.1 Cause=16
Hangup Linkedid=5.1 Uniqueid=5.3 Cause=16
Hangup Linkedid=5.1 Uniqueid=5.4 Cause=16
Cdr UniqueID=5.1 Duration=13 BillableSeconds=11 Disposition=ANSWERED
"""
MANAGER_STILL_RINGING = """
CoreShowChannel Linkedid=5.1 Uniqueid=5.1 Channel=Local/101@sim-agent-00000004;1 ChannelState=5 Context=sim-agent Exten=101 CallerIDNum=101 CallerIDName=+79267770000 Application=AppDial2 ApplicationData="(Outgoing Line)" Duration=00:00:01
CoreShowChannel Linkedid=5.1 Uniqueid=5.2 Channel=Local/101@sim-agent-00000004;2 ChannelState=4 Context=agent-sub Exten=s CallerIDNum=101 Application=Wait ApplicationData=2 Duration=00:00:01
"""


def resync_then(listing: str, events: str, config: TrackerConfig = TrackerConfig()):
    tracker, clock = CallTracker(config), FakeClock(T0)
    adopted = tracker.resync(ami(listing), clock.now())
    return adopted, replay(ami(events), tracker, clock) + tracker.expire(clock.now() + LINGER)


def test_a_click_to_call_in_progress_is_the_managers_answered_outbound_call():
    adopted, after = resync_then(CLICK_TO_CALL_TALKING, CLICK_TO_CALL_ENDS)

    assert names(adopted) == [CALL_STARTED, CALL_RINGING, CALL_ANSWERED]
    record = ended(after)
    assert (record.direction, record.caller_raw, record.callee_raw, record.client_number) == (
        Direction.OUTBOUND, "101", "79267770000", "+79267770000")  # callee_raw: Dial's target, as a DialBegin sets it
    assert (legs(record), record.answered_by, record.disposition) == (
        [("101", LegResult.ANSWERED, None)], "101", Disposition.ANSWERED)
    assert (record.started_at, record.hangup_cause) == (T0 - timedelta(seconds=9), 16)


def test_a_click_to_call_whose_manager_does_not_pick_up_fails():
    _, after = resync_then(MANAGER_STILL_RINGING, """
DialEnd DestChannel=Local/101@sim-agent-00000004;1 DestUniqueid=5.1 DestLinkedid=5.1 DialStatus=NOANSWER
Hangup Linkedid=5.1 Uniqueid=5.1 Cause=0
Hangup Linkedid=5.1 Uniqueid=5.2 Cause=0
""")

    record = ended(after)
    assert (record.direction, record.callee_number) == (Direction.OUTBOUND, "+79267770000")  # what the phone showed
    assert (legs(record), record.disposition) == ([("101", LegResult.NOANSWER, None)], Disposition.FAILED)


@pytest.mark.parametrize(("exten", "target", "dialled", "direction", "answered_by", "callee"), [
    ("989267770000", "PJSIP/89267770000@trunk", "Channel=PJSIP/trunk-0000000a Context=from-pstn",
     Direction.OUTBOUND, "101", "+79267770000"),
    ("102", "Local/102@sim-agent", "Channel=Local/102@sim-agent-0000000b;1 Context=sim-agent",
     Direction.INTERNAL, "102", None),
], ids=["outbound", "internal"])
def test_a_call_a_manager_placed_from_the_phone(exten, target, dialled, direction, answered_by, callee):
    # the outbound call's Exten carries an outside-line prefix: the number is read from what Dial dials
    listing = f"""
CoreShowChannel Linkedid=7.1 Uniqueid=7.1 Channel=PJSIP/101-00000009 ChannelState=6 Context=sim-agent Exten={exten} CallerIDNum=101 Application=Dial ApplicationData={target},60 Duration=00:00:30 BridgeId=b7
CoreShowChannel Linkedid=7.1 Uniqueid=7.2 {dialled} ChannelState=6 Exten=s Duration=00:00:29 BridgeId=b7
"""
    adopted, after = resync_then(listing, "Hangup Linkedid=7.1 Uniqueid=7.1 Cause=16\nHangup Linkedid=7.1 Uniqueid=7.2")

    assert CALL_ANSWERED in names(adopted)
    record = ended(after)
    assert (record.direction, record.caller_raw, record.callee_number) == (direction, "101", callee)
    assert (record.answered_by, record.disposition) == (answered_by, Disposition.ANSWERED)
    assert [leg.extension for leg in record.legs] == ([] if direction is Direction.OUTBOUND else ["102"])


PRODUCTION = TrackerConfig(agent_contexts=frozenset({"agents"}))
TRUNK = ("CoreShowChannel Linkedid=8.1 Uniqueid=8.1 Channel=PJSIP/trunk-00000001 ChannelState=6 Context=from-pstn "
         "Exten=74951234567 CallerIDNum=89123456789 Application=Dial ApplicationData=Local/101@agents&Local/102@agents,20 "
         "Duration=00:00:40 BridgeId=b1\n")


@pytest.mark.parametrize("agents", [
    """
CoreShowChannel Linkedid=8.1 Uniqueid=8.2 Channel=Local/101@agents-00000001;1 ChannelState=6 Context=agents Exten=101 Duration=00:00:40 BridgeId=b1
CoreShowChannel Linkedid=8.1 Uniqueid=8.3 Channel=Local/101@agents-00000001;2 ChannelState=6 Context=agents Exten=101 Application=Dial ApplicationData=PJSIP/101 Duration=00:00:40 BridgeId=b2
CoreShowChannel Linkedid=8.1 Uniqueid=8.4 Channel=PJSIP/101-00000002 ChannelState=6 Context=office Exten=s Duration=00:00:40 BridgeId=b2
CoreShowChannel Linkedid=8.1 Uniqueid=8.5 Channel=Local/102@agents-00000002;1 ChannelState=5 Context=agents Exten=102 Duration=00:00:40
""",
    """
CoreShowChannel Linkedid=8.1 Uniqueid=8.4 Channel=PJSIP/101-00000002 ChannelState=6 Context=office Exten=s Duration=00:00:40 BridgeId=b1
CoreShowChannel Linkedid=8.1 Uniqueid=8.5 Channel=Local/102@agents-00000002;1 ChannelState=5 Context=agents Exten=102 Duration=00:00:40
""",
], ids=["local-agents", "optimised-away"])
def test_with_real_phones_the_phone_behind_a_managers_local_channel_is_not_another_leg(agents):
    adopted, _ = resync_then(TRUNK + agents, "", PRODUCTION)

    [answered] = [event.payload for event in adopted if event.name == CALL_ANSWERED]
    assert ([(leg.extension, leg.result) for leg in answered.legs], answered.answered_by) == (
        [("101", LegResult.ANSWERED), ("102", LegResult.RINGING)], "101")


def test_the_manager_in_the_callers_bridge_answered_not_another_whose_phone_is_up_too():
    # ring-all: 102 picked up a moment after 101, whose channel the Dial is about to hang up
    listing = TRUNK + """
CoreShowChannel Linkedid=8.1 Uniqueid=8.2 Channel=Local/102@agents-00000001;1 ChannelState=6 Context=agents Exten=102 Duration=00:00:40
CoreShowChannel Linkedid=8.1 Uniqueid=8.3 Channel=Local/101@agents-00000002;1 ChannelState=6 Context=agents Exten=101 Duration=00:00:40 BridgeId=b1
"""
    adopted, _ = resync_then(listing, "", PRODUCTION)

    assert adopted[-1].payload.answered_by == "101"
    assert [(leg.extension, leg.result) for leg in adopted[-1].payload.legs] == [
        ("102", LegResult.RINGING), ("101", LegResult.ANSWERED)]


@pytest.mark.parametrize("listing", [
    "CoreShowChannel Linkedid=9.1 Uniqueid=9.2 Channel=PJSIP/trunk-00000002 ChannelState=6 Context=from-pstn",
    "CoreShowChannel Linkedid=9.1 Uniqueid=9.1 Channel=PJSIP/trunk-00000001 ChannelState=6 Context=elsewhere",
    "CoreShowChannel Linkedid=9.1 Uniqueid=9.1 Channel=Local/100@elsewhere-00000001;1 ChannelState=6 Context=x",
    "CoreShowChannel Linkedid=9.1 Uniqueid=9.1 Channel=Local/79161234567@from-pstn-00000001;1 ChannelState=6",
], ids=["first-channel-gone", "unknown-context", "unknown-local", "no-second-half"])
def test_calls_whose_origin_cannot_be_told_are_left_alone(listing):
    tracker, clock = CallTracker(), FakeClock(T0)

    assert tracker.resync(ami(listing), clock.now()) == []
    assert tracker.live_calls() == []


def test_listing_rows_read_their_duration_and_order():
    assert parse_duration("123:04:05") == timedelta(hours=123, minutes=4, seconds=5)
    assert parse_duration("") == parse_duration("soon") == timedelta(0)
    rows = ami("""
CoreShowChannel Linkedid=1.9 Uniqueid=1.10 Duration=00:00:05
CoreShowChannel Linkedid=1.9 Uniqueid=1.9 Duration=00:00:05
CoreShowChannel Uniqueid=2.1 Duration=00:00:01
""")
    [(linkedid, listed)] = read_listing(rows, T0).items()
    assert (linkedid, [channel.uniqueid for channel in listed]) == ("1.9", ["1.9", "1.10"])
    assert listed[0].created_at == T0 - timedelta(seconds=5)
