"""A queue member's pause from the AMI events that carry it: rows as Asterisk 22 writes them (the
QueueMemberStatus row is from tests/data/asterisk/captures/answered-split-recording.ami), through the
pipeline onto the bus."""

from callcenter.bus import MEMBER_PAUSED, EventBus
from callcenter.clock import FakeClock
from callcenter.pipeline import CallPipeline
from pbx.tracker.pauses import MemberPause, member_pause
from pbx.tracker.tracker import CallTracker
from pbx.ami.framing import AmiFrameDecoder


def decode(text: str) -> list[dict]:
    """The rows as Asterisk sends them: CRLF line ends, an empty line after the message."""
    return AmiFrameDecoder().feed(text.replace("\n", "\r\n").encode() + b"\r\n")


def parse_rows(text: str) -> dict:
    (message,) = decode(text)
    return message

STATUS = """Event: QueueMemberStatus
Privilege: agent,all
Queue: sales
MemberName: Agent 101
Interface: Local/101@sim-agent
StateInterface: Local/101@sim-agent
Membership: static
Penalty: 0
CallsTaken: 0
LastCall: 0
LastPause: 0
LoginTime: 1795430014
InCall: 0
Status: 2
Paused: 0
PausedReason: 
Ringinuse: 0
Wrapuptime: 0
"""

PAUSE = """Event: QueueMemberPause
Privilege: agent,all
Queue: sales
MemberName: Сергей
Interface: PJSIP/102
StateInterface: PJSIP/102
Membership: dynamic
Penalty: 0
CallsTaken: 3
LastCall: 1795430100
LastPause: 1795430200
LoginTime: 1795430014
InCall: 0
Status: 1
Paused: 1
PausedReason: обед
Ringinuse: 0
Wrapuptime: 0
"""


def test_the_pause_and_the_member_come_from_the_event():
    assert member_pause(parse_rows(STATUS)) == MemberPause("101", False, "")
    assert member_pause(parse_rows(PAUSE)) == MemberPause("102", True, "обед")


def test_events_without_a_member_or_a_pause_say_nothing():
    assert member_pause({"Event": "Newstate", "Channel": "PJSIP/101-00000001"}) is None
    assert member_pause({"Event": "QueueMemberPause", "Interface": "PJSIP/101"}) is None  # no Paused header
    assert member_pause({"Event": "QueueMemberPause", "Interface": "", "Paused": "1"}) is None


async def test_the_pipeline_publishes_each_pause_on_the_bus():
    bus, heard = EventBus(), []

    async def note(event) -> None:
        heard.append(event.payload)

    bus.subscribe(MEMBER_PAUSED, note)
    pipeline = CallPipeline(CallTracker(), bus, FakeClock())
    for rows in (PAUSE, STATUS):
        await pipeline.on_event(parse_rows(rows))
    assert heard == [MemberPause("102", True, "обед"), MemberPause("101", False, "")]


def test_two_member_events_run_together_give_both_pauses():
    """A lost terminator between two member events: each pause is read, nothing raises."""
    merged = STATUS + PAUSE
    messages = decode(merged)
    assert [member_pause(message) for message in messages] == [
        MemberPause("101", False, ""), MemberPause("102", True, "обед"),
    ]
