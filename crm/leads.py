"""Leads: a caller whose number is neither a client's nor an open lead's
becomes one lead, owned by the manager who answered them.

One number, one open lead. The database enforces it (a partial unique index on
``leads.phone`` where ``status = 'open'``, and ``leads.first_linkedid`` unique
so a replayed call never makes a second lead even after the first was closed);
the handler inserts with ``ON CONFLICT DO NOTHING`` and then reads the open
lead back, so two simultaneous calls, two instances, or a replay all end on
the same row.

A lead really made (not found again) is announced as ``lead.created`` once the
transaction commits: :func:`lead_payload`.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.bus import CALL_ENDED, LEAD_CREATED, DomainEvent, EventBus
from callcenter.clock import Clock, SystemClock
from crm.lookups import (
    call_id_by_linkedid,
    client_of_phone,
    insert_ignoring_conflicts,
    manager_id_by_extension,
    source_of_did,
)
from pbx.tracker.model import CallRecord, Direction, Disposition
from storage.models import Lead

LEAD_OPEN = "open"
LEAD_CONVERTED = "converted"
LEAD_CLOSED = "closed"
LEAD_STATUSES = (LEAD_OPEN, LEAD_CONVERTED, LEAD_CLOSED)


# --- rules -------------------------------------------------------------------


def lead_phone(record: CallRecord) -> str | None:
    """The number a lead would be made for: an inbound caller's E.164 number.
    Anonymous callers, outbound and internal calls make no lead."""
    if record.direction is not Direction.INBOUND:
        return None
    return record.caller_number


def answering_extension(record: CallRecord) -> str | None:
    """The extension of the manager who talked to the caller, if anyone did."""
    if record.disposition is not Disposition.ANSWERED:
        return None
    return record.answered_by


def utc(moment: datetime | None) -> datetime | None:
    """``moment`` in UTC (naive values are taken as UTC): SQLite keeps no
    offset, so every stored time is UTC to compare correctly."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def iso(moment: datetime | None) -> str | None:
    """``moment`` in UTC as ISO 8601, for event payloads."""
    return None if moment is None else utc(moment).isoformat()


def lead_payload(lead: Lead, owner_extension: str | None, linkedid: str) -> dict:
    """The ``lead.created`` payload: the lead, its owner and the call that made it."""
    return {
        "lead_id": lead.id,
        "phone": lead.phone,
        "source": lead.source,
        "status": lead.status,
        "owner_id": lead.owner_id,
        "owner_extension": owner_extension,
        "linkedid": linkedid,
        "call_id": lead.first_call_id,
        "created_at": iso(lead.created_at),
    }


# --- the service ---------------------------------------------------------------


class LeadService:
    def __init__(self, sessions: async_sessionmaker, clock: Clock | None = None, bus: EventBus | None = None) -> None:
        """``bus`` receives ``lead.created``."""
        self._sessions = sessions
        self._clock = clock or SystemClock()
        self._bus = bus or EventBus()

    def subscribe(self, bus: EventBus) -> None:
        """Listen to ``call.ended``; subscribe after CallCardStore so the card exists."""
        bus.subscribe(CALL_ENDED, self._on_call_ended)

    async def _on_call_ended(self, event: DomainEvent) -> None:
        await self.record_call(event.payload)

    async def record_call(self, record: CallRecord) -> Lead | None:
        """Make or find the open lead for ``record``'s caller and give it an
        owner if it has none and a manager answered. Returns the open lead, or
        None when the call makes no lead (anonymous, a client, not inbound).
        Publishes ``lead.created`` when this call made the lead."""
        phone = lead_phone(record)
        if phone is None:
            return None
        async with self._sessions() as session, session.begin():
            client_id, _ = await client_of_phone(session, phone)
            if client_id is not None:
                return None
            extension = answering_extension(record)
            owner_id = await manager_id_by_extension(session, extension)
            created_id = await session.scalar(
                insert_ignoring_conflicts(session, Lead.__table__)
                .values(
                    phone=phone,
                    source=await source_of_did(session, record.did) or record.did,
                    first_linkedid=record.linkedid,
                    first_call_id=await call_id_by_linkedid(session, record.linkedid),
                    owner_id=owner_id,
                    status=LEAD_OPEN,
                    created_at=utc(self._clock.now()),
                )
                .returning(Lead.id)
            )
            if owner_id is not None:
                await session.execute(
                    update(Lead)
                    .where(Lead.phone == phone, Lead.status == LEAD_OPEN, Lead.owner_id.is_(None))
                    .values(owner_id=owner_id)
                )
            lead = await _open_lead(session, phone)
        if created_id is not None:
            owner_extension = extension if owner_id is not None else None
            await self._bus.publish(DomainEvent(LEAD_CREATED, lead_payload(lead, owner_extension, record.linkedid)))
        return lead

    async def open_lead(self, phone: str) -> Lead | None:
        async with self._sessions() as session:
            return await _open_lead(session, phone)

    async def get(self, lead_id: int) -> Lead | None:
        async with self._sessions() as session:
            return await session.get(Lead, lead_id)

    async def set_status(self, lead_id: int, status: str) -> Lead | None:
        """Mark a lead converted or closed (or reopen it). Reopening fails with
        IntegrityError if the number already has another open lead."""
        if status not in LEAD_STATUSES:
            raise ValueError(f"unknown lead status {status!r}")
        async with self._sessions() as session, session.begin():
            lead = await session.get(Lead, lead_id)
            if lead is not None:
                lead.status = status
                await session.flush()
            return lead


async def _open_lead(session: AsyncSession, phone: str) -> Lead | None:
    return await session.scalar(
        select(Lead).where(Lead.phone == phone, Lead.status == LEAD_OPEN).execution_options(populate_existing=True)
    )
