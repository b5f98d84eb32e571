"""Building the transcription side from the settings: the queue, the model,
and the worker that ``callcenter worker`` (or the backend itself) runs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import async_sessionmaker

from callcenter.clock import Clock
from callcenter.config import Settings
from jobs.queue import JobQueue
from jobs.worker import Worker, consumer_name
from recordings.store import LocalStore
from transcription.engine import EngineOptions, Transcriber
from transcription.model import resolve_model
from transcription.service import TranscriptionService


def engine_options(settings: Settings) -> EngineOptions:
    return EngineOptions(
        language=settings.transcription_language,
        beam_size=settings.transcription_beam_size,
        batch_size=settings.transcription_batch_size,
        prompt=settings.transcription_prompt,
        threads=settings.transcription_threads,
    )


def load_transcriber(settings: Settings) -> Transcriber:
    """The configured model, loaded (the bundled one is joined first if need be)."""
    path = resolve_model(settings.transcription_model, settings.transcription_model_cache_dir)
    return Transcriber(path, engine_options(settings))


def transcription_service(
    settings: Settings,
    sessions: async_sessionmaker,
    redis: Redis,
    clock: Clock,
    on_done: Callable[[int], Awaitable[None]] | None = None,
    prompt: Callable[[], Awaitable[str]] | None = None,
) -> TranscriptionService:
    """The service over the configured queue and store; it loads the model on its first job only.
    ``on_done(call_id)`` follows each committed transcript (the scoring's ``enqueue``); ``prompt()`` is each
    job's vocabulary for the model (the active scripts', ``qa.library.ScriptVocabulary``)."""
    return TranscriptionService(
        sessions,
        JobQueue.configured(redis, settings, settings.transcription_stream),
        LocalStore(settings.effective_recordings_dir),
        clock,
        transcriber=lambda: load_transcriber(settings),
        on_done=on_done,
        prompt=prompt,
    )


def transcription_worker(
    service: TranscriptionService, on_result: Callable[[str, float], None] | None = None, suffix: int = 0
) -> Worker:
    """A worker draining ``service``'s queue as ``hostname:pid:suffix``."""
    return Worker(service.queue, service.handle, f"{consumer_name()}:{suffix}", on_result=on_result)
