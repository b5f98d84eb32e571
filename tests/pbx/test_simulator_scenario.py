"""Scenario files: the shipped ones load, bad ones fail with a message naming the problem."""

from __future__ import annotations

import asyncio
import re

import pytest

from pbx.simulator.scenario import SCENARIO_DIR, ScenarioError, load_scenario, parse_scenario
from pbx.simulator.simulator import Simulator
from pbx.simulator.testing import EventLog, StaticRouteAgi
from tests.support.data import CORPUS


def test_demo_has_the_promised_variety():
    demo = load_scenario("demo")
    assert {"101", "102", "103"} <= {a.id for a in demo.agents}
    assert any(c.patience is not None for c in demo.calls), "an abandoned call"
    assert any(c.caller_number == "anonymous" for c in demo.calls)
    assert any(any("\u0400" <= ch <= "\u04ff" for ch in c.caller_name) for c in demo.calls)
    assert any("away" in c.agent_states.values() for c in demo.calls)
    assert any(c.split_recording for c in demo.calls)
    for call in demo.calls:
        assert not call.audio or (CORPUS / f"{call.audio}.wav").is_file(), call.audio


def test_every_shipped_scenario_loads():
    for path in SCENARIO_DIR.glob("*.yaml"):
        load_scenario(path)
    assert load_scenario("load").load.count == 50


@pytest.mark.parametrize(("data", "message"), [
    ({"calls": [{"did": "1", "colour": "red"}]}, "calls[0]: unknown key colour"),
    ({"calls": [{"caller_number": "1"}]}, "calls[0]: missing did"),
    ({"calls": [{"did": "12a"}]}, "calls[0]: did: '12a' is not a number of digits"),
    ({"calls": [{"did": "1", "patience": -3}]}, "calls[0]: patience: expected a number >= 0, got -3"),
    ({"calls": [{"did": "1", "start": "soon"}]}, "calls[0]: start: expected a number >= 0"),
    ({"calls": [{"did": "1", "split_recording": "yes please"}]}, "split_recording: expected true or false"),
    ({"calls": [{"did": "1", "agent_states": {"101": "asleep"}}]}, "agent_states: 101: 'asleep' is not one of"),
    ({"agents": [{"id": "101", "state": "gone"}], "calls": [{"did": "1"}]}, "agents[0]: state: 'gone'"),
    ({"agents": [{"id": "101"}, {"id": "101"}], "calls": [{"did": "1"}]}, "agents: duplicate id"),
    ({"agents": [{"name": "x"}], "calls": [{"did": "1"}]}, "agents[0]: missing id"),
    ({"calls": [], "load": {"calls_per_second": 0, "count": 1, "call": {"did": "1"}}}, "must be above 0"),
    ({"calls": [], "load": {"calls_per_second": 1, "count": 2.5, "call": {"did": "1"}}}, "count: expected a whole"),
    ({"calls": []}, "need at least one call"),
    ({"agents": []}, "missing calls"),
    (["not", "a", "mapping"], "expected a mapping, got list"),
    ({"calls": [{"did": "1"}], "extra": 1}, "unknown key extra"),
    ({"calls": [{"did": "1"}], "dialplan": "staging"}, "dialplan: 'staging' is not one of reference, production"),
])
def test_bad_scenarios_are_explained(data, message):
    with pytest.raises(ScenarioError, match="^demo.yaml: .*" + re.escape(message)):
        parse_scenario(data, "demo.yaml")


def test_unreadable_and_invalid_files(tmp_path):
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(tmp_path / "absent.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("calls: [\n")
    with pytest.raises(ScenarioError, match="broken.yaml: not valid YAML"):
        load_scenario(broken)


async def test_a_scenario_can_switch_the_simulator_to_the_production_dialplan(tmp_path):
    scenario = parse_scenario({"dialplan": "production", "calls": [{"did": "74951234567", "caller_number": "79035550011"}]})
    assert parse_scenario({"calls": [{"did": "1"}]}).dialplan is None  # keeps the simulator's own
    log, agi = EventLog(), StaticRouteAgi({"ROUTE_TARGET": "101", "ROUTE_TIMEOUT": "20", "ROUTE_QUEUE": "sales"})
    simulator = Simulator(log, "127.0.0.1", await agi.start(), tmp_path, CORPUS, speed=200.0)
    try:
        await asyncio.wait_for(simulator.run_scenario(scenario), 10)
    finally:
        await agi.stop()
    dials = [e["AppData"] for e in log.events if e["Event"] == "Newexten" and e["Application"] == "Dial"]
    assert simulator.engine.config.dialplan == "production" and dials == ["Local/101@sim-agent,20"]
    assert any(e["Event"] == "Newexten" and e["AppData"] == "ATTEMPT=1" for e in log.events)


async def test_demo_scenario_runs_to_the_end(tmp_path):
    log, agi, demo = EventLog(), StaticRouteAgi("101"), load_scenario("demo")
    simulator = Simulator(log, "127.0.0.1", await agi.start(), tmp_path, CORPUS, speed=200.0)
    try:
        linkedids = await asyncio.wait_for(simulator.run_scenario(demo), 10)
    finally:
        await agi.stop()
    assert len(linkedids) == len(demo.calls) and not simulator.engine.channels
    created = {e["Channel"] for e in log.events if e["Event"] == "Newchannel"}
    assert created == {e["Channel"] for e in log.events if e["Event"] == "Hangup"}
    responses = [e["Response"] for e in log.events if e["Event"] == "OriginateResponse"]
    assert sorted(responses) == ["Failure"] + ["Success"] * (len(demo.calls) - 1)
    abandoned = [e for e in log.events if e["Event"] == "VarSet" and e["Variable"] == "DIALSTATUS"
                 and e["Value"] == "CANCEL"]
    assert len(abandoned) == 1  # the impatient caller hung up while 101 (away) rang
    bridges = [e for e in log.events if e["Event"] == "BridgeCreate"]
    assert len(bridges) == len(demo.calls) - 1  # every answered call was bridged with its manager once
