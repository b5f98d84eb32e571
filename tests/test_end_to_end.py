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
from callcenter.demo import run_demo
from callcenter.runner import backend
from pbx.simulator.ami_server import AmiServer
from pbx.simulator.scenario import CallSpec, load_scenario
from pbx.simulator.simulator import Simulator
from storage.models import Call, CallbackTask, Lead
from tests.support.ami import no_channels
from tests.support.shared import CORPUS

SPEED = 20.0


async def cards(sessions) -> dict[str, Call]:
    """Stored call cards by caller (raw, as the PBX sent it)."""
    async with sessions() as session:
        rows = await session.scalars(select(Call).options(selectinload(Call.legs), selectinload(Call.recording)))
        return {card.caller_raw: card for card in rows}


async def test_demo_calls_become_call_cards(settings, sessions):
    await asyncio.wait_for(run_demo(settings, load_scenario("demo"), speed=SPEED, once=True), timeout=60)
    stored = await cards(sessions)
    assert len(stored) == 5  # demo.yaml places five calls

    known = stored["79161234567"]
    assert (known.disposition, known.answered_by_extension, known.caller_number) == ("answered", "101", "+79161234567")
    assert known.talk_seconds > 0 and known.wait_seconds > 0
    assert known.recording.path.endswith(".wav") and (settings.data_dir / "pbx-spool").is_dir()

    maria = stored["79035550011"]  # 101 away for her call: Dial NOANSWER, then the queue, where 102 answers
    assert maria.caller_name == "Мария"
    assert maria.legs[0].extension == "101" and maria.legs[0].result == "noanswer"
    assert {"101", "102", "103"} == {leg.extension for leg in maria.legs[1:]}  # the queue rings all
    assert (maria.disposition, maria.answered_by_extension, maria.queue) == ("answered", "102", "sales")
    assert maria.wait_seconds >= 20  # the 20 s Dial to the away manager came first

    impatient = stored["79267770000"]  # everybody away, hangs up after 12 s
    assert (impatient.disposition, impatient.answered_by_extension) == ("abandoned", None)
    assert impatient.wait_seconds == pytest.approx(12, abs=1.5)

    anonymous = next(card for raw, card in stored.items() if card.caller_number is None)
    assert anonymous.disposition == "answered"

    elena = stored["89161112233"]
    assert (elena.caller_number, elena.caller_name) == ("+79161112233", "Елена Смирнова")

    async with sessions() as session:
        leads = {lead.phone: lead for lead in await session.scalars(select(Lead))}
        tasks = list(await session.scalars(select(CallbackTask)))
    # every caller with a number is new to an empty database: one lead each; the anonymous one has none
    assert set(leads) == {"+79161234567", "+79035550011", "+79267770000", "+79161112233"}
    assert {lead.source for lead in leads.values()} == {"74951234567"}  # the DID they called
    # the abandoned call is the only one to call back, owned by the manager it last rang (none exist in the db)
    assert [(task.phone, task.status, task.missed_count) for task in tasks] == [("+79267770000", "open", 1)]


async def test_calls_that_end_during_an_ami_outage_are_closed_on_reconnect(settings, sessions):
    """Kill the AMI connection mid-call; both calls end while it is down; the
    resync after the reconnect closes them with what was known."""
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

            await ami.drop_connections()  # the backend now waits 4 s before reconnecting
            await asyncio.wait_for(asyncio.gather(simulator.wait_call(talking), simulator.wait_call(waiting)), 4)
            assert (await cards(sessions)) == {}  # nothing could be seen ending

            async with asyncio.timeout(10):
                while len(stored := await cards(sessions)) < 2:
                    await asyncio.sleep(0.1)
    finally:
        if simulator is not None:
            await simulator.close()
        await ami.stop()

    assert (stored["79160000001"].disposition, stored["79160000001"].answered_by_extension) == ("answered", "101")
    assert (stored["79160000002"].disposition, stored["79160000002"].answered_by_extension) == ("missed", None)
    assert stored["79160000002"].ended_at is not None


async def test_health_reports_the_ami_link(settings):
    ami = AmiServer(username=settings.ami_username, secret="s3cret")
    ami.register_action("CoreShowChannels", no_channels)
    settings = settings.model_copy(update={"ami_secret": "s3cret", "ami_port": await ami.start()})
    try:
        async with backend(settings) as services, aiohttp.ClientSession() as http:
            url = f"http://{settings.http_host}:{settings.http_port}/health"
            await asyncio.wait_for(services.connector.connected.wait(), 5)
            async with http.get(url) as response:
                assert (response.status, await response.json()) == (200, {"status": "ok", "ami_connected": True})
            await ami.stop()
            async with asyncio.timeout(5):
                while services.ami_connected:
                    await asyncio.sleep(0.05)
            async with http.get(url) as response:
                assert (await response.json())["ami_connected"] is False
    finally:
        await ami.stop()
