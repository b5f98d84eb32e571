"""Bus events into Redis pub/sub, on the embedded server and the real Redis: each to the
team and to the manager it concerns, nobody else."""

from __future__ import annotations

import json

import pytest

from callcenter.bus import (
    CALL_ANSWERED,
    CALL_ENDED,
    CALL_RINGING,
    NOTIFICATION_CREATED,
    TASK_CREATED,
    TASK_OVERDUE,
    DomainEvent,
    EventBus,
)
from callcenter.clock import FakeClock
from live.channels import Channels
from live.publisher import LivePublisher
from pbx.tracker.model import Disposition
from tests.api.conftest import NOW, add_client
from tests.live.conftest import ringing

CLIENT = "+79161112233"


async def heard(pubsub, quiet: float = 0.3) -> list[tuple[str, dict]]:
    """What the subscription received until it was quiet for ``quiet`` seconds: (event, data)."""
    received = []
    while (message := await pubsub.get_message(ignore_subscribe_messages=True, timeout=quiet)) is not None:
        decoded = json.loads(message["data"])
        received.append((decoded["event"], decoded["data"]))
    return received


@pytest.fixture
async def listening(redis, settings, department):
    """Subscriptions to the team's channel and to Ivan's and Olga's."""
    channels = Channels(settings.live_channel_prefix)
    subscriptions = {}
    names = {"team": channels.team, "ivan": channels.manager(department.ivan), "olga": channels.manager(department.olga)}
    for name, channel in names.items():
        subscriptions[name] = redis.pubsub()
        await subscriptions[name].subscribe(channel)
        await subscriptions[name].get_message(timeout=1)  # the subscription's confirmation
    yield subscriptions
    for pubsub in subscriptions.values():
        await pubsub.aclose()


async def test_a_ring_goes_to_the_rung_manager_and_the_team(sessions, redis, settings, department, listening):
    client = await add_client(sessions, "ООО Ромашка", department.ivan, CLIENT)
    bus = EventBus()
    LivePublisher.create(sessions, redis, bus, FakeClock(NOW), settings.live_channel_prefix).subscribe(bus)

    await bus.publish(DomainEvent(CALL_RINGING, ringing("a", CLIENT, "101")))
    await bus.publish(DomainEvent(CALL_RINGING, ringing("b", CLIENT, "101", "fallback")))  # nobody's phone

    [(event, card)] = await heard(listening["ivan"])
    assert (event, card["linkedid"], card["client"], card["manager"]["id"]) == (
        CALL_RINGING, "a", {"id": client, "name": "ООО Ромашка"}, department.ivan)
    assert [(event, card["linkedid"]) for event, card in await heard(listening["team"])] == [
        (CALL_RINGING, "a"), (CALL_RINGING, "b")]
    assert await heard(listening["olga"]) == []


async def test_notifications_and_tasks_go_to_their_manager_and_the_team(
    sessions, redis, settings, department, listening
):
    bus = EventBus()
    LivePublisher.create(sessions, redis, bus, FakeClock(NOW), settings.live_channel_prefix).subscribe(bus)
    told = {"id": 7, "manager_id": department.olga, "kind": "colleague_answered", "phone": CLIENT}
    task = {"task_id": 3, "manager_id": department.ivan, "status": "open"}
    unassigned = {"task_id": 4, "manager_id": None, "status": "open"}

    await bus.publish_all([DomainEvent(NOTIFICATION_CREATED, told), DomainEvent(TASK_CREATED, task),
                           DomainEvent(TASK_OVERDUE, unassigned)])

    assert await heard(listening["olga"]) == [(NOTIFICATION_CREATED, told)]
    assert await heard(listening["ivan"]) == [(TASK_CREATED, task)]
    assert await heard(listening["team"]) == [
        (NOTIFICATION_CREATED, told), (TASK_CREATED, task), (TASK_OVERDUE, unassigned)]


async def test_answer_and_end_reach_every_manager_the_call_rang_so_their_pops_close(
    sessions, redis, settings, department, listening
):
    bus = EventBus()
    LivePublisher.create(sessions, redis, bus, FakeClock(NOW), settings.live_channel_prefix).subscribe(bus)
    call = ringing("c", CLIENT, "101", "102", "fallback")
    call.answered_by, call.disposition = "102", Disposition.ANSWERED

    await bus.publish_all([DomainEvent(CALL_ANSWERED, call), DomainEvent(CALL_ENDED, call)])

    expected = {"linkedid": "c", "phone": CLIENT, "disposition": "answered", "answered_by": "102"}
    for name in ("ivan", "olga", "team"):
        assert await heard(listening[name]) == [(CALL_ANSWERED, expected), (CALL_ENDED, expected)], name
