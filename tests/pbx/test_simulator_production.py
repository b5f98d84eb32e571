"""The simulator playing docs/asterisk/extensions.conf (``dialplan="production"``), over real AMI and FastAGI.

Each call is placed by AMI Originate on a socket to AmiServer; the FastAGI server answers the whole
set of ROUTE_* variables; the AMI stream the client read is then folded by the call tracker.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from callcenter.bus import CALL_ENDED
from callcenter.clock import FakeClock
from crm.tasks import missed_number
from pbx.simulator.ami_server import AmiServer
from pbx.simulator.scenario import AgentSpec
from pbx.simulator.simulator import Simulator
from pbx.simulator.testing import StaticRouteAgi
from pbx.tracker.model import CallRecord, Disposition, LegResult
from pbx.tracker.tracker import CallTracker
from tests.pbx.test_simulator_ami import ORIGINATE, SPEED, Client
from tests.pbx.test_simulator_fidelity import unused_port
from tests.support.captures import replay
from tests.support.data import CORPUS

PLAN = {"ROUTE_OWNER": "", "ROUTE_NEW_CALLER": "1", "ROUTE_SOURCE": "yandex", "ROUTE_REASON": "new caller"}
FAST_AGENTS = [AgentSpec("101", ring_seconds=3), AgentSpec("102", ring_seconds=1), AgentSpec("103", state="away")]


async def place(tmp_path, answer: Mapping[str, str] | None, variables: str = "CALLER_AUDIO=/x/test",
                agents: list[AgentSpec] | None = None) -> tuple[list[dict[str, str]], CallRecord]:
    """One call through the production dialplan; its AMI events as the client read them, and its record.
    ``answer`` None: no FastAGI server listens."""
    agi = StaticRouteAgi(dict(answer or {}))
    agi_port = await agi.start() if answer is not None else await unused_port()
    server = AmiServer(username="callcenter", secret="change-me")
    simulator = Simulator(server, "127.0.0.1", agi_port, tmp_path, CORPUS, speed=SPEED, agents=agents,
                          dialplan="production")
    client = Client(*await asyncio.open_connection("127.0.0.1", await server.start()))
    try:
        await client.action("Login", Username="callcenter", Secret="change-me")
        await client.action("Originate", **ORIGINATE, Variable=variables)
        [linkedid] = simulator.calls
        await asyncio.wait_for(simulator.wait_call(linkedid), 10)
        await client.action("Ping")  # every event of the call was written before this reply
    finally:
        client.writer.close()
        await simulator.close()
        await server.stop()
        await agi.stop()
    events = [m for m in client.messages if "Event" in m]
    tracker, clock = CallTracker(), FakeClock()
    published = replay(events, tracker, clock) + tracker.expire(clock.now())
    [record] = [e.payload for e in published if e.name == CALL_ENDED]
    return events, record


def inbound_steps(events: list[dict[str, str]]) -> list[tuple[str, str, str]]:
    """(priority, application, appdata) of every [from-pstn] step of the inbound ;2 channel."""
    return [(e["Priority"], e["Application"], e["AppData"]) for e in events
            if e["Event"] == "Newexten" and e["Context"] == "from-pstn" and e["Exten"] != "h"
            and e["Channel"].endswith(";2")]


def named(events: list[dict[str, str]], name: str, **fields: str) -> list[dict[str, str]]:
    return [e for e in events if e["Event"] == name and all(e.get(k) == v for k, v in fields.items())]


def legs(record: CallRecord) -> list[tuple[str, LegResult]]:
    return [(leg.extension, leg.result) for leg in record.legs]


async def test_attempts_ring_in_order_each_with_its_timeout(tmp_path):
    answer = {**PLAN, "ROUTE_TARGET": "103", "ROUTE_TIMEOUT": "5", "ROUTE_TARGETS_2": "101",
              "ROUTE_TIMEOUT_2": "15", "ROUTE_ATTEMPTS": "2", "ROUTE_QUEUE": "sales"}
    events, record = await place(tmp_path, answer)

    steps = inbound_steps(events)
    assert steps[8:] == [
        ("9", "NoOp", "AGISTATUS=SUCCESS TARGET=103 OWNER= NEW=1 SOURCE=yandex REASON=new caller"),
        ("10", "GotoIf", "0?queue"),
        ("11", "Set", "ATTEMPT=1"), ("12", "Set", "TARGETS=103"), ("13", "Set", "TIMEOUT=5"),
        ("14", "GotoIf", "0?end"), ("15", "Set", "TIMEOUT=5"), ("16", "Dial", "Local/103@sim-agent,5"),
        ("17", "NoOp", "attempt 1: DIALSTATUS=NOANSWER"), ("18", "GotoIf", "0?done"),
        ("19", "Set", "ATTEMPT=2"), ("20", "Set", "TARGETS=101"), ("21", "Set", "TIMEOUT=15"),
        ("22", "Goto", "attempt"),
        ("14", "GotoIf", "0?end"), ("15", "Set", "TIMEOUT=15"), ("16", "Dial", "Local/101@sim-agent,15"),
    ]
    assert [e["DialStatus"] for e in named(events, "DialEnd") if "Channel" in e] == ["NOANSWER", "ANSWER"]
    away_leg = named(events, "Cdr", LastApplication="Wait", LastData="30")
    # 103 rang for attempt 1's 5 s, not the default 20; its channel comes a moment after the Dial starts and
    # a CDR's Duration is whole seconds cut down, as Asterisk's is: 4 under load, else 5
    [away] = [int(e["Duration"]) for e in away_leg]
    assert 4 <= away <= 5
    assert not named(events, "QueueCallerJoin")
    assert legs(record) == [("103", LegResult.NOANSWER), ("101", LegResult.ANSWERED)]
    assert (record.answered_by, record.disposition, record.voicemail) == ("101", Disposition.ANSWERED, None)


async def test_ring_all_first_to_answer_wins_the_other_is_answered_elsewhere(tmp_path):
    answer = {**PLAN, "ROUTE_TARGET": "101&102", "ROUTE_TIMEOUT": "20", "ROUTE_ATTEMPTS": "1",
              "ROUTE_QUEUE": "sales"}
    events, record = await place(tmp_path, answer, "CALLER_AUDIO=/x/test,SPLIT_REC=1", agents=FAST_AGENTS)

    steps = inbound_steps(events)
    assert [step[:2] for step in steps[5:9]] == [("6", "GotoIf"), ("29", "MixMonitor"), ("30", "Goto"), ("8", "AGI")]
    files = sorted(path.name for path in tmp_path.iterdir())
    uniqueid = named(events, "MixMonitorStart")[0]["Uniqueid"]
    assert files == [f"{uniqueid}{suffix}.wav" for suffix in ("-in", "-out", "")]
    assert ("16", "Dial", "Local/101@sim-agent&Local/102@sim-agent,20") in steps
    begins = named(events, "DialBegin")[1:]  # the first is the Originate's own
    assert [e["DialString"] for e in begins] == ["101@sim-agent", "102@sim-agent"]
    one_101, one_102 = (e["DestChannel"] for e in begins)
    ends = [(e["DestChannel"], e["DialStatus"]) for e in named(events, "DialEnd") if "Channel" in e]
    assert ends == [(one_101, "CANCEL"), (one_102, "ANSWER")]  # 102 rings 1 s, 101 would take 3 s
    elsewhere = {e["Channel"] for e in named(events, "Hangup", Cause="26", **{"Cause-txt": "Answered elsewhere"})}
    assert elsewhere == {one_101, one_101.replace(";1", ";2")}
    assert named(events, "VarSet", Variable="DIALEDPEERNUMBER", Value="102@sim-agent")
    assert {e["Channel"] for e in named(events, "BridgeEnter")} == {one_102, begins[0]["Channel"]}
    assert legs(record) == [("101", LegResult.CANCEL), ("102", LegResult.ANSWERED)]
    assert (record.answered_by, record.disposition) == ("102", Disposition.ANSWERED)


async def test_busy_and_away_then_voicemail_takes_a_message(tmp_path):
    answer = {**PLAN, "ROUTE_TARGET": "101&102", "ROUTE_TIMEOUT": "", "ROUTE_ATTEMPTS": "1",
              "ROUTE_VOICEMAIL": "101"}
    events, record = await place(tmp_path, answer, "CALLER_AUDIO=/x/test,__AGENT_101_STATE=busy,"
                                                   "__AGENT_102_STATE=away")

    steps = inbound_steps(events)
    assert steps[13:17] == [("14", "GotoIf", "0?end"), ("15", "Set", "TIMEOUT=20"),
                            ("16", "Dial", "Local/101@sim-agent&Local/102@sim-agent,20"),
                            ("17", "NoOp", "attempt 1: DIALSTATUS=NOANSWER")]
    assert steps[17:] == [("18", "GotoIf", "0?done"), ("19", "Set", "ATTEMPT=2"), ("20", "Set", "TARGETS="),
                          ("21", "Set", "TIMEOUT="), ("22", "Goto", "attempt"), ("14", "GotoIf", "1?end"),
                          ("23", "GotoIf", "1?voicemail"), ("27", "VoiceMail", "101,u")]
    assert [e["DialStatus"] for e in named(events, "DialEnd") if "Channel" in e] == ["BUSY", "NOANSWER"]
    # the away agent's leg (Wait(30)) was cut by the Dial's 20 s; its channel comes a moment after the Dial
    # starts, and a CDR's Duration is whole seconds cut down, as Asterisk's is: 19 under load, else 20
    [away] = [int(e["Duration"]) for e in named(events, "Cdr", LastApplication="Wait", LastData="30")]
    assert 19 <= away <= 20
    inbound = named(events, "MixMonitorStart")[0]["Channel"]
    flow = [e["Event"] for e in events if e.get("Channel") == inbound
            and e["Event"] in ("Newstate", "MessageWaiting", "Hangup")]
    assert flow == ["Newstate", "MessageWaiting", "Hangup"]
    assert named(events, "Newstate", Channel=inbound)[0]["ChannelStateDesc"] == "Up"
    assert named(events, "MessageWaiting")[0]["Mailbox"] == "101@default"
    assert named(events, "VarSet", Variable="VMSTATUS", Value="SUCCESS")
    assert named(events, "OriginateResponse")[0]["Response"] == "Success"
    assert [(e["Disposition"], e["LastApplication"]) for e in named(events, "Cdr", Channel=inbound)][-1] \
        == ("ANSWERED", "VoiceMail")
    assert named(events, "Newexten", Channel=inbound, Exten="h")
    assert not named(events, "QueueCallerJoin") and not named(events, "BridgeEnter")

    assert legs(record) == [("101", LegResult.BUSY), ("102", LegResult.NOANSWER)]
    assert (record.answered_by, record.answered_at) == (None, None)
    assert (record.disposition, record.voicemail) == (Disposition.MISSED, "101")
    assert missed_number(record) == "+79035550011"  # a voicemail still asks for a callback


async def test_straight_to_voicemail_records_the_callers_message(tmp_path):
    answer = {**PLAN, "ROUTE_TARGET": "", "ROUTE_TIMEOUT": "", "ROUTE_ATTEMPTS": "0", "ROUTE_VOICEMAIL": "102"}
    events, record = await place(tmp_path, answer, f"CALLER_AUDIO={CORPUS / 'call002'}")

    assert inbound_steps(events)[10:] == [
        ("11", "Set", "ATTEMPT=1"), ("12", "Set", "TARGETS="), ("13", "Set", "TIMEOUT="),
        ("14", "GotoIf", "1?end"), ("23", "GotoIf", "1?voicemail"), ("27", "VoiceMail", "102,u"),
    ]
    assert not named(events, "DialBegin", Channel=named(events, "MixMonitorStart")[0]["Channel"])
    assert (record.legs, record.disposition, record.voicemail) == ([], Disposition.MISSED, "102")
    recording = tmp_path / record.recording_file.rsplit("/", 1)[1]
    assert recording.stat().st_size > 44 + 8000 * 2  # the caller's message, past the greeting's silence


async def test_the_plans_queue_is_joined_and_an_unknown_queue_is_refused(tmp_path):
    away = "CALLER_AUDIO=/x/test,__AGENT_101_STATE=away,__AGENT_102_STATE=away"
    plan = {**PLAN, "ROUTE_TARGET": "", "ROUTE_ATTEMPTS": "0"}
    events, record = await place(tmp_path / "sales", {**plan, "ROUTE_QUEUE": "sales"}, away)
    assert ("24", "Queue", "sales,r,,,40") in inbound_steps(events)
    assert named(events, "QueueCallerJoin")[0]["Queue"] == "sales"
    assert (record.queue, record.disposition) == ("sales", Disposition.MISSED)

    events, record = await place(tmp_path / "support", {**plan, "ROUTE_QUEUE": "support"})
    assert inbound_steps(events)[-3:] == [("24", "Queue", "support,r,,,40"), ("25", "NoOp", "QUEUESTATUS=UNKNOWN"),
                                          ("26", "Hangup", "")]
    assert not named(events, "QueueCallerJoin") and not named(events, "DialBegin", DialString="101@sim-agent")
    assert (record.queue, record.disposition) == (None, Disposition.FAILED)


async def test_agi_down_goes_straight_to_the_default_queue(tmp_path):
    events, record = await place(tmp_path, None)

    assert inbound_steps(events)[8:11] == [
        ("9", "NoOp", "AGISTATUS=FAILURE TARGET= OWNER= NEW= SOURCE= REASON="),
        ("10", "GotoIf", "1?queue"), ("24", "Queue", "sales,r,,,40"),
    ]
    assert not any(e["Application"] == "Dial" for e in named(events, "Newexten"))
    assert not named(events, "AGIExecStart")
    assert (record.queue, record.answered_by, record.disposition) == ("sales", "101", Disposition.ANSWERED)
    assert legs(record)[0] == ("101", LegResult.ANSWERED)
