"""From ``recording.ready`` to a stored transcript, through the job queue.

The backend (``TranscriptionService.subscribe``) marks the call's transcript
``queued`` and enqueues a job with the recording's tracks. A worker
(``callcenter worker``, any number, anywhere that reaches Redis, the
database and the recordings) runs ``handle``: it marks the transcript
``running``, transcribes the tracks in a thread, and commits the dialogue as
``done`` before the queue acknowledges the job. So a worker killed midway
leaves the job pending, and another worker takes it over; a job that runs
twice writes the same single row (one transcript per call, and a ``done``
transcript is not redone). A failing job is retried; the transcript says
``queued`` with the last error meanwhile and ``failed`` with the reason once
the attempts are used up. Audio that cannot be read fails at once: retrying
cannot help.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from callcenter.bus import RECORDING_READY, DomainEvent, EventBus
from callcenter.clock import Clock
from jobs.queue import Job, JobQueue
from recordings.pickup import StoredTrack
from recordings.store import RecordingStore, local_file
from storage.models import Transcript
from transcription.audio import AudioError, load_channel
from transcription.engine import Line, SpeakerAudio, Transcriber
from transcription.throughput import Done, Throughput

log = logging.getLogger(__name__)


class Status(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


def search_text(rows: list[dict]) -> str:
    """The stored lines' normal forms (``Line.as_dict``'s ``norm``) space-delimited, with a leading and a
    trailing space, so ``LIKE '% word%'`` finds words."""
    words = " ".join(row["norm"] for row in rows).split()
    return f" {' '.join(words)} " if words else ""


class TranscriptionService:
    def __init__(
        self,
        sessions: async_sessionmaker,
        queue: JobQueue,
        store: RecordingStore,
        clock: Clock,
        transcriber: Callable[[], Transcriber] | None = None,
        on_done: Callable[[int], Awaitable[None]] | None = None,
        prompt: Callable[[], Awaitable[str]] | None = None,
    ) -> None:
        """``transcriber`` loads the model, on a worker's first job (the backend itself never needs it);
        ``on_done(call_id)`` runs after a transcript is committed (it queues the scoring); ``prompt()`` gives
        each job the department's vocabulary for the model (default: the model options' own)."""
        self._sessions = sessions
        self.queue = queue
        self._store = store
        self._clock = clock
        self._load_transcriber = transcriber
        self._transcriber: Transcriber | None = None
        self._on_done = on_done
        self._prompt = prompt
        self._throughput = Throughput(queue.redis, f"{queue.name}:done")

    def subscribe(self, bus: EventBus) -> None:
        bus.subscribe(RECORDING_READY, self._on_recording_ready)

    async def _on_recording_ready(self, event: DomainEvent) -> None:
        ready = event.payload
        await self.enqueue(int(ready["call_id"]), [StoredTrack.from_row(track) for track in ready["tracks"]])

    async def enqueue(self, call_id: int, tracks: list[StoredTrack], again: bool = False) -> bool:
        """Queue the call's transcription; False when it is queued or running already, or done (unless ``again``)."""
        async with self._sessions() as session, session.begin():
            transcript = await session.scalar(select(Transcript).where(Transcript.call_id == call_id))
            busy = (Status.QUEUED, Status.RUNNING) if again else (Status.QUEUED, Status.RUNNING, Status.DONE)
            if transcript is not None and transcript.status in busy:
                return False
            if transcript is None:
                transcript = Transcript(call_id=call_id)
                session.add(transcript)
            _reset(transcript, self._clock)
        try:
            await self.queue.enqueue({"call_id": call_id, "tracks": [track.as_row() for track in tracks]})
        except Exception as error:  # Redis down: say so on the card; the API can queue it again
            await self._finish(call_id, status=Status.FAILED, error=f"could not queue the job: {error}")
            raise
        return True

    async def handle(self, job: Job) -> None:
        """A worker's job: transcribe the call and commit its transcript (the queue acknowledges afterwards)."""
        call_id = int(job.payload["call_id"])
        tracks = [StoredTrack.from_row(track) for track in job.payload["tracks"]]
        status = await self._start(call_id, job.attempts)
        if status == Status.DONE:  # a job taken over from a worker that died after committing
            await self._done(call_id)
        if status != Status.RUNNING:
            return
        started = time.perf_counter()
        try:
            prompt = await self._prompt() if self._prompt is not None else None
            lines, audio_seconds = await asyncio.to_thread(self._transcribe, tracks, prompt)
        except AudioError as error:
            await self._finish(call_id, status=Status.FAILED, error=f"unreadable audio: {error}")
            return
        except Exception as error:
            final = job.attempts >= self.queue.max_attempts
            reason = f"attempt {job.attempts} failed: {type(error).__name__}: {error}"
            await self._finish(call_id, status=Status.FAILED if final else Status.QUEUED, error=reason)
            raise
        transcriber = self._model()
        processing_seconds = time.perf_counter() - started
        rows = [line.as_dict() for line in lines]
        await self._finish(
            call_id,
            status=Status.DONE,
            error="",
            lines=rows,
            search_text=search_text(rows),
            model=transcriber.model_path.name,
            language=transcriber.options.language,
            audio_seconds=audio_seconds,
            processing_seconds=processing_seconds,
        )
        await self._throughput.record(self._clock.now(), audio_seconds, processing_seconds)
        await self._done(call_id)

    async def _done(self, call_id: int) -> None:
        if self._on_done is not None:
            await self._on_done(call_id)

    async def throughput(self) -> Done:
        """What the workers finished in the last hour."""
        return await self._throughput.last_hour(self._clock.now())

    async def _start(self, call_id: int, attempts: int) -> Status | None:
        """Mark the transcript running (and say RUNNING); else DONE if it is done already, None if the call is gone."""
        async with self._sessions() as session, session.begin():
            transcript = await session.scalar(select(Transcript).where(Transcript.call_id == call_id))
            if transcript is None:
                return None
            if transcript.status == Status.DONE:
                return Status.DONE
            transcript.status = Status.RUNNING
            transcript.attempts = attempts
            transcript.started_at = self._clock.now()
            return Status.RUNNING

    async def _finish(self, call_id: int, **facts: object) -> None:
        async with self._sessions() as session, session.begin():
            transcript = await session.scalar(select(Transcript).where(Transcript.call_id == call_id))
            if transcript is None:
                return
            for name, value in facts.items():
                setattr(transcript, name, value)
            if facts.get("status") in (Status.DONE, Status.FAILED):
                transcript.finished_at = self._clock.now()

    def _model(self) -> Transcriber:
        if self._transcriber is None:
            if self._load_transcriber is None:
                raise RuntimeError("this TranscriptionService only queues jobs: it was built without a transcriber")
            self._transcriber = self._load_transcriber()
        return self._transcriber

    def _transcribe(self, tracks: list[StoredTrack], prompt: str | None) -> tuple[list[Line], float]:
        if not tracks:
            raise AudioError("the job names no tracks")
        audio = []
        for track in tracks:
            try:
                with local_file(self._store, track.key) as path:
                    audio.append(SpeakerAudio(str(track.role), load_channel(path, track.channel)))
            except (OSError, ValueError) as error:
                raise AudioError(f"{track.key}: not in the recordings store ({error})") from error
        return self._model().transcribe(audio, prompt), max((track.seconds for track in audio), default=0.0)


def _reset(transcript: Transcript, clock: Clock) -> None:
    transcript.status = Status.QUEUED
    transcript.error = ""
    transcript.attempts = 0
    transcript.lines = None
    transcript.search_text = ""
    transcript.queued_at = clock.now()
    transcript.started_at = None
    transcript.finished_at = None
