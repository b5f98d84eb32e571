"""Delivering webhooks to a real HTTP receiver: signing, retries with backoff on
a fake clock, failure after the last attempt, and concurrent workers; on both databases."""

import asyncio
import json
import random
from collections import Counter

import pytest

from callcenter.bus import LEAD_CREATED, TASK_CREATED
from callcenter.config import Settings
from crm.leads import utc as at_utc
from storage.models import WebhookDelivery
from tests.conftest import free_port
from tests.webhooks.conftest import POLICY, SECRET, SLOW, T0
from webhooks.delivery import DeliveryPolicy

LEAD = {"lead_id": 1, "phone": "+79035556677", "owner_extension": "101"}


async def delivery(sessions, delivery_id: int) -> WebhookDelivery:
    async with sessions() as session:
        return await session.get(WebhookDelivery, delivery_id)


async def test_a_delivery_is_signed_posted_and_marked_delivered(service, outbox, worker, receiver, sessions, results):
    hook = await service.create(receiver.url(), secret=SECRET)
    assert await outbox.enqueue(LEAD_CREATED, "lead.created:1", LEAD) == 1
    assert await worker.run_once() == 1

    (request,) = receiver.received
    assert request.signed
    assert request.headers["X-Callcenter-Event"] == LEAD_CREATED
    assert request.headers["X-Callcenter-Timestamp"] == str(int(T0.timestamp()))
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.body) == {
        "event": LEAD_CREATED, "event_id": "lead.created:1", "created_at": T0.isoformat(), "data": LEAD}

    row = await delivery(sessions, request.delivery)
    assert (row.webhook_id, row.status, row.attempts, row.response_status, row.last_error) == (
        hook.id, "delivered", 1, 200, "")
    assert at_utc(row.delivered_at) == T0 and row.next_attempt_at is None
    assert results == ["delivered"]
    assert await worker.run_once() == 0


async def test_server_errors_and_a_timeout_are_retried_with_backoff(service, outbox, worker, receiver, clock, sessions,
                                                                     results):
    await service.create(receiver.url(), secret=SECRET)
    await outbox.enqueue(LEAD_CREATED, "lead.created:1", LEAD)
    receiver.script = [500, SLOW]

    assert await worker.run_once() == 1
    row = await delivery(sessions, receiver.received[0].delivery)
    assert (row.status, row.attempts, row.response_status, row.last_error) == ("pending", 1, 500, "HTTP 500 answer 500")
    first_delay = (at_utc(row.next_attempt_at) - T0).total_seconds()
    assert 5 <= first_delay <= 10  # the base, jittered to 50-100 %

    assert await worker.run_once() == 0  # not due yet
    clock.advance(first_delay)
    assert await worker.run_once() == 1
    row = await delivery(sessions, row.id)
    assert (row.status, row.attempts, row.response_status) == ("pending", 2, None)
    assert row.last_error == "timed out after 0.3 s"
    second_delay = (at_utc(row.next_attempt_at) - clock.now()).total_seconds()
    assert 7.5 <= second_delay <= 15  # doubled, capped at the max of 15 s

    clock.advance(second_delay)
    assert await worker.run_once() == 1
    row = await delivery(sessions, row.id)
    assert (row.status, row.attempts, row.response_status, row.last_error) == ("delivered", 3, 200, "")
    assert len(receiver.received) == 3 and all(request.signed for request in receiver.received)
    assert len({request.delivery for request in receiver.received}) == 1  # one delivery id for every attempt
    assert results == ["retry", "retry", "delivered"]


async def test_a_delivery_fails_after_the_last_attempt(service, outbox, worker, receiver, clock, sessions, results):
    await service.create(receiver.url(), secret=SECRET)
    await outbox.enqueue(LEAD_CREATED, "lead.created:1", LEAD)
    receiver.script = [503, 502, 500, 200]
    for _ in range(POLICY.max_attempts):
        assert await worker.run_once() == 1
        clock.advance(POLICY.backoff_max_seconds)
    row = await delivery(sessions, receiver.received[0].delivery)
    assert (row.status, row.attempts, row.response_status, row.next_attempt_at) == ("failed", 3, 500, None)
    assert row.last_error == "HTTP 500 answer 500"
    clock.advance(3600)
    assert await worker.run_once() == 0
    assert len(receiver.received) == 3
    assert results == ["retry", "retry", "failed"]


async def test_a_refused_connection_and_a_redirect_are_failures(service, outbox, worker, receiver, sessions):
    await service.create(f"http://127.0.0.1:{free_port()}/nobody-listens", secret=SECRET)
    await service.create(receiver.url(), secret=SECRET)
    receiver.script = [302]
    await outbox.enqueue(LEAD_CREATED, "lead.created:1", LEAD)
    assert await worker.run_once() == 2
    errors = {row.response_status: row.last_error for row in await service.deliveries()}
    assert errors[302] == "HTTP 302 answer 302"
    assert errors[None].startswith("ClientConnectorError")
    assert len(receiver.received) == 1  # the redirect was not followed


async def test_a_filtered_webhook_gets_only_its_events(service, outbox, worker, receiver):
    await service.create(receiver.url("/all"), secret=SECRET)
    await service.create(receiver.url("/tasks"), events=[TASK_CREATED], secret=SECRET)
    await service.create(receiver.url("/off"), secret=SECRET, active=False)
    await outbox.enqueue(LEAD_CREATED, "lead.created:1", LEAD)
    await outbox.enqueue(TASK_CREATED, "task.created:5", {"task_id": 5})
    assert await worker.run_once() == 3
    got = sorted((request.path, request.headers["X-Callcenter-Event"]) for request in receiver.received)
    assert got == [("/all", LEAD_CREATED), ("/all", TASK_CREATED), ("/tasks", TASK_CREATED)]


async def test_a_deactivated_webhooks_pending_deliveries_wait(service, outbox, worker, receiver):
    hook = await service.create(receiver.url(), secret=SECRET)
    await outbox.enqueue(LEAD_CREATED, "lead.created:1", LEAD)
    await service.update(hook.id, active=False)
    assert await worker.run_once() == 0
    await service.update(hook.id, active=True)
    assert await worker.run_once() == 1


async def test_a_redelivery_sends_again_with_a_fresh_budget(service, outbox, worker, receiver, clock, sessions):
    await service.create(receiver.url(), secret=SECRET)
    await outbox.enqueue(LEAD_CREATED, "lead.created:1", LEAD)
    receiver.script = [500] * POLICY.max_attempts
    for _ in range(POLICY.max_attempts):
        await worker.run_once()
        clock.advance(POLICY.backoff_max_seconds)
    (failed,) = await service.deliveries(status="failed")

    again = await service.redeliver(failed.id)
    assert (again.status, again.attempts, again.last_error, again.response_status) == ("pending", 0, "", None)
    assert await worker.run_once() == 1
    row = await delivery(sessions, failed.id)
    assert (row.status, row.attempts) == ("delivered", 1)
    assert await service.redeliver(10_000) is None


async def test_the_outcome_of_an_attempt_overtaken_by_a_redelivery_is_dropped(service, outbox, worker, receiver,
                                                                             sessions, results):
    """A redelivery while an attempt is in flight: the late outcome must not overwrite the fresh row."""
    await service.create(receiver.url(), secret=SECRET)
    await outbox.enqueue(LEAD_CREATED, "lead.created:1", LEAD)
    receiver.script = [SLOW]
    attempt = asyncio.create_task(worker.run_once())
    while not receiver.received:
        await asyncio.sleep(0.01)
    await service.redeliver(receiver.received[0].delivery)
    await attempt
    row = await delivery(sessions, receiver.received[0].delivery)
    assert (row.status, row.attempts, row.last_error) == ("pending", 0, "")
    assert results == []


async def test_workers_never_deliver_a_row_twice(service, outbox, make_worker, receiver, sessions, engine):
    """Several workers (several instances) draining the same outbox at once."""
    await service.create(receiver.url(), secret=SECRET)
    for n in range(60):
        await outbox.enqueue(LEAD_CREATED, f"lead.created:{n}", {**LEAD, "lead_id": n})
    workers = [make_worker(batch_size=4) for _ in range(3)]

    async def drain(worker) -> int:
        attempted = 0
        while claimed := await worker.run_once():
            attempted += claimed
        return attempted

    attempted = await asyncio.gather(*(drain(worker) for worker in workers))
    sent = Counter(request.delivery for request in receiver.received)
    assert len(sent) == 60 and set(sent.values()) == {1}
    assert sum(attempted) == 60
    assert {row.status for row in await service.deliveries(limit=100)} == {"delivered"}


async def test_the_background_loop_delivers(service, outbox, make_worker, receiver):
    await service.create(receiver.url(), secret=SECRET)
    worker = make_worker(poll_seconds=0.05)
    await worker.start()
    await outbox.enqueue(LEAD_CREATED, "lead.created:1", LEAD)
    async with asyncio.timeout(5):
        while not receiver.received:
            await asyncio.sleep(0.02)
    await worker.stop()


def test_the_retry_delay_doubles_up_to_the_max_with_jitter():
    policy = DeliveryPolicy(backoff_base_seconds=30, backoff_max_seconds=3600)
    low, high = random.Random(), random.Random()
    low.random, high.random = (lambda: 0.0), (lambda: 0.999999)
    assert [policy.retry_delay(n, high) for n in (1, 2, 3)] == pytest.approx([30, 60, 120], rel=1e-5)
    assert [policy.retry_delay(n, low) for n in (1, 2, 3)] == [15, 30, 60]
    assert policy.retry_delay(20, high) == pytest.approx(3600, rel=1e-5)
    assert policy.retry_delay(10_000, low) == 1800
    assert policy.lease_seconds > policy.timeout_seconds


def test_the_policy_comes_from_the_settings():
    settings = Settings(webhook_timeout_seconds=2, webhook_max_attempts=4, webhook_backoff_base_seconds=1,
                        webhook_backoff_max_seconds=9)
    assert DeliveryPolicy.from_settings(settings) == DeliveryPolicy(2, 4, 1, 9)
