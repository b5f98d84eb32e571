"""Who is on a call right now, who is paused, and who talked when, kept in
Redis from the tracker's domain events.

A manager counts as busy from the moment they answer until the call ends. The
state lives in Redis so that every instance, and the FastAGI route decision,
sees the same picture: one sorted set ``presence:on_call`` of
``<extension>|<linkedid>`` scored by when the call was answered. An entry
older than ``ttl`` seconds no longer counts (and is swept), so a crashed
instance cannot leave a manager busy forever; and each time the tracker lines
up with Asterisk's channels (``calls.listed``: at every connect, takeover and
periodic listing) the set is rebuilt from the calls that are really live. The set ``presence:paused``
holds the extensions paused in the queue (``member.paused``; Asterisk repeats
the flag with every member status, so a missed event is corrected).

For the group strategies each answered call's end is kept too: when each
manager's last call ended (hash ``presence:last_ended``) and how many calls
they answered per UTC day (hash ``presence:answered:<YYYY-MM-DD>``, kept two
days). Routing reads all of it at once, whatever the size of the team
(``view_keys``, ``on_call_since`` and ``view``, from ``routing.snapshot``'s
script); ``read_view`` reads it on its own.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

from redis.asyncio import Redis

from callcenter.bus import CALL_ANSWERED, CALL_ENDED, CALLS_LISTED, MEMBER_PAUSED, DomainEvent, EventBus
from pbx.tracker.model import CallRecord
from pbx.tracker.pauses import MemberPause

ON_CALL_KEY = "presence:on_call"
PAUSED_KEY = "presence:paused"
LAST_ENDED_KEY = "presence:last_ended"
ANSWERED_KEY = "presence:answered:{day}"
DEFAULT_TTL_SECONDS = 4 * 3600
ANSWERED_TTL_SECONDS = 2 * 24 * 3600
SEPARATOR = "|"


@dataclass(frozen=True)
class PresenceView:
    """What routing needs to know about the managers right now."""

    on_call: frozenset[str] = frozenset()
    paused: frozenset[str] = frozenset()  # paused in the queue (AMI QueuePause)
    last_call_ended: dict[str, datetime] = field(default_factory=dict)
    calls_today: dict[str, int] = field(default_factory=dict)


class Presence:
    def __init__(self, redis: Redis, ttl: int = DEFAULT_TTL_SECONDS) -> None:
        self._redis = redis
        self._ttl = ttl

    def subscribe(self, bus: EventBus) -> None:
        bus.subscribe(CALL_ANSWERED, self._on_answered)
        bus.subscribe(CALL_ENDED, self._on_ended)
        bus.subscribe(MEMBER_PAUSED, self._on_paused)
        bus.subscribe(CALLS_LISTED, self._on_listed)

    async def _on_listed(self, event: DomainEvent) -> None:
        records: list[CallRecord] = event.payload
        await self.rebuild([
            (record.answered_by, record.linkedid, record.answered_at or record.started_at)
            for record in records if record.answered_by
        ])

    async def rebuild(self, on_call: Collection[tuple[str, str, datetime]]) -> None:
        """Who is on a call, replaced at once: (extension, linkedid, answered at) of every live call."""
        members = {f"{extension}{SEPARATOR}{linkedid}": at.timestamp() for extension, linkedid, at in on_call}
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(ON_CALL_KEY)
            if members:
                pipe.zadd(ON_CALL_KEY, members)
            await pipe.execute()

    async def _on_paused(self, event: DomainEvent) -> None:
        pause: MemberPause = event.payload
        if pause.paused:
            await self._redis.sadd(PAUSED_KEY, pause.extension)
        else:
            await self._redis.srem(PAUSED_KEY, pause.extension)

    async def _on_answered(self, event: DomainEvent) -> None:
        record: CallRecord = event.payload
        if record.answered_by:
            await self.start_call(record.answered_by, record.linkedid, record.answered_at or record.started_at)

    async def _on_ended(self, event: DomainEvent) -> None:
        record: CallRecord = event.payload
        extensions = {leg.extension for leg in record.legs} | {record.answered_by or ""}
        await self.end_call(sorted(extension for extension in extensions if extension), record.linkedid)
        if record.answered_by and record.ended_at:
            await self.count_answered(record.answered_by, record.ended_at)

    async def start_call(self, extension: str, linkedid: str, at: datetime) -> None:
        """``extension`` is on call ``linkedid`` since ``at``; entries past the ttl are swept."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zadd(ON_CALL_KEY, {f"{extension}{SEPARATOR}{linkedid}": at.timestamp()})
            pipe.zremrangebyscore(ON_CALL_KEY, "-inf", f"({at.timestamp() - self._ttl}")
            await pipe.execute()

    async def end_call(self, extensions: Sequence[str], linkedid: str) -> None:
        if extensions:
            await self._redis.zrem(ON_CALL_KEY, *(f"{extension}{SEPARATOR}{linkedid}" for extension in extensions))

    async def count_answered(self, extension: str, ended_at: datetime) -> None:
        """Remember that ``extension`` finished an answered call at ``ended_at``."""
        ended_at = ended_at.astimezone(timezone.utc)
        answered = ANSWERED_KEY.format(day=ended_at.date().isoformat())
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(LAST_ENDED_KEY, extension, ended_at.isoformat())
            pipe.hincrby(answered, extension, 1)
            pipe.expire(answered, ANSWERED_TTL_SECONDS)
            await pipe.execute()

    def view_keys(self, now: datetime) -> tuple[str, str, str, str]:
        """The keys ``view`` is made of at ``now``: on call, paused, last ended, answered today."""
        today = now.astimezone(timezone.utc).date().isoformat()
        return ON_CALL_KEY, PAUSED_KEY, LAST_ENDED_KEY, ANSWERED_KEY.format(day=today)

    def on_call_since(self, now: datetime) -> float:
        """The earliest answer time (score of ``presence:on_call``) that still counts at ``now``."""
        return now.timestamp() - self._ttl

    @staticmethod
    def view(
        on_call: Collection[str], paused: Collection[str], last_ended: Mapping[str, str], answered: Mapping[str, str]
    ) -> PresenceView:
        """The ``PresenceView`` from what the ``view_keys`` hold (on call: the members since ``on_call_since``)."""
        return PresenceView(
            on_call=frozenset(member.partition(SEPARATOR)[0] for member in on_call),
            paused=frozenset(paused),
            last_call_ended={ext: datetime.fromisoformat(moment) for ext, moment in last_ended.items()},
            calls_today={ext: int(count) for ext, count in answered.items()},
        )

    async def read_view(self, now: datetime) -> PresenceView:
        """The view on its own (one round trip)."""
        on_call, paused, last_ended, answered = self.view_keys(now)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.zrangebyscore(on_call, self.on_call_since(now), "+inf")
            pipe.smembers(paused)
            pipe.hgetall(last_ended)
            pipe.hgetall(answered)
            return self.view(*await pipe.execute())
