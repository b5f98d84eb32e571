"""A backend down for a whole call's end: after the restart the call still gets its card (marked
recovered, from the simulated Asterisk's CDR store), its lead and its callback task, and presence no
longer holds the manager the dead backend left "on a call"."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

from sqlalchemy import select

from callcenter.demo import against_simulator, pbx_cdr_csv, pbx_spool
from callcenter.runner import backend
from pbx.simulator.ami_server import AmiServer
from pbx.simulator.scenario import CallSpec
from pbx.simulator.simulator import Simulator
from routing.presence import Presence
from storage.models import Call, CallbackTask, Lead
from tests.support.data import CORPUS
from tests.support.polling import until

SPEED = 10.0
CALLER = "79160000077"


async def test_a_call_that_ends_while_the_backend_is_down_is_recovered_after_the_restart(settings, sessions):
    ami = AmiServer(username=settings.ami_username, secret="s3cret")
    settings = against_simulator(settings).model_copy(update={"ami_secret": "s3cret", "ami_port": await ami.start()})
    simulator: Simulator | None = None

    async def start_simulator(services) -> None:
        nonlocal simulator
        if simulator is None:
            simulator = Simulator(ami, "127.0.0.1", services.agi_port, pbx_spool(settings), CORPUS, SPEED,
                                  cdr_csv=pbx_cdr_csv(settings))

    try:
        async with backend(settings, before_ami=start_simulator) as services:
            await asyncio.wait_for(services.connector.connected.wait(), 5)
            await services.presence.start_call("101", "1700000000.1", datetime.now(timezone.utc))  # never ends
            assert simulator is not None
            linkedid = await simulator.place_call(CallSpec(
                did="74951234567", caller_number=CALLER, patience=60,
                agent_states={"101": "away", "102": "away", "103": "away"}))
            await until(lambda: asyncio.sleep(0, services.pipeline.tracker.live_calls()), timeout=15)
        # the backend is gone; the caller waits, nobody answers, they hang up
        await asyncio.wait_for(simulator.wait_call(linkedid), 30)
        assert await _rows(sessions, Call) == []

        async with backend(settings, before_ami=start_simulator) as services:
            [card] = await until(lambda: _rows(sessions, Call), timeout=15)
            assert (card.linkedid, card.recovered, card.caller_number) == (linkedid, True, f"+{CALLER}")
            assert card.disposition == "missed" and card.ended_at > card.started_at
            [task] = await until(lambda: _rows(sessions, CallbackTask), timeout=15)
            [lead] = await _rows(sessions, Lead)
            assert (lead.phone, lead.first_linkedid) == (f"+{CALLER}", linkedid)
            assert (task.phone, task.status, task.first_linkedid) == (f"+{CALLER}", "open", linkedid)
            view = await Presence(services.redis).read_view(datetime.now(timezone.utc))
            assert view.on_call == set()  # rebuilt from Asterisk's channels at the connect
    finally:
        if simulator is not None:
            await simulator.close()
        await ami.stop()


async def _rows(sessions, model) -> list:
    async with sessions() as session:
        return list(await session.scalars(select(model)))
