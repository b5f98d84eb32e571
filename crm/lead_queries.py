"""Leads for the API: lists, reads and changes within the caller's scope.
(Making leads from calls is ``crm.leads``; converting one into a client is
``crm.clients.ClientService.from_lead``.)"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from accounts.access import Scope
from api.errors import Conflict, NotFound
from api.pagination import PageRequest, SortField, Sorting
from api.validation import UNSET
from callcenter.bus import EventBus
from callcenter.clock import Clock, SystemClock
from crm.events import lead_changed
from crm.staff import require_manager
from crm.visibility import visible_leads
from storage.models import Lead, LeadFact

FACT_BY_CONVERSATION = "conversation"  # LeadFact.set_by: taken from a call (qa.lead_card)
FACT_BY_MANAGER = "manager"  # typed by hand; the conversation never overwrites it

LEAD_SORTS = Sorting(id_column=Lead.id, fields={"created_at": SortField(Lead.created_at, datetime)}, default="-created_at")


@dataclass(frozen=True)
class LeadFilters:
    status: str | None = None
    owner_id: int | None = None
    phone: str | None = None  # E.164

    def conditions(self) -> list[ColumnElement[bool]]:
        conditions = []
        if self.status is not None:
            conditions.append(Lead.status == self.status)
        if self.owner_id is not None:
            conditions.append(Lead.owner_id == self.owner_id)
        if self.phone is not None:
            conditions.append(Lead.phone == self.phone)
        return conditions


class LeadQueries:
    def __init__(self, sessions: async_sessionmaker, clock: Clock | None = None, bus: EventBus | None = None) -> None:
        """``bus`` hears ``lead.changed`` when an update may give the number another owner (or none)."""
        self._sessions = sessions
        self._clock = clock or SystemClock()
        self._bus = bus

    async def page(self, scope: Scope, filters: LeadFilters, page: PageRequest) -> tuple[list[Lead], str | None]:
        async with self._sessions() as session:
            return await LEAD_SORTS.fetch(session, select(Lead).where(visible_leads(scope), *filters.conditions()), page)

    async def get(self, scope: Scope, lead_id: int) -> Lead:
        async with self._sessions() as session:
            return await _lead(session, scope, lead_id)

    async def update(self, scope: Scope, lead_id: int, *, status: str | None = None, owner_id=UNSET) -> Lead:
        """Set the status or the owner; reopening a lead whose number has another open lead is a 409."""
        async with self._sessions() as session, session.begin():
            lead = await _lead(session, scope, lead_id)
            if owner_id is not UNSET:
                await require_manager(session, owner_id, "owner_id")
                lead.owner_id = owner_id
            if status is not None:
                lead.status = status
            try:
                await session.flush()
            except IntegrityError:
                raise Conflict("the number already has an open lead") from None
        if self._bus is not None and (owner_id is not UNSET or status is not None):
            await self._bus.publish(lead_changed(lead.id, lead.phone))
        return lead

    async def set_fact(self, scope: Scope, lead_id: int, field: str, value: str, user_id: int | None) -> Lead:
        """A manager's entry on the lead's card: it replaces what the conversation gave, and stays."""
        async with self._sessions() as session, session.begin():
            await _lead(session, scope, lead_id)
            fact = await session.scalar(select(LeadFact).where(LeadFact.lead_id == lead_id, LeadFact.field == field))
            if fact is None:
                fact = LeadFact(lead_id=lead_id, field=field)
                session.add(fact)
            fact.value, fact.set_by, fact.user_id = value, FACT_BY_MANAGER, user_id
            fact.quote, fact.second, fact.call_id, fact.updated_at = "", None, None, self._clock.now()
        async with self._sessions() as session:
            return await _lead(session, scope, lead_id)


async def _lead(session: AsyncSession, scope: Scope, lead_id: int) -> Lead:
    lead = await session.scalar(select(Lead).where(Lead.id == lead_id, visible_leads(scope)))
    if lead is None:
        raise NotFound("no such lead")
    return lead
