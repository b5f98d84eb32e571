"""Which bus events go out as webhooks, and the id and JSON payload of each.

The event id is the same however often the event is published (a replayed
call, a second instance), so the outbox stores it once per webhook.
"""

from __future__ import annotations

from collections.abc import Sequence

from callcenter.bus import CALL_ENDED, CALL_SCORED, LEAD_CREATED, TASK_CREATED, TASK_OVERDUE, DomainEvent
from crm.leads import iso
from pbx.tracker.model import CallRecord

# what a webhook may subscribe to; call.scored is queued by the scoring worker itself (qa.service)
WEBHOOK_EVENTS = (CALL_ENDED, CALL_SCORED, LEAD_CREATED, TASK_CREATED, TASK_OVERDUE)

# the key of each crm event's payload that identifies it
_ID_KEYS = {LEAD_CREATED: "lead_id", TASK_CREATED: "task_id", TASK_OVERDUE: "task_id"}
# what the outbox listens to
OUTBOX_EVENTS = (CALL_ENDED, *_ID_KEYS)


def wants(subscribed: Sequence[str], event: str) -> bool:
    """Whether a webhook subscribed to ``subscribed`` (empty: everything) gets ``event``."""
    return not subscribed or event in subscribed


def webhook_event(event: DomainEvent) -> tuple[str, dict]:
    """``event``'s id and JSON payload, for one of :data:`OUTBOX_EVENTS`."""
    if event.name == CALL_ENDED:
        payload = call_payload(event.payload)
        return f"{CALL_ENDED}:{payload['linkedid']}", payload
    return f"{event.name}:{event.payload[_ID_KEYS[event.name]]}", event.payload


def call_payload(record: CallRecord) -> dict:
    """The ``call.ended`` payload: the call card's summary."""
    return {
        "linkedid": record.linkedid,
        "direction": str(record.direction),
        "disposition": None if record.disposition is None else str(record.disposition),
        "caller_number": record.caller_number,
        "caller_name": record.caller_name,
        "did": record.did,
        "callee_number": record.callee_number,
        "started_at": iso(record.started_at),
        "answered_at": iso(record.answered_at),
        "ended_at": iso(record.ended_at),
        "wait_seconds": record.wait_seconds,
        "talk_seconds": record.talk_seconds,
        "answered_by_extension": record.answered_by,
        "rung_extensions": record.rung,
        "queue": record.queue,
    }
