"""Call cards are stored from tracker records, idempotently, on both databases."""

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from crm.call_cards import CallCardStore
from pbx.tracker.model import CallLeg, CallRecord, Direction, Disposition, LegResult
from storage.models import CallLeg as CallLegRow, Client, ClientPhone, Manager, Recording, RoutingRule

T0 = datetime(2026, 11, 23, 10, 28, 14, tzinfo=timezone.utc)


def answered_record(linkedid: str = "1795429694.0") -> CallRecord:
    return CallRecord(
        linkedid=linkedid,
        direction=Direction.INBOUND,
        started_at=T0,
        caller_raw="89161112233",
        caller_number="+79161112233",
        caller_name="Елена Смирнова",
        did="74951234567",
        answered_at=T0 + timedelta(seconds=22),
        ended_at=T0 + timedelta(seconds=80),
        legs=[
            CallLeg("103", "Local/103@sim-agent-00000007;1", T0 + timedelta(seconds=1), None, T0 + timedelta(seconds=21), LegResult.NOANSWER),
            CallLeg("101", "Local/101@sim-agent-00000008;1", T0 + timedelta(seconds=21), T0 + timedelta(seconds=22), T0 + timedelta(seconds=80), LegResult.ANSWERED, "sales"),
        ],
        answered_by="101",
        queue="sales",
        disposition=Disposition.ANSWERED,
        hangup_cause=16,
        hangup_cause_text="Normal Clearing",
        recording_file="/var/spool/asterisk/monitor/1795429694.1.wav",
    )


@pytest.fixture
async def store(sessions):
    async with sessions() as session, session.begin():
        session.add_all([Manager(name="Сергей", extension="101"), Manager(name="Анна", extension="103")])
        session.add(Client(name="Елена", phones=[ClientPhone(phone="+79161112233")]))
    return CallCardStore(sessions)


async def test_card_holds_the_record(store, sessions):
    card_id = await store.save(answered_record())
    card = await store.get("1795429694.0")
    assert card.id == card_id
    assert (card.direction, card.disposition, card.caller_number, card.caller_name) == (
        "inbound", "answered", "+79161112233", "Елена Смирнова")
    assert (card.wait_seconds, card.talk_seconds) == (22.0, 58.0)
    assert card.started_at.astimezone(timezone.utc) == T0
    async with sessions() as session:
        sergey = await session.scalar(select(Manager.id).where(Manager.extension == "101"))
        client = await session.scalar(select(ClientPhone.client_id))
    assert card.answered_by_id == sergey
    assert card.client_id == client
    assert [(leg.extension, leg.result, leg.manager_id is not None) for leg in card.legs] == [
        ("103", "noanswer", True), ("101", "answered", True)]
    assert card.recording.path == "/var/spool/asterisk/monitor/1795429694.1.wav"
    assert card.recording.status == "pending"


async def test_saving_the_same_call_twice_keeps_one_card(store, sessions):
    first = await store.save(answered_record())
    record = answered_record()
    record.legs = record.legs[1:]
    second = await store.save(record)
    assert first == second
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(CallLegRow)) == 1
        assert await session.scalar(select(func.count()).select_from(Recording)) == 1


async def test_concurrent_saves_of_one_call_keep_one_card(store, sessions):
    ids = await asyncio.gather(*(store.save(answered_record("race.1")) for _ in range(5)))
    assert len(set(ids)) == 1


async def test_unknown_extension_and_anonymous_caller(store):
    record = answered_record("anon.1")
    record.caller_raw, record.caller_number, record.caller_name = "anonymous", None, ""
    record.answered_by = "fallback"
    record.legs = [CallLeg("fallback", "Local/fallback@sim-agent-00000005;1", T0, T0, T0, LegResult.ANSWERED)]
    await store.save(record)
    card = await store.get("anon.1")
    assert (card.caller_number, card.client_id, card.answered_by_id, card.answered_by_extension) == (
        None, None, None, "fallback")


async def test_outbound_call_links_the_client_it_dialled(store):
    record = answered_record("out.1")
    record.direction = Direction.OUTBOUND
    record.caller_raw, record.caller_number, record.caller_name = "101", None, "Сергей"
    record.callee_raw, record.callee_number = "989161112233", "+79161112233"
    await store.save(record)
    card = await store.get("out.1")
    assert (card.direction, card.callee_number) == ("outbound", "+79161112233")
    assert card.client_id is not None


async def test_an_inbound_card_carries_the_marketing_source_of_the_number_dialled(store, sessions):
    await store.save(answered_record("s.1"))
    assert (await store.get("s.1")).source is None  # no routing rule yet
    async with sessions() as session, session.begin():
        session.add_all([
            RoutingRule(did="74951234567", source="Avito", chain={}),
            RoutingRule(did="*", source="прочее", chain={}),
            RoutingRule(did="74950000000", source="радио", chain={}, active=False),
        ])
    await store.save(answered_record("s.2"))
    assert (await store.get("s.2")).source == "Avito"
    other = answered_record("s.3")
    other.did = "74950000000"  # its rule is switched off: the catch-all's source
    await store.save(other)
    assert (await store.get("s.3")).source == "прочее"
    outbound = answered_record("s.4")
    outbound.direction = Direction.OUTBOUND
    await store.save(outbound)
    assert (await store.get("s.4")).source is None
