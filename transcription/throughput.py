"""What the transcription workers got done lately, shared in Redis so every
worker (on any machine) adds to it and any backend can show it: one small
hash per minute, kept for two hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from redis.asyncio import Redis

KEEP_SECONDS = 2 * 3600


@dataclass(frozen=True)
class Done:
    jobs: int
    audio_seconds: float
    processing_seconds: float


class Throughput:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix

    def _key(self, minute: datetime) -> str:
        return f"{self._prefix}:{minute:%Y%m%d%H%M}"

    async def record(self, now: datetime, audio_seconds: float, processing_seconds: float) -> None:
        key = self._key(now)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hincrby(key, "jobs", 1)
            pipe.hincrbyfloat(key, "audio_seconds", audio_seconds)
            pipe.hincrbyfloat(key, "processing_seconds", processing_seconds)
            pipe.expire(key, KEEP_SECONDS)
            await pipe.execute()

    async def last_hour(self, now: datetime) -> Done:
        async with self._redis.pipeline(transaction=False) as pipe:
            for minutes in range(60):
                pipe.hgetall(self._key(now - timedelta(minutes=minutes)))
            rows = await pipe.execute()
        totals = {"jobs": 0.0, "audio_seconds": 0.0, "processing_seconds": 0.0}
        for row in rows:
            for name, value in row.items():
                name = name.decode() if isinstance(name, bytes) else name
                if name in totals:
                    totals[name] += float(value)
        return Done(int(totals["jobs"]), totals["audio_seconds"], totals["processing_seconds"])
