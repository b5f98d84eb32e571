"""The caller's card on both databases: client or lead, owner, open tasks, the last calls."""

from __future__ import annotations

from datetime import timedelta

import pytest

from callcenter.bus import EventBus
from callcenter.clock import FakeClock
from live.card import RECENT_CALLS, CardBuilder
from pbx.tracker.model import Direction, LegResult
from storage.models import Manager
from tests.api.conftest import NOW, add_call, add_client, add_lead, add_task
from tests.live.conftest import ringing

CLIENT = "+79161112233"
STRANGER = "+79035556677"


@pytest.fixture
async def staff(sessions) -> dict[str, int]:
    async with sessions() as session, session.begin():
        managers = [Manager(name="Иван Петров", extension="101"), Manager(name="Ольга Смирнова", extension="102")]
        session.add_all(managers)
        await session.flush()
        return {manager.extension: manager.id for manager in managers}


@pytest.fixture
def cards(sessions) -> CardBuilder:
    return CardBuilder(sessions, EventBus(), FakeClock(NOW))


async def test_a_client_card_shows_the_owner_open_tasks_and_the_last_calls(sessions, staff, cards):
    ivan, olga = staff["101"], staff["102"]
    client = await add_client(sessions, "ООО Ромашка", ivan, CLIENT)
    calls = [
        await add_call(sessions, f"c{i}", started_at=NOW - timedelta(days=7 - i), caller=CLIENT, client_id=client,
                       answered_by=olga if i == 6 else ivan)
        for i in range(7)
    ]
    await add_call(sessions, "other", caller=STRANGER, answered_by=ivan)
    late = await add_task(sessions, CLIENT, ivan, NOW - timedelta(minutes=1), "t1")

    card = await cards.card(ringing("now", CLIENT, "102"))  # Olga is rung for Ivan's client

    assert (card.phone, card.extension, card.manager.id, card.manager.name) == (CLIENT, "102", olga, "Ольга Смирнова")
    assert (card.client.id, card.client.name, card.lead) == (client, "ООО Ромашка", None)
    assert (card.owner.id, card.owner.name) == (ivan, "Иван Петров")
    assert [(task.id, task.overdue) for task in card.open_tasks] == [(late, True)]
    assert [call.id for call in card.recent_calls] == calls[::-1][:RECENT_CALLS]  # newest first
    assert [call.answered_by.id for call in card.recent_calls[:2]] == [olga, ivan]
    assert card.recent_calls[0].direction is Direction.INBOUND and card.recent_calls[0].disposition == "answered"


async def test_a_new_caller_card_shows_their_open_lead_and_its_owner(sessions, staff, cards):
    lead = await add_lead(sessions, STRANGER, staff["102"], "l1")
    card = await cards.card(ringing("now", STRANGER, "101"))
    assert (card.client, card.lead.id, card.lead.status, card.owner.id) == (None, lead, "open", staff["102"])
    assert (card.manager.id, card.open_tasks, card.recent_calls) == (staff["101"], [], [])


async def test_unknown_and_withheld_callers_get_an_empty_card(sessions, staff, cards):
    for caller in (STRANGER, None):
        card = await cards.card(ringing("now", caller, "101"))
        assert (card.phone, card.client, card.lead, card.owner, card.open_tasks, card.recent_calls) == (
            caller, None, None, None, [], [])


async def test_the_card_is_for_the_newest_leg_while_it_rings(sessions, staff, cards):
    assert (await cards.card(ringing("now", CLIENT, "101", "fallback"))).manager is None  # not a manager's phone
    answered = ringing("now", CLIENT, "101")
    answered.legs[-1].result = LegResult.ANSWERED
    assert await cards.card(answered) is None
    assert await cards.card(ringing("now", CLIENT)) is None
