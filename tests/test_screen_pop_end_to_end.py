"""The screen pop end to end: the simulated Asterisk rings manager 101 for a
client of theirs, and 101's browser, logged in with the session cookie, gets
the client's card over ``/api/live`` while the phone still rings."""

from __future__ import annotations

import asyncio
import json
from uuid import uuid4

import aiohttp

from accounts.access import Role
from accounts.service import AccountService
from callcenter.bus import CALL_ANSWERED
from callcenter.clock import SystemClock
from callcenter.runner import backend
from pbx.simulator.ami_server import AmiServer
from pbx.simulator.scenario import AgentSpec, CallSpec
from pbx.simulator.simulator import Simulator
from storage.models import Client, ClientPhone, Manager
from tests.api.conftest import PASSWORD
from tests.support.data import CORPUS

SPEED = 5.0
RING_SECONDS = 10.0  # simulated: 2 s of real time before 101 picks up


async def seed(sessions, settings) -> tuple[int, int]:
    """Manager 101 with a login, and their client; their ids."""
    async with sessions() as session, session.begin():
        ivan = Manager(name="Иван Петров", extension="101")
        session.add(ivan)
        await session.flush()
        client = Client(name="ООО Ромашка", responsible_manager_id=ivan.id, phones=[ClientPhone(phone="+79161234567")])
        session.add(client)
        await session.flush()
        ids = ivan.id, client.id
    accounts = AccountService(sessions, SystemClock(), settings.session_hours)
    await accounts.create_user("ivan", PASSWORD, Role.MANAGER, ids[0])
    return ids


async def test_the_client_card_pops_up_before_the_manager_answers(settings, sessions):
    ivan, client = await seed(sessions, settings)
    settings = settings.model_copy(update={"ami_secret": "s3cret", "live_channel_prefix": f"live-test-{uuid4().hex}"})
    ami = AmiServer(username=settings.ami_username, secret=settings.ami_secret)
    settings = settings.model_copy(update={"ami_port": await ami.start()})
    agents = [AgentSpec("101", ring_seconds=RING_SECONDS), *(AgentSpec(other, state="away") for other in ("102", "103"))]
    simulator: Simulator | None = None

    async def start_simulator(services) -> None:
        nonlocal simulator
        simulator = Simulator(ami, "127.0.0.1", services.agi_port, settings.data_dir / "spool", CORPUS, SPEED, agents)

    base = f"http://{settings.http_host}:{settings.http_port}/api"
    try:
        async with (
            backend(settings, before_ami=start_simulator) as services,
            aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser,
        ):
            answered = asyncio.Event()

            async def note_answer(_event) -> None:
                answered.set()

            services.bus.subscribe(CALL_ANSWERED, note_answer)
            await asyncio.wait_for(services.connector.connected.wait(), 5)
            async with browser.post(f"{base}/auth/login", json={"username": "ivan", "password": PASSWORD}) as login:
                assert login.status == 200
            async with browser.get(f"{base}/live") as stream:  # the cookie only, as EventSource sends it
                assert stream.status == 200
                linkedid = await simulator.place_call(CallSpec(
                    did="74951234567", caller_number="79161234567", caller_name="Мария", agent_talk_seconds=5))
                async with asyncio.timeout(RING_SECONDS / SPEED):
                    block = await stream.content.readuntil(b"\n\n")
                popped_while_ringing = not answered.is_set()
                await asyncio.wait_for(answered.wait(), RING_SECONDS / SPEED * 2)
            await asyncio.wait_for(simulator.wait_call(linkedid), 10)
    finally:
        if simulator is not None:
            await simulator.close()
        await ami.stop()

    event, data = block.decode().strip().split("\n")
    card = json.loads(data.removeprefix("data: "))
    assert event == "event: call.ringing" and popped_while_ringing  # the pop beat the answer
    assert (card["linkedid"], card["phone"], card["caller_name"]) == (linkedid, "+79161234567", "Мария")
    assert (card["extension"], card["manager"]["id"], card["owner"]["id"]) == ("101", ivan, ivan)
    assert card["client"] == {"id": client, "name": "ООО Ромашка"}
