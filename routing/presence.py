"""Who is on a call right now, kept in Redis from the tracker's domain events.

A manager counts as busy from the moment they answer until the call ends. The
state lives in Redis so that every instance, and the FastAGI route decision,
sees the same picture; each entry expires after ``ttl`` seconds so a crashed
instance cannot leave a manager busy forever.
"""

from __future__ import annotations

from redis.asyncio import Redis

from callcenter.bus import CALL_ANSWERED, CALL_ENDED, DomainEvent, EventBus
from pbx.tracker.model import CallRecord

KEY = "presence:on_call:{extension}"
DEFAULT_TTL_SECONDS = 4 * 3600


class Presence:
    def __init__(self, redis: Redis, ttl: int = DEFAULT_TTL_SECONDS) -> None:
        self._redis = redis
        self._ttl = ttl

    def subscribe(self, bus: EventBus) -> None:
        bus.subscribe(CALL_ANSWERED, self._on_answered)
        bus.subscribe(CALL_ENDED, self._on_ended)

    async def _on_answered(self, event: DomainEvent) -> None:
        record: CallRecord = event.payload
        if record.answered_by:
            await self.start_call(record.answered_by, record.linkedid)

    async def _on_ended(self, event: DomainEvent) -> None:
        record: CallRecord = event.payload
        for extension in {leg.extension for leg in record.legs} | {record.answered_by or ""}:
            if extension:
                await self.end_call(extension, record.linkedid)

    async def start_call(self, extension: str, linkedid: str) -> None:
        key = KEY.format(extension=extension)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.sadd(key, linkedid)
            pipe.expire(key, self._ttl)
            await pipe.execute()

    async def end_call(self, extension: str, linkedid: str) -> None:
        await self._redis.srem(KEY.format(extension=extension), linkedid)

    async def is_on_call(self, extension: str) -> bool:
        return await self._redis.scard(KEY.format(extension=extension)) > 0

    async def on_call_among(self, extensions: list[str]) -> set[str]:
        """Which of ``extensions`` are on a call, in one round trip."""
        if not extensions:
            return set()
        async with self._redis.pipeline(transaction=False) as pipe:
            for extension in extensions:
                pipe.scard(KEY.format(extension=extension))
            counts = await pipe.execute()
        return {extension for extension, count in zip(extensions, counts, strict=True) if count}

    async def calls_of(self, extension: str) -> set[str]:
        return set(await self._redis.smembers(KEY.format(extension=extension)))
