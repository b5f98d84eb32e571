"""The in-process domain event bus.

Publishers (the call tracker; the lead and callback-task services for their
own changes) announce what happened; subscribers (call-card storage, leads,
tasks, presence, metrics, the webhook outbox) react. Handlers are awaited in
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
CALLS_LISTED = "calls.listed"  # the tracker's live calls after lining up with Asterisk's channels (list[CallRecord])
MEMBER_PAUSED = "member.paused"  # a manager paused or unpaused in a queue (pbx.tracker.pauses.MemberPause)
CLIENT_CHANGED = "client.changed"  # a client's phones or responsible manager changed (crm.events.ClientChanged)
LEAD_CHANGED = "lead.changed"  # a lead's owner or status changed by hand (crm.events.LeadChanged)
MANAGERS_CHANGED = "managers.changed"  # managers or groups changed (crm.events.ManagersChanged)
CALL_SCORED = "call.scored"  # a webhook only: the scoring worker queues it in the outbox (qa.service)

# published by crm/ after its transaction commits, once per real change (never on a replay);
# payloads are JSON-able dicts
LEAD_CREATED = "lead.created"
TASK_CREATED = "task.created"
TASK_UPDATED = "task.updated"  # a further missed call counted into an open task
TASK_CLOSED = "task.closed"
TASK_OVERDUE = "task.overdue"
ROUTING_CHANGED = "routing.changed"  # routing rules or group chains changed (routing/rule_store.py)
NOTIFICATION_CREATED = "notification.created"  # a manager is told something (crm/notifications.py)


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
