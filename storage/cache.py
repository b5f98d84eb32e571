"""The Redis client: a real server when ``REDIS_URL`` is set, otherwise an
in-process fakeredis so a laptop needs no server.

The real client's pool blocks for up to ``POOL_WAIT_SECONDS`` when all its
connections are busy, rather than failing at once under a burst of calls."""

from __future__ import annotations

import fakeredis
from redis.asyncio import BlockingConnectionPool, Redis

MAX_CONNECTIONS = 50
POOL_WAIT_SECONDS = 1.0


def create_redis(url: str = "") -> Redis:
    if url:
        pool = BlockingConnectionPool.from_url(
            url, decode_responses=True, max_connections=MAX_CONNECTIONS, timeout=POOL_WAIT_SECONDS
        )
        return Redis.from_pool(pool)  # owns the pool: aclose() closes it
    return fakeredis.FakeAsyncRedis(decode_responses=True)
