"""Building the scoring side from the settings: its queue, service and worker,
run by ``callcenter worker`` and by the backend itself; and the active scripts'
vocabulary the transcription workers give the speech model."""

from __future__ import annotations

from collections.abc import Callable

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import async_sessionmaker

from callcenter.clock import Clock
from callcenter.config import Settings
from jobs.queue import JobQueue
from jobs.worker import Worker, consumer_name
from qa.library import ScriptVocabulary
from qa.service import QaService


def qa_service(settings: Settings, sessions: async_sessionmaker, redis: Redis, clock: Clock) -> QaService:
    return QaService(sessions, JobQueue.configured(redis, settings, settings.qa_stream), clock)


def qa_worker(service: QaService, on_result: Callable[[str, float], None] | None = None, suffix: int = 0) -> Worker:
    """A worker draining the scoring queue as ``hostname:pid:qa<suffix>``."""
    return Worker(service.queue, service.handle, f"{consumer_name()}:qa{suffix}", on_result=on_result)


def script_vocabulary(settings: Settings, sessions: async_sessionmaker) -> ScriptVocabulary | None:
    """The transcription jobs' prompt as configured: the scripts' words after the configured ones, or none
    (the engine then keeps ``transcription_prompt`` alone)."""
    return ScriptVocabulary(sessions, settings.transcription_prompt) if settings.transcription_script_vocabulary else None
