"""recording.ready → a queued transcript and a job → a worker → the stored
dialogue, on both databases and both Redis servers: idempotent, retried,
dead-lettered, and unreadable audio failing at once with its reason."""

import shutil
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from callcenter.bus import RECORDING_READY, DomainEvent, EventBus
from callcenter.clock import FakeClock
from jobs.queue import JobQueue
from jobs.worker import Worker
from recordings.pickup import StoredTrack
from recordings.store import LocalStore, recording_key
from storage.models import Call, Recording, Transcript
from tests.support.data import CORPUS
from transcription.model import resolve_model
from transcription.service import Status, TranscriptionService

STARTED = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


async def add_recorded_call(sessions, store: LocalStore, linkedid: str, wav_bytes: bytes | None = None,
                            corpus_call: str = "call000.wav") -> tuple[int, dict]:
    """A call card whose stereo recording is in the store; the ``recording.ready`` payload for it."""
    key = recording_key(STARTED, linkedid, f"{linkedid}.wav")
    path = store.root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    if wav_bytes is None:
        shutil.copyfile(CORPUS / corpus_call, path)
    else:
        path.write_bytes(wav_bytes)
    tracks = [{"role": "client", "key": key, "channel": 0}, {"role": "manager", "key": key, "channel": 1}]
    async with sessions() as session, session.begin():
        call = Call(linkedid=linkedid, direction="inbound", started_at=STARTED, disposition="answered",
                    recording=Recording(path=key, status="ok", layout="stereo", tracks=tracks))
        session.add(call)
        await session.flush()
        return call.id, {"call_id": call.id, "tracks": tracks}


def tracks(ready: dict) -> list[StoredTrack]:
    return [StoredTrack.from_row(track) for track in ready["tracks"]]


@pytest.fixture
def store(tmp_path) -> LocalStore:
    return LocalStore(tmp_path / "recordings")


@pytest.fixture
def scoring_queued() -> list[int]:
    """The calls the service handed on for scoring (its ``on_done``), in order."""
    return []


@pytest.fixture
def service(sessions, redis, store, transcriber, scoring_queued) -> TranscriptionService:
    queue = JobQueue(redis, "jobs:transcription", max_attempts=2, claim_idle_seconds=60, retry_delay_seconds=0)

    async def queue_scoring(call_id: int) -> None:
        scoring_queued.append(call_id)

    return TranscriptionService(sessions, queue, store, FakeClock(STARTED), transcriber=lambda: transcriber,
                                on_done=queue_scoring)


async def transcript_of(sessions, call_id: int) -> Transcript:
    async with sessions() as session:
        return await session.scalar(select(Transcript).where(Transcript.call_id == call_id))


async def test_a_ready_recording_is_transcribed_once_by_a_worker(sessions, service, store, scoring_queued):
    bus = EventBus()
    service.subscribe(bus)
    call_id, ready = await add_recorded_call(sessions, store, "a")
    await bus.publish(DomainEvent(RECORDING_READY, ready))
    await bus.publish(DomainEvent(RECORDING_READY, ready))  # replayed: not queued twice
    assert (await transcript_of(sessions, call_id)).status == Status.QUEUED
    assert (await service.queue.stats()).waiting == 1

    outcomes = []
    worker = Worker(service.queue, service.handle, "w1", block_seconds=0, on_result=lambda o, s: outcomes.append(o))
    assert await worker.run_once() and not await worker.run_once()
    transcript = await transcript_of(sessions, call_id)
    assert transcript.status == Status.DONE and transcript.error == "" and transcript.attempts == 1
    assert {line["speaker"] for line in transcript.lines} == {"client", "manager"}
    assert " квартиры " in transcript.search_text and transcript.model == "whisper-base"
    assert transcript.audio_seconds == pytest.approx(19.03, abs=0.1) and transcript.processing_seconds > 0
    assert outcomes == ["done"]
    assert (await service.queue.stats()).waiting == 0 and (await service.queue.stats()).running == 0
    assert (await service.throughput()).jobs == 1
    assert scoring_queued == [call_id]  # then scored


async def test_a_job_run_twice_leaves_one_transcript(sessions, service, store, scoring_queued):
    call_id, ready = await add_recorded_call(sessions, store, "b")
    await service.enqueue(call_id, tracks(ready))
    await service.queue.enqueue(ready)  # the same job again, as after a worker's takeover
    worker = Worker(service.queue, service.handle, "w1", block_seconds=0)
    while await worker.run_once():
        pass
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Transcript)) == 1
    assert (await transcript_of(sessions, call_id)).status == Status.DONE
    # the run that found it done queues the scoring again: a worker that died between committing the
    # transcript and queueing its scoring loses nothing (scoring twice leaves one score)
    assert scoring_queued == [call_id, call_id]


async def test_unreadable_audio_fails_at_once_with_its_reason(sessions, service, store):
    call_id, ready = await add_recorded_call(sessions, store, "c", wav_bytes=b"RIFF\x00\x00\x00\x00WAVEjunk")
    await service.enqueue(call_id, tracks(ready))
    assert await Worker(service.queue, service.handle, "w1", block_seconds=0).run_once()
    transcript = await transcript_of(sessions, call_id)
    assert transcript.status == Status.FAILED and transcript.error.startswith("unreadable audio: ")
    assert "c.wav" in transcript.error
    stats = await service.queue.stats()
    assert (stats.waiting, stats.running, stats.dead) == (0, 0, 0)  # nothing left to retry


async def test_a_failing_job_is_retried_then_dead_lettered_and_the_card_says_why(sessions, redis, store, tmp_path):
    queue = JobQueue(redis, "jobs:transcription", max_attempts=2, claim_idle_seconds=60, retry_delay_seconds=0)
    broken = TranscriptionService(sessions, queue, store, FakeClock(STARTED),
                                  transcriber=lambda: resolve_model(str(tmp_path / "no-model")))
    call_id, ready = await add_recorded_call(sessions, store, "d")
    assert await broken.enqueue(call_id, tracks(ready))
    outcomes = []
    worker = Worker(queue, broken.handle, "w1", block_seconds=0, on_result=lambda o, s: outcomes.append(o))
    assert await worker.run_once()
    transcript = await transcript_of(sessions, call_id)
    assert transcript.status == Status.QUEUED and transcript.error.startswith("attempt 1 failed: ModelError")
    assert await worker.run_once()
    transcript = await transcript_of(sessions, call_id)
    assert transcript.status == Status.FAILED and transcript.error.startswith("attempt 2 failed: ModelError")
    assert outcomes == ["retry", "dead"]
    [dead] = await queue.dead_letters()
    assert dead.payload["call_id"] == call_id and "ModelError" in dead.error
    assert await broken.enqueue(call_id, tracks(ready))  # a failed transcript may be queued again
