"""Callback tasks for missed calls: owner chain, deadline, one open task per
number, closing when reached, escalation; on both databases."""

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from callcenter.bus import CALL_ENDED, DomainEvent, EventBus
from crm.call_cards import CallCardStore
from crm.leads import LeadService, utc
from crm.tasks import (
    CallbackTaskService,
    callback_deadline,
    is_overdue,
    last_rung_manager,
    missed_number,
    reached_number,
)
from pbx.tracker.model import CallLeg, CallRecord, Direction, Disposition, LegResult
from storage.models import CallbackTask, Manager

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
CLIENT = "+79161112233"
STRANGER = "+79035556677"


def missed(linkedid: str, caller: str | None = CLIENT, at: datetime = T0, rang: tuple[str, ...] = ("103",),
           disposition: Disposition = Disposition.MISSED) -> CallRecord:
    return CallRecord(
        linkedid=linkedid,
        direction=Direction.INBOUND,
        started_at=at,
        caller_raw=caller or "anonymous",
        caller_number=caller,
        did="74951234567",
        ended_at=at + timedelta(seconds=30),
        legs=[CallLeg(ext, f"Local/{ext};1", at, None, at + timedelta(seconds=30), LegResult.NOANSWER) for ext in rang],
        disposition=disposition,
    )


def answered(linkedid: str, number: str = CLIENT, at: datetime = T0, direction: Direction = Direction.INBOUND,
             by: str = "101") -> CallRecord:
    record = CallRecord(
        linkedid=linkedid,
        direction=direction,
        started_at=at,
        answered_at=at + timedelta(seconds=5),
        ended_at=at + timedelta(seconds=65),
        answered_by=by,
        legs=[CallLeg(by, f"Local/{by};1", at, at + timedelta(seconds=5), at + timedelta(seconds=65), LegResult.ANSWERED)],
        disposition=Disposition.ANSWERED,
    )
    if direction is Direction.INBOUND:
        record.caller_raw, record.caller_number = number, number
    else:
        record.caller_raw, record.callee_raw, record.callee_number = by, number, number
    return record


def at_utc(moment: datetime) -> datetime:
    """A stored time as aware UTC (SQLite gives it back naive)."""
    return utc(moment)


# --- rules ---------------------------------------------------------------------


def test_missed_number():
    assert missed_number(missed("a")) == CLIENT
    for disposition in (Disposition.ABANDONED, Disposition.BUSY, Disposition.FAILED):
        assert missed_number(missed("a", disposition=disposition)) == CLIENT
    assert missed_number(missed("a", caller=None)) is None  # anonymous: nothing to call back
    assert missed_number(answered("a")) is None
    outbound = missed("a")
    outbound.direction = Direction.OUTBOUND
    assert missed_number(outbound) is None


def test_reached_number():
    assert reached_number(answered("a")) == CLIENT
    assert reached_number(answered("a", direction=Direction.OUTBOUND)) == CLIENT
    assert reached_number(missed("a")) is None
    internal = answered("a")
    internal.direction = Direction.INTERNAL
    assert reached_number(internal) is None


def test_deadline_is_the_sla_after_the_miss():
    assert callback_deadline(T0) == T0 + timedelta(minutes=15)
    assert callback_deadline(T0, 5) == T0 + timedelta(minutes=5)


OFFICE = {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


def test_the_deadline_counts_the_managers_working_time():
    monday_evening = datetime(2026, 11, 23, 14, 50, tzinfo=timezone.utc)  # 17:50 in Moscow
    manager = Manager(extension="101", timezone="Europe/Moscow", working_hours={**OFFICE, "holidays": ["2026-11-24"]})
    assert callback_deadline(monday_evening, 15, manager) == datetime(2026, 11, 25, 6, 5, tzinfo=timezone.utc)  # Wed 9:05
    around_the_clock = Manager(extension="102", timezone="Europe/Moscow", working_hours={})
    assert callback_deadline(monday_evening, 15, around_the_clock) == monday_evening + timedelta(minutes=15)
    broken = Manager(extension="103", timezone="Mars/Olympus", working_hours=OFFICE)  # refused by the API; old rows
    assert callback_deadline(monday_evening, 15, broken) == monday_evening + timedelta(minutes=15)


def test_last_rung_manager_skips_named_targets():
    managers = {"101": 1, "103": 3}
    assert last_rung_manager(["101", "103"], managers) == 3
    assert last_rung_manager(["103", "101", "fallback"], managers) == 1
    assert last_rung_manager(["fallback"], managers) is None
    assert last_rung_manager([], managers) is None


def test_is_overdue():
    assert is_overdue(T0, T0 + timedelta(seconds=1))
    assert not is_overdue(T0, T0)
    assert is_overdue(T0.replace(tzinfo=None), T0 + timedelta(minutes=1))


# --- the service -----------------------------------------------------------------


@pytest.fixture
def tasks(sessions, people):
    return CallbackTaskService(sessions)


async def count_tasks(sessions) -> int:
    async with sessions() as session:
        return await session.scalar(select(func.count()).select_from(CallbackTask))


async def test_a_missed_call_opens_a_task_for_the_clients_manager(tasks, people, sessions):
    await CallCardStore(sessions).save(missed("m.1"))
    task = await tasks.record_call(missed("m.1"))
    assert (task.phone, task.status, task.missed_count, task.manager_id) == (CLIENT, "open", 1, people["101"])
    assert task.client_id is not None and task.lead_id is None
    assert task.first_call_id is not None and task.first_linkedid == "m.1"
    assert at_utc(task.first_missed_at) == at_utc(task.last_missed_at) == T0 + timedelta(seconds=30)
    assert at_utc(task.deadline_at) == T0 + timedelta(seconds=30, minutes=15)


async def test_a_call_missed_after_hours_is_due_in_the_managers_next_shift(tasks, people, sessions):
    async with sessions() as session, session.begin():
        (await session.get(Manager, people["101"])).working_hours = OFFICE
    friday_night = datetime(2026, 11, 27, 19, 0, tzinfo=timezone.utc)  # 22:00 in Moscow
    task = await tasks.record_call(missed("m.1", at=friday_night))
    assert task.manager_id == people["101"]
    assert at_utc(task.deadline_at) == datetime(2026, 11, 30, 6, 15, tzinfo=timezone.utc)  # Monday 9:15 in Moscow


async def test_the_sla_is_configurable(sessions, people):
    task = await CallbackTaskService(sessions, sla_minutes=5).record_call(missed("m.1"))
    assert at_utc(task.deadline_at) == T0 + timedelta(seconds=30, minutes=5)


@pytest.mark.parametrize("disposition", [Disposition.ABANDONED, Disposition.BUSY, Disposition.FAILED])
async def test_every_unanswered_disposition_opens_a_task(tasks, disposition):
    assert (await tasks.record_call(missed("m.1", disposition=disposition))).status == "open"


async def test_an_anonymous_missed_call_opens_no_task(tasks, sessions):
    """Nothing to call back: no number."""
    assert await tasks.record_call(missed("anon.1", caller=None)) is None
    assert await count_tasks(sessions) == 0


async def test_answered_and_internal_calls_open_no_task(tasks, sessions):
    assert await tasks.record_call(answered("a.1", number=STRANGER)) is None
    assert await count_tasks(sessions) == 0


async def test_the_lead_owner_takes_a_strangers_task(tasks, people, sessions):
    leads = LeadService(sessions)
    await leads.record_call(answered("a.1", number=STRANGER, by="105"))
    task = await tasks.record_call(missed("m.1", caller=STRANGER, at=T0 + timedelta(hours=1)))
    lead = await leads.open_lead(STRANGER)
    assert (task.manager_id, task.lead_id, task.client_id) == (people["105"], lead.id, None)


async def test_the_last_manager_who_rang_takes_an_unowned_task(tasks, people):
    task = await tasks.record_call(missed("m.1", caller=STRANGER, rang=("101", "103", "fallback")))
    assert task.manager_id == people["103"]
    task = await tasks.record_call(missed("m.2", caller="+79160000000", rang=("105",)))  # a client without a manager
    assert task.manager_id == people["105"]


async def test_nobody_owns_a_task_when_the_chain_is_empty(tasks):
    task = await tasks.record_call(missed("m.1", caller=STRANGER, rang=("fallback",)))
    assert task.manager_id is None
    assert [t.id for t in await tasks.open_tasks(unassigned=True)] == [task.id]


async def test_an_inactive_responsible_manager_is_passed_over(tasks, people, sessions):
    async with sessions() as session, session.begin():
        (await session.get(Manager, people["101"])).active = False
    task = await tasks.record_call(missed("m.1", rang=("105",)))
    assert task.manager_id == people["105"]


async def test_an_inactive_manager_who_rang_last_is_passed_over(tasks, people, sessions):
    async with sessions() as session, session.begin():
        (await session.get(Manager, people["103"])).active = False
    task = await tasks.record_call(missed("m.1", caller=STRANGER, rang=("105", "103")))
    assert task.manager_id == people["105"]


async def test_repeated_misses_update_the_open_task(tasks, sessions):
    first = await tasks.record_call(missed("m.1"))
    later = T0 + timedelta(minutes=10)
    second = await tasks.record_call(missed("m.2", at=later, disposition=Disposition.ABANDONED))
    assert second.id == first.id
    assert second.missed_count == 2
    assert at_utc(second.last_missed_at) == later + timedelta(seconds=30)
    assert at_utc(second.deadline_at) == at_utc(first.deadline_at)  # the original deadline stays
    assert await count_tasks(sessions) == 1


async def test_a_replayed_miss_counts_once(tasks, sessions):
    await tasks.record_call(missed("m.1"))
    assert await tasks.record_call(missed("m.1")) is None
    assert (await tasks.open_task(CLIENT)).missed_count == 1


async def test_simultaneous_misses_from_one_number_share_one_task(tasks, sessions):
    services = [CallbackTaskService(sessions) for _ in range(4)]
    results = await asyncio.gather(
        *(services[n % 4].record_call(missed(f"race.{n}", at=T0 + timedelta(seconds=n))) for n in range(12)),
        *(services[n % 4].record_call(missed("race.0")) for n in range(4)),  # replays racing too
    )
    assert len({task.id for task in results if task is not None}) == 1
    assert await count_tasks(sessions) == 1
    task = await tasks.open_task(CLIENT)
    assert task.missed_count == 12
    assert at_utc(task.last_missed_at) == T0 + timedelta(seconds=11 + 30)


async def test_the_database_refuses_a_second_open_task(tasks, sessions):
    await tasks.record_call(missed("m.1"))
    with pytest.raises(IntegrityError):
        async with sessions() as session, session.begin():
            session.add(CallbackTask(phone=CLIENT, first_linkedid="x", missed_count=1, first_missed_at=T0,
                                     last_missed_at=T0, deadline_at=T0, status="open"))


@pytest.mark.parametrize("direction", [Direction.INBOUND, Direction.OUTBOUND])
async def test_reaching_the_number_closes_the_task(tasks, sessions, direction):
    task = await tasks.record_call(missed("m.1"))
    await CallCardStore(sessions).save(answered("r.1", at=T0 + timedelta(minutes=5), direction=direction))
    closed = await tasks.record_call(answered("r.1", at=T0 + timedelta(minutes=5), direction=direction))
    assert closed.id == task.id
    assert (closed.status, closed.closed_by_linkedid) == ("done", "r.1")
    assert closed.closed_by_call_id is not None
    assert at_utc(closed.closed_at) == T0 + timedelta(minutes=5, seconds=65)
    assert await tasks.open_task(CLIENT) is None


async def test_a_miss_after_the_callback_opens_a_new_task(tasks, sessions):
    first = await tasks.record_call(missed("m.1"))
    await tasks.record_call(answered("r.1", at=T0 + timedelta(minutes=5)))
    second = await tasks.record_call(missed("m.2", at=T0 + timedelta(minutes=30)))
    assert second.id != first.id and second.missed_count == 1
    # replays of the old calls neither reopen, recount nor close anything
    assert await tasks.record_call(missed("m.1")) is None
    assert await tasks.record_call(answered("r.1", at=T0 + timedelta(minutes=5))) is None
    assert (await tasks.open_task(CLIENT)).id == second.id
    assert await count_tasks(sessions) == 2


async def test_reaching_another_number_closes_nothing(tasks):
    await tasks.record_call(missed("m.1"))
    assert await tasks.record_call(answered("r.1", number=STRANGER, at=T0 + timedelta(minutes=5))) is None
    assert (await tasks.open_task(CLIENT)).status == "open"


async def test_escalate_overdue(tasks):
    early = await tasks.record_call(missed("m.1"))
    await tasks.record_call(missed("m.2", caller=STRANGER, at=T0 + timedelta(minutes=10)))
    assert await tasks.escalate_overdue(T0 + timedelta(minutes=15)) == []
    now = T0 + timedelta(minutes=16)
    escalated = await tasks.escalate_overdue(now)
    assert [task.id for task in escalated] == [early.id]
    assert at_utc(escalated[0].escalated_at) == now and escalated[0].status == "open"
    assert await tasks.escalate_overdue(now + timedelta(minutes=1)) == []  # idempotent
    assert [t.phone for t in await tasks.escalate_overdue(now + timedelta(hours=1))] == [STRANGER]
    # an escalated task still collects misses and still closes when the client is reached
    assert (await tasks.record_call(missed("m.3", at=T0 + timedelta(hours=2)))).missed_count == 2
    assert (await tasks.record_call(answered("r.1", at=T0 + timedelta(hours=3)))).status == "done"


async def test_escalate_uses_the_clock_by_default(sessions, people):
    from callcenter.clock import FakeClock

    clock = FakeClock(T0)
    tasks = CallbackTaskService(sessions, clock=clock)
    await tasks.record_call(missed("m.1"))
    assert await tasks.escalate_overdue() == []
    clock.advance(20 * 60)
    assert len(await tasks.escalate_overdue()) == 1


async def test_closed_tasks_are_not_escalated(tasks):
    await tasks.record_call(missed("m.1"))
    await tasks.record_call(answered("r.1", at=T0 + timedelta(minutes=1)))
    assert await tasks.escalate_overdue(T0 + timedelta(days=1)) == []


async def test_open_tasks_by_manager(tasks, people):
    await tasks.record_call(missed("m.1"))
    await tasks.record_call(missed("m.2", caller=STRANGER, rang=("103",)))
    assert [t.phone for t in await tasks.open_tasks(people["101"])] == [CLIENT]
    assert [t.phone for t in await tasks.open_tasks(people["103"])] == [STRANGER]
    assert len(await tasks.open_tasks()) == 2


async def test_wired_on_the_bus_after_cards_and_leads(tasks, people, sessions):
    bus = EventBus()
    CallCardStore(sessions).subscribe(bus)
    LeadService(sessions).subscribe(bus)
    tasks.subscribe(bus)
    await bus.publish(DomainEvent(CALL_ENDED, missed("bus.1", caller=STRANGER, rang=("105",))))
    task = await tasks.open_task(STRANGER)
    assert task.lead_id is not None and task.first_call_id is not None
    assert task.manager_id == people["105"]
    await bus.publish(DomainEvent(CALL_ENDED, answered("bus.2", number=STRANGER, at=T0 + timedelta(minutes=3),
                                                       direction=Direction.OUTBOUND, by="103")))
    assert (await tasks.get(task.id)).status == "done"
