"""The simulator's AMI stream against the five captures of a real Asterisk 22.10.1.

Each capture's flow is replayed (same DID, caller, agent states, AGI answer) and compared:

* per channel (channels, Uniqueids and Linkedids mapped to first-seen indexes): the exact ordered
  list of its events with Event, ChannelState, Context, Exten, Application, Variable (Value for the
  routing-relevant variables), DialStatus, Cause, Queue, Interface, MemberName, Reason, and the
  Dest channel of Dial*/Agent* events;
* the number of events of each type (DeviceStateChange and QueueMemberStatus excepted, see below);
* the Cdr rows as a multiset (channel, disposition, last application, destination channel);
* QueueMemberStatus: the same members, each going INUSE (2) / NOT_INUSE (1) alternately, ending 1;
* the global interleaving: the longest common subsequence of the two whole streams must keep at
  least 80 % of the capture's events in order (achieved: 90-100 %, see the report in the test).

Knowingly left out: Priority (captures 1-4 were recorded before extensions.conf gained
``GotoIf(SPLIT_REC)`` at priority 6, so their priorities from 6 on are one lower and the simulator's
extra ``Newexten GotoIf(0?splitrec)`` is dropped before comparing); AppData and other values that
hold paths, ports, times or random ids; the exact cross-channel order, which Asterisk itself varies
between runs (one-call.ami and agi-down-fallback.ami run the same flow in different orders); and
DeviceStateChange, whose duplicates and order are a thread race in Asterisk -- only the set of
(Device, State) pairs is compared; the count of QueueMemberStatus, which Asterisk publishes only when
the device-state thread sees a change (in missed-all-away it misses the third round for 101/102).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path

import pytest

from pbx.ami.framing import AmiFrameDecoder
from pbx.simulator.scenario import CallSpec
from pbx.simulator.simulator import Simulator
from pbx.simulator.testing import EventLog, StaticRouteAgi
from tests.support.data import CAPTURES, CORPUS

SPEED = 50.0
VALUE_VARIABLES = {"ROUTE_TARGET", "AGISTATUS", "DIALSTATUS", "QUEUESTATUS", "__INBOUND_DID", "LOCAL(state)",
                   "MEMBERINTERFACE", "MEMBERNAME", "ABANDONED", "CHANLOCALSTATUS", "DIALEDPEERNUMBER",
                   "__AGENT_101_STATE", "__AGENT_102_STATE", "SPLIT_REC"}
CHANNEL_VALUES = {"BRIDGEPEER", "DIALEDPEERNAME"}
KEYS = ("ChannelState", "Context", "Exten", "Application", "Variable", "DialStatus", "Cause", "Queue",
        "Interface", "MemberName", "Reason")
NOT_COMPARED_IN_ORDER = {"DeviceStateChange", "Cdr"}
# OriginateResponse names the ;1 channel but comes from the Originate thread, not the channel's own
NOT_A_CHANNEL_STEP = NOT_COMPARED_IN_ORDER | {"OriginateResponse"}


@dataclass(frozen=True)
class Flow:
    capture: str
    spec: CallSpec
    route_target: str | None  # None: no FastAGI server listening


FLOWS = [
    Flow("one-call", CallSpec("79161234567", "79161234567", "Test Caller"), "101"),
    Flow("agi-down-fallback", CallSpec("74951234567", "+79261234567", "Fallback Test"), None),
    Flow("away-to-queue", CallSpec("74951234567", "79035550011", "Мария"), "103"),
    Flow("missed-all-away", CallSpec("74951234567", "+79031112233", "Missed Test",
                                     agent_states={"101": "away", "102": "away"}), "101"),
    Flow("answered-split-recording", CallSpec("74951234567", "89161112233", "Елена Смирнова", audio="call003",
                                              split_recording=True, agent_talk_seconds=2), "101"),
]


def capture_events(name: str) -> list[dict[str, str]]:
    messages = AmiFrameDecoder().feed((CAPTURES / f"{name}.ami").read_bytes())
    events = [{k: v for k, v in m.items() if k != "content"} for m in messages if "Event" in m]
    return [e for e in events if e["Event"] not in ("FullyBooted", "SuccessfulAuth")]


async def simulate(flow: Flow, recordings: Path) -> list[dict[str, str]]:
    log = EventLog()
    agi = StaticRouteAgi(flow.route_target or "")
    port = await agi.start() if flow.route_target else await unused_port()
    simulator = Simulator(log, "127.0.0.1", port, recordings, CORPUS, speed=SPEED)
    try:
        linkedid = await simulator.place_call(flow.spec, action_id=f"orig-{flow.capture}")
        await asyncio.wait_for(simulator.wait_call(linkedid), 10)
    finally:
        await simulator.close()
        await agi.stop()
    return log.events


async def unused_port() -> int:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    return port


class Normaliser:
    """Channel names, Uniqueids and Linkedids become first-seen indexes."""

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}

    def ref(self, value: str) -> str:
        if not value:
            return ""
        return self.ids.setdefault(value, f"#{len(self.ids)}")

    def key(self, event: dict[str, str]) -> tuple[str, ...]:
        fields = [event["Event"]]
        for prefix in ("", "Dest", "LocalOne", "LocalTwo"):
            if prefix + "Channel" in event:
                fields += [self.ref(event[prefix + "Channel"]), self.ref(event.get(prefix + "Uniqueid", "")),
                           self.ref(event.get(prefix + "Linkedid", ""))]
        fields += [f"{k}={event[k]}" for k in KEYS if k in event]
        variable = event.get("Variable")
        if variable in VALUE_VARIABLES:
            fields.append(f"Value={event['Value']}")
        elif variable in CHANNEL_VALUES:
            fields.append(f"Value={self.ref(event['Value'])}")
        return tuple(fields)


def comparable(events: list[dict[str, str]], drop_splitrec_goto: bool) -> list[dict[str, str]]:
    return [e for e in events
            if not (drop_splitrec_goto and e["Event"] == "Newexten" and e["AppData"] == "0?splitrec")]


@pytest.fixture(scope="module", params=FLOWS, ids=[flow.capture for flow in FLOWS])
def streams(request, tmp_path_factory) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    flow: Flow = request.param
    simulated = asyncio.run(simulate(flow, tmp_path_factory.mktemp(flow.capture)))
    old_dialplan = flow.capture != "answered-split-recording"
    return capture_events(flow.capture), comparable(simulated, drop_splitrec_goto=old_dialplan)


def keyed(events: list[dict[str, str]]) -> list[tuple[str, ...]]:
    normaliser = Normaliser()
    return [normaliser.key(e) for e in events]


def test_each_channel_sees_the_same_events(streams):
    captured, simulated = streams

    def per_channel(events):
        channels: dict[str, list[tuple[str, ...]]] = {}
        for key, event in zip(keyed(events), events):
            if "Channel" in event and event["Event"] not in NOT_A_CHANNEL_STEP:
                channels.setdefault(key[1], []).append(key)
        return channels

    expected, actual = per_channel(captured), per_channel(simulated)
    assert sorted(actual) == sorted(expected)
    for channel in expected:
        assert actual[channel] == expected[channel], f"channel {channel}"


def test_event_counts_match(streams):
    captured, simulated = streams

    def counts(events):
        return Counter(e["Event"] for e in events if e["Event"] not in ("DeviceStateChange", "QueueMemberStatus"))

    assert counts(simulated) == counts(captured)


def test_cdr_rows_match(streams):
    captured, simulated = streams

    def rows(events):
        normaliser = Normaliser()
        for key in keyed_channels(events):
            normaliser.ref(key)
        return Counter((normaliser.ref(e["Channel"]), e["Disposition"], e["LastApplication"],
                        normaliser.ref(e["DestinationChannel"])) for e in events if e["Event"] == "Cdr")

    assert rows(simulated) == rows(captured)


def keyed_channels(events: list[dict[str, str]]) -> list[str]:
    """Channel names in first-seen order, as Normaliser.key meets them."""
    return [e["Channel"] for e in events if e["Event"] == "Newchannel"]


def test_queue_member_status_alternates_like_the_capture(streams):
    captured, simulated = streams

    def statuses(events):
        per_member: dict[str, list[str]] = {}
        for e in events:
            if e["Event"] == "QueueMemberStatus":
                per_member.setdefault(e["MemberName"], []).append(e["Status"])
        return per_member

    expected, actual = statuses(captured), statuses(simulated)
    assert sorted(actual) == sorted(expected)
    for member, sequence in actual.items():
        assert sequence == ["2", "1"] * (len(sequence) // 2), member
        assert len(sequence) >= len(expected[member]), member


def test_device_states_match(streams):
    captured, simulated = streams

    def pairs(events):
        return {(e["Device"], e["State"]) for e in events if e["Event"] == "DeviceStateChange"}

    assert pairs(simulated) == pairs(captured)


def test_global_order_is_close(streams):
    captured, simulated = streams
    expected = [k for k in keyed(captured) if k[0] not in NOT_COMPARED_IN_ORDER]
    actual = [k for k in keyed(simulated) if k[0] not in NOT_COMPARED_IN_ORDER]
    matcher = SequenceMatcher(None, expected, actual, autojunk=False)
    in_order = sum(block.size for block in matcher.get_matching_blocks())
    assert in_order / len(expected) >= 0.8, f"only {in_order}/{len(expected)} events in capture order"


def test_header_order_per_event_type_matches_the_captures(tmp_path):
    """Every event type the simulator emits has the capture's header order (with or without Channel)."""
    reference: dict[str, set[tuple[str, ...]]] = {}
    for flow in FLOWS:
        for e in capture_events(flow.capture):
            reference.setdefault(e["Event"], set()).add(tuple(e))
    emitted: dict[str, set[tuple[str, ...]]] = {}
    for flow in FLOWS:
        for e in asyncio.run(simulate(flow, tmp_path / flow.capture)):
            emitted.setdefault(e["Event"], set()).add(tuple(e))
    assert set(emitted) == set(reference)
    for name, orders in emitted.items():
        assert orders <= reference[name], name


def test_agi_environment_matches_the_recorded_requests(tmp_path):
    recorded = [json.loads(line)["env"] for line in (CAPTURES / "agi-requests.jsonl").read_text().splitlines()]
    reference = recorded[0]

    async def run() -> dict[str, str]:
        agi = StaticRouteAgi("101")
        port = await agi.start()
        simulator = Simulator(EventLog(), "127.0.0.1", port, tmp_path, CORPUS, speed=SPEED)
        await simulator.wait_call(await simulator.place_call(FLOWS[0].spec))
        await agi.stop()
        return agi.requests[0]

    env = asyncio.run(run())
    assert list(env) == list(reference)
    different = {k for k in reference if env[k] != reference[k]}
    # the port, the channel/uniqueid numbering and the thread id differ by nature; the priority is 8
    # because the current extensions.conf has the SPLIT_REC GotoIf the recorded run did not have
    assert different <= {"agi_request", "agi_channel", "agi_uniqueid", "agi_threadid", "agi_priority"}
    assert env["agi_priority"] == "8"
    assert env["agi_channel"].endswith(";2") and env["agi_channel"].startswith("Local/79161234567@from-pstn-")
