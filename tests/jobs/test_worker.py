"""The worker loop: acknowledging, retrying and dead-lettering through the
queue, surviving failing handlers and Redis errors, touching long jobs."""

from __future__ import annotations

import asyncio
import os
import socket

from redis.exceptions import ConnectionError as RedisConnectionError

from jobs import worker as worker_module
from jobs.queue import Job, JobQueue, QueueStats
from jobs.worker import Worker, consumer_name


def make_queue(redis, **options) -> JobQueue:
    return JobQueue(redis, "test:jobs", **options)


async def eventually(condition, timeout: float = 3.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def test_a_handled_job_is_acknowledged(redis):
    queue = make_queue(redis)
    await queue.enqueue({"n": 1})
    seen: list[Job] = []
    outcomes: list[tuple[str, float]] = []

    async def handler(job: Job) -> None:
        seen.append(job)

    worker = Worker(queue, handler, "w1", block_seconds=0, on_result=lambda *result: outcomes.append(result))

    assert await worker.run_once() is True
    assert [(job.payload, job.attempts, job.consumer) for job in seen] == [({"n": 1}, 1, "w1")]
    assert [outcome for outcome, _ in outcomes] == ["done"]
    assert outcomes[0][1] >= 0
    assert await queue.stats() == QueueStats(waiting=0, running=0, dead=0)
    assert await worker.run_once() is False


async def test_a_failing_handler_is_retried_then_dead_lettered(redis):
    queue = make_queue(redis, max_attempts=2, claim_idle_seconds=0.05, retry_delay_seconds=0)
    await queue.enqueue({"n": 1})
    outcomes: list[str] = []

    async def handler(job: Job) -> None:
        raise ValueError(f"bad audio on attempt {job.attempts}")

    worker = Worker(queue, handler, "w1", block_seconds=0, on_result=lambda outcome, _: outcomes.append(outcome))

    assert await worker.run_once() is True
    assert await worker.run_once() is True
    assert await worker.run_once() is False
    assert outcomes == ["retry", "dead"]
    [dead] = await queue.dead_letters()
    assert (dead.error, dead.attempts) == ("ValueError: bad audio on attempt 2", 2)


async def test_the_loop_survives_failing_handlers_and_redis_errors(redis, monkeypatch):
    monkeypatch.setattr(worker_module, "REDIS_RETRY_SECONDS", 0.01)
    queue = make_queue(redis, max_attempts=1)
    for n in range(4):
        await queue.enqueue({"n": n})
    done: list[int] = []

    async def handler(job: Job) -> None:
        if job.payload["n"] % 2:
            raise RuntimeError("odd")
        done.append(job.payload["n"])

    claim = queue.claim
    failures = iter([RedisConnectionError("Redis went away")])

    async def flaky_claim(consumer: str, block_seconds: float = 0) -> Job | None:
        if error := next(failures, None):
            raise error
        return await claim(consumer, block_seconds)

    monkeypatch.setattr(queue, "claim", flaky_claim)
    outcomes: list[str] = []
    worker = Worker(queue, handler, "w1", block_seconds=0.05, on_result=lambda outcome, _: outcomes.append(outcome))
    task = asyncio.create_task(worker.run_forever())
    try:
        await eventually(lambda: len(outcomes) == 4)
    finally:
        task.cancel()
        await asyncio.wait([task], timeout=1)
    assert task.cancelled()

    assert sorted(done) == [0, 2]
    assert sorted(outcomes) == ["dead", "dead", "done", "done"]
    assert sorted(dead.payload["n"] for dead in await queue.dead_letters()) == [1, 3]
    assert await queue.stats() == QueueStats(waiting=0, running=0, dead=2)


async def test_a_long_job_is_touched_and_not_reclaimed(redis):
    queue = make_queue(redis, claim_idle_seconds=0.1)
    await queue.enqueue({"n": 1})
    stolen: list[Job | None] = []

    async def handler(job: Job) -> None:
        for _ in range(4):  # 0.32 s in all, three times the idle time
            await asyncio.sleep(0.08)
            stolen.append(await queue.claim("w2"))

    outcomes: list[str] = []
    worker = Worker(
        queue, handler, "w1", block_seconds=0, touch_seconds=0.03, on_result=lambda outcome, _: outcomes.append(outcome)
    )

    assert await worker.run_once() is True
    assert stolen == [None] * 4
    assert outcomes == ["done"]
    assert await queue.stats() == QueueStats(waiting=0, running=0, dead=0)


def test_consumer_name_is_host_and_pid():
    assert consumer_name() == f"{socket.gethostname()}:{os.getpid()}"


async def test_the_loop_stops_when_cancelled_at_any_moment(redis):
    queue = make_queue(redis)
    await queue.enqueue({"n": 1})

    async def handler(job: Job) -> None:
        await asyncio.sleep(0.01)

    for n in range(15):  # cancellations landing in claims, the handler, acks, the idle wait
        task = asyncio.create_task(Worker(queue, handler, "w1", block_seconds=0.02).run_forever())
        await asyncio.sleep(n * 0.003)
        task.cancel()
        await asyncio.wait([task], timeout=1)
        assert task.cancelled()


async def test_an_idle_worker_waits_its_whole_block_on_the_apps_client_without_an_error(redis):
    """The app's client (``storage.cache.create_redis``) outwaits the worker's blocking read: with
    redis-py's default 5 s socket timeout, a 5 s ``XREADGROUP BLOCK`` on an empty queue timed out just as
    the server answered "nothing", and every idle worker logged "Redis failed, retrying" every ~6 s."""
    worker = Worker(make_queue(redis), lambda job: asyncio.sleep(0), "w1")
    assert worker.block_seconds == 5.0  # the default the app runs with
    assert await worker.run_once() is False
