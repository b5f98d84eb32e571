"""What the demo's calls came to, read back from the database: how routing
did (the owner reached, a colleague instead, the queue, nobody) and what the
CRM side made of it (leads, callback tasks opened and closed, owners told)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.orm import aliased

from storage.models import Call, CallbackTask, Client, Lead, Notification

OWNER, COLLEAGUE, NEW_CALLER, MISSED = "answered by their own manager", "answered by a colleague", "new caller answered", "not answered"


@dataclass(frozen=True)
class DemoSummary:
    outcomes: Counter[str]
    via_queue: int  # calls answered in the queue: every personal ring attempt failed
    leads_created: int
    tasks_created: int
    tasks_closed: int
    owners_told: int

    def lines(self) -> list[str]:
        calls = sum(self.outcomes.values())
        return [
            f"{calls} calls: " + ", ".join(f"{count} {outcome}" for outcome, count in sorted(self.outcomes.items())),
            f"fallbacks: {self.outcomes[COLLEAGUE]} known callers to a colleague, {self.via_queue} answered in the queue",
            f"leads created: {self.leads_created}; callback tasks created: {self.tasks_created}, "
            f"closed by reaching the client: {self.tasks_closed}; managers told a colleague took their client: "
            f"{self.owners_told}",
        ]


async def summarise(sessions: async_sessionmaker, linkedids: Collection[str]) -> DemoSummary:
    """The summary of the calls with these linkedids."""
    ids = list(linkedids)
    async with sessions() as session:
        owner = aliased(Client)
        rows = await session.execute(
            select(Call.disposition, Call.answered_by_id, Call.queue, owner.responsible_manager_id)
            .outerjoin(owner, owner.id == Call.client_id)
            .where(Call.linkedid.in_(ids))
        )
        outcomes: Counter[str] = Counter()
        via_queue = 0
        for disposition, answered_by, queue, responsible in rows:
            if disposition != "answered":
                outcomes[MISSED] += 1
                continue
            via_queue += queue is not None
            if responsible is None:
                outcomes[NEW_CALLER] += 1
            else:
                outcomes[OWNER if answered_by == responsible else COLLEAGUE] += 1

        async def count(entity, *where) -> int:
            return await session.scalar(select(func.count()).select_from(entity).where(*where))

        call_ids = select(Call.id).where(Call.linkedid.in_(ids))
        return DemoSummary(
            outcomes=outcomes,
            via_queue=via_queue,
            leads_created=await count(Lead, Lead.first_linkedid.in_(ids)),
            tasks_created=await count(CallbackTask, CallbackTask.first_linkedid.in_(ids)),
            tasks_closed=await count(CallbackTask, CallbackTask.closed_by_linkedid.in_(ids)),
            owners_told=await count(Notification, Notification.call_id.in_(call_ids)),
        )
