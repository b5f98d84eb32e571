"""A job queue's state over HTTP, shared by the transcription and scoring queues: depth and dead letters."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.errors import NotFound
from api.validation import Timestamp
from jobs.queue import JobQueue

STREAM_ID = r"\d{1,20}-\d{1,10}"  # a Redis stream entry id: a dead letter's
DEAD_LETTERS_SHOWN = 20


class DeadJob(BaseModel):
    id: str
    call_id: int | None
    error: str
    attempts: int
    failed_at: Timestamp


class QueueDepth(BaseModel):
    waiting: int = Field(description="Jobs no worker has taken yet.")
    running: int = Field(description="Jobs a worker holds (including failed ones waiting for their retry).")
    dead: int = Field(description="Jobs that failed every attempt.")
    dead_letters: list[DeadJob] = Field(description=f"The newest dead jobs (up to {DEAD_LETTERS_SHOWN}).")


class Requeued(BaseModel):
    queued: bool


async def queue_depth(queue: JobQueue) -> dict:
    """The fields of ``QueueDepth`` for ``queue`` (a subclass adds its own)."""
    stats = await queue.stats()
    dead = await queue.dead_letters(DEAD_LETTERS_SHOWN)
    return {
        "waiting": stats.waiting,
        "running": stats.running,
        "dead": stats.dead,
        "dead_letters": [
            DeadJob(id=d.id, call_id=d.payload.get("call_id"), error=d.error, attempts=d.attempts, failed_at=d.failed_at)
            for d in dead
        ],
    }


async def requeue_dead(queue: JobQueue, dead_id: str) -> Requeued:
    if await queue.retry_dead(dead_id) is None:
        raise NotFound("no such dead letter")
    return Requeued(queued=True)
