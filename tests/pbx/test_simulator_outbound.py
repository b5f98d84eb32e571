"""Click-to-call on the simulator over a real AMI socket: Originate of ``Local/101@sim-agent`` into
``outbound,<number>,1``, as crm.click_to_call sends it, and the call record the tracker makes of it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from callcenter.bus import CALL_ENDED
from callcenter.clock import FakeClock
from pbx.tracker.model import CallRecord, Direction, Disposition, LegResult
from pbx.tracker.tracker import CallTracker
from tests.pbx.test_simulator_ami import Client, pbx  # noqa: F401  (the socket fixture)
from tests.support.captures import replay

CALLBACK = {"Channel": "Local/101@sim-agent", "Context": "outbound", "Exten": "79267770000", "Priority": "1",
            "CallerID": '"+79267770000" <101>', "Timeout": "30000", "Variable": "CALLBACK_TASK_ID=7", "Async": "true"}


async def place(client: Client, **globals_: str) -> tuple[str, list[dict[str, str]]]:
    """Set ``globals_`` (AMI Setvar), originate the callback; its ActionID and every event once it is over."""
    for name, value in globals_.items():
        assert (await client.action("Setvar", Variable=name, Value=value))[0]["Response"] == "Success"
    reply = await client.action("Originate", **CALLBACK)
    assert (reply[0]["Response"], reply[0]["Message"]) == ("Success", "Originate successfully queued")
    await client.event("DeviceStateChange", Device="Local/101@sim-agent", State="NOT_INUSE")
    await asyncio.sleep(0.05)  # the client's side, if any, follows within the same turn
    assert (await client.action("CoreShowChannels"))[-1]["ListItems"] == "0"
    return reply[0]["ActionID"], [m for m in client.messages if "Event" in m]


def tracked(events: list[dict[str, str]]) -> CallRecord:
    tracker, clock = CallTracker(), FakeClock()
    published = replay(events, tracker, clock) + tracker.expire(clock.now() + timedelta(hours=1))
    [record] = [event.payload for event in published if event.name == CALL_ENDED]
    return record


def index(events: list[dict[str, str]], name: str, **fields: str) -> int:
    return next(i for i, e in enumerate(events) if e["Event"] == name and all(e.get(k) == v for k, v in fields.items()))


async def test_the_manager_picks_up_and_the_client_answers(pbx):  # noqa: F811
    client, _ = pbx
    action_id, events = await place(client)
    one = events[index(events, "Newchannel", Context="sim-agent")]["Channel"]
    two = one.replace(";1", ";2")
    assert one.startswith("Local/101@sim-agent-") and one.endswith(";1")
    assert events[index(events, "Newchannel", Channel=two)]["ChannelState"] == "4"

    # the Originate rings the manager (its own dial, no caller) and answers when agent-sub does
    begin = index(events, "DialBegin", DestChannel=one)
    assert ("Channel" not in events[begin], events[begin]["DialString"]) == (True, "101@sim-agent")
    response = index(events, "OriginateResponse")
    assert {k: events[response][k] for k in ("ActionID", "Response", "Channel", "Context", "Exten", "Reason",
                                             "Uniqueid", "CallerIDNum", "CallerIDName")} == {
        "ActionID": action_id, "Response": "Success", "Channel": one, "Context": "outbound", "Exten": "79267770000",
        "Reason": "4", "Uniqueid": events[begin]["DestUniqueid"], "CallerIDNum": "101", "CallerIDName": "+79267770000"}
    answered = index(events, "DialEnd", DestChannel=one, DialStatus="ANSWER")
    assert index(events, "Newexten", Channel=two, Application="Answer") < response < answered

    # then ;1 runs [outbound] and dials the client through the simulated trunk
    steps = [(e["Priority"], e["Application"]) for e in events
             if e["Event"] == "Newexten" and e["Channel"] == one and e["Context"] == "outbound" and e["Exten"] != "h"]
    assert steps == [("1", "NoOp"), ("2", "Set"), ("3", "Set"), ("4", "MixMonitor"), ("5", "Set"), ("6", "Dial")]
    assert answered < index(events, "Newexten", Channel=one, Context="outbound")
    assert events[index(events, "Newexten", Channel=one, Application="Dial")]["AppData"] == "Local/79267770000@sim-callee,60"
    # the client sees the department, not their own number as the caller's name (the Originate's)
    assert events[index(events, "NewCallerid", Channel=one, CallerIDNum="74951234567")]["CallerIDName"] == "Sales"
    dial = index(events, "DialBegin", Channel=one, DialString="79267770000@sim-callee")
    callee = events[dial]["DestChannel"]
    assert callee.startswith("Local/79267770000@sim-callee-")
    assert dial < index(events, "DialEnd", Channel=one, DestChannel=callee, DialStatus="ANSWER") \
        < index(events, "BridgeEnter", Channel=callee) < index(events, "BridgeEnter", Channel=one)
    assert [e["Channel"] for e in events if e["Event"] == "MixMonitorStart"] == [one]
    cdr = events[index(events, "Cdr", Channel=one)]
    assert (cdr["Destination"], cdr["DestinationContext"], cdr["DestinationChannel"], cdr["Disposition"]) == (
        "79267770000", "outbound", callee, "ANSWERED")

    record = tracked(events)
    assert (record.direction, record.caller_raw, record.callee_number, record.answered_by, record.disposition) == (
        Direction.OUTBOUND, "101", "+79267770000", "101", Disposition.ANSWERED)
    assert ([(leg.extension, leg.result) for leg in record.legs], record.recording_file) == (
        [("101", LegResult.ANSWERED)], events[index(events, "VarSet", Channel=one, Variable="MIXMONITOR_FILENAME")]["Value"])


@pytest.mark.parametrize(("state", "status", "reason"), [("away", "NOANSWER", "3"), ("busy", "BUSY", "5")])
async def test_a_manager_who_does_not_pick_up_fails_the_originate(pbx, state, status, reason):  # noqa: F811
    client, _ = pbx
    action_id, events = await place(client, AGENT_101_STATE=state)

    [response] = [e for e in events if e["Event"] == "OriginateResponse"]
    assert {k: response[k] for k in ("ActionID", "Response", "Channel", "Context", "Exten", "Reason", "Uniqueid")} == {
        "ActionID": action_id, "Response": "Failure", "Channel": "Local/101@sim-agent", "Context": "outbound",
        "Exten": "79267770000", "Reason": reason, "Uniqueid": "<unknown>"}
    [end] = [e for e in events if e["Event"] == "DialEnd"]
    assert ("Channel" not in end, end["DialStatus"]) == (True, status)
    assert not [e for e in events if e["Event"] in ("Newexten", "Newchannel")
                and e["Context"] in ("outbound", "sim-callee")]

    record = tracked(events)
    assert (record.direction, record.callee_number, record.answered_by, record.disposition) == (
        Direction.OUTBOUND, "+79267770000", None, Disposition.FAILED)


async def test_a_client_who_does_not_answer_is_a_missed_outbound_call(pbx):  # noqa: F811
    client, _ = pbx
    # the client rings out the Dial's 60 s; the manager stays on the line that long
    _, events = await place(client, AGENT_79267770000_STATE="away", AGENT_TALK_SECONDS="90")

    one = events[index(events, "DialBegin", DialString="79267770000@sim-callee")]["Channel"]
    assert index(events, "DialEnd", Channel=one, DialStatus="NOANSWER") < index(
        events, "Newexten", Channel=one, Application="NoOp", AppData="DIALSTATUS=NOANSWER")
    record = tracked(events)
    assert (record.legs[0].result, record.answered_by, record.disposition) == (
        LegResult.ANSWERED, None, Disposition.MISSED)


@pytest.mark.parametrize("headers", [
    {"Context": "default"}, {"Exten": "s"}, {"Priority": "2"}, {"Channel": "Local/101@elsewhere"},
])
async def test_other_originates_of_a_managers_phone_are_refused(pbx, headers):  # noqa: F811
    client, simulator = pbx
    reply = await client.action("Originate", **{**CALLBACK, **headers})
    assert reply[0]["Response"] == "Error" and simulator.calls == {}
