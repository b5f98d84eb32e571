"""The outbox: a webhook event becomes one pending delivery row per active
webhook that wants it, in the database, before anything is sent; the delivery
worker sends them. Idempotent: the rows are unique by (webhook, event id)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from callcenter.bus import DomainEvent, EventBus
from callcenter.clock import Clock, SystemClock
from crm.leads import utc
from crm.lookups import insert_ignoring_conflicts
from storage.models import Webhook, WebhookDelivery
from webhooks.events import OUTBOX_EVENTS, wants, webhook_event

PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"
DELIVERY_STATUSES = (PENDING, DELIVERED, FAILED)


class Outbox:
    def __init__(self, sessions: async_sessionmaker, clock: Clock | None = None) -> None:
        self._sessions = sessions
        self._clock = clock or SystemClock()

    def subscribe(self, bus: EventBus) -> None:
        for name in OUTBOX_EVENTS:
            bus.subscribe(name, self._on_event)

    async def _on_event(self, event: DomainEvent) -> None:
        event_id, payload = webhook_event(event)
        await self.enqueue(event.name, event_id, payload)

    async def enqueue(self, event: str, event_id: str, payload: dict) -> int:
        """Queue ``event`` for every active webhook that wants it, due now;
        return how many deliveries are new (0 for an event queued before)."""
        now = utc(self._clock.now())
        async with self._sessions() as session, session.begin():
            hooks = await session.execute(select(Webhook.id, Webhook.events).where(Webhook.active.is_(True)))
            targets = [hook_id for hook_id, subscribed in hooks if wants(subscribed, event)]
            if not targets:
                return 0
            rows = [
                {
                    "webhook_id": hook_id,
                    "event": event,
                    "event_id": event_id,
                    "payload": payload,
                    "status": PENDING,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "last_error": "",
                    "created_at": now,
                }
                for hook_id in targets
            ]
            inserted = await session.execute(
                insert_ignoring_conflicts(session, WebhookDelivery.__table__).values(rows).returning(WebhookDelivery.id)
            )
            return len(inserted.all())
