"""A worker killed with SIGKILL in the middle of a job loses nothing: the job
stays pending, another worker takes it over once it has been idle too long,
and the call ends with one transcript. The killed worker is a real
``callcenter worker`` process on the real Redis."""

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from callcenter.clock import SystemClock
from jobs.queue import JobQueue
from jobs.worker import Worker
from recordings.store import LocalStore
from storage.models import Transcript
from tests.conftest import REDIS_URL
from tests.transcription.test_service import add_recorded_call, tracks, transcript_of
from transcription.service import Status, TranscriptionService

STREAM = "jobs:transcription:killed"
pytestmark = pytest.mark.redis_server


async def wait_for(condition, seconds: float = 60.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if await condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


async def test_a_job_outlives_its_killed_worker(database_url, sessions, real_redis, tmp_path, transcriber):
    store = LocalStore(tmp_path / "recordings")
    queue = JobQueue(real_redis, STREAM, claim_idle_seconds=1.0)
    service = TranscriptionService(sessions, queue, store, SystemClock(), transcriber=lambda: transcriber)
    call_id, ready = await add_recorded_call(sessions, store, "k", corpus_call="call003.wav")
    await service.enqueue(call_id, tracks(ready))

    env = os.environ | {
        "DATABASE_URL": database_url, "REDIS_URL": REDIS_URL, "CALLCENTER_RECORDINGS_DIR": str(store.root),
        "CALLCENTER_TRANSCRIPTION_STREAM": STREAM, "CALLCENTER_CONFIG": str(tmp_path / "none.toml"),
    }
    command = [str(Path(sys.executable).parent / "callcenter"), "worker"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        async def running() -> bool:
            assert process.poll() is None, process.stderr.read().decode()
            return (await transcript_of(sessions, call_id)).status == Status.RUNNING

        await wait_for(running)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert (await transcript_of(sessions, call_id)).status == Status.RUNNING  # killed mid-job
    assert (await queue.stats()).running == 1

    survivor = Worker(queue, service.handle, "survivor", block_seconds=0)
    await asyncio.sleep(1.1)  # the dead worker's job has been idle long enough
    assert await survivor.run_once()
    transcript = await transcript_of(sessions, call_id)
    assert transcript.status == Status.DONE and transcript.attempts == 2 and transcript.lines
    stats = await queue.stats()
    assert (stats.waiting, stats.running, stats.dead) == (0, 0, 0)
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Transcript)) == 1
