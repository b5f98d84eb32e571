"""The in-process domain event bus.

Publishers (the call tracker) announce what happened; subscribers (call-card
storage now; leads, tasks, recordings later) react. Handlers are awaited in
order of subscription, one event at a time, so a subscriber sees a call's
events in the order they happened. A failing handler is logged and does not
stop the others. Work that must survive a crash does not belong here: it goes
through the Redis job queue.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

CALL_STARTED = "call.started"
CALL_RINGING = "call.ringing"
CALL_ANSWERED = "call.answered"
CALL_ENDED = "call.ended"
RECORDING_READY = "recording.ready"


@dataclass(frozen=True)
class DomainEvent:
    name: str
    payload: Any


Handler = Callable[[DomainEvent], Awaitable[None]]


class EventBus:
    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = defaultdict(list)

    def subscribe(self, name: str, handler: Handler) -> None:
        self._handlers[name].append(handler)

    async def publish(self, event: DomainEvent) -> None:
        for handler in self._handlers.get(event.name, ()):
            try:
                await handler(event)
            except Exception:
                log.exception("handler %r failed on %s", handler, event.name)

    async def publish_all(self, events: list[DomainEvent]) -> None:
        for event in events:
            await self.publish(event)
