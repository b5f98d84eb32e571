"""The job queue's semantics on the embedded server and the real Redis: delivery to one
worker at a time, reclaiming a dead worker's job, retries, dead letters."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis


from jobs.queue import WORKER_DIED, JobQueue, QueueStats

IDLE = 0.05  # claim_idle_seconds of the tests that reclaim
PAST_IDLE = 0.08


def make_queue(redis, **options) -> JobQueue:
    return JobQueue(redis, "test:jobs", **options)


async def test_enqueue_claim_ack_roundtrip(redis):
    queue = make_queue(redis)
    job_id = await queue.enqueue({"call_id": 7, "path": "a.wav"})

    job = await queue.claim("w1")

    assert (job.id, job.payload, job.attempts, job.consumer) == (job_id, {"call_id": 7, "path": "a.wav"}, 1, "w1")
    assert await queue.stats() == QueueStats(waiting=0, running=1, dead=0)
    await queue.ack(job)
    assert await queue.stats() == QueueStats(waiting=0, running=0, dead=0)
    assert await redis.xlen("test:jobs") == 0
    assert await queue.claim("w1") is None


async def test_claim_on_an_empty_queue_creates_the_group_and_returns_none(redis):
    queue = make_queue(redis)

    assert await queue.claim("w1") is None
    assert await queue.claim("w1", block_seconds=0.05) is None
    await make_queue(redis).enqueue({"n": 1})  # a second queue object: creating the group again is harmless

    assert (await queue.claim("w1")).payload == {"n": 1}


async def test_a_blocking_claim_waits_for_a_job(redis):
    queue = make_queue(redis)
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await queue.claim("w1", block_seconds=0.2) is None
    assert loop.time() - started >= 0.19

    waiting = asyncio.create_task(queue.claim("w1", block_seconds=2))
    await asyncio.sleep(0.05)
    job_id = await queue.enqueue({"n": 1})
    job = await waiting

    assert job.id == job_id
    assert loop.time() - started < 1.5


async def test_no_job_is_delivered_to_two_consumers(redis):
    queue = make_queue(redis)
    ids = [await queue.enqueue({"n": n}) for n in range(6)]

    claimed = []
    for _ in range(4):
        for consumer in ("w1", "w2"):
            if job := await queue.claim(consumer):
                claimed.append(job)

    assert sorted(job.id for job in claimed) == sorted(ids)
    assert {job.consumer for job in claimed} == {"w1", "w2"}
    assert all(job.attempts == 1 for job in claimed)


async def test_a_dead_workers_job_is_reclaimed_after_the_idle_time(redis):
    queue = make_queue(redis, claim_idle_seconds=IDLE)
    job_id = await queue.enqueue({"n": 1})
    lost = await queue.claim("w1")  # w1 dies with it

    assert await queue.claim("w2") is None
    await asyncio.sleep(PAST_IDLE)
    job = await queue.claim("w2")

    assert (job.id, job.payload, job.attempts, job.consumer) == (job_id, {"n": 1}, 2, "w2")
    assert await queue.touch(lost) is False  # w1 may not take it back
    assert await queue.fail(lost, "late") is False
    pending = await redis.xpending_range("test:jobs", "workers", job_id, job_id, 1)
    assert pending[0]["consumer"] == "w2"
    assert await redis.hget("test:jobs:errors", job_id) is None


async def test_a_failed_job_is_retried_then_dead_lettered_with_its_error(redis):
    queue = make_queue(redis, max_attempts=3, claim_idle_seconds=IDLE, retry_delay_seconds=0)
    job_id = await queue.enqueue({"n": 1})

    attempts = []
    for n in range(1, 4):
        job = await queue.claim("w1")
        attempts.append(job.attempts)
        assert await queue.fail(job, f"RuntimeError: try {n}") is (n == 3)

    assert attempts == [1, 2, 3]
    assert await queue.claim("w1") is None
    [dead] = await queue.dead_letters()
    assert (dead.job_id, dead.payload, dead.error, dead.attempts) == (job_id, {"n": 1}, "RuntimeError: try 3", 3)
    assert dead.failed_at.tzinfo is not None
    assert await queue.stats() == QueueStats(waiting=0, running=0, dead=1)
    assert await redis.hlen("test:jobs:errors") == 0


async def test_a_failed_job_waits_for_the_retry_delay(redis):
    queue = make_queue(redis, claim_idle_seconds=60, retry_delay_seconds=IDLE)
    await queue.enqueue({"n": 1})
    await queue.fail(await queue.claim("w1"), "ValueError: x")

    assert await queue.claim("w2") is None
    await asyncio.sleep(PAST_IDLE)
    job = await queue.claim("w2")

    assert (job.payload, job.attempts) == ({"n": 1}, 2)


async def test_a_job_whose_workers_died_three_times_is_dead_lettered(redis):
    queue = make_queue(redis, max_attempts=3, claim_idle_seconds=IDLE)
    job_id = await queue.enqueue({"n": 1})

    attempts = []
    for consumer in ("w1", "w2", "w3"):
        attempts.append((await queue.claim(consumer)).attempts)
        await asyncio.sleep(PAST_IDLE)
    assert attempts == [1, 2, 3]

    assert await queue.claim("w4") is None
    [dead] = await queue.dead_letters()
    assert (dead.job_id, dead.error, dead.attempts) == (job_id, WORKER_DIED, 3)
    assert await queue.stats() == QueueStats(waiting=0, running=0, dead=1)


async def test_a_job_that_failed_then_died_is_dead_lettered_with_its_last_error(redis):
    queue = make_queue(redis, max_attempts=2, claim_idle_seconds=IDLE, retry_delay_seconds=0)
    await queue.enqueue({"n": 1})
    await queue.fail(await queue.claim("w1"), "OSError: disk full")
    await queue.claim("w2")  # w2 dies with it
    await asyncio.sleep(PAST_IDLE)
    fresh = await queue.enqueue({"n": 2})

    job = await queue.claim("w3")  # the dead job is buried on the way to the next one

    assert job.id == fresh
    [dead] = await queue.dead_letters()
    assert dead.error == f"{WORKER_DIED} (last error: OSError: disk full)"


async def test_dead_letters_are_listed_newest_first_and_retried(redis):
    queue = make_queue(redis, max_attempts=1)
    for n in (1, 2):
        await queue.enqueue({"n": n})
        assert await queue.fail(await queue.claim("w1"), f"boom {n}") is True

    first, second = await queue.dead_letters()
    assert [first.payload, second.payload] == [{"n": 2}, {"n": 1}]
    assert len(await queue.dead_letters(limit=1)) == 1

    new_id = await queue.retry_dead(second.id)
    assert await queue.retry_dead(second.id) is None  # once only
    assert await queue.retry_dead("1-1") is None
    assert await queue.retry_dead("not-an-id") is None
    assert [dead.id for dead in await queue.dead_letters()] == [first.id]
    job = await queue.claim("w1")
    assert (job.id, job.payload, job.attempts) == (new_id, {"n": 1}, 1)
    assert new_id != second.job_id


async def test_stats_count_waiting_running_and_dead(redis):
    queue = make_queue(redis, max_attempts=1)
    assert await queue.stats() == QueueStats(waiting=0, running=0, dead=0)
    for n in range(4):
        await queue.enqueue({"n": n})

    await queue.fail(await queue.claim("w1"), "boom")
    await queue.ack(await queue.claim("w1"))
    await queue.claim("w2")

    assert await queue.stats() == QueueStats(waiting=1, running=1, dead=1)


async def test_touch_keeps_a_long_job_from_being_reclaimed(redis):
    queue = make_queue(redis, claim_idle_seconds=0.1)
    await queue.enqueue({"n": 1})
    job = await queue.claim("w1")

    for _ in range(4):  # 0.24 s in all, well past the idle time
        await asyncio.sleep(0.06)
        assert await queue.touch(job) is True
        assert await queue.claim("w2") is None

    await asyncio.sleep(0.15)
    assert (await queue.claim("w2")).attempts == 2


async def test_a_client_returning_bytes_works_too(embedded_redis_url):
    redis = Redis.from_url(embedded_redis_url)  # decode_responses=False
    await redis.flushdb()
    queue = make_queue(redis, max_attempts=1)
    await queue.enqueue({"n": 1})

    job = await queue.claim("w1")
    assert (job.payload, job.attempts) == ({"n": 1}, 1)
    assert await queue.fail(job, "boom") is True
    [dead] = await queue.dead_letters()
    assert (dead.payload, dead.error) == ({"n": 1}, "boom")
    assert await queue.retry_dead(dead.id) is not None
    assert await queue.stats() == QueueStats(waiting=1, running=0, dead=0)
    await redis.aclose()
