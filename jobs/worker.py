"""The worker loop: claim a job, run its handler, acknowledge it or report the failure.

The handler must commit its result before returning; only then is the job
acknowledged, so a worker that dies mid-job leaves it to be reclaimed. While
the handler runs the job is touched every ``touch_seconds`` (keep it well
under the queue's ``claim_idle_seconds``), so a long job is not taken over.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable

from redis.exceptions import RedisError

from callcenter.stopping import stop_tasks
from jobs.queue import Job, JobQueue

log = logging.getLogger(__name__)

REDIS_RETRY_SECONDS = 1.0

Handler = Callable[[Job], Awaitable[None]]


def consumer_name() -> str:
    """``hostname:pid``: unique per worker process (add a suffix for several workers in one)."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Worker:
    """Runs ``handler`` on the jobs of ``queue``, as the consumer ``consumer``.

    ``on_result(outcome, seconds)`` is told how each job went: ``"done"``, ``"retry"`` or ``"dead"``.
    ``run_forever`` needs ``block_seconds`` above 0, or an idle worker spins.
    """

    def __init__(
        self,
        queue: JobQueue,
        handler: Handler,
        consumer: str,
        *,
        block_seconds: float = 5.0,
        touch_seconds: float = 60.0,
        on_result: Callable[[str, float], None] | None = None,
    ) -> None:
        self.queue = queue
        self.handler = handler
        self.consumer = consumer
        self.block_seconds = block_seconds
        self.touch_seconds = touch_seconds
        self.on_result = on_result

    async def run_once(self) -> bool:
        """Handle one job, if one comes within ``block_seconds``; whether one did."""
        job = await self.queue.claim(self.consumer, self.block_seconds)
        if job is None:
            return False
        started = time.monotonic()
        keeper = asyncio.create_task(self._keep_alive(job))
        try:
            await self.handler(job)
            error = None
        except Exception as exc:
            log.exception("job %s of %s failed (attempt %d)", job.id, self.queue.name, job.attempts)
            error = f"{type(exc).__name__}: {exc}"
        finally:
            await stop_tasks([keeper])
        if error is None:
            await self.queue.ack(job)
            outcome = "done"
        else:
            outcome = "dead" if await self.queue.fail(job, error) else "retry"
        if self.on_result is not None:
            self.on_result(outcome, time.monotonic() - started)
        return True

    async def run_forever(self) -> None:
        """Handle jobs until cancelled; Redis being unreachable only pauses the loop."""
        task = asyncio.current_task()
        while not task.cancelling():  # redis-py may swallow a cancellation that lands mid-command
            try:
                await self.run_once()
            except RedisError:
                log.warning("job queue %s: Redis failed, retrying", self.queue.name, exc_info=True)
                await asyncio.sleep(REDIS_RETRY_SECONDS)
        raise asyncio.CancelledError

    async def _keep_alive(self, job: Job) -> None:
        task = asyncio.current_task()
        while not task.cancelling():
            await asyncio.sleep(self.touch_seconds)
            try:
                if not await self.queue.touch(job):
                    log.warning("job %s of %s was taken over by another worker", job.id, self.queue.name)
                    return
            except RedisError:
                log.warning("job %s of %s: touch failed", job.id, self.queue.name, exc_info=True)
