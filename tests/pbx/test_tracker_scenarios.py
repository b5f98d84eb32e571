"""Call flows as pasted AMI rows, in the spirit of Wazo call-logd's scenario tests.

Each row is ``Event key=value ...`` with only the fields the tracker reads
(shell quoting for values with spaces). Unless a row carries a ``Timestamp``,
every event happens at the same instant of a stopped clock.
"""

from __future__ import annotations

import shlex
from datetime import datetime, timedelta, timezone

import pytest

from callcenter.bus import CALL_ANSWERED, CALL_ENDED, CALL_RINGING, CALL_STARTED, DomainEvent
from callcenter.clock import FakeClock
from pbx.tracker.model import CallRecord, Direction, Disposition, LegResult
from pbx.tracker.tracker import CallTracker
from tests.support.captures import replay

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
STAMP = T0.timestamp()
LINGER = timedelta(seconds=5)
LONG_AFTER = timedelta(hours=1)


def ami(table: str) -> list[dict[str, str]]:
    """``Event key=value ...`` lines to AMI events."""
    events = []
    for line in filter(str.strip, table.splitlines()):
        name, *fields = shlex.split(line)
        events.append({"Event": name} | dict(field.split("=", 1) for field in fields))
    return events


def card(record: CallRecord) -> dict:
    return {
        "direction": record.direction,
        "caller_raw": record.caller_raw,
        "caller_number": record.caller_number,
        "caller_name": record.caller_name,
        "did": record.did,
        "callee_number": record.callee_number,
        "client_number": record.client_number,
        "legs": [(leg.extension, leg.result) for leg in record.legs],
        "leg_queues": [leg.queue for leg in record.legs],
        "answered_by": record.answered_by,
        "disposition": record.disposition,
        "hangup_cause": record.hangup_cause,
        "queue": record.queue,
        "voicemail": record.voicemail,
    }


def run(table: str) -> tuple[CallTracker, FakeClock, list[DomainEvent]]:
    tracker, clock = CallTracker(), FakeClock(T0)
    return tracker, clock, replay(ami(table), tracker, clock)


def ended(events: list[DomainEvent]) -> CallRecord:
    [record] = [event.payload for event in events if event.name == CALL_ENDED]
    return record


def finish(table: str) -> tuple[list[DomainEvent], CallRecord]:
    """Replay, then let the CDR linger run out: every call here is over."""
    tracker, clock, events = run(table)
    events += tracker.expire(clock.now() + LONG_AFTER)
    return events, ended(events)


INBOUND = """
Newchannel Linkedid=1.1 Uniqueid=1.1 Channel=PJSIP/trunk-00000001 ChannelState=4 Context=from-pstn Exten=74951234567 CallerIDNum=89123456789 CallerIDName="Иван Петров"
"""
RING_101 = """
Newchannel Linkedid=1.1 Uniqueid=1.2 Channel=PJSIP/101-00000002 ChannelState=0 Context=sim-agent Exten=s
DialBegin Linkedid=1.1 Uniqueid=1.1 DestUniqueid=1.2 DestChannel=PJSIP/101-00000002 DestContext=sim-agent
"""
ANSWER_101 = """
DialEnd Linkedid=1.1 Uniqueid=1.1 DestUniqueid=1.2 DialStatus=ANSWER
BridgeEnter Linkedid=1.1 Uniqueid=1.2 BridgeUniqueid=b1
BridgeEnter Linkedid=1.1 Uniqueid=1.1 BridgeUniqueid=b1
"""
HANG_UP = """
Hangup Linkedid=1.1 Uniqueid=1.1 Cause=16 Cause-txt="Normal Clearing"
Hangup Linkedid=1.1 Uniqueid=1.2 Cause=16 Cause-txt="Normal Clearing"
"""
RING_102 = """
Newchannel Linkedid=1.1 Uniqueid=1.3 Channel=PJSIP/102-00000003 ChannelState=0 Context=sim-agent Exten=s
DialBegin Linkedid=1.1 Uniqueid=1.1 DestUniqueid=1.3 DestChannel=PJSIP/102-00000003 DestContext=sim-agent
"""
NOBODY_ANSWERS = """
DialEnd Linkedid=1.1 Uniqueid=1.1 DestUniqueid=1.2 DialStatus=NOANSWER
DialEnd Linkedid=1.1 Uniqueid=1.1 DestUniqueid=1.3 DialStatus=NOANSWER
Hangup Linkedid=1.1 Uniqueid=1.2 Cause=0
Hangup Linkedid=1.1 Uniqueid=1.3 Cause=0
VarSet Linkedid=1.1 Uniqueid=1.1 Variable=DIALSTATUS Value=NOANSWER
"""
VOICEMAIL_101 = """
Newexten Linkedid=1.1 Uniqueid=1.1 Application=VoiceMail AppData=101,u
Newstate Linkedid=1.1 Uniqueid=1.1 ChannelState=6
"""
MESSAGE_LEFT = """
MessageWaiting Linkedid=1.1 Uniqueid=1.1 Mailbox=101@default Waiting=1 New=1 Old=0
VarSet Linkedid=1.1 Uniqueid=1.1 Variable=VMSTATUS Value=SUCCESS
Hangup Linkedid=1.1 Uniqueid=1.1 Cause=16
"""

SCENARIOS = [
    pytest.param(
        INBOUND + RING_101 + ANSWER_101 + HANG_UP,
        {"direction": Direction.INBOUND, "caller_raw": "89123456789", "caller_number": "+79123456789",
         "caller_name": "Иван Петров", "did": "74951234567", "client_number": "+79123456789",
         "legs": [("101", LegResult.ANSWERED)], "answered_by": "101", "disposition": Disposition.ANSWERED,
         "hangup_cause": 16},
        id="answered",
    ),
    pytest.param(
        INBOUND + RING_101 + """
DialEnd Linkedid=1.1 Uniqueid=1.1 DestUniqueid=1.2 DialStatus=CANCEL
Hangup Linkedid=1.1 Uniqueid=1.2 Cause=26 Cause-txt="Answered elsewhere"
Hangup Linkedid=1.1 Uniqueid=1.1 Cause=16 Cause-txt="Normal Clearing"
""",
        {"legs": [("101", LegResult.CANCEL)], "answered_by": None, "disposition": Disposition.ABANDONED},
        id="caller-abandons-while-ringing",
    ),
    pytest.param(
        INBOUND + """
QueueCallerJoin Linkedid=1.1 Uniqueid=1.1 Queue=sales
Newchannel Linkedid=1.1 Uniqueid=1.2 Channel=Local/101@sim-agent-00000002;1 ChannelState=0 Context=sim-agent Exten=101
DialBegin Linkedid=1.1 Uniqueid=1.1 DestUniqueid=1.2 DestChannel=Local/101@sim-agent-00000002;1 DestContext=sim-agent
AgentCalled Linkedid=1.1 Uniqueid=1.1 DestUniqueid=1.2 DestChannel=Local/101@sim-agent-00000002;1 Interface=Local/101@sim-agent Queue=sales
DialEnd Linkedid=1.1 Uniqueid=1.1 DestUniqueid=1.2 DialStatus=CANCEL
QueueCallerAbandon Linkedid=1.1 Uniqueid=1.1 Queue=sales HoldTime=7
Hangup Linkedid=1.1 Uniqueid=1.2 Cause=0
QueueCallerLeave Linkedid=1.1 Uniqueid=1.1 Queue=sales
Hangup Linkedid=1.1 Uniqueid=1.1 Cause=16
""",
        {"legs": [("101", LegResult.CANCEL)], "leg_queues": ["sales"], "queue": "sales",
         "disposition": Disposition.ABANDONED},
        id="caller-abandons-in-queue",
    ),
    pytest.param(
        INBOUND + RING_101 + """
DialEnd Linkedid=1.1 Uniqueid=1.1 DestUniqueid=1.2 DialStatus=NOANSWER
VarSet Linkedid=1.1 Uniqueid=1.1 Variable=DIALSTATUS Value=NOANSWER
Hangup Linkedid=1.1 Uniqueid=1.2 Cause=0
QueueCallerJoin Linkedid=1.1 Uniqueid=1.1 Queue=sales
QueueCallerAbandon Linkedid=1.1 Uniqueid=1.1 Queue=sales HoldTime=12
Hangup Linkedid=1.1 Uniqueid=1.1 Cause=16
""",
        {"legs": [("101", LegResult.NOANSWER)], "queue": "sales", "disposition": Disposition.ABANDONED},
        id="dial-timeout-then-caller-gives-up-in-queue",
    ),
    pytest.param(
        INBOUND + RING_101 + """
DialEnd Linkedid=1.1 Uniqueid=1.1 DestUniqueid=1.2 DialStatus=NOANSWER
VarSet Linkedid=1.1 Uniqueid=1.1 Variable=DIALSTATUS Value=NOANSWER
Hangup Linkedid=1.1 Uniqueid=1.2 Cause=0
Hangup Linkedid=1.1 Uniqueid=1.1 Cause=16
""",
        {"legs": [("101", LegResult.NOANSWER)], "disposition": Disposition.MISSED},
        id="dial-timeout-is-missed",
    ),
    pytest.param(
        INBOUND + RING_101 + """
DialEnd Linkedid=1.1 Uniqueid=1.1 DestUniqueid=1.2 DialStatus=BUSY
Hangup Linkedid=1.1 Uniqueid=1.2 Cause=17 Cause-txt="User busy"
VarSet Linkedid=1.1 Uniqueid=1.1 Variable=DIALSTATUS Value=BUSY
Hangup Linkedid=1.1 Uniqueid=1.1 Cause=17 Cause-txt="User busy"
""",
        {"legs": [("101", LegResult.BUSY)], "disposition": Disposition.BUSY, "hangup_cause": 17},
        id="busy-manager",
    ),
    pytest.param(
        INBOUND + RING_101 + """
DialEnd Linkedid=1.1 Uniqueid=1.1 DestUniqueid=1.2 DialStatus=BUSY
Hangup Linkedid=1.1 Uniqueid=1.2 Cause=17
QueueCallerJoin Linkedid=1.1 Uniqueid=1.1 Queue=sales
QueueCallerAbandon Linkedid=1.1 Uniqueid=1.1 Queue=sales HoldTime=40
VarSet Linkedid=1.1 Uniqueid=1.1 Variable=QUEUESTATUS Value=TIMEOUT
Hangup Linkedid=1.1 Uniqueid=1.1 Cause=16
""",
        {"legs": [("101", LegResult.BUSY)], "disposition": Disposition.BUSY},
        id="busy-manager-then-nobody-free-in-queue",
    ),
    pytest.param(
        INBOUND + RING_101 + """
DialEnd Linkedid=1.1 Uniqueid=1.1 DestUniqueid=1.2 DialStatus=CONGESTION
Hangup Linkedid=1.1 Uniqueid=1.2 Cause=34
QueueCallerJoin Linkedid=1.1 Uniqueid=1.1 Queue=sales
QueueCallerAbandon Linkedid=1.1 Uniqueid=1.1 Queue=sales HoldTime=40
VarSet Linkedid=1.1 Uniqueid=1.1 Variable=QUEUESTATUS Value=TIMEOUT
Hangup Linkedid=1.1 Uniqueid=1.1 Cause=16
""",
        {"legs": [("101", LegResult.FAILED)], "disposition": Disposition.FAILED},
        id="congested-phone-then-nobody-free-in-queue",
    ),
    pytest.param(
        INBOUND + RING_101 + """
Newchannel Linkedid=1.1 Uniqueid=1.3 Channel=PJSIP/102-00000003 ChannelState=0 Context=sim-agent Exten=s
DialBegin Linkedid=1.1 Uniqueid=1.1 DestUniqueid=1.3 DestChannel=PJSIP/102-00000003 DestContext=sim-agent
DialEnd Linkedid=1.1 Uniqueid=1.1 DestUniqueid=1.2 DialStatus=CHANUNAVAIL
DialEnd Linkedid=1.1 Uniqueid=1.1 DestUniqueid=1.3 DialStatus=CHANUNAVAIL
Hangup Linkedid=1.1 Uniqueid=1.2 Cause=20
Hangup Linkedid=1.1 Uniqueid=1.3 Cause=20
VarSet Linkedid=1.1 Uniqueid=1.1 Variable=DIALSTATUS Value=CHANUNAVAIL
Hangup Linkedid=1.1 Uniqueid=1.1 Cause=20 Cause-txt="Subscriber absent"
""",
        {"legs": [("101", LegResult.FAILED), ("102", LegResult.FAILED)], "disposition": Disposition.FAILED,
         "hangup_cause": 20},
        id="all-legs-unavailable-is-failed",
    ),
    pytest.param(
        INBOUND + """
VarSet Linkedid=1.1 Uniqueid=1.1 Variable=DIALSTATUS Value=CHANUNAVAIL
Hangup Linkedid=1.1 Uniqueid=1.1 Cause=20
""",
        {"legs": [], "disposition": Disposition.FAILED},
        id="unregistered-phone-no-channel-at-all-is-failed",
    ),
    pytest.param(
        """
Newchannel Linkedid=1.1 Uniqueid=1.1 Channel=PJSIP/trunk-00000001 ChannelState=4 Context=from-pstn Exten=74951234567 CallerIDNum=anonymous CallerIDName=Anonymous
Hangup Linkedid=1.1 Uniqueid=1.1 Cause=16
""",
        {"caller_raw": "anonymous", "caller_number": None, "caller_name": "Anonymous", "client_number": None,
         "legs": [], "disposition": Disposition.ABANDONED},
        id="anonymous-caller",
    ),
    pytest.param(
        """
Newchannel Linkedid=1.1 Uniqueid=1.1 Channel=PJSIP/trunk-00000001 ChannelState=4 Context=from-pstn Exten=74951234567 CallerIDNum=<unknown> CallerIDName=<unknown>
NewCallerid Linkedid=1.1 Uniqueid=1.1 CallerIDNum="8 (912) 345-67-89" CallerIDName=""
Hangup Linkedid=1.1 Uniqueid=1.1 Cause=16
""",
        {"caller_raw": "8 (912) 345-67-89", "caller_number": "+79123456789", "caller_name": ""},
        id="formatted-russian-number",
    ),
    pytest.param(
        """
Newchannel Linkedid=1.1 Uniqueid=1.1 Channel=PJSIP/trunk-00000001 ChannelState=4 Context=from-pstn Exten=74951234567 CallerIDNum=<unknown> CallerIDName=<unknown>
Hangup Linkedid=1.1 Uniqueid=1.1 Cause=16
""",
        {"caller_raw": "<unknown>", "caller_number": None, "caller_name": ""},
        id="unknown-caller",
    ),
    pytest.param(
        """
Newchannel Linkedid=2.1 Uniqueid=2.1 Channel=PJSIP/101-00000010 ChannelState=4 Context=sim-agent Exten=89123456789 CallerIDNum=101 CallerIDName=Сергей
Newchannel Linkedid=2.1 Uniqueid=2.2 Channel=PJSIP/trunk-00000011 ChannelState=0 Context=from-pstn Exten=s
DialBegin Linkedid=2.1 Uniqueid=2.1 DestUniqueid=2.2 DestChannel=PJSIP/trunk-00000011 DestContext=from-pstn
DialEnd Linkedid=2.1 Uniqueid=2.1 DestUniqueid=2.2 DialStatus=ANSWER
BridgeEnter Linkedid=2.1 Uniqueid=2.2 BridgeUniqueid=b1
BridgeEnter Linkedid=2.1 Uniqueid=2.1 BridgeUniqueid=b1
Hangup Linkedid=2.1 Uniqueid=2.2 Cause=16
Hangup Linkedid=2.1 Uniqueid=2.1 Cause=16
""",
        {"direction": Direction.OUTBOUND, "caller_raw": "101", "caller_number": None, "caller_name": "Сергей",
         "did": None, "callee_number": "+79123456789", "client_number": "+79123456789", "legs": [],
         "answered_by": "101", "disposition": Disposition.ANSWERED},
        id="outbound-manager-to-client",
    ),
    pytest.param(
        """
Newchannel Linkedid=2.1 Uniqueid=2.1 Channel=PJSIP/101-00000010 ChannelState=4 Context=sim-agent Exten=89123456789 CallerIDNum=101
Newchannel Linkedid=2.1 Uniqueid=2.2 Channel=PJSIP/trunk-00000011 ChannelState=0 Context=from-pstn Exten=s
DialBegin Linkedid=2.1 Uniqueid=2.1 DestUniqueid=2.2 DestChannel=PJSIP/trunk-00000011 DestContext=from-pstn
DialEnd Linkedid=2.1 Uniqueid=2.1 DestUniqueid=2.2 DialStatus=BUSY
Hangup Linkedid=2.1 Uniqueid=2.2 Cause=17
Hangup Linkedid=2.1 Uniqueid=2.1 Cause=17
""",
        {"direction": Direction.OUTBOUND, "legs": [], "answered_by": None, "disposition": Disposition.BUSY},
        id="outbound-client-busy",
    ),
    pytest.param(
        """
Newchannel Linkedid=2.1 Uniqueid=2.1 Channel=PJSIP/101-00000010 ChannelState=4 Context=sim-agent Exten=989123456789 CallerIDNum=101
Newchannel Linkedid=2.1 Uniqueid=2.2 Channel=PJSIP/trunk-00000011 ChannelState=0 Context=from-pstn Exten=s
DialBegin Linkedid=2.1 Uniqueid=2.1 DestUniqueid=2.2 DestChannel=PJSIP/trunk-00000011 DestContext=from-pstn DialString=89123456789@trunk
DialEnd Linkedid=2.1 Uniqueid=2.1 DestUniqueid=2.2 DialStatus=CANCEL
Hangup Linkedid=2.1 Uniqueid=2.1 Cause=16
Hangup Linkedid=2.1 Uniqueid=2.2 Cause=16
""",
        {"direction": Direction.OUTBOUND, "client_number": "+79123456789", "legs": [],
         "disposition": Disposition.ABANDONED},
        id="outbound-with-outside-line-prefix-manager-gives-up",
    ),
    pytest.param(
        """
Newchannel Linkedid=2.1 Uniqueid=2.1 Channel=PJSIP/101-00000010 ChannelState=0 Context=sim-agent Exten=s CallerIDNum=101
Newstate Linkedid=2.1 Uniqueid=2.1 ChannelState=5 Context=sim-agent Exten=s
Newstate Linkedid=2.1 Uniqueid=2.1 ChannelState=6 Context=sim-agent Exten=s
Newchannel Linkedid=2.1 Uniqueid=2.2 Channel=Local/89123456789@outbound-00000003;1 ChannelState=0 Context=outbound Exten=89123456789
DialBegin Linkedid=2.1 Uniqueid=2.1 Context=sim-agent Exten=89123456789 CallerIDNum=101 DestUniqueid=2.2 DestChannel=Local/89123456789@outbound-00000003;1 DestContext=outbound
DialEnd Linkedid=2.1 Uniqueid=2.1 DestUniqueid=2.2 DialStatus=NOANSWER
VarSet Linkedid=2.1 Uniqueid=2.1 Variable=DIALSTATUS Value=NOANSWER
Hangup Linkedid=2.1 Uniqueid=2.2 Cause=19
Hangup Linkedid=2.1 Uniqueid=2.1 Cause=19
""",
        {"direction": Direction.OUTBOUND, "caller_raw": "101", "client_number": "+79123456789", "legs": [],
         "answered_by": None, "disposition": Disposition.MISSED},
        id="click-to-call-originate-through-a-local-route-unanswered",
    ),
    pytest.param(
        """
Newchannel Linkedid=3.1 Uniqueid=3.1 Channel=PJSIP/101-00000020 ChannelState=4 Context=sim-agent Exten=102 CallerIDNum=101
Newchannel Linkedid=3.1 Uniqueid=3.2 Channel=PJSIP/102-00000021 ChannelState=0 Context=sim-agent Exten=s
DialBegin Linkedid=3.1 Uniqueid=3.1 DestUniqueid=3.2 DestChannel=PJSIP/102-00000021 DestContext=sim-agent
DialEnd Linkedid=3.1 Uniqueid=3.1 DestUniqueid=3.2 DialStatus=ANSWER
BridgeEnter Linkedid=3.1 Uniqueid=3.1 BridgeUniqueid=b1
BridgeEnter Linkedid=3.1 Uniqueid=3.2 BridgeUniqueid=b1
Hangup Linkedid=3.1 Uniqueid=3.1 Cause=16
Hangup Linkedid=3.1 Uniqueid=3.2 Cause=16
""",
        {"direction": Direction.INTERNAL, "caller_raw": "101", "callee_number": None, "client_number": None,
         "legs": [("102", LegResult.ANSWERED)], "answered_by": "102", "disposition": Disposition.ANSWERED},
        id="internal-manager-to-manager",
    ),
    pytest.param(
        INBOUND + RING_101 + RING_102 + """
DialEnd Linkedid=1.1 Uniqueid=1.1 DestUniqueid=1.2 DialStatus=CANCEL
Hangup Linkedid=1.1 Uniqueid=1.2 Cause=26 Cause-txt="Answered elsewhere"
DialEnd Linkedid=1.1 Uniqueid=1.1 DestUniqueid=1.3 DialStatus=ANSWER
BridgeEnter Linkedid=1.1 Uniqueid=1.3 BridgeUniqueid=b1
BridgeEnter Linkedid=1.1 Uniqueid=1.1 BridgeUniqueid=b1
Hangup Linkedid=1.1 Uniqueid=1.1 Cause=16
Hangup Linkedid=1.1 Uniqueid=1.3 Cause=16
""",
        {"legs": [("101", LegResult.CANCEL), ("102", LegResult.ANSWERED)], "answered_by": "102",
         "disposition": Disposition.ANSWERED, "hangup_cause": 16, "voicemail": None},
        id="ring-all-the-second-answers-the-first-is-answered-elsewhere",
    ),
    pytest.param(
        INBOUND + RING_101 + """
DialEnd Linkedid=1.1 Uniqueid=1.1 DestUniqueid=1.2 DialStatus=NOANSWER
Hangup Linkedid=1.1 Uniqueid=1.2 Cause=0
VarSet Linkedid=1.1 Uniqueid=1.1 Variable=DIALSTATUS Value=NOANSWER
""" + RING_102 + """
DialEnd Linkedid=1.1 Uniqueid=1.1 DestUniqueid=1.3 DialStatus=ANSWER
BridgeEnter Linkedid=1.1 Uniqueid=1.3 BridgeUniqueid=b1
BridgeEnter Linkedid=1.1 Uniqueid=1.1 BridgeUniqueid=b1
Hangup Linkedid=1.1 Uniqueid=1.1 Cause=16
Hangup Linkedid=1.1 Uniqueid=1.3 Cause=16
""",
        {"legs": [("101", LegResult.NOANSWER), ("102", LegResult.ANSWERED)], "answered_by": "102",
         "disposition": Disposition.ANSWERED},
        id="second-attempt-answered",
    ),
    pytest.param(
        INBOUND + RING_101 + RING_102 + NOBODY_ANSWERS + VOICEMAIL_101 + MESSAGE_LEFT,
        {"legs": [("101", LegResult.NOANSWER), ("102", LegResult.NOANSWER)], "answered_by": None,
         "disposition": Disposition.MISSED, "voicemail": "101"},
        id="ring-all-unanswered-then-a-voicemail-message",
    ),
    pytest.param(
        INBOUND + RING_101 + """
DialEnd Linkedid=1.1 Uniqueid=1.1 DestUniqueid=1.2 DialStatus=BUSY
Hangup Linkedid=1.1 Uniqueid=1.2 Cause=17
VarSet Linkedid=1.1 Uniqueid=1.1 Variable=DIALSTATUS Value=BUSY
""" + VOICEMAIL_101 + MESSAGE_LEFT,
        {"legs": [("101", LegResult.BUSY)], "disposition": Disposition.MISSED, "voicemail": "101"},
        id="busy-manager-then-a-voicemail-message-is-missed-not-busy",
    ),
    pytest.param(
        INBOUND + """
Newexten Linkedid=1.1 Uniqueid=1.1 Application=VoiceMail AppData=sales-box@office,u
""" + MESSAGE_LEFT,
        {"legs": [], "answered_by": None, "disposition": Disposition.MISSED, "voicemail": "sales-box@office"},
        id="straight-to-voicemail",
    ),
    pytest.param(
        INBOUND + """
Newexten Linkedid=1.1 Uniqueid=1.1 Application=VoiceMail AppData=101,u
Hangup Linkedid=1.1 Uniqueid=1.1 Cause=16
""",
        {"legs": [], "disposition": Disposition.ABANDONED, "voicemail": None},
        id="caller-hangs-up-during-the-voicemail-greeting",
    ),
    pytest.param(
        INBOUND + """
Newexten Linkedid=1.1 Uniqueid=1.1 Application=VoiceMail AppData=999,u
VarSet Linkedid=1.1 Uniqueid=1.1 Variable=VMSTATUS Value=FAILED
Hangup Linkedid=1.1 Uniqueid=1.1 Cause=16
""",
        {"disposition": Disposition.FAILED, "voicemail": None},
        id="no-such-mailbox-is-failed",
    ),
    pytest.param(
        INBOUND + """
VarSet Linkedid=1.1 Uniqueid=1.1 Variable=QUEUESTATUS Value=UNKNOWN
Hangup Linkedid=1.1 Uniqueid=1.1 Cause=16
""",
        {"legs": [], "queue": None, "disposition": Disposition.FAILED},
        id="no-such-queue-is-failed",
    ),
]


@pytest.mark.parametrize(("table", "expected"), SCENARIOS)
def test_call_card(table, expected):
    _, record = finish(table)
    actual = card(record)
    assert {field: actual[field] for field in expected} == expected


BLIND_TRANSFER = INBOUND + RING_101 + ANSWER_101 + """
BlindTransfer TransfererLinkedid=1.1 TransfererUniqueid=1.2 TransfereeLinkedid=1.1 TransfereeUniqueid=1.1 Extension=102 Result=Success
BridgeLeave Linkedid=1.1 Uniqueid=1.1 BridgeUniqueid=b1
BridgeLeave Linkedid=1.1 Uniqueid=1.2 BridgeUniqueid=b1
Hangup Linkedid=1.1 Uniqueid=1.2 Cause=16
Newchannel Linkedid=1.1 Uniqueid=1.3 Channel=PJSIP/102-00000003 ChannelState=0 Context=sim-agent Exten=s
DialBegin Linkedid=1.1 Uniqueid=1.1 DestUniqueid=1.3 DestChannel=PJSIP/102-00000003 DestContext=sim-agent
DialEnd Linkedid=1.1 Uniqueid=1.1 DestUniqueid=1.3 DialStatus=ANSWER
BridgeEnter Linkedid=1.1 Uniqueid=1.3 BridgeUniqueid=b2
BridgeEnter Linkedid=1.1 Uniqueid=1.1 BridgeUniqueid=b2
Hangup Linkedid=1.1 Uniqueid=1.1 Cause=16
Hangup Linkedid=1.1 Uniqueid=1.3 Cause=16
"""


def test_blind_transfer_after_answer_moves_the_call_to_the_new_manager():
    events, record = finish(BLIND_TRANSFER)

    assert [event.name for event in events] == [CALL_STARTED, CALL_RINGING, CALL_ANSWERED, CALL_RINGING, CALL_ENDED]
    assert (record.rung, record.answered_by, record.disposition) == (["101", "102"], "102", Disposition.ANSWERED)
    assert [event.payload.answered_by for event in events if event.name == CALL_ANSWERED] == ["101"]


def test_blind_transfer_of_an_outbound_call_lets_the_client_dial_the_colleague():
    events, record = finish("""
Newchannel Linkedid=2.1 Uniqueid=2.1 Channel=PJSIP/101-00000010 ChannelState=4 Context=sim-agent Exten=89123456789 CallerIDNum=101
Newchannel Linkedid=2.1 Uniqueid=2.2 Channel=PJSIP/trunk-00000011 ChannelState=0 Context=from-pstn Exten=s
DialBegin Linkedid=2.1 Uniqueid=2.1 DestUniqueid=2.2 DestChannel=PJSIP/trunk-00000011 DestContext=from-pstn
BridgeEnter Linkedid=2.1 Uniqueid=2.2 BridgeUniqueid=b1
BridgeEnter Linkedid=2.1 Uniqueid=2.1 BridgeUniqueid=b1
BlindTransfer TransfererLinkedid=2.1 TransfererUniqueid=2.1 TransfereeLinkedid=2.1 TransfereeUniqueid=2.2 Extension=102 Result=Success
BridgeLeave Linkedid=2.1 Uniqueid=2.1 BridgeUniqueid=b1
BridgeLeave Linkedid=2.1 Uniqueid=2.2 BridgeUniqueid=b1
Hangup Linkedid=2.1 Uniqueid=2.1 Cause=16
Newchannel Linkedid=2.1 Uniqueid=2.3 Channel=PJSIP/102-00000012 ChannelState=0 Context=sim-agent Exten=s
DialBegin Linkedid=2.1 Uniqueid=2.2 DestUniqueid=2.3 DestChannel=PJSIP/102-00000012 DestContext=sim-agent
BridgeEnter Linkedid=2.1 Uniqueid=2.3 BridgeUniqueid=b2
BridgeEnter Linkedid=2.1 Uniqueid=2.2 BridgeUniqueid=b2
Hangup Linkedid=2.1 Uniqueid=2.2 Cause=16
Hangup Linkedid=2.1 Uniqueid=2.3 Cause=16
""")

    assert (record.direction, record.rung, record.answered_by) == (Direction.OUTBOUND, ["102"], "102")


def test_attended_transfer_hands_the_client_to_the_consulted_manager():
    _, record = finish(INBOUND + RING_101 + ANSWER_101 + """
AttendedTransfer OrigTransfererLinkedid=1.1 TransfereeLinkedid=1.1 TransfereeUniqueid=1.1 TransferTargetChannel=PJSIP/102-00000009 TransferTargetLinkedid=9.1 Result=Success
""" + HANG_UP)

    assert (record.rung, record.answered_by, record.disposition) == (["101"], "102", Disposition.ANSWERED)


def test_a_failed_transfer_changes_nothing():
    _, record = finish(INBOUND + RING_101 + ANSWER_101 + """
AttendedTransfer TransfereeLinkedid=1.1 TransfereeUniqueid=1.1 TransferTargetChannel=PJSIP/102-00000009 Result=Fail
""" + HANG_UP)

    assert record.answered_by == "101"


TIMED = f"""
Newchannel Linkedid=1.1 Uniqueid=1.1 Channel=PJSIP/trunk-00000001 ChannelState=4 Context=from-pstn Exten=74951234567 CallerIDNum=89123456789 Timestamp={STAMP + 0.5}
Newchannel Linkedid=1.1 Uniqueid=1.2 Channel=PJSIP/101-00000002 ChannelState=0 Context=sim-agent Exten=s Timestamp={STAMP + 0.6}
DialBegin Linkedid=1.1 Uniqueid=1.1 DestUniqueid=1.2 DestChannel=PJSIP/101-00000002 DestContext=sim-agent Timestamp={STAMP + 0.6}
DialEnd Linkedid=1.1 Uniqueid=1.1 DestUniqueid=1.2 DialStatus=ANSWER Timestamp={STAMP + 3.6}
BridgeEnter Linkedid=1.1 Uniqueid=1.2 BridgeUniqueid=b1 Timestamp={STAMP + 3.65}
BridgeEnter Linkedid=1.1 Uniqueid=1.1 BridgeUniqueid=b1 Timestamp={STAMP + 3.75}
Hangup Linkedid=1.1 Uniqueid=1.2 Cause=16 Timestamp={STAMP + 11.25}
Hangup Linkedid=1.1 Uniqueid=1.1 Cause=16 Timestamp={STAMP + 11.5}
"""


def timed_cdr(duration: int, billable: int) -> str:
    return f'Cdr UniqueID=1.1 Duration={duration} BillableSeconds={billable} Disposition=ANSWERED StartTime="2026-11-23 13:00:00"\n'


def test_timestamped_events_give_exact_times():
    events, record = finish(TIMED)

    assert record.started_at == T0 + timedelta(seconds=0.5)
    assert record.answered_at == T0 + timedelta(seconds=3.75)  # the anchor joined the manager's bridge
    assert record.ended_at == T0 + timedelta(seconds=11.5)  # the last channel hung up
    assert (record.wait_seconds, record.talk_seconds) == (3.25, 7.75)
    leg = record.legs[0]
    assert (leg.rang_at, leg.answered_at, leg.ended_at) == tuple(T0 + timedelta(seconds=s) for s in (0.6, 3.6, 11.25))


def test_a_cdr_within_tolerance_keeps_the_exact_times():
    # CDR: wait 11 - 7 = 4 (events: 3.25), talk 7 (events: 7.75): both within 1.5 s
    _, record = finish(TIMED + timed_cdr(11, 7))

    assert (record.wait_seconds, record.talk_seconds) == (3.25, 7.75)


def test_a_cdr_that_disagrees_wins():
    # CDR: wait 20 - 8 = 12 against 3.25 from the events: the PBX's accounting wins
    _, record = finish(TIMED + timed_cdr(20, 8))

    assert record.answered_at == record.started_at + timedelta(seconds=12)
    assert record.ended_at == record.started_at + timedelta(seconds=20)


def test_unknown_events_missing_keys_and_odd_values_are_ignored():
    table = INBOUND + """
FooBar Linkedid=1.1 Uniqueid=1.1
Newchannel Uniqueid=5.5 ChannelState=4 Context=from-pstn
Newchannel Linkedid=6.1 Uniqueid=6.2 Channel=PJSIP/trunk-00000007 ChannelState=4 Context=from-pstn
Newstate Linkedid=nope
DialBegin Linkedid=1.1
DialBegin Linkedid=1.1 Uniqueid=1.1 DestUniqueid=1.9 DestChannel="not a channel"
DialEnd Linkedid=1.1 Uniqueid=1.1 DestUniqueid=1.9 DialStatus=WHATEVER
AgentConnect Linkedid=1.1 Uniqueid=1.1
AgentCalled Linkedid=1.1 Uniqueid=1.1 DestUniqueid=1.8 Interface=
BridgeEnter Linkedid=1.1
BlindTransfer TransfereeLinkedid=1.1
AttendedTransfer TransfereeLinkedid=1.1 TransferTargetChannel=
VarSet Linkedid=1.1 Uniqueid=1.1 Variable=MIXMONITOR_FILENAME
Cdr UniqueID=1.1 Duration=abc
Cdr UniqueID=1.1 Duration=9 StartTime=yesterday
Hangup Linkedid=1.1 Uniqueid=1.1 Cause=abc Timestamp=garbage
"""
    tracker, clock = CallTracker(), FakeClock(T0)
    events = replay(ami(table) + [{}, {"Event": ["Hangup", "Hangup"]}, {"Event": "Hangup", "Linkedid": ["1.1"]}],
                    tracker, clock)
    events += tracker.expire(clock.now())

    assert [event.name for event in events] == [CALL_STARTED, CALL_ENDED]
    record = ended(events)
    assert (record.legs, record.hangup_cause, record.recording_file) == ([], None, None)
    # the one good CDR (9 s, no StartTime) is more than 1.5 s off the events' 0 s, so it counts
    assert (record.started_at, record.ended_at) == (T0, T0 + timedelta(seconds=9))


def test_the_recording_file_comes_with_the_end():
    events, _ = finish(INBOUND + """
VarSet Linkedid=1.1 Uniqueid=1.1 Variable=MIXMONITOR_FILENAME Value=/var/spool/asterisk/monitor/1.1.wav
""" + RING_101 + ANSWER_101 + HANG_UP)

    assert events[-1].name == CALL_ENDED
    assert events[-1].payload.recording_file == "/var/spool/asterisk/monitor/1.1.wav"


def test_payloads_are_snapshots():
    _, _, events = run(INBOUND + RING_101 + ANSWER_101)
    started, ringing, answered = (event.payload for event in events)

    assert (started.legs, ringing.legs[0].result, answered.legs[0].result) == ([], LegResult.RINGING, LegResult.ANSWERED)


# -- expire() (resync(): test_tracker_resync.py) ----------------------------------------------------


def test_expire_finalises_a_call_without_cdr_when_the_linger_runs_out():
    tracker, clock, events = run(INBOUND + RING_101 + ANSWER_101 + HANG_UP)

    assert CALL_ENDED not in [event.name for event in events]
    assert tracker.expire(clock.now() + LINGER - timedelta(seconds=0.1)) == []
    [end] = tracker.expire(clock.now() + LINGER)
    assert (end.name, end.payload.ended_at, end.payload.disposition) == (CALL_ENDED, T0, Disposition.ANSWERED)
    assert tracker.expire(clock.now() + 2 * LINGER) == []


def test_a_cdr_before_the_last_hangup_ends_the_call_at_once():
    _, _, events = run(INBOUND + RING_101 + ANSWER_101 + """
Cdr UniqueID=1.1 Duration=9 BillableSeconds=6 Disposition=ANSWERED
""" + HANG_UP)

    record = ended(events)
    assert (record.wait_seconds, record.talk_seconds) == (3.0, 6.0)


def test_a_cdr_after_the_last_hangup_ends_the_call_at_the_next_tick():
    tracker, clock, events = run(INBOUND + RING_101 + ANSWER_101 + HANG_UP + """
Cdr UniqueID=1.1 Duration=9 BillableSeconds=6 Disposition=ANSWERED
Cdr UniqueID=1.2 Duration=6 BillableSeconds=6 Disposition=ANSWERED
""")

    assert CALL_ENDED not in [event.name for event in events]
    record = ended(tracker.expire(clock.now()))
    assert (record.wait_seconds, record.talk_seconds) == (3.0, 6.0)


def test_a_queue_call_takes_its_times_from_the_whole_cdr_chain():
    # One record per attempt: the Dial (20 s, unanswered), then the queue (answered after 2 s, talk 6)
    _, record = finish(INBOUND + RING_101 + ANSWER_101 + """
Cdr UniqueID=1.1 Duration=20 BillableSeconds=0 Disposition="NO ANSWER" StartTime="2026-11-23 13:28:54"
Cdr UniqueID=1.1 Duration=8 BillableSeconds=6 Disposition=ANSWERED StartTime="2026-11-23 13:29:14"
Cdr UniqueID=1.1 Duration=2 BillableSeconds=0 Disposition="NO ANSWER" StartTime="2026-11-23 13:29:14"
""" + HANG_UP)

    assert (record.wait_seconds, record.talk_seconds) == (22.0, 6.0)


def test_finished_calls_are_forgotten_but_their_stragglers_ignored():
    tracker, clock = CallTracker(), FakeClock(T0)
    for n in range(3):
        table = (INBOUND + RING_101 + ANSWER_101 + HANG_UP).replace("1.1", f"{n}.1").replace("1.2", f"{n}.2")
        replay(ami(table), tracker, clock)
    ended_calls = tracker.expire(clock.now() + LINGER)

    assert len(ended_calls) == 3
    assert tracker.live_calls() == [] and tracker.expire(clock.now() + 2 * LINGER) == []
    assert replay(ami(INBOUND + RING_101), tracker, clock) == []  # a straggler replay of call 1.1
