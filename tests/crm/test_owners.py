"""The owner rule every part shares (``crm.owners``), on both databases: a
client's manager before an open lead's owner, active managers only."""

from sqlalchemy import select

from crm.owners import Owner, owner_of, owners_of
from storage.models import Lead, Manager
from tests.crm.test_tasks import CLIENT, STRANGER

LEAD_AND_CLIENT = CLIENT
CLOSED_LEAD = "+79035550000"


async def leads(sessions, people) -> None:
    async with sessions() as session, session.begin():
        session.add_all([
            Lead(phone=STRANGER, owner_id=people["105"], status="open", first_linkedid="l.1"),
            Lead(phone=LEAD_AND_CLIENT, owner_id=people["103"], status="open", first_linkedid="l.2"),
            Lead(phone=CLOSED_LEAD, owner_id=people["103"], status="converted", first_linkedid="l.3"),
        ])


async def test_a_clients_manager_wins_over_a_leads_owner(sessions, people):
    await leads(sessions, people)
    async with sessions() as session:
        owners = await owners_of(session, [LEAD_AND_CLIENT, STRANGER, CLOSED_LEAD, "+79160000000", "+79990001122"])
        assert owners == {LEAD_AND_CLIENT: Owner(people["101"], "101"), STRANGER: Owner(people["105"], "105")}
        assert await owner_of(session, STRANGER) == Owner(people["105"], "105")
        assert await owner_of(session, None) is None
        assert await owners_of(session, []) == {}


async def test_a_switched_off_manager_owns_nothing(sessions, people):
    await leads(sessions, people)
    async with sessions() as session, session.begin():
        for manager in await session.scalars(select(Manager).where(Manager.extension.in_(["101", "105"]))):
            manager.active = False
    async with sessions() as session:
        assert await owners_of(session, [LEAD_AND_CLIENT, STRANGER]) == {LEAD_AND_CLIENT: Owner(people["103"], "103")}
