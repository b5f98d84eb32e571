"""The simulator's AMI actions over a real socket to AmiServer."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from pbx.ami.framing import AmiFrameDecoder
from pbx.simulator.ami_server import AmiServer
from pbx.simulator.simulator import Simulator
from pbx.simulator.testing import StaticRouteAgi
from tests.support.data import CORPUS

SPEED = 50.0
ORIGINATE = {"Channel": "Local/74951234567@from-pstn", "Context": "sim-caller", "Exten": "s", "Priority": "1",
             "CallerID": '"Мария" <79035550011>', "Async": "yes"}


class Client:
    """A minimal AMI client: send actions, collect every message."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.decoder = AmiFrameDecoder()
        self.messages: list[dict[str, str]] = []
        self._ids = itertools.count(1)

    async def action(self, name: str, **headers: str) -> list[dict[str, str]]:
        """Send; return the messages carrying its ActionID once the reply (and any list) is complete."""
        action_id = f"t-{next(self._ids)}"
        lines = {"Action": name, "ActionID": action_id, **headers}
        self.writer.write("".join(f"{k}: {v}\r\n" for k, v in lines.items()).encode() + b"\r\n")
        await self.writer.drain()

        def done() -> list[dict[str, str]] | None:
            mine = [m for m in self.messages if m.get("ActionID") == action_id]
            if mine and (mine[0].get("EventList") != "start" or mine[-1].get("EventList") == "Complete"):
                return mine
            return None

        return await self.until(done)

    async def until(self, found, timeout: float = 5.0):
        async def loop():
            while (result := found()) is None:
                data = await self.reader.read(65536)
                assert data, "connection closed"
                self.messages += [{k: v for k, v in m.items() if k != "content"} for m in self.decoder.feed(data)]
            return result
        return await asyncio.wait_for(loop(), timeout)

    async def event(self, name: str, **fields: str) -> dict[str, str]:
        def match():
            return next((m for m in self.messages if m.get("Event") == name
                         and all(m.get(k) == v for k, v in fields.items())), None)
        return await self.until(match)


@pytest.fixture
async def pbx(tmp_path):
    agi = StaticRouteAgi("101")
    server = AmiServer(username="callcenter", secret="change-me")
    simulator = Simulator(server, "127.0.0.1", await agi.start(), tmp_path, CORPUS, speed=SPEED)
    port = await server.start()
    client = Client(*await asyncio.open_connection("127.0.0.1", port))
    login = await client.action("Login", Username="callcenter", Secret="change-me")
    assert login[0]["Response"] == "Success"
    yield client, simulator
    client.writer.close()
    await simulator.close()
    await server.stop()
    await agi.stop()


async def test_originate_places_a_call_whose_events_arrive(pbx):
    client, simulator = pbx
    reply = await client.action("Originate", **ORIGINATE, Variable="CALLER_AUDIO=/x/test,__AGENT_TALK_SECONDS=1")
    assert reply[0]["Response"] == "Success"
    assert reply[0]["Message"] == "Originate successfully queued"
    response = await client.event("OriginateResponse")
    assert (response["ActionID"], response["Response"], response["Reason"]) == (reply[0]["ActionID"], "Success", "4")
    hangup = await client.event("Hangup", Exten="h")
    assert hangup["Channel"].startswith("Local/74951234567@from-pstn-") and hangup["CallerIDName"] == "Мария"
    target = next(m for m in client.messages if m.get("Variable") == "ROUTE_TARGET")
    assert target["Value"] == "101"


async def test_global_setvar_makes_the_agent_away_and_the_call_queues(pbx):
    client, simulator = pbx
    assert (await client.action("Setvar", Variable="AGENT_101_STATE", Value="away"))[0]["Response"] == "Success"
    assert (await client.action("Getvar", Variable="AGENT_101_STATE"))[0]["Value"] == "away"
    await client.action("Originate", **ORIGINATE)
    state = await client.event("VarSet", Variable="LOCAL(state)")
    assert state["Value"] == "away"
    join = await client.event("QueueCallerJoin")  # 101 never answered: Dial NOANSWER, then the queue
    assert join["Queue"] == "sales"
    assert (await client.event("VarSet", Variable="DIALSTATUS", Value="NOANSWER"))["Channel"] == join["Channel"]

    channels = await client.action("CoreShowChannels")
    listed = [m for m in channels if m.get("Event") == "CoreShowChannel"]
    assert channels[0]["Response"] == "Success" and channels[-1]["Event"] == "CoreShowChannelsComplete"
    assert channels[-1]["ListItems"] == str(len(listed))
    assert join["Channel"] in {m["Channel"] for m in listed}
    inbound = next(m for m in listed if m["Channel"] == join["Channel"])
    assert (inbound["Application"], inbound["ApplicationData"]) == ("Queue", "sales,r,,,40")

    status = await client.action("QueueStatus", Queue="sales")
    kinds = [m.get("Event") for m in status[1:]]
    assert kinds == ["QueueParams", "QueueMember", "QueueMember", "QueueMember", "QueueEntry", "QueueStatusComplete"]
    assert status[-2]["Channel"] == join["Channel"] and status[1]["Calls"] == "1"

    assert (await client.action("Hangup", Channel=join["Channel"]))[0]["Response"] == "Success"
    abandon = await client.event("QueueCallerAbandon")
    assert abandon["Channel"] == join["Channel"]
    await client.event("Hangup", Channel=join["Channel"])
    assert (await client.action("CoreShowChannels"))[-1]["ListItems"] == "0"


async def test_per_call_variable_overrides_the_global(pbx):
    client, simulator = pbx
    await client.action("Originate", **ORIGINATE, Variable="__AGENT_101_STATE=busy")
    assert (await client.event("VarSet", Variable="LOCAL(state)"))["Value"] == "busy"
    assert (await client.event("DialEnd", DialStatus="BUSY"))["DestChannel"].startswith("Local/101@sim-agent-")
    await client.event("QueueCallerJoin")


async def test_channel_setvar_getvar_and_command(pbx):
    client, simulator = pbx
    await client.action("Originate", **ORIGINATE)
    inbound = (await client.event("MixMonitorStart"))["Channel"]
    assert (await client.action("Setvar", Channel=inbound, Variable="NOTE", Value="vip"))[0]["Response"] == "Success"
    assert (await client.event("VarSet", Variable="NOTE"))["Channel"] == inbound
    assert (await client.action("Getvar", Channel=inbound, Variable="NOTE"))[0]["Value"] == "vip"
    version = await client.action("Command", Command="core show version")
    assert version[0]["Response"] == "Success" and "Asterisk 22.10.1" in version[0]["Output"]


@pytest.mark.parametrize(("action", "headers"), [
    ("Originate", {"Channel": "SIP/100", "Context": "sim-caller", "Exten": "s"}),
    ("Originate", {**ORIGINATE, "Context": "default"}),
    ("Originate", {**ORIGINATE, "Variable": "NOEQUALSIGN"}),
    ("Getvar", {"Channel": "Local/none@x-00000000;1", "Variable": "X"}),
    ("Setvar", {"Value": "x"}),
    ("Hangup", {"Channel": "Local/none@x-00000000;1"}),
    ("Command", {"Command": "core restart now"}),
    ("NoSuchAction", {}),
])
async def test_bad_actions_get_an_error(pbx, action, headers):
    client, simulator = pbx
    reply = await client.action(action, **headers)
    assert reply[0]["Response"] == "Error" and reply[0]["Message"]
    assert not simulator.calls


async def test_mixmonitor_action_records_the_inbound_channel(pbx, tmp_path):
    client, simulator = pbx
    await client.action("Originate", **ORIGINATE, Variable="__AGENT_101_STATE=away")
    inbound = (await client.event("QueueCallerJoin"))["Channel"]
    reply = await client.action("MixMonitor", Channel=inbound, File="extra.wav")
    assert (reply[0]["Response"], reply[0]["Message"]) == ("Success", "MixMonitor started")
    named = await client.event("VarSet", Variable="MIXMONITOR_FILENAME", Value=str(tmp_path / "extra.wav"))
    assert named["Channel"] == inbound
    refused = await client.action("MixMonitor", Channel="Local/none@x-00000000;2")
    assert refused[0]["Response"] == "Error"
