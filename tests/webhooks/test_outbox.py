"""The outbox: bus events become one delivery row per matching active webhook, once."""

from datetime import timedelta

from sqlalchemy import select

from callcenter.bus import CALL_ENDED, LEAD_CREATED, TASK_CLOSED, TASK_CREATED, TASK_OVERDUE, DomainEvent, EventBus
from pbx.tracker.model import CallLeg, CallRecord, Direction, Disposition, LegResult
from storage.models import WebhookDelivery
from tests.webhooks.conftest import T0
from webhooks.events import wants, webhook_event

CALL = CallRecord(
    linkedid="1732356000.17",
    direction=Direction.INBOUND,
    started_at=T0,
    caller_raw="89161112233",
    caller_number="+79161112233",
    caller_name="Елена",
    did="74951234567",
    answered_at=T0 + timedelta(seconds=8),
    ended_at=T0 + timedelta(seconds=68),
    legs=[CallLeg("101", "Local/101@sim-agent;1", T0, T0 + timedelta(seconds=8), T0 + timedelta(seconds=68),
                  LegResult.ANSWERED)],
    answered_by="101",
    disposition=Disposition.ANSWERED,
)


async def rows(sessions) -> list[tuple]:
    async with sessions() as session:
        found = await session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id))
        return [(row.webhook_id, row.event, row.event_id, row.status, row.attempts) for row in found]


def test_the_call_ended_payload_and_id():
    event_id, payload = webhook_event(DomainEvent(CALL_ENDED, CALL))
    assert event_id == "call.ended:1732356000.17"
    assert payload == {
        "linkedid": "1732356000.17", "direction": "inbound", "disposition": "answered",
        "caller_number": "+79161112233", "caller_name": "Елена", "did": "74951234567", "callee_number": None,
        "started_at": T0.isoformat(), "answered_at": (T0 + timedelta(seconds=8)).isoformat(),
        "ended_at": (T0 + timedelta(seconds=68)).isoformat(), "wait_seconds": 8.0, "talk_seconds": 60.0,
        "answered_by_extension": "101", "rung_extensions": ["101"], "queue": None,
    }


def test_crm_events_are_identified_by_their_row():
    assert webhook_event(DomainEvent(LEAD_CREATED, {"lead_id": 4}))[0] == "lead.created:4"
    assert webhook_event(DomainEvent(TASK_CREATED, {"task_id": 9}))[0] == "task.created:9"
    assert webhook_event(DomainEvent(TASK_OVERDUE, {"task_id": 9}))[0] == "task.overdue:9"


def test_an_empty_event_list_wants_everything():
    assert wants([], CALL_ENDED) and wants([CALL_ENDED], CALL_ENDED)
    assert not wants([LEAD_CREATED], CALL_ENDED)


async def test_published_events_are_queued_once_per_webhook(service, outbox, sessions):
    everything = await service.create("https://crm.example/hook")
    leads_only = await service.create("https://leads.example/hook", events=[LEAD_CREATED])
    await service.create("https://off.example/hook", active=False)
    bus = EventBus()
    outbox.subscribe(bus)
    for _ in range(2):  # the replay queues nothing more
        await bus.publish(DomainEvent(CALL_ENDED, CALL))
        await bus.publish(DomainEvent(LEAD_CREATED, {"lead_id": 4}))
    await bus.publish(DomainEvent(TASK_CLOSED, {"task_id": 9}))  # not a webhook event
    assert await rows(sessions) == [
        (everything.id, CALL_ENDED, "call.ended:1732356000.17", "pending", 0),
        (everything.id, LEAD_CREATED, "lead.created:4", "pending", 0),
        (leads_only.id, LEAD_CREATED, "lead.created:4", "pending", 0),
    ]


async def test_enqueue_counts_only_new_deliveries(service, outbox, sessions):
    await service.create("https://crm.example/hook")
    assert await outbox.enqueue(LEAD_CREATED, "lead.created:4", {"lead_id": 4}) == 1
    assert await outbox.enqueue(LEAD_CREATED, "lead.created:4", {"lead_id": 4}) == 0
    await service.create("https://second.example/hook")  # a webhook added later gets the replayed event
    assert await outbox.enqueue(LEAD_CREATED, "lead.created:4", {"lead_id": 4}) == 1
    assert len(await rows(sessions)) == 2


async def test_no_webhooks_no_rows(outbox, sessions):
    assert await outbox.enqueue(LEAD_CREATED, "lead.created:4", {"lead_id": 4}) == 0
    assert await rows(sessions) == []
