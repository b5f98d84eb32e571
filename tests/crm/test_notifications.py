"""The owner hears when a colleague answered their client or lead, once per call."""

from sqlalchemy import func, select

from callcenter.bus import CALL_ENDED, NOTIFICATION_CREATED, DomainEvent, EventBus
from callcenter.clock import FakeClock
from crm.call_cards import CallCardStore
from crm.leads import LeadService
from crm.notifications import COLLEAGUE_ANSWERED, OwnerNotifier, colleague_answered
from storage.models import Client, ClientPhone, Lead, Manager, Notification
from tests.crm.test_leads import CLIENT, STRANGER, T0, inbound, manager_id


def test_only_an_answer_by_someone_else_than_the_owner_counts():
    assert colleague_answered(inbound("a", answered_by="101"), owner_extension="103")
    assert not colleague_answered(inbound("b", answered_by="103"), owner_extension="103")
    assert not colleague_answered(inbound("c"), owner_extension="103")  # missed: the task tells them
    assert not colleague_answered(inbound("d", answered_by="101"), owner_extension=None)
    assert not colleague_answered(inbound("e", caller=None, answered_by="101"), owner_extension="103")


async def wire(sessions):
    async with sessions() as session, session.begin():
        anna = Manager(name="Анна", extension="103")
        session.add_all([Manager(name="Сергей", extension="101"), anna])
        await session.flush()
        session.add(Client(name="Елена", responsible_manager_id=anna.id, phones=[ClientPhone(phone=CLIENT)]))
    bus, told = EventBus(), []
    CallCardStore(sessions).subscribe(bus)
    LeadService(sessions).subscribe(bus)
    OwnerNotifier(sessions, bus, FakeClock(T0)).subscribe(bus)

    async def note(event: DomainEvent) -> None:
        told.append(event.payload)

    bus.subscribe(NOTIFICATION_CREATED, note)
    return bus, told


async def notifications(sessions) -> list[Notification]:
    async with sessions() as session:
        return list(await session.scalars(select(Notification)))


async def test_a_colleague_answering_a_client_tells_the_client_manager_once(sessions):
    bus, told = await wire(sessions)
    call = inbound("n.1", caller=CLIENT, answered_by="101")
    await bus.publish(DomainEvent(CALL_ENDED, call))
    await bus.publish(DomainEvent(CALL_ENDED, call))  # replayed after a reconnect
    [stored] = await notifications(sessions)
    assert (stored.manager_id, stored.kind) == (await manager_id(sessions, "103"), COLLEAGUE_ANSWERED)
    assert stored.call_id is not None and stored.payload["answered_by"] == "101"
    assert stored.created_at.replace(tzinfo=T0.tzinfo) == T0  # the service's clock, not the database's
    assert [(payload["manager_id"], payload["phone"]) for payload in told] == [(stored.manager_id, CLIENT)]


async def test_the_owner_answering_or_a_new_caller_tells_nobody(sessions):
    bus, told = await wire(sessions)
    await bus.publish(DomainEvent(CALL_ENDED, inbound("n.2", caller=CLIENT, answered_by="103")))
    await bus.publish(DomainEvent(CALL_ENDED, inbound("n.3", caller=STRANGER, answered_by="101")))  # lead owned by 101
    assert await notifications(sessions) == [] and told == []


async def test_a_colleague_answering_a_lead_tells_the_lead_owner(sessions):
    bus, told = await wire(sessions)
    await bus.publish(DomainEvent(CALL_ENDED, inbound("n.4", caller=STRANGER, answered_by="101")))
    await bus.publish(DomainEvent(CALL_ENDED, inbound("n.5", caller=STRANGER, answered_by="103")))
    [stored] = await notifications(sessions)
    assert stored.manager_id == await manager_id(sessions, "101")
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Lead)) == 1
