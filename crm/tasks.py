"""Callback tasks: a missed inbound call opens a task to call the number back,
for the manager responsible for it, due ``sla_minutes`` of that manager's
working time after the call ended (a call missed at night is due that many
minutes into their next shift; an unassigned task, by the wall clock).

- The task is for the number's owner (``crm.owners``: the client's responsible
  manager, else the open lead's owner), else the last active manager its call
  rang, else nobody (the head of sales picks up unassigned tasks).
- One open task per number: a partial unique index on ``callback_tasks.phone``
  where ``status = 'open'``. A further missed call from the number updates the
  open task (``missed_count``, ``last_missed_at``; the deadline stays).
- A call counts once: ``callback_task_calls`` is keyed by linkedid, so a
  replayed ``call.ended`` changes nothing, even after the task was closed.
- The task closes itself (``done``) when the number is reached: an answered
  inbound call from it, or an answered outbound call to it, that ended after the
  task's first missed call did (so a replayed old conversation closes nothing).
- An overdue open task is escalated (``escalated_at``) by
  :meth:`CallbackTaskService.escalate_overdue`; it stays open, so it still
  closes when the client is reached and still collects further missed calls.
- Each real change is announced once its transaction commits, with
  :func:`task_payload`: ``task.created``, ``task.updated`` (a further missed
  call), ``task.closed``, ``task.overdue``. A replay changes nothing, so it
  announces nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import case, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.bus import CALL_ENDED, TASK_CLOSED, TASK_CREATED, TASK_OVERDUE, TASK_UPDATED, DomainEvent, EventBus
from callcenter.clock import Clock, SystemClock
from crm.leads import LEAD_OPEN, iso, utc
from crm.lookups import call_id_by_linkedid, client_of_phone, insert_ignoring_conflicts
from crm.owners import owner_of
from pbx.tracker.model import CallRecord, Direction, Disposition
from routing.model import ManagerState
from routing.schedule import split_holidays, working_deadline
from storage.models import CallbackTask, CallbackTaskCall, Lead, Manager

TASK_OPEN = "open"
TASK_DONE = "done"
DEFAULT_SLA_MINUTES = 15
log = logging.getLogger(__name__)

MISSED_DISPOSITIONS = frozenset({Disposition.MISSED, Disposition.ABANDONED, Disposition.BUSY, Disposition.FAILED})


# --- rules -------------------------------------------------------------------


def missed_number(record: CallRecord) -> str | None:
    """The number to call back after ``record``: the caller of an inbound call
    nobody answered. None for anonymous callers (nothing to call back),
    answered calls, and outbound or internal calls."""
    if record.direction is not Direction.INBOUND or record.disposition not in MISSED_DISPOSITIONS:
        return None
    return record.caller_number


def reached_number(record: CallRecord) -> str | None:
    """The outside number a manager talked to: an answered inbound call's
    caller, or an answered outbound call's callee."""
    if record.disposition is not Disposition.ANSWERED:
        return None
    if record.direction not in (Direction.INBOUND, Direction.OUTBOUND):
        return None
    return record.client_number


def callback_deadline(
    missed_at: datetime, sla_minutes: float = DEFAULT_SLA_MINUTES, manager: Manager | None = None
) -> datetime:
    """When the callback is due: ``sla_minutes`` of ``manager``'s working time
    after the miss (by the wall clock for nobody, or for a malformed schedule)."""
    by_the_clock = missed_at + timedelta(minutes=sla_minutes)
    if manager is None:
        return by_the_clock
    hours, holidays = split_holidays(manager.working_hours or {})
    schedule = ManagerState(manager.extension, timezone=manager.timezone, working_hours=hours, holidays=holidays)
    try:
        return utc(working_deadline(schedule, missed_at, sla_minutes))
    except ValueError as error:
        log.warning("manager %s: %s; the callback is due by the wall clock", manager.extension, error)
        return by_the_clock


def last_rung_manager(extensions: Iterable[str], manager_ids: Mapping[str, int]) -> int | None:
    """The last manager who rang: the last leg whose extension is a manager's
    (named targets such as ``fallback`` are skipped)."""
    for extension in reversed(list(extensions)):
        if extension in manager_ids:
            return manager_ids[extension]
    return None


def is_overdue(deadline: datetime, now: datetime) -> bool:
    return utc(deadline) < utc(now)


def task_payload(task: CallbackTask, manager_extension: str | None, linkedid: str | None) -> dict:
    """A task event's payload: the task as it now is, its owner, and the call
    that changed it (None for an escalation)."""
    return {
        "task_id": task.id,
        "phone": task.phone,
        "status": task.status,
        "client_id": task.client_id,
        "lead_id": task.lead_id,
        "manager_id": task.manager_id,
        "manager_extension": manager_extension,
        "missed_count": task.missed_count,
        "linkedid": linkedid,
        "first_linkedid": task.first_linkedid,
        "first_missed_at": iso(task.first_missed_at),
        "last_missed_at": iso(task.last_missed_at),
        "deadline_at": iso(task.deadline_at),
        "escalated_at": iso(task.escalated_at),
        "closed_at": iso(task.closed_at),
        "closed_by_linkedid": task.closed_by_linkedid,
    }


# --- the service ---------------------------------------------------------------


class CallbackTaskService:
    def __init__(
        self,
        sessions: async_sessionmaker,
        sla_minutes: float = DEFAULT_SLA_MINUTES,
        clock: Clock | None = None,
        bus: EventBus | None = None,
    ) -> None:
        """``bus`` receives the task events."""
        self._sessions = sessions
        self._sla_minutes = sla_minutes
        self._clock = clock or SystemClock()
        self._bus = bus or EventBus()

    def subscribe(self, bus: EventBus) -> None:
        """Listen to ``call.ended``; subscribe after CallCardStore and LeadService."""
        bus.subscribe(CALL_ENDED, self._on_call_ended)

    async def _on_call_ended(self, event: DomainEvent) -> None:
        await self.record_call(event.payload)

    async def record_call(self, record: CallRecord) -> CallbackTask | None:
        """Open or update a task for a missed call, or close the task of a
        reached number. Returns the task touched, if any."""
        if (phone := missed_number(record)) is not None:
            return await self._missed(record, phone)
        if (phone := reached_number(record)) is not None:
            return await self._reached(record, phone)
        return None

    async def _missed(self, record: CallRecord, phone: str) -> CallbackTask | None:
        missed_at = utc(record.ended_at or record.started_at)
        async with self._sessions() as session, session.begin():
            if await session.get(CallbackTaskCall, record.linkedid) is not None:
                return None  # a replay: this call was counted already
            client_id, _ = await client_of_phone(session, phone)
            lead_id = await session.scalar(select(Lead.id).where(Lead.phone == phone, Lead.status == LEAD_OPEN))
            owner = await owner_of(session, phone)
            manager_id = owner.manager_id if owner else await _last_rung(session, record)
            manager = None if manager_id is None else await session.get(Manager, manager_id)
            created_id = await session.scalar(
                insert_ignoring_conflicts(session, CallbackTask.__table__)
                .values(
                    phone=phone,
                    client_id=client_id,
                    lead_id=lead_id,
                    manager_id=manager_id,
                    status=TASK_OPEN,
                    first_call_id=await call_id_by_linkedid(session, record.linkedid),
                    first_linkedid=record.linkedid,
                    missed_count=0,
                    first_missed_at=missed_at,
                    last_missed_at=missed_at,
                    deadline_at=callback_deadline(missed_at, self._sla_minutes, manager),
                    created_at=utc(self._clock.now()),
                )
                .returning(CallbackTask.id)
            )
            task = await _open_task(session, phone)
            counted = await session.execute(
                insert_ignoring_conflicts(session, CallbackTaskCall.__table__)
                .values(linkedid=record.linkedid, task_id=task.id)
                .returning(CallbackTaskCall.linkedid)
            )
            if counted.scalar() is None:
                # another writer counted this very call at the same moment
                if task.missed_count == 0:
                    await session.execute(delete(CallbackTask).where(CallbackTask.id == task.id))
                return None
            await session.execute(
                update(CallbackTask)
                .where(CallbackTask.id == task.id)
                .values(
                    missed_count=CallbackTask.missed_count + 1,
                    last_missed_at=case(
                        (CallbackTask.last_missed_at < missed_at, missed_at), else_=CallbackTask.last_missed_at
                    ),
                )
            )
            task = await _open_task(session, phone)
            (payload,) = await _payloads(session, [task], record.linkedid)
        await self._bus.publish(DomainEvent(TASK_UPDATED if created_id is None else TASK_CREATED, payload))
        return task

    async def _reached(self, record: CallRecord, phone: str) -> CallbackTask | None:
        reached_at = utc(record.ended_at or record.answered_at or record.started_at)
        async with self._sessions() as session, session.begin():
            call_id = await call_id_by_linkedid(session, record.linkedid)
            closed = await session.execute(
                update(CallbackTask)
                .where(
                    CallbackTask.phone == phone,
                    CallbackTask.status == TASK_OPEN,
                    CallbackTask.first_missed_at <= reached_at,
                )
                .values(
                    status=TASK_DONE,
                    closed_at=utc(record.ended_at or reached_at),
                    closed_by_call_id=call_id,
                    closed_by_linkedid=record.linkedid,
                )
                .returning(CallbackTask.id)
            )
            task_id = closed.scalar()
            if task_id is None:
                return None
            task = await _task(session, task_id)
            (payload,) = await _payloads(session, [task], record.linkedid)
        await self._bus.publish(DomainEvent(TASK_CLOSED, payload))
        return task

    async def escalate_overdue(self, now: datetime | None = None) -> list[CallbackTask]:
        """Mark open tasks past their deadline as escalated and return those
        escalated by this call; already escalated ones are not returned (nor
        announced as ``task.overdue``) again."""
        now = utc(now or self._clock.now())
        async with self._sessions() as session, session.begin():
            ids = (
                await session.scalars(
                    update(CallbackTask)
                    .where(
                        CallbackTask.status == TASK_OPEN,
                        CallbackTask.escalated_at.is_(None),
                        CallbackTask.deadline_at < now,
                    )
                    .values(escalated_at=now)
                    .returning(CallbackTask.id)
                )
            ).all()
            if not ids:
                return []
            escalated = list(
                await session.scalars(
                    select(CallbackTask)
                    .where(CallbackTask.id.in_(ids))
                    .order_by(CallbackTask.deadline_at, CallbackTask.id)
                    .execution_options(populate_existing=True)
                )
            )
            payloads = await _payloads(session, escalated, None)
        await self._bus.publish_all([DomainEvent(TASK_OVERDUE, payload) for payload in payloads])
        return escalated

    async def open_task(self, phone: str) -> CallbackTask | None:
        async with self._sessions() as session:
            return await _open_task(session, phone)

    async def open_tasks(self, manager_id: int | None = None, unassigned: bool = False) -> list[CallbackTask]:
        """Open tasks by deadline: a manager's, the unassigned ones, or all."""
        query = select(CallbackTask).where(CallbackTask.status == TASK_OPEN)
        if unassigned:
            query = query.where(CallbackTask.manager_id.is_(None))
        elif manager_id is not None:
            query = query.where(CallbackTask.manager_id == manager_id)
        async with self._sessions() as session:
            return list(await session.scalars(query.order_by(CallbackTask.deadline_at, CallbackTask.id)))

    async def get(self, task_id: int) -> CallbackTask | None:
        async with self._sessions() as session:
            return await _task(session, task_id)


async def _task(session: AsyncSession, task_id: int) -> CallbackTask | None:
    return await session.scalar(
        select(CallbackTask).where(CallbackTask.id == task_id).execution_options(populate_existing=True)
    )


async def _open_task(session: AsyncSession, phone: str) -> CallbackTask | None:
    return await session.scalar(
        select(CallbackTask)
        .where(CallbackTask.phone == phone, CallbackTask.status == TASK_OPEN)
        .execution_options(populate_existing=True)
    )


async def _payloads(session: AsyncSession, tasks: list[CallbackTask], linkedid: str | None) -> list[dict]:
    """:func:`task_payload` of each task, with its manager's extension."""
    ids = {task.manager_id for task in tasks if task.manager_id is not None}
    extensions: dict[int, str] = {}
    if ids:
        rows = await session.execute(select(Manager.id, Manager.extension).where(Manager.id.in_(ids)))
        extensions = {manager_id: extension for manager_id, extension in rows}
    return [task_payload(task, extensions.get(task.manager_id), linkedid) for task in tasks]


async def _last_rung(session: AsyncSession, record: CallRecord) -> int | None:
    extensions = [leg.extension for leg in record.legs]
    if not extensions:
        return None
    active = select(Manager.extension, Manager.id).where(Manager.extension.in_(set(extensions)), Manager.active.is_(True))
    return last_rung_manager(extensions, dict((await session.execute(active)).all()))

