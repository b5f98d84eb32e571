"""Callback tasks for the API: lists (overdue ones too), reads, closing by
hand, reassigning, within the caller's scope. (Opening, counting and closing
tasks from calls is ``crm.tasks``.)"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, not_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from accounts.access import Scope
from api.errors import NotFound
from api.pagination import PageRequest, SortField, Sorting
from crm.leads import utc
from crm.staff import require_manager
from crm.tasks import TASK_DONE, TASK_OPEN
from crm.visibility import visible_tasks
from storage.models import CallbackTask

TASK_SORTS = Sorting(
    id_column=CallbackTask.id,
    fields={
        "deadline_at": SortField(CallbackTask.deadline_at, datetime),
        "last_missed_at": SortField(CallbackTask.last_missed_at, datetime),
    },
    default="deadline_at",
)


@dataclass(frozen=True)
class TaskFilters:
    now: datetime
    status: str | None = None
    overdue: bool | None = None  # open and past the deadline at ``now``
    manager_id: int | None = None
    unassigned: bool = False
    phone: str | None = None  # E.164

    def conditions(self) -> list[ColumnElement[bool]]:
        conditions = []
        if self.status is not None:
            conditions.append(CallbackTask.status == self.status)
        if self.overdue is not None:
            overdue = and_(CallbackTask.status == TASK_OPEN, CallbackTask.deadline_at < utc(self.now))
            conditions.append(overdue if self.overdue else not_(overdue))
        if self.manager_id is not None:
            conditions.append(CallbackTask.manager_id == self.manager_id)
        if self.unassigned:
            conditions.append(CallbackTask.manager_id.is_(None))
        if self.phone is not None:
            conditions.append(CallbackTask.phone == self.phone)
        return conditions


class TaskQueries:
    def __init__(self, sessions: async_sessionmaker) -> None:
        self._sessions = sessions

    async def page(self, scope: Scope, filters: TaskFilters, page: PageRequest) -> tuple[list[CallbackTask], str | None]:
        query = select(CallbackTask).where(visible_tasks(scope), *filters.conditions())
        async with self._sessions() as session:
            return await TASK_SORTS.fetch(session, query, page)

    async def get(self, scope: Scope, task_id: int) -> CallbackTask:
        async with self._sessions() as session:
            return await _task(session, scope, task_id)

    async def close(self, scope: Scope, task_id: int, now: datetime) -> CallbackTask:
        """Mark the task done by hand; a task already done stays as it was."""
        async with self._sessions() as session, session.begin():
            task = await _task(session, scope, task_id)
            if task.status == TASK_OPEN:
                task.status, task.closed_at = TASK_DONE, utc(now)
            return task

    async def reassign(self, scope: Scope, task_id: int, manager_id: int | None) -> CallbackTask:
        async with self._sessions() as session, session.begin():
            task = await _task(session, scope, task_id)
            await require_manager(session, manager_id)
            task.manager_id = manager_id
            return task


async def _task(session: AsyncSession, scope: Scope, task_id: int) -> CallbackTask:
    task = await session.scalar(select(CallbackTask).where(CallbackTask.id == task_id, visible_tasks(scope)))
    if task is None:
        raise NotFound("no such task")
    return task
