"""Transcripts over HTTP: the transcript part of the call card, queueing a
call's transcription again, and the job queue's state (depth, dead letters)."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, Field

from accounts.access import ASSIGN, CONFIGURE, Principal, data_scope
from api.app import context
from api.errors import NotFound
from api.registry import Routes
from api.validation import Timestamp
from crm.call_queries import CallQueries
from jobs.http import STREAM_ID, QueueDepth, Requeued, queue_depth, requeue_dead
from recordings.pickup import StoredTrack
from recordings.service import USABLE
from storage.models import Transcript
from transcription.service import Status

routes = Routes("transcription")



class TranscriptLine(BaseModel):
    speaker: str = Field(description="client, manager, or unknown (a mixed mono recording).")
    start: float = Field(description="Seconds from the start of the recording.")
    end: float
    text: str = Field(description="As recognised, for display.")
    confidence: float = Field(description="Mean word probability, 0-1.")
    words: list[tuple[str, float, float, float]] = Field(description="[word, start, end, probability] each.")


class TranscriptInfo(BaseModel):
    status: Status = Field(description="queued, running, done, or failed (see error).")
    error: str = Field(description="Why it failed, or why the last attempt failed while it is queued again.")
    attempts: int
    model: str
    language: str
    queued_at: Timestamp
    finished_at: Timestamp | None
    lines: list[TranscriptLine] = Field(description="The dialogue, by start time; empty until done.")


def transcript_info(transcript: Transcript | None) -> TranscriptInfo | None:
    if transcript is None:
        return None
    return TranscriptInfo(
        status=transcript.status,
        error=transcript.error,
        attempts=transcript.attempts,
        model=transcript.model,
        language=transcript.language,
        queued_at=transcript.queued_at,
        finished_at=transcript.finished_at,
        lines=[TranscriptLine(**line) for line in transcript.lines or ()],
    )


class Queued(BaseModel):
    queued: bool = Field(description="False: it was already queued or running.")


@routes.post("/calls/{call_id}/transcript", roles=ASSIGN, response=Queued, status=202)
async def transcribe_again(request: web.Request, principal: Principal, call_id: int) -> Queued:
    """Transcribe the call (again), e.g. after a failure or with a better model."""
    card = await CallQueries(context(request).sessions).card(data_scope(principal), call_id)
    recording = card.call.recording
    if recording is None or recording.status not in USABLE or not recording.tracks:
        raise NotFound("the call has no usable recording")
    tracks = [StoredTrack.from_row(track) for track in recording.tracks]
    return Queued(queued=await context(request).transcription.enqueue(call_id, tracks, again=True))


class QueueState(QueueDepth):
    done_last_hour: int = Field(description="Jobs the workers finished in the last hour.")
    audio_seconds_last_hour: float = Field(description="Seconds of recordings they transcribed meanwhile.")
    processing_seconds_last_hour: float = Field(description="Seconds they spent on it.")


@routes.get("/transcription/queue", roles=CONFIGURE, response=QueueState)
async def queue_state(request: web.Request, principal: Principal) -> QueueState:
    """The transcription queue: depth, the workers' throughput, and the jobs that failed for good."""
    service = context(request).transcription
    hour = await service.throughput()
    return QueueState(
        **await queue_depth(service.queue),
        done_last_hour=hour.jobs,
        audio_seconds_last_hour=round(hour.audio_seconds, 1),
        processing_seconds_last_hour=round(hour.processing_seconds, 1),
    )


@routes.post("/transcription/dead-letters/{dead_id}/retry", roles=CONFIGURE, response=Requeued, status=202,
             text_params={"dead_id": STREAM_ID})
async def retry_dead_letter(request: web.Request, principal: Principal, dead_id: str) -> Requeued:
    """Queue a dead job again, as a fresh job."""
    return await requeue_dead(context(request).transcription.queue, dead_id)
