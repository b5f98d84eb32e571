"""The crm's domain events: each real change to a lead or a callback task is
published once, after its transaction; replays publish nothing. On both databases."""

import asyncio
import json
from datetime import timedelta

import pytest

from callcenter.bus import (
    CALL_ENDED,
    LEAD_CREATED,
    TASK_CLOSED,
    TASK_CREATED,
    TASK_OVERDUE,
    TASK_UPDATED,
    DomainEvent,
    EventBus,
)
from crm.call_cards import CallCardStore
from crm.leads import LeadService
from crm.tasks import CallbackTaskService
from tests.crm.test_tasks import CLIENT, STRANGER, T0, answered, missed

CRM_EVENTS = (LEAD_CREATED, TASK_CREATED, TASK_UPDATED, TASK_CLOSED, TASK_OVERDUE)


@pytest.fixture
def bus() -> EventBus:
    return EventBus()


@pytest.fixture
def published(bus) -> list[DomainEvent]:
    """Every crm event published on ``bus``, in order; each checked to be JSON-able."""
    events: list[DomainEvent] = []

    async def note(event: DomainEvent) -> None:
        json.dumps(event.payload)
        events.append(event)

    for name in CRM_EVENTS:
        bus.subscribe(name, note)
    return events


def names(events: list[DomainEvent]) -> list[str]:
    return [event.name for event in events]


@pytest.fixture
def leads(sessions, bus, people) -> LeadService:
    return LeadService(sessions, bus=bus)


@pytest.fixture
def tasks(sessions, bus, people) -> CallbackTaskService:
    return CallbackTaskService(sessions, bus=bus)


# --- leads ---------------------------------------------------------------------


async def test_a_new_lead_is_published_once(leads, published, people):
    lead = await leads.record_call(answered("c.1", number=STRANGER, by="103"))
    assert published == [DomainEvent(LEAD_CREATED, {
        "lead_id": lead.id, "phone": STRANGER, "source": None, "status": "open",
        "owner_id": people["103"], "owner_extension": "103", "linkedid": "c.1", "call_id": None,
        "created_at": published[0].payload["created_at"],
    })]
    assert published[0].payload["created_at"].endswith("+00:00")


async def test_a_replay_or_a_further_call_publishes_no_lead(leads, published):
    await leads.record_call(missed("c.1", caller=STRANGER))
    await leads.record_call(missed("c.1", caller=STRANGER))  # the replay
    await leads.record_call(answered("c.2", number=STRANGER, at=T0 + timedelta(minutes=5)))  # finds the open lead
    await leads.record_call(missed("c.3", caller=CLIENT))  # a client's call makes no lead
    assert names(published) == [LEAD_CREATED]
    assert published[0].payload["owner_extension"] is None


async def test_a_replay_after_the_lead_closed_publishes_nothing(leads, published):
    lead = await leads.record_call(missed("c.1", caller=STRANGER))
    await leads.set_status(lead.id, "closed")
    await leads.record_call(missed("c.1", caller=STRANGER))
    second = await leads.record_call(missed("c.2", caller=STRANGER))
    assert [event.payload["lead_id"] for event in published] == [lead.id, second.id]


async def test_simultaneous_calls_publish_one_lead(sessions, bus, published, people):
    services = [LeadService(sessions, bus=bus) for _ in range(4)]
    await asyncio.gather(*(services[n % 4].record_call(missed(f"race.{n % 6}", caller=STRANGER)) for n in range(12)))
    assert names(published) == [LEAD_CREATED]


# --- callback tasks ---------------------------------------------------------------


async def test_a_miss_publishes_task_created(tasks, published, people):
    task = await tasks.record_call(missed("m.1"))
    assert names(published) == [TASK_CREATED]
    payload = published[0].payload
    assert payload == {
        "task_id": task.id, "phone": CLIENT, "status": "open", "client_id": task.client_id, "lead_id": None,
        "manager_id": people["101"], "manager_extension": "101", "missed_count": 1,
        "linkedid": "m.1", "first_linkedid": "m.1",
        "first_missed_at": (T0 + timedelta(seconds=30)).isoformat(),
        "last_missed_at": (T0 + timedelta(seconds=30)).isoformat(),
        "deadline_at": (T0 + timedelta(seconds=30, minutes=15)).isoformat(),
        "escalated_at": None, "closed_at": None, "closed_by_linkedid": None,
    }


async def test_a_repeat_miss_publishes_task_updated_and_a_replay_nothing(tasks, published):
    await tasks.record_call(missed("m.1"))
    await tasks.record_call(missed("m.2", at=T0 + timedelta(minutes=3)))
    await tasks.record_call(missed("m.1"))
    await tasks.record_call(missed("m.2", at=T0 + timedelta(minutes=3)))
    assert names(published) == [TASK_CREATED, TASK_UPDATED]
    update = published[1].payload
    assert (update["missed_count"], update["linkedid"], update["first_linkedid"]) == (2, "m.2", "m.1")
    assert update["last_missed_at"] == (T0 + timedelta(minutes=3, seconds=30)).isoformat()


async def test_reaching_the_number_publishes_task_closed_once(tasks, published):
    task = await tasks.record_call(missed("m.1"))
    reached = answered("r.1", at=T0 + timedelta(minutes=5))
    await tasks.record_call(reached)
    await tasks.record_call(reached)  # the replay
    await tasks.record_call(answered("r.2", at=T0 + timedelta(minutes=9)))  # nothing open any more
    assert names(published) == [TASK_CREATED, TASK_CLOSED]
    closed = published[1].payload
    assert (closed["task_id"], closed["status"], closed["linkedid"], closed["closed_by_linkedid"]) == (
        task.id, "done", "r.1", "r.1")
    assert closed["closed_at"] == (T0 + timedelta(minutes=5, seconds=65)).isoformat()


async def test_an_overdue_task_is_published_once(tasks, published):
    early = await tasks.record_call(missed("m.1"))
    await tasks.record_call(missed("m.2", caller=STRANGER, at=T0 + timedelta(minutes=10), rang=("fallback",)))
    published.clear()
    assert await tasks.escalate_overdue(T0 + timedelta(minutes=15)) == []
    now = T0 + timedelta(minutes=16)
    await tasks.escalate_overdue(now)
    await tasks.escalate_overdue(now + timedelta(minutes=1))
    assert names(published) == [TASK_OVERDUE]
    overdue = published[0].payload
    assert (overdue["task_id"], overdue["linkedid"], overdue["escalated_at"]) == (early.id, None, now.isoformat())
    await tasks.escalate_overdue(now + timedelta(hours=1))
    assert [(event.name, event.payload["manager_extension"]) for event in published[1:]] == [(TASK_OVERDUE, None)]


async def test_simultaneous_misses_publish_one_created_and_the_rest_updated(sessions, bus, published, people):
    services = [CallbackTaskService(sessions, bus=bus) for _ in range(4)]
    await asyncio.gather(
        *(services[n % 4].record_call(missed(f"race.{n}", at=T0 + timedelta(seconds=n))) for n in range(8)),
        *(services[n % 4].record_call(missed("race.0")) for n in range(4)),  # replays racing too
    )
    assert sorted(names(published)) == [TASK_CREATED] + [TASK_UPDATED] * 7
    counts = sorted(event.payload["missed_count"] for event in published if event.name == TASK_UPDATED)
    assert counts == list(range(2, 9))


async def test_published_over_the_wired_bus(sessions, bus, published, people):
    """Wired as in the app: the handlers of call.ended publish the crm events."""
    CallCardStore(sessions).subscribe(bus)
    LeadService(sessions, bus=bus).subscribe(bus)
    CallbackTaskService(sessions, bus=bus).subscribe(bus)
    call = missed("bus.1", caller=STRANGER, rang=("105",))
    await bus.publish(DomainEvent(CALL_ENDED, call))
    await bus.publish(DomainEvent(CALL_ENDED, call))
    assert names(published) == [LEAD_CREATED, TASK_CREATED]
    lead, task = (event.payload for event in published)
    assert lead["call_id"] is not None and task["lead_id"] == lead["lead_id"]
    assert task["manager_extension"] == "105"
