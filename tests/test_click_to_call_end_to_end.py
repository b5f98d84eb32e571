"""Click-to-call end to end over real sockets: a missed call makes a callback task, the manager calls
the client back (``ClickToCall`` → AMI Originate → the simulated Asterisk rings 101, then dials the
client), and the answered outbound call closes the task (SQLite and the real PostgreSQL)."""

from __future__ import annotations

import asyncio

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from callcenter.runner import backend
from pbx.simulator.ami_server import AmiServer
from pbx.simulator.scenario import CallSpec
from pbx.simulator.simulator import Simulator
from storage.models import Call, CallbackTask, Manager
from tests.support.data import CORPUS
from tests.support.polling import until

# Simulated seconds per real second. The manager hangs up about 10 simulated seconds after answering and the
# client answers 2 seconds into ringing: at 5x that leaves 1.6 real seconds for a loaded CI machine (at 20x
# a 0.4 s stall let the manager hang up first, the client was never reached, and the task stayed open).
SPEED = 5.0
CLIENT = "79267770000"


async def test_a_callback_the_client_answers_closes_the_task(settings, sessions):
    async with sessions() as session, session.begin():
        manager = Manager(name="Сергей Орлов", extension="101")
        session.add(manager)
    settings = settings.model_copy(update={"ami_secret": "s3cret", "callback_agent_channel": "Local/{extension}@sim-agent"})
    ami = AmiServer(username=settings.ami_username, secret=settings.ami_secret)
    settings = settings.model_copy(update={"ami_port": await ami.start()})
    simulator: Simulator | None = None

    async def start_simulator(services) -> None:
        nonlocal simulator
        simulator = Simulator(ami, "127.0.0.1", services.agi_port, settings.data_dir / "spool", CORPUS, SPEED)

    try:
        async with backend(settings, before_ami=start_simulator) as services:
            await asyncio.wait_for(services.connector.connected.wait(), 5)
            missed = await simulator.place_call(CallSpec(
                did="74951234567", caller_number=CLIENT, patience=5,
                agent_states={"101": "away", "102": "away", "103": "away"}))
            await asyncio.wait_for(simulator.wait_call(missed), 5)

            async def open_task() -> CallbackTask | None:
                return await services.callback_tasks.open_task("+" + CLIENT)

            task = await until(open_task)
            callback = await services.click_to_call.call_back(task.id, manager.id)
            assert (callback.extension, callback.number) == ("101", CLIENT)

            async def closed_task() -> CallbackTask | None:
                found = await services.callback_tasks.get(task.id)
                return found if found.status == "done" else None

            closed = await until(closed_task, timeout=15)
    finally:
        if simulator is not None:
            await simulator.close()
        await ami.stop()

    async with sessions() as session:
        card = await session.scalar(select(Call).where(Call.linkedid == closed.closed_by_linkedid)
                                    .options(selectinload(Call.legs), selectinload(Call.recording)))
    assert card is not None and card.linkedid != missed
    assert (card.direction, card.disposition, card.caller_raw, card.callee_raw, card.callee_number) == (
        "outbound", "answered", "101", CLIENT, "+" + CLIENT)
    assert (card.answered_by_extension, card.answered_by_id) == ("101", manager.id)
    assert [(leg.extension, leg.manager_id, leg.result) for leg in card.legs] == [("101", manager.id, "answered")]
    assert card.talk_seconds > 0 and card.recording.path.endswith(".wav")
