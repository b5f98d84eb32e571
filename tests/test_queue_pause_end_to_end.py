"""A manager paused in the queue is not rung, over real AMI and FastAGI: a supervisor's ``QueuePause``
(sent through the backend's AMI link) makes the simulated Asterisk report ``QueueMemberPause``, the
backend marks the manager paused, and their own client's call skips them; unpaused, it rings them
again (SQLite and the real PostgreSQL)."""

from __future__ import annotations

import asyncio

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from callcenter.runner import backend
from pbx.simulator.ami_server import AmiServer
from pbx.simulator.scenario import CallSpec
from pbx.simulator.simulator import Simulator
from routing.presence import Presence
from storage.models import Call, Client, ClientPhone, Manager
from tests.support.data import CORPUS
from tests.support.polling import until

SPEED = 20.0
CLIENT = "79161234567"


async def paused(services) -> frozenset[str]:
    return (await Presence(services.redis).read_view(services.clock.now())).paused


async def rung(sessions, linkedid: str) -> list[str]:
    async with sessions() as session:
        card = await session.scalar(select(Call).where(Call.linkedid == linkedid).options(selectinload(Call.legs)))
    return [] if card is None else [leg.extension for leg in card.legs]


async def test_a_paused_manager_is_skipped_until_unpaused(settings, sessions):
    async with sessions() as session, session.begin():
        managers = [Manager(name=f"M{ext}", extension=ext) for ext in ("101", "102", "103")]
        session.add_all(managers)
        await session.flush()
        session.add(Client(name="ACME", responsible_manager_id=managers[0].id, phones=[ClientPhone(phone="+" + CLIENT)]))
    ami = AmiServer(username=settings.ami_username, secret="s3cret")
    settings = settings.model_copy(update={"ami_secret": "s3cret", "ami_port": await ami.start()})
    simulator: Simulator | None = None

    async def start_simulator(services) -> None:
        nonlocal simulator
        simulator = Simulator(ami, "127.0.0.1", services.agi_port, settings.data_dir / "spool", CORPUS, SPEED)

    async def call() -> list[str]:
        linkedid = await simulator.place_call(CallSpec(did="74951234567", caller_number=CLIENT))
        await asyncio.wait_for(simulator.wait_call(linkedid), 15)
        await until(lambda: _stored(sessions, linkedid))
        return await rung(sessions, linkedid)

    try:
        async with backend(settings, before_ami=start_simulator) as services:
            await asyncio.wait_for(services.connector.connected.wait(), 5)
            pause = {"Action": "QueuePause", "Interface": "Local/101@sim-agent", "Paused": "true", "Reason": "обед"}
            assert (await services.connector.send_action(pause))["Response"] == "Success"
            await until(lambda: _has(paused(services), "101"))
            while_paused = await call()
            unpause = {**pause, "Paused": "false"}
            assert (await services.connector.send_action(unpause))["Response"] == "Success"
            await until(lambda: _lacks(paused(services), "101"))
            after = await call()
            bad = await services.connector.send_action({**pause, "Interface": "Local/199@sim-agent"})
    finally:
        if simulator is not None:
            await simulator.close()
        await ami.stop()
    assert while_paused and "101" not in while_paused  # the owner skipped: the queue rang the others
    assert after[0] == "101"  # the owner first again
    assert (bad["Response"], bad["Message"]) == ("Error", "Interface not found")


async def _stored(sessions, linkedid: str) -> bool:
    async with sessions() as session:
        return await session.scalar(select(Call.id).where(Call.linkedid == linkedid)) is not None


async def _has(members, extension: str) -> bool:
    return extension in await members


async def _lacks(members, extension: str) -> bool:
    return extension not in await members
