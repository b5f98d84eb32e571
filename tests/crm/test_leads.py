"""Leads: one open lead per unknown caller, on both databases, under concurrency."""

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from callcenter.bus import CALL_ENDED, DomainEvent, EventBus
from crm.call_cards import CallCardStore
from crm.leads import LeadService, answering_extension, lead_phone, utc
from pbx.tracker.model import CallLeg, CallRecord, Direction, Disposition, LegResult
from storage.models import Call, Client, ClientPhone, Lead, Manager, RoutingRule

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
STRANGER = "+79035556677"
CLIENT = "+79161112233"


def inbound(linkedid: str, caller: str | None = STRANGER, answered_by: str | None = None, did: str = "74951234567") -> CallRecord:
    legs = [CallLeg("103", "Local/103@sim-agent;1", T0, None, T0 + timedelta(seconds=20), LegResult.NOANSWER)]
    record = CallRecord(
        linkedid=linkedid,
        direction=Direction.INBOUND,
        started_at=T0,
        caller_raw=caller or "anonymous",
        caller_number=caller,
        did=did,
        ended_at=T0 + timedelta(seconds=60),
        legs=legs,
        disposition=Disposition.MISSED,
    )
    if answered_by:
        legs.append(CallLeg(answered_by, "Local/x;1", T0, T0 + timedelta(seconds=21), T0 + timedelta(seconds=60), LegResult.ANSWERED))
        record.answered_at = T0 + timedelta(seconds=21)
        record.answered_by = answered_by
        record.disposition = Disposition.ANSWERED
    return record


async def count_leads(sessions) -> int:
    async with sessions() as session:
        return await session.scalar(select(func.count()).select_from(Lead))


async def manager_id(sessions, extension: str) -> int:
    async with sessions() as session:
        return await session.scalar(select(Manager.id).where(Manager.extension == extension))


@pytest.fixture
async def leads(sessions):
    async with sessions() as session, session.begin():
        session.add_all([Manager(name="Сергей", extension="101"), Manager(name="Анна", extension="103")])
        session.add(Client(name="Елена", phones=[ClientPhone(phone=CLIENT)]))
    return LeadService(sessions)


# --- rules ---------------------------------------------------------------------


def test_only_an_inbound_caller_with_a_number_can_be_a_lead():
    assert lead_phone(inbound("a")) == STRANGER
    assert lead_phone(inbound("a", caller=None)) is None
    outbound = inbound("a")
    outbound.direction = Direction.OUTBOUND
    assert lead_phone(outbound) is None


def test_the_answering_extension_is_only_for_answered_calls():
    assert answering_extension(inbound("a", answered_by="101")) == "101"
    assert answering_extension(inbound("a")) is None


def test_utc_normalises():
    moscow = timezone(timedelta(hours=3))
    assert utc(datetime(2026, 1, 1, 13, tzinfo=moscow)) == datetime(2026, 1, 1, 10, tzinfo=timezone.utc)
    assert utc(datetime(2026, 1, 1, 10)) == datetime(2026, 1, 1, 10, tzinfo=timezone.utc)
    assert utc(None) is None


# --- the service -----------------------------------------------------------------


async def test_an_unknown_caller_becomes_a_lead(leads, sessions):
    lead = await leads.record_call(inbound("c.1"))
    assert (lead.phone, lead.source, lead.status, lead.owner_id, lead.first_linkedid) == (
        STRANGER, "74951234567", "open", None, "c.1")
    assert lead.created_at is not None
    assert await count_leads(sessions) == 1


async def test_the_lead_is_sourced_from_the_rule_of_the_number_called(leads, sessions):
    async with sessions() as session, session.begin():
        session.add(RoutingRule(did="74957654321", source="Avito", chain={}))
    lead = await leads.record_call(inbound("c.2", did="74957654321"))
    assert lead.source == "Avito"  # how they heard of us; without a rule, the number itself (above)


async def test_the_lead_links_the_call_card(leads, sessions):
    await CallCardStore(sessions).save(inbound("c.1"))
    lead = await leads.record_call(inbound("c.1"))
    async with sessions() as session:
        assert lead.first_call_id == await session.scalar(select(Call.id).where(Call.linkedid == "c.1"))


async def test_a_client_and_an_anonymous_caller_make_no_lead(leads, sessions):
    assert await leads.record_call(inbound("c.1", caller=CLIENT)) is None
    assert await leads.record_call(inbound("c.2", caller=None)) is None
    assert await count_leads(sessions) == 0


async def test_repeated_and_replayed_calls_keep_one_lead(leads, sessions):
    first = await leads.record_call(inbound("c.1"))
    again = await leads.record_call(inbound("c.2", did="74959999999"))
    replay = await leads.record_call(inbound("c.1"))
    assert first.id == again.id == replay.id
    assert again.source == "74951234567"  # the first call's DID stays
    assert await count_leads(sessions) == 1


async def test_the_answering_manager_owns_the_lead(leads, sessions):
    lead = await leads.record_call(inbound("c.1", answered_by="101"))
    assert lead.owner_id == await manager_id(sessions, "101")


async def test_a_later_answer_gives_an_ownerless_lead_its_owner_once(leads, sessions):
    assert (await leads.record_call(inbound("c.1"))).owner_id is None
    lead = await leads.record_call(inbound("c.2", answered_by="103"))
    assert lead.owner_id == await manager_id(sessions, "103")
    lead = await leads.record_call(inbound("c.3", answered_by="101"))
    assert lead.owner_id == await manager_id(sessions, "103")  # an owner is kept


async def test_an_unknown_answering_extension_leaves_no_owner(leads):
    lead = await leads.record_call(inbound("c.1", answered_by="fallback"))
    assert lead.owner_id is None


async def test_a_closed_lead_allows_a_new_one_but_a_replay_does_not(leads, sessions):
    first = await leads.record_call(inbound("c.1"))
    await leads.set_status(first.id, "closed")
    assert await leads.record_call(inbound("c.1")) is None  # the replayed first call
    second = await leads.record_call(inbound("c.2"))
    assert second.id != first.id and second.status == "open"
    assert await count_leads(sessions) == 2
    assert (await leads.get(first.id)).status == "closed"


async def test_set_status_checks(leads):
    lead = await leads.record_call(inbound("c.1"))
    with pytest.raises(ValueError):
        await leads.set_status(lead.id, "won")
    assert (await leads.set_status(lead.id, "converted")).status == "converted"
    assert await leads.set_status(10_000, "closed") is None


async def test_the_database_refuses_a_second_open_lead(leads, sessions):
    await leads.record_call(inbound("c.1"))
    with pytest.raises(IntegrityError):
        async with sessions() as session, session.begin():
            session.add(Lead(phone=STRANGER, first_linkedid="manual.1", status="open"))


async def test_simultaneous_calls_from_several_sessions_make_one_lead(leads, sessions, engine):
    # each LeadService call opens its own session; several services share nothing but the database
    services = [LeadService(sessions) for _ in range(4)]
    calls = [services[n % 4].record_call(inbound(f"race.{n}", answered_by="101" if n == 7 else None)) for n in range(20)]
    results = await asyncio.gather(*calls)
    assert len({lead.id for lead in results}) == 1
    assert await count_leads(sessions) == 1
    assert (await leads.open_lead(STRANGER)).owner_id == await manager_id(sessions, "101")


async def test_the_same_call_replayed_concurrently_makes_one_lead(leads, sessions):
    results = await asyncio.gather(*(LeadService(sessions).record_call(inbound("same.1")) for _ in range(10)))
    assert len({lead.id for lead in results}) == 1
    assert await count_leads(sessions) == 1


async def test_subscribed_to_call_ended_after_the_card(leads, sessions):
    bus = EventBus()
    CallCardStore(sessions).subscribe(bus)
    leads.subscribe(bus)
    await bus.publish(DomainEvent(CALL_ENDED, inbound("bus.1", answered_by="101")))
    lead = await leads.open_lead(STRANGER)
    assert lead.first_call_id is not None
    assert lead.owner_id == await manager_id(sessions, "101")


async def test_migration_0002_downgrades_to_0001_and_back(engine):
    from sqlalchemy import inspect

    from storage.db import downgrade, migrate

    async def tables():
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))

    await downgrade(engine, "0001")
    assert not {"leads", "callback_tasks", "callback_task_calls"} & await tables()
    assert "calls" in await tables()
    await migrate(engine)
    assert {"leads", "callback_tasks", "callback_task_calls"} <= await tables()
