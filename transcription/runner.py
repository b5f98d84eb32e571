"""``callcenter worker``: transcription and scoring workers in their own process, until interrupted."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from callcenter.clock import SystemClock
from callcenter.config import Settings
from storage.cache import create_redis
from storage.db import create_engine, migrate, session_factory
from qa.worker import qa_service, qa_worker, script_vocabulary
from transcription.worker import transcription_service, transcription_worker

log = logging.getLogger(__name__)


async def run_workers(settings: Settings, count: int = 1, scorers: int = 1) -> None:
    """``count`` transcription workers, each with its own model, and ``scorers`` scoring workers, on the
    configured database, Redis and recordings."""
    engine = create_engine(settings.effective_database_url)
    await migrate(engine)
    redis = create_redis(settings.redis_url)
    sessions = session_factory(engine)
    qa = qa_service(settings, sessions, redis, SystemClock())
    workers = [
        transcription_worker(transcription_service(settings, sessions, redis, SystemClock(), on_done=qa.enqueue,
                                                   prompt=script_vocabulary(settings, sessions)), suffix=number)
        for number in range(count)
    ]
    workers += [qa_worker(qa, suffix=number) for number in range(scorers)]
    log.info("%d transcription worker(s) on %s, %d scoring worker(s) on %s",
             count, settings.transcription_stream, scorers, settings.qa_stream)
    try:
        await asyncio.gather(*(worker.run_forever() for worker in workers))
    finally:
        with contextlib.suppress(Exception):
            await redis.aclose()
        await engine.dispose()
