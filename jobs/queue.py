"""The job queue: a Redis stream ``<name>`` read through one consumer group,
dead letters in the stream ``<name>:dead``, and the last error of each job
being retried in the hash ``<name>:errors``.

A job's attempts are the stream entry's delivery count in the group. A failed
job stays pending, made to look idle so that it is reclaimed after
``retry_delay_seconds`` (at most ``claim_idle_seconds``); a job whose worker
died is reclaimed after ``claim_idle_seconds``. Touching, retrying and
dead-lettering check atomically (Lua) that the job is still pending, and for
the first two that it is still the same worker's delivery, so a worker whose
job was taken over can neither take it back nor bury it twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

if TYPE_CHECKING:
    from callcenter.config import Settings

WORKER_DIED = "worker died or timed out"

# KEYS[1] the stream, KEYS[2] the errors hash; ARGV: group, entry id, consumer, attempts, idle ms, error ('' = none).
# Still this delivery: reset the entry's idle time to ARGV[5] and record the error.
HOLD = """
local entry = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1)[1]
if not entry or entry[2] ~= ARGV[3] or entry[4] ~= tonumber(ARGV[4]) then
    return 0
end
if ARGV[6] ~= '' then
    redis.call('HSET', KEYS[2], ARGV[2], ARGV[6])
end
redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[3], 0, ARGV[2], 'IDLE', ARGV[5], 'JUSTID')
return 1
"""
# KEYS[1] the stream, KEYS[2] the dead letters, KEYS[3] the errors hash;
# ARGV: group, entry id, payload, error, attempts, failed_at. Only a pending entry is buried, once.
BURY = """
if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then
    return 0
end
redis.call('XDEL', KEYS[1], ARGV[2])
redis.call('HDEL', KEYS[3], ARGV[2])
redis.call('XADD', KEYS[2], '*', 'job_id', ARGV[2], 'payload', ARGV[3], 'error', ARGV[4],
    'attempts', ARGV[5], 'failed_at', ARGV[6])
return 1
"""
# KEYS[1] the stream, KEYS[2] the dead letters; ARGV: dead letter id, payload. A dead letter is requeued once.
REQUEUE = """
if redis.call('XDEL', KEYS[2], ARGV[1]) == 0 then
    return false
end
return redis.call('XADD', KEYS[1], '*', 'payload', ARGV[2])
"""


@dataclass(frozen=True)
class Job:
    """A job handed to a worker; ``attempts`` counts this hand-over too."""

    id: str
    payload: dict[str, Any]
    attempts: int
    consumer: str = ""  # the worker it was handed to


@dataclass(frozen=True)
class QueueStats:
    waiting: int  # never handed to a worker yet
    running: int  # handed to a worker, not acknowledged (includes failed jobs waiting for their retry)
    dead: int


@dataclass(frozen=True)
class DeadLetter:
    id: str
    job_id: str
    payload: dict[str, Any]
    error: str
    attempts: int
    failed_at: datetime


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _fields(raw: dict) -> dict[str, str]:
    return {_text(key): _text(value) for key, value in raw.items()}


def _ms(seconds: float) -> int:
    return max(0, round(seconds * 1000))


class JobQueue:
    """A named durable job queue; see the module docstring."""

    def __init__(
        self,
        redis: Redis,
        name: str,
        *,
        group: str = "workers",
        max_attempts: int = 3,
        claim_idle_seconds: float = 300.0,
        retry_delay_seconds: float = 30.0,
    ) -> None:
        self.name = name
        self.dead_name = f"{name}:dead"
        self.group = group
        self.max_attempts = max_attempts
        self.claim_idle_seconds = claim_idle_seconds
        self.retry_delay_seconds = retry_delay_seconds
        self._errors = f"{name}:errors"
        self.redis = redis
        self._hold = redis.register_script(HOLD)
        self._bury = redis.register_script(BURY)
        self._requeue = redis.register_script(REQUEUE)

    @classmethod
    def configured(cls, redis: Redis, settings: Settings, name: str) -> JobQueue:
        """A queue with the configured attempts, take-over and retry delay (transcription and scoring share them)."""
        return cls(
            redis,
            name,
            max_attempts=settings.transcription_max_attempts,
            claim_idle_seconds=settings.transcription_claim_idle_seconds,
            retry_delay_seconds=settings.transcription_retry_seconds,
        )

    async def enqueue(self, payload: dict[str, Any]) -> str:
        """Add a job; returns its id."""
        await self._create_group()
        return _text(await self.redis.xadd(self.name, {"payload": json.dumps(payload)}))

    async def claim(self, consumer: str, block_seconds: float = 0) -> Job | None:
        """The next job for ``consumer``: first one whose worker died (or whose retry is due), else a new
        one, waiting up to ``block_seconds`` for it (0: not at all). Jobs past ``max_attempts`` are
        dead-lettered on the way."""
        await self._create_group()
        while (job := await self._reclaim(consumer)) is not None:
            if job.attempts <= self.max_attempts:
                return job
            error = await self.redis.hget(self._errors, job.id)
            reason = f"{WORKER_DIED} (last error: {_text(error)})" if error else WORKER_DIED
            await self._dead_letter(replace(job, attempts=job.attempts - 1), reason)  # this claim was no attempt
        block = _ms(block_seconds) or None  # BLOCK 0 would wait forever
        reply = await self.redis.xreadgroup(self.group, consumer, {self.name: ">"}, count=1, block=block)
        if not reply:
            return None
        entry_id, fields = reply[0][1][0]
        return Job(_text(entry_id), json.loads(_fields(fields)["payload"]), 1, consumer)

    async def ack(self, job: Job) -> None:
        """The job is done: remove it for good."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xack(self.name, self.group, job.id).xdel(self.name, job.id).hdel(self._errors, job.id)
            await pipe.execute()

    async def fail(self, job: Job, error: str) -> bool:
        """The job failed with ``error``: dead-letter it if this was its last attempt (True), else
        leave it to be retried after ``retry_delay_seconds`` (False)."""
        if job.attempts >= self.max_attempts:
            return await self._dead_letter(job, error)
        idle = _ms(self.claim_idle_seconds - self.retry_delay_seconds)
        args = [self.group, job.id, job.consumer, job.attempts, idle, error]
        await self._hold(keys=[self.name, self._errors], args=args)
        return False

    async def touch(self, job: Job) -> bool:
        """Reset the job's idle time so it is not reclaimed while still being worked on; False if it
        is no longer this worker's (taken over after too long a silence, or finished)."""
        keys = [self.name, self._errors]
        return bool(await self._hold(keys=keys, args=[self.group, job.id, job.consumer, job.attempts, 0, ""]))

    async def stats(self) -> QueueStats:
        """How many jobs wait, run (or wait for their retry) and are dead."""
        groups = await self.redis.xinfo_groups(self.name) if await self.redis.exists(self.name) else []
        group = next((g for g in groups if _text(g["name"]) == self.group), None)
        dead = await self.redis.xlen(self.dead_name)
        if group is None:
            return QueueStats(waiting=await self.redis.xlen(self.name), running=0, dead=dead)
        running = group["pending"]
        lag = group.get("lag")
        # acknowledged entries are deleted, so the stream holds exactly the waiting and the running ones
        waiting = lag if lag is not None else await self.redis.xlen(self.name) - running
        return QueueStats(waiting=waiting, running=running, dead=dead)

    async def dead_letters(self, limit: int = 50) -> list[DeadLetter]:
        """The newest dead letters first."""
        entries = await self.redis.xrevrange(self.dead_name, count=limit)
        return [self._dead_letter_of(entry_id, fields) for entry_id, fields in entries]

    async def retry_dead(self, dead_id: str) -> str | None:
        """Enqueue a dead letter's payload as a fresh job and drop the dead letter; the new job's id,
        or None if there is no such dead letter."""
        try:
            entries = await self.redis.xrange(self.dead_name, dead_id, dead_id)
        except ResponseError:  # not a stream id at all
            return None
        if not entries:
            return None
        await self._create_group()
        payload = _fields(entries[0][1])["payload"]
        job_id = await self._requeue(keys=[self.name, self.dead_name], args=[dead_id, payload])
        return _text(job_id) if job_id else None

    async def _create_group(self) -> None:
        try:
            await self.redis.xgroup_create(self.name, self.group, id="0", mkstream=True)
        except ResponseError as error:
            if not str(error).startswith("BUSYGROUP"):
                raise

    async def _reclaim(self, consumer: str) -> Job | None:
        """Take over one entry idle for ``claim_idle_seconds``, scanning the whole pending list."""
        cursor = "0-0"
        while True:
            cursor, entries, *_ = await self.redis.xautoclaim(
                self.name, self.group, consumer, _ms(self.claim_idle_seconds), start_id=cursor, count=1
            )
            if entries:
                entry_id, fields = entries[0]
                pending = await self.redis.xpending_range(self.name, self.group, entry_id, entry_id, 1)
                payload = json.loads(_fields(fields)["payload"])
                return Job(_text(entry_id), payload, pending[0]["times_delivered"], consumer)
            if _text(cursor) == "0-0":
                return None

    async def _dead_letter(self, job: Job, error: str) -> bool:
        failed_at = datetime.now(UTC).isoformat()
        args = [self.group, job.id, json.dumps(job.payload), error, job.attempts, failed_at]
        return bool(await self._bury(keys=[self.name, self.dead_name, self._errors], args=args))

    @staticmethod
    def _dead_letter_of(entry_id: str | bytes, raw: dict) -> DeadLetter:
        fields = _fields(raw)
        return DeadLetter(
            id=_text(entry_id),
            job_id=fields["job_id"],
            payload=json.loads(fields["payload"]),
            error=fields["error"],
            attempts=int(fields["attempts"]),
            failed_at=datetime.fromisoformat(fields["failed_at"]),
        )
