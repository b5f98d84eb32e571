"""``callcenter worker``: transcription workers in their own process, until interrupted."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from callcenter.clock import SystemClock
from callcenter.config import Settings
from storage.cache import create_redis
from storage.db import create_engine, migrate, session_factory
from transcription.worker import transcription_service, transcription_worker

log = logging.getLogger(__name__)


async def run_workers(settings: Settings, count: int = 1) -> None:
    """``count`` workers, each with its own model, on the configured database, Redis and recordings."""
    engine = create_engine(settings.effective_database_url)
    await migrate(engine)
    redis = create_redis(settings.redis_url)
    sessions = session_factory(engine)
    workers = [
        transcription_worker(transcription_service(settings, sessions, redis, SystemClock()), suffix=number)
        for number in range(count)
    ]
    log.info("%d transcription worker(s) on %s", count, settings.transcription_stream)
    try:
        await asyncio.gather(*(worker.run_forever() for worker in workers))
    finally:
        with contextlib.suppress(Exception):
            await redis.aclose()
        await engine.dispose()
