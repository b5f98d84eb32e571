"""The whole path over real sockets: the simulated Asterisk places calls, the
backend follows them over AMI and answers FastAGI, and call cards land in the
database (SQLite and the real PostgreSQL)."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from callcenter.bus import CALL_ANSWERED, CALL_RINGING
from aiohttp.test_utils import TestClient, TestServer

from callcenter.app import Services
from callcenter.demo import demo_logins, run_demo, against_simulator
from callcenter.runner import backend
from pbx.simulator.ami_server import AmiServer
from pbx.simulator.call import OriginateRequest
from pbx.simulator.channel import Party
from pbx.simulator.playback import PROMPT_SECONDS
from pbx.simulator.scenario import CallSpec, load_scenario
from pbx.simulator.simulator import Simulator
from routing.rules import CATCH_ALL_DID
from server import create_app
from storage.models import Call, CallbackTask, Lead, Manager, Notification, RoutingRule
from tests.support.ami import no_channels
from tests.support.data import CORPUS

SPEED = 20.0


@pytest.fixture
async def everyone_rings_101_first(sessions) -> None:
    """A catch-all routing rule: every call rings extension 101 (no manager in the database) first."""
    async with sessions() as session, session.begin():
        session.add(RoutingRule(did=CATCH_ALL_DID, chain={"steps": [{"kind": "extension", "extension": "101"}]}))


async def cards(sessions) -> dict[str, Call]:
    """Stored call cards by caller (raw, as the PBX sent it; the last call of a repeat caller)."""
    async with sessions() as session:
        rows = await session.scalars(select(Call).options(selectinload(Call.legs), selectinload(Call.recording)))
        return {card.caller_raw: card for card in rows}


async def test_the_demo_department_routes_its_callers(settings, sessions):
    """The demo (pbx/simulator/scenarios/demo.yaml on callcenter/demo_department.yaml) end to end:
    routing to owners and along fallbacks, leads, a callback task closed by the client's next call,
    an owner told that a colleague took their client."""
    scenario = load_scenario("demo")
    await asyncio.wait_for(run_demo(settings, scenario, speed=SPEED, once=True), timeout=90)
    stored = await cards(sessions)
    assert sorted(stored) == sorted({call.caller_number for call in scenario.calls})  # one caller calls twice
    # on leave, out of hours: routing never rings them (the queue, Asterisk's, rings every member it has)
    routed = {leg.extension for card in stored.values() for leg in card.legs if leg.queue is None}
    assert not routed & {"103", "105"}, {caller: [(leg.extension, leg.queue) for leg in card.legs]
                                         for caller, card in stored.items()}

    romashka = stored["79161234567"]  # a client of 101: their own manager first, and they answer
    assert [leg.extension for leg in romashka.legs] == ["101"]
    assert (romashka.disposition, romashka.answered_by_extension, romashka.source) == ("answered", "101", "сайт")
    assert romashka.recording.path.endswith(".wav") and (settings.data_dir / "pbx-spool").is_dir()

    kravtsov = stored["79035550011"]  # 104's client; 104 does not pick up: then her group rings all
    assert (kravtsov.legs[0].extension, kravtsov.legs[0].result) == ("104", "noanswer")
    assert [(leg.extension, leg.result) for leg in kravtsov.legs[1:]] == [("106", "answered")]
    assert (kravtsov.answered_by_extension, kravtsov.source, kravtsov.wait_seconds >= 15) == ("106", "Avito", True)

    elena = stored["89161112233"]  # her manager 103 is on leave: the sales group takes her
    assert elena.answered_by_extension in {"101", "102"}

    newcomer = stored["79990001122"]
    assert newcomer.disposition == "answered" and newcomer.answered_by_extension in {"104", "106"}
    anonymous = stored["anonymous"]
    assert anonymous.disposition == "answered" and anonymous.caller_number is None

    async with sessions() as session:
        managers = dict((await session.execute(select(Manager.id, Manager.extension))).all())
        leads = {lead.phone: lead for lead in await session.scalars(select(Lead))}
        [task] = await session.scalars(select(CallbackTask))
        told = {(managers[n.manager_id], n.payload["answered_by"]) for n in await session.scalars(select(Notification))}
        impatient = list(await session.scalars(select(Call).where(Call.caller_raw == "79267770000").order_by(Call.started_at)))
    assert set(leads) == {"+79267770000", "+79990001122"}  # the new callers with a number
    assert managers[leads["+79990001122"].owner_id] == newcomer.answered_by_extension
    assert (leads["+79990001122"].source, leads["+79267770000"].source) == ("Avito", "сайт")  # how they heard of us
    assert [card.disposition for card in impatient] == ["abandoned", "answered"]
    assert (task.phone, task.status, task.closed_by_linkedid) == ("+79267770000", "done", impatient[1].linkedid)
    assert told == {("104", "106"), ("103", elena.answered_by_extension)}

    # the API over the demo's data: Sergey (101) sees his calls and their recordings, not 106's
    passwords = dict(line.split(": ") for line in demo_logins(settings).read_text().splitlines())
    services = await Services.create(against_simulator(settings))
    async with TestClient(TestServer(create_app(services))) as http:
        login = await http.post("/api/auth/login", json={"username": "sergey", "password": passwords["sergey (manager)"]})
        headers = {"Authorization": f"Bearer {(await login.json())['token']}"}
        mine = (await (await http.get("/api/calls", headers=headers)).json())["items"]
        assert romashka.id in {call["id"] for call in mine}
        assert kravtsov.id not in {call["id"] for call in mine}
        assert (await http.get(f"/api/calls/{kravtsov.id}", headers=headers)).status == 404
        card = await (await http.get(f"/api/calls/{romashka.id}", headers=headers)).json()
        assert card["source"] == "сайт" and [leg["extension"] for leg in card["legs"]] == ["101"]
        audio = await http.get(f"/api/calls/{romashka.id}/recording", headers={**headers, "Range": "bytes=0-43"})
        assert (audio.status, (await audio.read())[:4]) == (206, b"RIFF")
    await services.stop()


async def test_calls_that_end_during_an_ami_outage_are_closed_on_reconnect(settings, sessions, everyone_rings_101_first):
    """Kill the AMI connection mid-call; both calls end while it is down; the
    resync after the reconnect closes them with what was known. A third call
    starts and is answered while it is down: the resync adopts it from the
    live channels and its events end it as one answered card."""
    settings = settings.model_copy(update={"ami_secret": "s3cret", "ami_reconnect_initial": 4.0, "ami_reconnect_max": 4.0})
    ami = AmiServer(username=settings.ami_username, secret=settings.ami_secret)
    settings = settings.model_copy(update={"ami_port": await ami.start()})
    simulator: Simulator | None = None

    async def start_simulator(services) -> None:
        nonlocal simulator
        simulator = Simulator(ami, "127.0.0.1", services.agi_port, settings.data_dir / "spool", CORPUS, SPEED)

    try:
        async with backend(settings, before_ami=start_simulator) as services:
            answered, ringing = asyncio.Event(), asyncio.Event()

            def when(caller: str, happened: asyncio.Event):
                async def note(event) -> None:
                    if event.payload.caller_raw == caller:
                        happened.set()
                return note

            services.bus.subscribe(CALL_ANSWERED, when("79160000001", answered))
            services.bus.subscribe(CALL_RINGING, when("79160000002", ringing))
            await asyncio.wait_for(services.connector.connected.wait(), 5)
            talking = await simulator.place_call(CallSpec(did="74951234567", caller_number="79160000001", agent_talk_seconds=40))
            waiting = await simulator.place_call(CallSpec(
                did="74951234567", caller_number="79160000002", patience=40,
                agent_states={"101": "away", "102": "away", "103": "away"}))
            await asyncio.wait_for(asyncio.gather(answered.wait(), ringing.wait()), 5)

            await ami.drop_connections()  # the backend now waits 2-4 s before reconnecting
            # the caller stays on the line until 101 hangs up, 120 s (6 s) after the greeting: past the reconnect
            unseen = simulator.originate(OriginateRequest(
                "74951234567", Party("79160000003"), [("CALLER_DELAY", "1000"), ("__AGENT_TALK_SECONDS", "120")]))
            await asyncio.wait_for(asyncio.gather(simulator.wait_call(talking), simulator.wait_call(waiting)), 4)
            assert unseen.talking is not None  # answered, unseen
            assert (await cards(sessions)) == {}  # nothing could be seen ending

            async with asyncio.timeout(15):
                while len(stored := await cards(sessions)) < 3:
                    await asyncio.sleep(0.1)
    finally:
        if simulator is not None:
            await simulator.close()
        await ami.stop()

    assert (stored["79160000001"].disposition, stored["79160000001"].answered_by_extension) == ("answered", "101")
    assert (stored["79160000002"].disposition, stored["79160000002"].answered_by_extension) == ("missed", None)
    assert stored["79160000002"].ended_at is not None
    unseen_card = stored["79160000003"]
    assert (unseen_card.disposition, unseen_card.answered_by_extension, unseen_card.did) == (
        "answered", "101", "74951234567")
    assert [(leg.extension, leg.result) for leg in unseen_card.legs] == [("101", "answered")]
    assert unseen_card.talk_seconds == pytest.approx(PROMPT_SECONDS + 120, abs=1.5)  # by the CDR


async def test_health_reports_the_ami_link(settings):
    ami = AmiServer(username=settings.ami_username, secret="s3cret")
    ami.register_action("CoreShowChannels", no_channels)
    settings = settings.model_copy(update={"ami_secret": "s3cret", "ami_port": await ami.start()})
    try:
        async with backend(settings) as services, aiohttp.ClientSession() as http:
            url = f"http://{settings.http_host}:{settings.http_port}/health"
            await asyncio.wait_for(services.connector.connected.wait(), 5)
            async with http.get(url) as response:
                assert (response.status, await response.json()) == (200, {"status": "ok", "ami_connected": True, "leader": True})
            await ami.stop()
            async with asyncio.timeout(5):
                while services.ami_connected:
                    await asyncio.sleep(0.05)
            async with http.get(url) as response:
                assert (await response.json())["ami_connected"] is False
    finally:
        await ami.stop()
