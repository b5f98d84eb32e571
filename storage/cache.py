"""The Redis client: a real server when ``REDIS_URL`` is set, otherwise an
in-process fakeredis so a laptop needs no server."""

from __future__ import annotations

import fakeredis
from redis.asyncio import Redis


def create_redis(url: str = "") -> Redis:
    if url:
        return Redis.from_url(url, decode_responses=True)
    return fakeredis.FakeAsyncRedis(decode_responses=True)
