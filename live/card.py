"""The caller's card, built while a manager's phone rings: who is calling and
what the department knows of the number.

The card is the same for every manager rung and for the head of sales: being
rung for a caller is being asked to serve them, so it shows the department's
whole knowledge of the number (the ``EVERYONE`` scope), a colleague's client
and who owns them included. It reads through the API's own queries, so it
agrees with what ``/api/clients``, ``/leads``, ``/tasks`` and ``/calls`` answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from pydantic import BaseModel, Field
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from accounts.access import EVERYONE
from api.pagination import MAX_LIMIT, PageRequest
from api.validation import Timestamp
from callcenter.bus import EventBus
from callcenter.clock import Clock
from crm.call_queries import CALL_SORTS, CallFilters, CallQueries
from crm.clients import CLIENT_SORTS, ClientFilters, ClientService
from crm.http.calls import ClientRef, ManagerRef
from crm.http.leads import LeadOut
from crm.http.tasks import TaskOut
from crm.lead_queries import LEAD_SORTS, LeadFilters, LeadQueries
from crm.leads import LEAD_OPEN
from crm.owners import Owner, owner_of
from crm.task_queries import TASK_SORTS, TaskFilters, TaskQueries
from crm.tasks import TASK_OPEN, is_overdue
from pbx.tracker.model import CallRecord, Direction, Disposition, LegResult
from storage.models import Call, CallbackTask, Client, Lead, Manager

RECENT_CALLS = 5


class RecentCall(BaseModel):
    id: int
    started_at: Timestamp
    direction: Direction
    disposition: Disposition
    talk_seconds: float
    answered_by: ManagerRef | None


class CallerCard(BaseModel):
    """The ``call.ringing`` live event: the ringing phone and the caller's card."""

    linkedid: str
    direction: Direction
    phone: str | None = Field(description="The outside party's number (E.164); null when withheld or internal.")
    caller_name: str
    did: str | None
    extension: str = Field(description="The phone that is ringing.")
    manager: ManagerRef | None = Field(description="Whose phone is ringing.")
    rang_at: Timestamp
    client: ClientRef | None
    lead: LeadOut | None = Field(description="The number's open lead.")
    owner: ManagerRef | None = Field(
        description="The client's responsible manager, else the open lead's owner (active managers only)."
    )
    open_tasks: list[TaskOut] = Field(description="Open callback tasks for the number.")
    recent_calls: list[RecentCall] = Field(description=f"The last {RECENT_CALLS} calls with the number, newest first.")


class CardBuilder:
    def __init__(self, sessions: async_sessionmaker, bus: EventBus, clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock
        self._clients = ClientService(sessions, bus)
        self._leads = LeadQueries(sessions)
        self._tasks = TaskQueries(sessions)
        self._calls = CallQueries(sessions)

    async def card(self, record: CallRecord) -> CallerCard | None:
        """The card for ``record``'s newest leg, the one ``call.ringing`` announces; None if it no longer rings."""
        if not record.legs or record.legs[-1].result is not LegResult.RINGING:
            return None
        leg, phone = record.legs[-1], record.client_number
        client, lead, owner, tasks, calls = await self._known(phone) if phone else (None, None, None, [], [])
        owner_id = owner.manager_id if owner is not None else None
        managers = await self._managers({owner_id, *(call.answered_by_id for call in calls)}, leg.extension)
        now = self._clock.now()
        return CallerCard(
            linkedid=record.linkedid,
            direction=record.direction,
            phone=phone,
            caller_name=record.caller_name,
            did=record.did,
            extension=leg.extension,
            manager=next((ref for ref in managers.values() if ref.extension == leg.extension), None),
            rang_at=leg.rang_at,
            client=None if client is None else ClientRef(id=client.id, name=client.name),
            lead=None if lead is None else LeadOut.model_validate(lead),
            owner=managers.get(owner_id),
            open_tasks=[
                TaskOut.model_validate(task).model_copy(update={"overdue": is_overdue(task.deadline_at, now)})
                for task in tasks
            ],
            recent_calls=[
                RecentCall(
                    id=call.id, started_at=call.started_at, direction=call.direction, disposition=call.disposition,
                    talk_seconds=call.talk_seconds, answered_by=managers.get(call.answered_by_id),
                )
                for call in calls
            ],
        )

    async def _known(self, phone: str) -> tuple[Client | None, Lead | None, Owner | None, list[CallbackTask], list[Call]]:
        """The number's client, open lead, owner, open tasks and last calls, read side by side."""
        (clients, _), (leads, _), owner, (tasks, _), (calls, _) = await asyncio.gather(
            self._clients.page(EVERYONE, ClientFilters(phone=phone), _first(CLIENT_SORTS.default, 1)),
            self._leads.page(EVERYONE, LeadFilters(status=LEAD_OPEN, phone=phone), _first(LEAD_SORTS.default, 1)),
            self._owner(phone),
            self._tasks.page(
                EVERYONE, TaskFilters(now=self._clock.now(), status=TASK_OPEN, phone=phone),
                _first(TASK_SORTS.default, MAX_LIMIT),
            ),
            self._calls.page(EVERYONE, CallFilters(phone=phone), _first(CALL_SORTS.default, RECENT_CALLS)),
        )
        return next(iter(clients), None), next(iter(leads), None), owner, tasks, calls

    async def _owner(self, phone: str) -> Owner | None:
        async with self._sessions() as session:
            return await owner_of(session, phone)

    async def manager_ids(self, extensions: Iterable[str]) -> list[int]:
        """The ids of the managers with these extensions (other phones are nobody's)."""
        async with self._sessions() as session:
            return list(await session.scalars(select(Manager.id).where(Manager.extension.in_(set(extensions)))))

    async def _managers(self, ids: Iterable[int | None], extension: str) -> dict[int, ManagerRef]:
        """The managers with these ids or this extension, by id."""
        wanted = {manager_id for manager_id in ids if manager_id is not None}
        async with self._sessions() as session:
            query = select(Manager).where(or_(Manager.id.in_(wanted), Manager.extension == extension))
            rows = await session.scalars(query)
            return {m.id: ManagerRef(id=m.id, name=m.name, extension=m.extension) for m in rows}


def _first(sort: str, limit: int) -> PageRequest:
    return PageRequest(sort, limit, None)
