"""Bus events into the live channels.

The bus carries the tracker's events only on the instance that holds the AMI
lease, while a browser may be connected to any instance: so the events go
through Redis pub/sub (``live.channels``), and every instance's ``/api/live``
streams them.

- ``call.ringing``: the caller's card (``live.card.CallerCard``), to the rung
  manager and the team; a leg that is not a manager's phone goes to the team only;
- ``call.answered``, ``call.ended``: the call's linkedid, number, disposition
  and who answered, to every manager it rang and the team, so a pop can close;
- ``notification.created``, ``task.created``, ``task.closed``, ``task.overdue``:
  the bus payload as it is, to its ``manager_id`` (if any) and the team.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import async_sessionmaker

from callcenter.bus import (
    CALL_ANSWERED,
    CALL_ENDED,
    CALL_RINGING,
    NOTIFICATION_CREATED,
    TASK_CLOSED,
    TASK_CREATED,
    TASK_OVERDUE,
    DomainEvent,
    EventBus,
)
from callcenter.clock import Clock
from live.card import CardBuilder
from live.channels import Channels, message
from pbx.tracker.model import CallRecord

FORWARDED = (NOTIFICATION_CREATED, TASK_CREATED, TASK_CLOSED, TASK_OVERDUE)


class LivePublisher:
    def __init__(self, redis: Redis, cards: CardBuilder, channels: Channels) -> None:
        self._redis = redis
        self._cards = cards
        self._channels = channels

    @classmethod
    def create(
        cls, sessions: async_sessionmaker, redis: Redis, bus: EventBus, clock: Clock, prefix: str
    ) -> LivePublisher:
        """A publisher with its card builder, on the channels named by ``prefix``."""
        return cls(redis, CardBuilder(sessions, bus, clock), Channels(prefix))

    def subscribe(self, bus: EventBus) -> None:
        bus.subscribe(CALL_RINGING, self._on_ringing)
        for name in (CALL_ANSWERED, CALL_ENDED):
            bus.subscribe(name, self._on_progress)
        for name in FORWARDED:
            bus.subscribe(name, self._forward)

    async def _on_ringing(self, event: DomainEvent) -> None:
        card = await self._cards.card(event.payload)
        if card is not None:
            rung = None if card.manager is None else card.manager.id
            await self.publish(CALL_RINGING, card.model_dump(mode="json"), [rung])

    async def _on_progress(self, event: DomainEvent) -> None:
        record: CallRecord = event.payload
        data = {
            "linkedid": record.linkedid,
            "phone": record.client_number,
            "disposition": str(record.disposition),
            "answered_by": record.answered_by,
        }
        rung = await self._cards.manager_ids({leg.extension for leg in record.legs})
        await self.publish(event.name, data, rung)

    async def _forward(self, event: DomainEvent) -> None:
        await self.publish(event.name, event.payload, [event.payload.get("manager_id")])

    async def publish(self, event: str, data: Any, manager_ids: Iterable[int | None]) -> None:
        """Send ``event`` to the team and to each of ``manager_ids``' channels."""
        text = message(event, data)
        async with self._redis.pipeline(transaction=False) as pipe:
            for channel in self._channels.of_event(manager_ids):
                pipe.publish(channel, text)
            await pipe.execute()
