"""``make run`` on a plain clone: the demo on its own defaults (an SQLite file,
the embedded valkey-server, the simulator playing the calls shipped in
``pbx/simulator/sounds``) records calls that speak. Its recordings are then
transcribed with both speakers and scored, each call on its own merits, by
the backend's queues, after a restart that kept the queued jobs; the call
nobody answered is not scored."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from callcenter.app import Services
from callcenter.config import Settings
from callcenter.demo import against_simulator, run_demo
from pbx.simulator.scenario import load_scenario
from qa.eligibility import NoConversation, no_conversation_in
from qa.worker import qa_worker
from storage.models import Call
from tests.conftest import free_port
from transcription.worker import transcription_worker

SPEED = 20.0


async def drain(worker) -> None:
    while await worker.run_once():
        pass


async def test_the_demo_s_calls_are_transcribed_with_both_speakers_and_scored_apart(tmp_path):
    settings = Settings(
        _env_file=None, data_dir=tmp_path, database_url=f"sqlite+aiosqlite:///{tmp_path / 'callcenter.db'}",
        http_port=free_port(), agi_port=0, agi_answer_seconds=3.0, routing_deadline_seconds=2.5,
        cdr_linger_seconds=1.0, transcription_workers_in_backend=0, qa_workers_in_backend=0,
    )
    assert settings.redis_url == "" and settings.simulator_audio_dir is None  # the embedded defaults
    await run_demo(settings, load_scenario("demo"), speed=SPEED, once=True)

    services = await Services.create(against_simulator(settings))  # the same data folder: the same Redis data
    try:
        async with services.sessions() as session:
            linkedids = list(await session.scalars(select(Call.linkedid)))
        for linkedid in linkedids:  # what the leader's pickup had not reached before the demo stopped
            await services.recordings.register(linkedid)
        await drain(transcription_worker(services.transcription))
        await drain(qa_worker(services.qa))
        async with services.sessions() as session:
            calls = list(await session.scalars(select(Call).options(
                selectinload(Call.transcript), selectinload(Call.scores))))
    finally:
        await services.stop()

    answered = [call for call in calls if call.disposition == "answered"]
    assert len(answered) == 6 and len(calls) == 7
    for call in answered:
        speakers = {line["speaker"] for line in call.transcript.lines}
        assert speakers == {"client", "manager"}, (call.caller_raw, call.transcript.lines)
        assert no_conversation_in(call) is None and len(call.scores) == 1, call.caller_raw
    totals = [call.scores[0].total for call in answered]
    assert len(set(totals)) >= 3, totals  # full, partial and sloppy calls: each its own score
    [unanswered] = [call for call in calls if call.disposition != "answered"]
    assert unanswered.scores == [] and no_conversation_in(unanswered) is NoConversation.NOT_ANSWERED
