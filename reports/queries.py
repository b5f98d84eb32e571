"""The rows of a period that the report figures are made of."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from crm.call_queries import latest_score_id
from reports.figures import CallRow, ScoreRow, TaskRow
from storage.models import Call, CallbackTask, CallLeg, CallScore, Lead, Manager


def _aware(moment: datetime | None) -> datetime | None:
    """A stored time as aware UTC (SQLite gives it back naive)."""
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class ReportQueries:
    def __init__(self, sessions: async_sessionmaker) -> None:
        self._sessions = sessions

    async def calls(self, since: datetime, until: datetime) -> list[CallRow]:
        """Calls started in [since, until), with the managers each rang."""
        async with self._sessions() as session:
            calls = (await session.execute(
                select(Call.id, Call.started_at, Call.direction, Call.disposition, Call.answered_by_id, Call.wait_seconds)
                .where(Call.started_at >= since, Call.started_at < until)
            )).all()
            rung: dict[int, set[int]] = defaultdict(set)
            legs = await session.execute(
                select(CallLeg.call_id, CallLeg.manager_id).join(Call, Call.id == CallLeg.call_id)
                .where(Call.started_at >= since, Call.started_at < until, CallLeg.manager_id.is_not(None))
            )
            for call_id, manager_id in legs:
                rung[call_id].add(manager_id)
        return [CallRow(_aware(started), direction, disposition, answered_by, wait, frozenset(rung[call_id]))
                for call_id, started, direction, disposition, answered_by, wait in calls]

    async def tasks(self, since: datetime, until: datetime) -> list[TaskRow]:
        """Callback tasks whose first missed call fell in [since, until)."""
        async with self._sessions() as session:
            rows = await session.execute(
                select(CallbackTask.manager_id, CallbackTask.deadline_at, CallbackTask.closed_at)
                .where(CallbackTask.first_missed_at >= since, CallbackTask.first_missed_at < until)
            )
            return [TaskRow(manager_id, _aware(deadline), _aware(closed)) for manager_id, deadline, closed in rows]

    async def scores(self, since: datetime, until: datetime) -> list[ScoreRow]:
        """Each call's latest score, for calls started in [since, until)."""
        async with self._sessions() as session:
            rows = await session.execute(
                select(Call.started_at, Call.answered_by_id, CallScore.total, CallScore.items)
                .join(CallScore, CallScore.id == latest_score_id(Call.id))
                .where(Call.started_at >= since, Call.started_at < until)
            )
            return [ScoreRow(_aware(started), manager_id, total, items or []) for started, manager_id, total, items in rows]

    async def lead_sources(self, since: datetime, until: datetime) -> list[str | None]:
        async with self._sessions() as session:
            return list(await session.scalars(select(Lead.source).where(Lead.created_at >= since, Lead.created_at < until)))

    async def managers(self) -> dict[int, tuple[str, str]]:
        """Every manager's (name, extension), by id."""
        async with self._sessions() as session:
            return {manager_id: (name, extension) for manager_id, name, extension
                    in await session.execute(select(Manager.id, Manager.name, Manager.extension))}
