"""The Redis client, on the server ``url`` names: ``REDIS_URL``, or the
embedded server's socket (``storage.embedded_redis``) when that is empty.

The client's pool blocks for up to ``POOL_WAIT_SECONDS`` when all its
connections are busy, rather than failing at once under a burst of calls.
A reply may take up to ``REPLY_SECONDS``: longer than any blocking read the
backend makes (a worker waits 5 s for a job with ``XREADGROUP BLOCK``), which
redis-py's default (5 s) would cut off just as the server answers "nothing";
the hot path keeps its own, far shorter, deadlines."""

from __future__ import annotations

from redis.asyncio import BlockingConnectionPool, Redis

MAX_CONNECTIONS = 50
POOL_WAIT_SECONDS = 1.0
REPLY_SECONDS = 30.0
CONNECT_SECONDS = 5.0


def create_redis(url: str) -> Redis:
    if not url:
        raise ValueError("no Redis URL: set REDIS_URL, or start the embedded server (storage.embedded_redis)")
    pool = BlockingConnectionPool.from_url(
        url, decode_responses=True, max_connections=MAX_CONNECTIONS, timeout=POOL_WAIT_SECONDS,
        socket_timeout=REPLY_SECONDS, socket_connect_timeout=CONNECT_SECONDS,
    )
    return Redis.from_pool(pool)  # owns the pool: aclose() closes it
