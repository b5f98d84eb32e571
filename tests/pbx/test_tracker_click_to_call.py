"""Click-to-call through the tracker: AMI Originate rings the manager's phone
(``Local/101@sim-agent``), and once they pick up the originated channel runs
``outbound,79267770000,1`` and dials the client. Rows as in
test_tracker_scenarios.py, shaped like the simulator's stream (pbx/simulator/outbound.py)."""

from __future__ import annotations

from datetime import timedelta

from callcenter.bus import CALL_ANSWERED, CALL_ENDED, CALL_RINGING, CALL_STARTED
from callcenter.clock import FakeClock
from pbx.tracker.model import Direction, Disposition, LegResult
from pbx.tracker.tracker import CallTracker, TrackerConfig
from tests.pbx.test_tracker_scenarios import LONG_AFTER, STAMP, T0, ami, card, ended, finish
from tests.support.captures import replay

MANAGER_RINGS = f"""
Newchannel Linkedid=5.1 Uniqueid=5.1 Channel=Local/101@sim-agent-00000004;1 ChannelState=0 Context=sim-agent Exten=101 Timestamp={STAMP}
Newchannel Linkedid=5.1 Uniqueid=5.2 Channel=Local/101@sim-agent-00000004;2 ChannelState=4 Context=sim-agent Exten=101 Timestamp={STAMP}
VarSet Linkedid=5.1 Uniqueid=5.1 Variable=CALLBACK_TASK_ID Value=7
NewCallerid Linkedid=5.1 Uniqueid=5.1 CallerIDNum=101 CallerIDName=+79267770000
DialBegin DestChannel=Local/101@sim-agent-00000004;1 DestContext=sim-agent DestExten=101 DestCallerIDNum=101 DestCallerIDName=+79267770000 DestUniqueid=5.1 DestLinkedid=5.1 DialString=101@sim-agent Timestamp={STAMP}
Newstate Linkedid=5.1 Uniqueid=5.1 ChannelState=5 Context=sim-agent Exten=101
"""
MANAGER_PICKS_UP = f"""
Newstate Linkedid=5.1 Uniqueid=5.2 ChannelState=6 Context=sim-agent Exten=101
Newstate Linkedid=5.1 Uniqueid=5.1 ChannelState=6 Context=sim-agent Exten=101
DialEnd DestChannel=Local/101@sim-agent-00000004;1 DestUniqueid=5.1 DestLinkedid=5.1 DialStatus=ANSWER Timestamp={STAMP + 2}
VarSet Linkedid=5.1 Uniqueid=5.1 Variable=MIXMONITOR_FILENAME Value=/var/spool/asterisk/monitor/5.1.wav
NewCallerid Linkedid=5.1 Uniqueid=5.1 CallerIDNum=74951234567 CallerIDName=+79267770000
Newchannel Linkedid=5.1 Uniqueid=5.3 Channel=Local/79267770000@sim-callee-00000005;1 ChannelState=0 Context=sim-callee Exten=79267770000
Newchannel Linkedid=5.1 Uniqueid=5.4 Channel=Local/79267770000@sim-callee-00000005;2 ChannelState=4 Context=sim-callee Exten=79267770000
DialBegin Linkedid=5.1 Uniqueid=5.1 DestUniqueid=5.3 DestChannel=Local/79267770000@sim-callee-00000005;1 DestContext=sim-callee DialString=79267770000@sim-callee Timestamp={STAMP + 2}
"""
CLIENT_ANSWERS = f"""
DialEnd Linkedid=5.1 Uniqueid=5.1 DestUniqueid=5.3 DialStatus=ANSWER Timestamp={STAMP + 5}
BridgeEnter Linkedid=5.1 Uniqueid=5.3 BridgeUniqueid=b5 Timestamp={STAMP + 5}
BridgeEnter Linkedid=5.1 Uniqueid=5.1 BridgeUniqueid=b5 Timestamp={STAMP + 5}
Hangup Linkedid=5.1 Uniqueid=5.2 Cause=16 Timestamp={STAMP + 13}
Hangup Linkedid=5.1 Uniqueid=5.1 Cause=16 Timestamp={STAMP + 13}
Hangup Linkedid=5.1 Uniqueid=5.3 Cause=16 Timestamp={STAMP + 13}
Hangup Linkedid=5.1 Uniqueid=5.4 Cause=16 Timestamp={STAMP + 13}
"""
CLIENT_DOES_NOT_ANSWER = """
DialEnd Linkedid=5.1 Uniqueid=5.1 DestUniqueid=5.3 DialStatus=NOANSWER
Hangup Linkedid=5.1 Uniqueid=5.3 Cause=0
Hangup Linkedid=5.1 Uniqueid=5.4 Cause=0
VarSet Linkedid=5.1 Uniqueid=5.1 Variable=DIALSTATUS Value=NOANSWER
Hangup Linkedid=5.1 Uniqueid=5.1 Cause=16
Hangup Linkedid=5.1 Uniqueid=5.2 Cause=16
"""
MANAGER_DOES_NOT_ANSWER = """
DialEnd DestChannel=Local/101@sim-agent-00000004;1 DestUniqueid=5.1 DestLinkedid=5.1 DialStatus=NOANSWER
Hangup Linkedid=5.1 Uniqueid=5.1 Cause=0
Hangup Linkedid=5.1 Uniqueid=5.2 Cause=0
"""
THE_CLIENT = {"direction": Direction.OUTBOUND, "caller_raw": "101", "caller_number": None, "caller_name": "",
              "did": None, "callee_number": "+79267770000", "client_number": "+79267770000"}


def test_a_click_to_call_the_client_answers_is_an_answered_outbound_call_of_the_manager():
    events, record = finish(MANAGER_RINGS + MANAGER_PICKS_UP + CLIENT_ANSWERS)

    assert [event.name for event in events] == [CALL_STARTED, CALL_RINGING, CALL_ANSWERED, CALL_ENDED]
    assert card(record) | THE_CLIENT == card(record)
    assert (record.callee_raw, record.legs[0].result, record.answered_by) == ("79267770000", LegResult.ANSWERED, "101")
    assert (record.disposition, record.hangup_cause, record.recording_file) == (
        Disposition.ANSWERED, 16, "/var/spool/asterisk/monitor/5.1.wav")
    leg = record.legs[0]
    assert (leg.channel, leg.rang_at, leg.answered_at) == ("Local/101@sim-agent-00000004;1", T0, T0 + timedelta(seconds=2))
    # answered when the client joined the manager's channel, not when the manager picked up
    assert (record.wait_seconds, record.talk_seconds) == (5.0, 8.0)


def test_the_originated_channels_cdr_does_not_move_the_answer_to_the_managers_pickup():
    # Asterisk answers the originated channel's CDR when the manager picks up (2 s in), not the client (5 s)
    _, record = finish(MANAGER_RINGS + MANAGER_PICKS_UP + CLIENT_ANSWERS + """
Cdr UniqueID=5.1 Duration=13 BillableSeconds=11 Disposition=ANSWERED StartTime="2026-11-23 13:00:00"
""")

    assert (record.wait_seconds, record.talk_seconds) == (5.0, 8.0)


def test_a_click_to_call_the_client_does_not_answer_is_missed():
    events, record = finish(MANAGER_RINGS + MANAGER_PICKS_UP + CLIENT_DOES_NOT_ANSWER)

    assert CALL_ANSWERED not in [event.name for event in events]
    assert card(record) | THE_CLIENT == card(record)
    assert (record.legs[0].result, record.answered_by, record.disposition) == (
        LegResult.ANSWERED, None, Disposition.MISSED)


def test_a_click_to_call_the_manager_does_not_pick_up_failed_and_names_the_client_it_was_for():
    _, record = finish(MANAGER_RINGS + MANAGER_DOES_NOT_ANSWER)

    assert card(record) | THE_CLIENT == card(record)
    assert record.callee_raw == "+79267770000"  # the Originate's caller ID name: nothing was dialled
    assert [(leg.extension, leg.result) for leg in record.legs] == [("101", LegResult.NOANSWER)]
    assert record.answered_by is None
    assert (record.disposition, record.hangup_cause) == (Disposition.FAILED, 0)


def test_a_busy_manager_fails_the_click_to_call_it_is_not_a_busy_client():
    rings_busy = MANAGER_RINGS.replace("Uniqueid=5.1 ChannelState=5", "Uniqueid=5.2 ChannelState=7")  # Busy() on ;2
    _, record = finish(rings_busy + MANAGER_DOES_NOT_ANSWER.replace("NOANSWER", "BUSY"))

    assert (record.legs[0].result, record.disposition) == (LegResult.BUSY, Disposition.FAILED)


def test_with_real_phones_the_managers_local_half_dials_the_phone_and_the_trunk_is_pjsip():
    """Production: [agents] is Dial(PJSIP/101), [outbound] dials PJSIP/<number>@trunk."""
    table = """
Newchannel Linkedid=6.1 Uniqueid=6.1 Channel=Local/101@agents-00000001;1 ChannelState=0 Context=agents Exten=101
Newchannel Linkedid=6.1 Uniqueid=6.2 Channel=Local/101@agents-00000001;2 ChannelState=4 Context=agents Exten=101
DialBegin DestChannel=Local/101@agents-00000001;1 DestContext=agents DestCallerIDNum=101 DestCallerIDName=+79267770000 DestUniqueid=6.1 DestLinkedid=6.1
Newchannel Linkedid=6.1 Uniqueid=6.3 Channel=PJSIP/101-00000007 ChannelState=0 Context=office Exten=s
DialBegin Linkedid=6.1 Uniqueid=6.2 DestUniqueid=6.3 DestChannel=PJSIP/101-00000007 DestContext=office DialString=101
DialEnd Linkedid=6.1 Uniqueid=6.2 DestUniqueid=6.3 DialStatus=ANSWER
BridgeEnter Linkedid=6.1 Uniqueid=6.3 BridgeUniqueid=b1
BridgeEnter Linkedid=6.1 Uniqueid=6.2 BridgeUniqueid=b1
DialEnd DestChannel=Local/101@agents-00000001;1 DestUniqueid=6.1 DestLinkedid=6.1 DialStatus=ANSWER
Newchannel Linkedid=6.1 Uniqueid=6.4 Channel=PJSIP/trunk-00000008 ChannelState=0 Context=from-pstn Exten=s
DialBegin Linkedid=6.1 Uniqueid=6.1 DestUniqueid=6.4 DestChannel=PJSIP/trunk-00000008 DestContext=from-pstn DialString=79267770000@trunk
DialEnd Linkedid=6.1 Uniqueid=6.1 DestUniqueid=6.4 DialStatus=ANSWER
BridgeEnter Linkedid=6.1 Uniqueid=6.4 BridgeUniqueid=b2
BridgeEnter Linkedid=6.1 Uniqueid=6.1 BridgeUniqueid=b2
Hangup Linkedid=6.1 Uniqueid=6.4 Cause=16
Hangup Linkedid=6.1 Uniqueid=6.1 Cause=16
Hangup Linkedid=6.1 Uniqueid=6.2 Cause=16
Hangup Linkedid=6.1 Uniqueid=6.3 Cause=16
"""
    tracker, clock = CallTracker(TrackerConfig(agent_contexts=frozenset({"agents", "office"}))), FakeClock(T0)
    events = replay(ami(table), tracker, clock)
    record = ended(events + tracker.expire(clock.now() + LONG_AFTER))

    assert card(record) | THE_CLIENT == card(record)
    assert ([(leg.extension, leg.result) for leg in record.legs], record.answered_by, record.disposition) == (
        [("101", LegResult.ANSWERED)], "101", Disposition.ANSWERED)
