"""Telling the responsible manager that a colleague answered their client.

When an inbound call from a number with an owner (``crm.owners``) is answered
by someone other than that owner, the owner gets one
``Notification`` of kind ``colleague_answered`` for that call, and the bus
carries ``notification.created`` for their browser. A replayed call notifies
once (unique manager, kind and call). Subscribe after the lead service: a
new caller's lead is owned by whoever answered, so nobody else is told.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import async_sessionmaker

from callcenter.bus import CALL_ENDED, NOTIFICATION_CREATED, DomainEvent, EventBus
from callcenter.clock import Clock
from crm.leads import answering_extension, lead_phone, utc
from crm.lookups import call_id_by_linkedid, insert_ignoring_conflicts
from crm.owners import owner_of
from pbx.tracker.model import CallRecord
from storage.models import Notification

COLLEAGUE_ANSWERED = "colleague_answered"


def colleague_answered(record: CallRecord, owner_extension: str | None) -> bool:
    """Whether ``record`` is an inbound call answered by someone other than the caller's owner."""
    answered_by = answering_extension(record)
    return lead_phone(record) is not None and owner_extension is not None and answered_by not in (None, owner_extension)


class OwnerNotifier:
    def __init__(self, sessions: async_sessionmaker, bus: EventBus, clock: Clock) -> None:
        self._sessions = sessions
        self._bus = bus
        self._clock = clock

    def subscribe(self, bus: EventBus) -> None:
        bus.subscribe(CALL_ENDED, self._on_call_ended)

    async def _on_call_ended(self, event: DomainEvent) -> None:
        await self.record_call(event.payload)

    async def record_call(self, record: CallRecord) -> Notification | None:
        """The notification this call made for the caller's owner, or None."""
        phone = lead_phone(record)
        if answering_extension(record) is None or phone is None:
            return None
        async with self._sessions() as session, session.begin():
            owner = await owner_of(session, phone)
            if owner is None or not colleague_answered(record, owner.extension):
                return None
            call_id = await call_id_by_linkedid(session, record.linkedid)
            payload = {
                "linkedid": record.linkedid,
                "phone": phone,
                "caller_name": record.caller_name,
                "answered_by": record.answered_by,
                "owner": owner.extension,
            }
            created_id = await session.scalar(
                insert_ignoring_conflicts(session, Notification.__table__)
                .values(manager_id=owner.manager_id, kind=COLLEAGUE_ANSWERED, call_id=call_id, payload=payload,
                        created_at=utc(self._clock.now()))
                .returning(Notification.id)
            )
            notification = await session.get(Notification, created_id) if created_id is not None else None
        if notification is not None:
            created = {"id": notification.id, "manager_id": owner.manager_id, "kind": COLLEAGUE_ANSWERED, **payload}
            await self._bus.publish(DomainEvent(NOTIFICATION_CREATED, created))
        return notification

