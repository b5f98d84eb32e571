"""Every known number's owner, in Redis, so routing never asks the database.

A number's owner is the extension of the manager ``crm.owners`` says owns it
(the client's responsible manager, else the open lead's owner; active managers
only). The index is the hash ``routing:owners``: number → extension
(a number without an owner is absent), and the marker field ``ready`` (JSON:
version, when it was built, how many owners), which says the hash is
complete: with the marker, a number missing from the hash is a new caller.
Without it (before the first build, or after Redis lost the hash) ``owner``
asks the database, one number at a time. One ``HMGET`` reads both.

The index is built from the database by one instance at a time, under a short
Redis lease: into a hash of its own (``routing:owners:building:<lease>``,
expiring with the lease), marker last, then renamed over the index (Lua, only
while the lease is still held; the old hash is freed in the background). Every instance
checks every ``check_seconds`` and rebuilds when the marker is missing or
older than ``rebuild_seconds``, which heals any drift. In between it is kept
current on the bus: the numbers of ``client.changed`` and ``managers.changed``,
and the caller of an ended call that may have made a lead with an owner (or
given one to an ownerless lead), are looked up again and written. A number changed while a build runs is
also put in ``routing:owners:changed``; the builder looks those up again after
its swap, so a build that read the database before the change cannot undo it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import async_sessionmaker

from callcenter.bus import CALL_ENDED, CLIENT_CHANGED, LEAD_CHANGED, MANAGERS_CHANGED, DomainEvent, EventBus
from callcenter.clock import Clock
from callcenter.leadership import RedisLease
from crm.events import ClientChanged, LeadChanged, ManagersChanged
from callcenter.stopping import stop_tasks
from crm.leads import answering_extension, lead_phone
from crm.owners import ALL_OWNED_NUMBERS, owners_of
from pbx.tracker.model import CallRecord

log = logging.getLogger(__name__)

OWNERS_KEY = "routing:owners"
READY_FIELD = "ready"  # the marker: numbers start with "+"
BUILDING_KEY = "routing:owners:building:{lease}"
RETIRED_KEY = "routing:owners:retired:{lease}"  # the index a build replaced, unlinked after the swap
CHANGED_KEY = "routing:owners:changed"
VERSION_KEY = "routing:owners:version"
LOCK_KEY = "routing:owners:lock"
BATCH = 1000  # rows read, and fields written per HSET, at a time while building

# KEYS: lock, building, owners, retired; ARGV: the lock's holder
SWAP = """
if redis.call('get', KEYS[1]) ~= ARGV[1] then
    return 0
end
if redis.call('exists', KEYS[3]) == 1 then
    redis.call('rename', KEYS[3], KEYS[4])
end
redis.call('rename', KEYS[2], KEYS[3])
redis.call('persist', KEYS[3])
return 1
"""


@dataclass(frozen=True)
class IndexState:
    """The marker of a complete index."""

    version: int
    built_at: datetime
    owners: int

    def dumps(self) -> str:
        return json.dumps({"version": self.version, "built_at": self.built_at.isoformat(), "owners": self.owners})

    @classmethod
    def loads(cls, text: str) -> IndexState:
        data = json.loads(text)
        return cls(int(data["version"]), datetime.fromisoformat(data["built_at"]), int(data["owners"]))


class OwnerIndex:
    """The owner index of one Redis, built and kept current from the database."""

    def __init__(
        self,
        sessions: async_sessionmaker,
        redis: Redis,
        clock: Clock,
        *,
        rebuild_seconds: float = 600.0,
        check_seconds: float = 10.0,
        lock_seconds: float = 120.0,
    ) -> None:
        """``lock_seconds`` bounds a build: one that takes longer is not swapped in."""
        self._sessions = sessions
        self._redis = redis
        self._clock = clock
        self.rebuild_seconds = rebuild_seconds
        self.check_seconds = check_seconds
        self._lock_seconds = lock_seconds
        self._swap = redis.register_script(SWAP)
        self._task: asyncio.Task[None] | None = None

    # -- the hot path

    async def owner(self, phone: str, result: Sequence) -> str | None:
        """The owner of ``phone`` from ``HMGET routing:owners <phone> ready``
        (read by ``routing.snapshot``); from the database while the index is
        not complete."""
        extension, ready = result
        if ready is not None:
            return extension
        return (await self.owners_from_database([phone])).get(phone)

    # -- reading the database

    async def owners_from_database(self, phones: Collection[str]) -> dict[str, str]:
        """The owner's extension of each of ``phones`` that has one, in one autocommit statement."""
        async with self._sessions() as session:
            connection = await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            owners = await owners_of(connection, phones)
        return {phone: owner.extension for phone, owner in owners.items()}

    # -- building

    async def state(self) -> IndexState | None:
        """The marker of the complete index; None while there is none."""
        text = await self._redis.hget(OWNERS_KEY, READY_FIELD)
        return None if text is None else IndexState.loads(text)

    async def build(self) -> IndexState | None:
        """Build the index from the database and swap it in; None if another
        instance is building, or this build outlived its lease."""
        lease = RedisLease(self._redis, LOCK_KEY, secrets.token_hex(8), self._lock_seconds)
        if not await lease.acquire():
            return None
        building, retired = BUILDING_KEY.format(lease=lease.owner), RETIRED_KEY.format(lease=lease.owner)
        try:
            await self._redis.delete(CHANGED_KEY)
            owners = await self._write_all_owners(building)
            state = IndexState(await self._redis.incr(VERSION_KEY), self._clock.now(), owners)
            await self._write(building, {READY_FIELD: state.dumps()})
            if not await self._swap(keys=[LOCK_KEY, building, OWNERS_KEY, retired], args=[lease.owner]):
                log.error("the owner index took over %.0f s to build; not swapped in", self._lock_seconds)
                return None
        finally:
            await self._redis.unlink(building, retired)
            await lease.release()
        await self.refresh(await self._take_changed())
        log.info("owner index version %d: %d owners", state.version, state.owners)
        return state

    async def _write_all_owners(self, building: str) -> int:
        """Every number's owner into ``building``, from one snapshot, ``BATCH``
        rows at a time: neither Redis nor this process stalls, and no large
        structure is kept (which would set off long garbage collections).
        Returns how many numbers have an owner."""
        async with self._sessions() as session, session.begin():
            for query in ALL_OWNED_NUMBERS:  # written in this order, a client's manager wins over a lead's owner
                result = await session.stream(query, execution_options={"yield_per": BATCH})
                async for rows in result.partitions():
                    await self._write(building, {phone: extension for phone, _, extension, _ in rows})
        return await self._redis.hlen(building)

    async def _write(self, building: str, fields: dict[str, str]) -> None:
        """Add ``fields`` to the hash being built; it expires with the lease if the build dies."""
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hset(building, mapping=fields)
            pipe.expire(building, round(self._lock_seconds))
            await pipe.execute()

    async def _take_changed(self) -> set[str]:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.smembers(CHANGED_KEY)
            pipe.delete(CHANGED_KEY)
            changed, _ = await pipe.execute()
        return set(changed)

    async def build_if_stale(self) -> IndexState | None:
        """Build when there is no complete index or it is older than ``rebuild_seconds``;
        the current (or new) state, None while another instance builds it."""
        state = await self.state()
        if state is not None and (self._clock.now() - state.built_at).total_seconds() < self.rebuild_seconds:
            return state
        return await self.build()

    async def start(self) -> None:
        """Check (and build if stale) now and every ``check_seconds``, in the background."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="owner-index")

    async def stop(self) -> None:
        if self._task is not None:
            await stop_tasks([self._task])
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self.build_if_stale()
            except Exception:
                log.exception("building the owner index failed; next try in %.0f s", self.check_seconds)
            await asyncio.sleep(self.check_seconds)

    # -- keeping it current

    async def refresh(self, phones: Iterable[str | None]) -> None:
        """Look ``phones`` up again and write what the database says now."""
        phones = {phone for phone in phones if phone}
        if not phones:
            return
        building = await self._redis.exists(LOCK_KEY)  # checked before reading: see the module's docstring
        owners = await self.owners_from_database(phones)
        async with self._redis.pipeline(transaction=True) as pipe:
            if building:
                pipe.sadd(CHANGED_KEY, *phones)
                pipe.expire(CHANGED_KEY, round(self._lock_seconds))
            if owners:
                pipe.hset(OWNERS_KEY, mapping=owners)
            if ownerless := phones - owners.keys():
                pipe.hdel(OWNERS_KEY, *ownerless)
            await pipe.execute()

    def subscribe(self, bus: EventBus) -> None:
        """Follow the changes of owners (subscribe after the lead service: an
        ended call may have made a lead with an owner)."""
        bus.subscribe(CALL_ENDED, self._on_call_ended)
        bus.subscribe(CLIENT_CHANGED, self._on_phones_changed)
        bus.subscribe(LEAD_CHANGED, self._on_phones_changed)
        bus.subscribe(MANAGERS_CHANGED, self._on_phones_changed)

    async def _on_call_ended(self, event: DomainEvent) -> None:
        """A call makes its caller's lead, or gives an ownerless one its owner,
        when a manager answers a caller who has no owner (``crm.leads``): only
        then is the number looked up again, not on every call."""
        record: CallRecord = event.payload
        phone = lead_phone(record)
        if phone and answering_extension(record) and await self._redis.hget(OWNERS_KEY, phone) is None:
            await self.refresh([phone])

    async def _on_phones_changed(self, event: DomainEvent) -> None:
        changed: ClientChanged | LeadChanged | ManagersChanged = event.payload
        await self.refresh(changed.phones)
