"""Bus events into the live channels.

The bus carries the tracker's events only on the instance that holds the AMI
lease, while a browser may be connected to any instance: so the events go
through Redis pub/sub (``live.channels``), and every instance's ``/api/live``
streams them.

- ``call.ringing``: the caller's card (``live.card.CallerCard``), to the rung
  manager and the team; a leg that is not a manager's phone goes to the team only;
- ``notification.created``, ``task.created``, ``task.closed``, ``task.overdue``:
  the bus payload as it is, to its ``manager_id`` (if any) and the team.
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import async_sessionmaker

from callcenter.bus import (
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
        for name in FORWARDED:
            bus.subscribe(name, self._forward)

    async def _on_ringing(self, event: DomainEvent) -> None:
        card = await self._cards.card(event.payload)
        if card is not None:
            rung = None if card.manager is None else card.manager.id
            await self.publish(CALL_RINGING, card.model_dump(mode="json"), rung)

    async def _forward(self, event: DomainEvent) -> None:
        await self.publish(event.name, event.payload, event.payload.get("manager_id"))

    async def publish(self, event: str, data: Any, manager_id: int | None) -> None:
        """Send ``event`` to the team and to ``manager_id``'s channel."""
        text = message(event, data)
        async with self._redis.pipeline(transaction=False) as pipe:
            for channel in self._channels.of_event(manager_id):
                pipe.publish(channel, text)
            await pipe.execute()
