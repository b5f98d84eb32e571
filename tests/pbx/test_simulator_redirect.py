"""AMI Redirect: a blind transfer of a live inbound call, done from outside, to ``transfer,<manager>,1``."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from callcenter.bus import CALL_ENDED
from callcenter.clock import FakeClock
from pbx.simulator.call import OriginateRequest
from pbx.simulator.channel import Party
from pbx.simulator.simulator import Simulator
from pbx.simulator.testing import EventLog, StaticRouteAgi
from pbx.tracker.model import Disposition, LegResult
from pbx.tracker.tracker import CallTracker
from tests.pbx.test_simulator_ami import ORIGINATE, SPEED, pbx  # noqa: F401  (the socket fixture)
from tests.support.captures import replay
from tests.support.data import CORPUS

# the customer stays on long enough for two managers; each manager talks 4 s after the greeting
CALL_VARIABLES = "CALLER_AUDIO=/x/test,CALLER_DELAY=30,__AGENT_TALK_SECONDS=4"


def after(events: list[dict[str, str]], index: int) -> list[dict[str, str]]:
    return events[index:]


def position(events: list[dict[str, str]], name: str, **fields: str) -> int:
    return next(i for i, e in enumerate(events)
                if e.get("Event") == name and all(e.get(k) == v for k, v in fields.items()))


async def test_redirect_moves_the_caller_from_101_to_102(pbx):  # noqa: F811
    client, simulator = pbx
    await client.action("Originate", **ORIGINATE, Variable=CALL_VARIABLES)
    inbound = (await client.event("MixMonitorStart"))["Channel"]
    await client.event("BridgeEnter", Channel=inbound)
    old_one = next(m for m in client.messages if m.get("Event") == "BridgeEnter")["Channel"]
    old_two = old_one.replace(";1", ";2")
    assert old_one.startswith("Local/101@sim-agent-")

    reply = await client.action("Redirect", Channel=inbound, Context="transfer", Exten="102", Priority="1")
    assert (reply[0]["Response"], reply[0]["Message"]) == ("Success", "Redirect successful")
    await client.event("Hangup", Channel=inbound)
    await asyncio.sleep(0.05)

    events = [m for m in client.messages if "Event" in m]
    start = position(events, "BridgeLeave", Channel=inbound)
    flow = [(e["Event"], e.get("Channel", "")) for e in after(events, start)]

    # the inbound channel leaves; the old manager's pair goes down with the dissolving bridge
    leave, destroy = flow.index(("BridgeLeave", old_one)), flow.index(("BridgeDestroy", ""))
    assert 0 < leave < destroy < flow.index(("HangupRequest", old_two)) < flow.index(("Hangup", old_one)) \
        < flow.index(("Hangup", old_two))
    hangups = [e for e in after(events, start) if e["Event"] == "Hangup" and e["Channel"] in (old_one, old_two)]
    assert [e["Cause"] for e in hangups] == ["16", "16"]
    assert all(e["Channel"] != inbound for e in after(events, start)[:flow.index(("Hangup", old_two)) + 1]
               if e["Event"] in ("Hangup", "SoftHangupRequest", "HangupRequest"))

    # the caller goes on in [transfer] and dials 102 like [from-pstn] dials 101
    newexten = position(events, "Newexten", Channel=inbound, Context="transfer")
    assert newexten > start + flow.index(("Hangup", old_two))
    assert (events[newexten]["Extension"], events[newexten]["Priority"]) == ("102", "1")
    assert (events[newexten]["Application"], events[newexten]["AppData"]) == ("Dial", "Local/102@sim-agent,20")
    begin = position(events, "DialBegin", Channel=inbound, DialString="102@sim-agent")
    new_one = events[begin]["DestChannel"]
    assert begin > newexten and new_one.startswith("Local/102@sim-agent-")
    ringing = position(events, "DialState", Channel=inbound, DestChannel=new_one, DialStatus="RINGING")
    answer = position(events, "DialEnd", Channel=inbound, DestChannel=new_one, DialStatus="ANSWER")
    enter_agent = position(events, "BridgeEnter", Channel=new_one)
    enter_inbound = max(i for i, e in enumerate(events) if e["Event"] == "BridgeEnter" and e["Channel"] == inbound)
    assert begin < ringing < answer < enter_agent < enter_inbound
    assert events[enter_inbound]["BridgeNumChannels"] == "2"
    assert events[enter_inbound]["BridgeUniqueid"] != events[start]["BridgeUniqueid"]

    # one Originate answer only; the customer is not rung again
    assert [e["Response"] for e in events if e["Event"] == "OriginateResponse"] == ["Success"]
    assert not [e for e in after(events, start) if e["Event"] in ("Newstate", "DialState", "DialEnd")
                and e.get("Channel", "").startswith("Local/74951234567@from-pstn-") and e["Channel"] != inbound]

    # 102 ends the call after its talk time; the recording keeps running to the end
    last = position(events, "Hangup", Channel=inbound)
    assert (events[last]["Context"], events[last]["Exten"], events[last]["Cause"]) == ("transfer", "102", "16")
    assert position(events, "Hangup", Channel=new_one) < last
    assert [e["Channel"] for e in events if e["Event"] == "MixMonitorStart"] == [inbound]
    assert not [e for e in events if e["Event"] == "Newexten" and e["Exten"] == "h" and e["Channel"] == inbound]
    assert (await client.action("CoreShowChannels"))[-1]["ListItems"] == "0"


@pytest.mark.parametrize(("headers", "message"), [
    ({"Context": "transfer", "Exten": "102", "Priority": "1"}, "Channel not specified"),
    ({"Channel": "Local/none@x-00000000;2", "Context": "transfer", "Exten": "102", "Priority": "1"},
     "Channel specified does not exist"),
    ({"Channel": "Local/none@x-00000000;2", "Exten": "102", "Priority": "1"}, "Context not specified"),
    ({"Channel": "Local/none@x-00000000;2", "Context": "transfer", "Exten": "102", "Priority": "0"},
     "Priority is invalid"),
])
async def test_redirect_errors(pbx, headers, message):  # noqa: F811
    client, simulator = pbx
    reply = await client.action("Redirect", **headers)
    assert (reply[0]["Response"], reply[0]["Message"]) == ("Error", message)


async def test_redirect_before_the_answer_or_with_extra_channel_is_refused(pbx):  # noqa: F811
    client, simulator = pbx
    await client.action("Originate", **ORIGINATE, Variable=CALL_VARIABLES)
    inbound = (await client.event("MixMonitorStart"))["Channel"]
    target = {"Channel": inbound, "Context": "transfer", "Exten": "102", "Priority": "1"}
    ringing = await client.action("Redirect", **target)
    assert ringing[0] | {"ActionID": ""} == {"Response": "Error", "ActionID": "",
                                             "Message": "Redirect: only an inbound channel talking with a manager is simulated"}
    await client.event("BridgeEnter", Channel=inbound)
    extra = await client.action("Redirect", **target, ExtraChannel=inbound, ExtraContext="transfer",
                                ExtraExten="103", ExtraPriority="1")
    assert (extra[0]["Response"], extra[0]["Message"]) == ("Error", "Redirect: ExtraChannel is not simulated")
    elsewhere = await client.action("Redirect", **{**target, "Context": "default"})
    assert elsewhere[0]["Response"] == "Error"
    assert (await client.action("Hangup", Channel=inbound))[0]["Response"] == "Success"
    await client.event("Hangup", Channel=inbound)


async def redirected_call(tmp_path) -> list[dict[str, str]]:
    log, agi = EventLog(), StaticRouteAgi("101")
    simulator = Simulator(log, "127.0.0.1", await agi.start(), tmp_path, CORPUS, speed=SPEED)
    variables = [tuple(pair.split("=", 1)) for pair in CALL_VARIABLES.split(",")]
    call = simulator.originate(OriginateRequest("74951234567", Party("79035550011", "Мария"), variables))
    inbound = call.inbound.name

    async def bridged() -> None:
        while not any(e["Event"] == "BridgeEnter" and e["Channel"] == inbound for e in log.events):
            await asyncio.sleep(0.005)

    await asyncio.wait_for(bridged(), 5)
    reply = await log.action("Redirect", Channel=inbound, Context="transfer", Exten="102", Priority="1")
    assert reply[0]["Response"] == "Success"
    await asyncio.wait_for(simulator.wait_call(call.linkedid), 10)
    await simulator.close()
    await agi.stop()
    return log.events


async def test_the_tracker_credits_the_manager_the_call_was_transferred_to(tmp_path):
    events = await redirected_call(tmp_path)
    tracker, clock = CallTracker(), FakeClock()
    published = replay(events, tracker, clock, seconds_per_message=0.01)
    published += tracker.expire(clock.now() + timedelta(hours=1))
    [record] = [e.payload for e in published if e.name == CALL_ENDED]
    assert [(leg.extension, leg.result) for leg in record.legs] == [("101", LegResult.ANSWERED),
                                                                    ("102", LegResult.ANSWERED)]
    assert record.answered_by == "102"
    assert record.disposition is Disposition.ANSWERED
    assert record.recording_file and record.recording_file.endswith(".wav")
    # the Redirect's MixMonitor output spans the whole call, both managers included
    mixed = tmp_path.resolve() / record.recording_file.rsplit("/", 1)[-1]
    assert mixed.is_file() and mixed.stat().st_size > 44
