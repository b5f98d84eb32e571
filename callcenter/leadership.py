"""One leader among the instances: a lease in Redis, held by renewing it.

Any instance answers FastAGI, but only the holder of the lease consumes the
AMI stream. The lease is a key set with ``SET NX PX``; its holder renews it
every third of its time to live and releases it on a graceful stop. Renewing
and releasing check the owner atomically (Lua), so an instance whose lease
expired can never extend or delete its successor's.

An instance steps down as soon as a renewal fails or Redis errs or is slow:
by then another instance may hold the lease, and a leader that cannot reach
Redis stops within two thirds of the time to live, before its lease expires.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError
from callcenter.stopping import stop_tasks

log = logging.getLogger(__name__)

Callback = Callable[[], Awaitable[None]]

# KEYS[1] the lease, ARGV[1] the owner, ARGV[2] the time to live in ms
RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


def instance_id() -> str:
    """Unique per process start: hostname, pid and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class RedisLease:
    """A named lease in Redis owned by ``owner`` while it keeps renewing it."""

    def __init__(self, redis: Redis, key: str, owner: str, ttl: float) -> None:
        self.key = key
        self.owner = owner
        self.ttl = ttl
        self._redis = redis
        self._renew = redis.register_script(RENEW)
        self._release = redis.register_script(RELEASE)

    @property
    def _ttl_ms(self) -> int:
        return max(1, round(self.ttl * 1000))

    async def acquire(self) -> bool:
        """Take the lease if nobody holds it."""
        return bool(await self._redis.set(self.key, self.owner, nx=True, px=self._ttl_ms))

    async def renew(self) -> bool:
        """Extend the lease to a full time to live; False if we no longer hold it."""
        return bool(await self._renew(keys=[self.key], args=[self.owner, self._ttl_ms]))

    async def release(self) -> bool:
        """Give the lease up; False if we did not hold it."""
        return bool(await self._release(keys=[self.key], args=[self.owner]))

    async def holder(self) -> str | None:
        """Who holds the lease now, if anybody."""
        return await self._redis.get(self.key)


class Leadership:
    """Tries for the lease, keeps it, and runs ``on_gained``/``on_lost`` as it comes and goes."""

    def __init__(self, lease: RedisLease, on_gained: Callback, on_lost: Callback) -> None:
        self.lease = lease
        self.interval = lease.ttl / 3
        self.is_leader = False
        self._on_gained = on_gained
        self._on_lost = on_lost
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Make the first attempt now (so a lone instance leads at once), then keep at it in the background."""
        if self._task is None:
            await self._step()
            self._task = asyncio.create_task(self._run(), name="ami-leadership")

    async def stop(self) -> None:
        """Stop trying; if leading, run ``on_lost`` and release the lease so another instance takes over now."""
        if self._task is not None:
            await stop_tasks([self._task])
            self._task = None
        if self.is_leader:
            await self._step_down()
            await self._release()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await self._step()

    async def _step(self) -> None:
        """One acquire or renew; gain or lose leadership by its outcome."""
        try:
            async with asyncio.timeout(self.interval):
                held = await (self.lease.renew() if self.is_leader else self.lease.acquire())
        except (RedisError, OSError, TimeoutError) as exc:
            log.warning("AMI lease %s: Redis failed: %s", self.lease.key, exc or type(exc).__name__)
            held = False
        if held and not self.is_leader:
            await self._step_up()
        elif not held and self.is_leader:
            log.warning("AMI lease %s lost; no longer consuming AMI", self.lease.key)
            await self._step_down()

    async def _step_up(self) -> None:
        log.info("AMI lease %s taken by %s; consuming AMI", self.lease.key, self.lease.owner)
        self.is_leader = True
        try:
            await self._on_gained()
        except Exception:
            log.exception("starting as AMI leader failed; stepping down")
            await self._step_down()
            await self._release()

    async def _step_down(self) -> None:
        self.is_leader = False
        try:
            await self._on_lost()
        except Exception:
            log.exception("stopping as AMI leader failed")

    async def _release(self) -> None:
        try:
            async with asyncio.timeout(self.interval):
                await self.lease.release()
        except (RedisError, OSError, TimeoutError) as exc:
            log.warning("releasing the AMI lease failed (it expires within %.1f s): %s", self.lease.ttl, exc)
