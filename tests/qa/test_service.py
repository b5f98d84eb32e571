"""Scoring jobs on both databases and both Redis servers: a transcribed call gets one score per
script version (a job run twice, or by two workers at once, changes nothing; a new version adds
history), its lead card is filled from the client's words without touching a manager's entry, and
a call.scored webhook is queued once per score."""

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from callcenter.clock import FakeClock
from crm.lead_queries import LeadQueries
from accounts.access import EVERYONE
from jobs.queue import JobQueue
from jobs.worker import Worker
from qa.library import ScriptLibrary
from qa.service import QaService
from storage.models import Call, CallScore, Lead, LeadFact, Transcript, Webhook, WebhookDelivery
from tests.support.data import CORPUS

STARTED = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
SCRIPT = Path("qa/scripts/realty-inbound.yaml").read_text(encoding="utf-8")
CALLER = "+79161112233"


@pytest.fixture
def service(sessions, redis) -> QaService:
    return QaService(sessions, JobQueue(redis, "jobs:qa", max_attempts=2, retry_delay_seconds=0), FakeClock(STARTED))


async def add_transcribed_call(sessions, corpus_call: str = "call003", *, direction: str = "inbound",
                               status: str = "done", with_lead: bool = True, started: datetime = STARTED,
                               disposition: str = "answered", talk_seconds: float | None = None) -> int:
    """A call whose transcript is the corpus call's true dialogue (talked for all of it, unless
    ``talk_seconds`` says otherwise); its caller's lead, made by it."""
    truth = json.loads((CORPUS / f"{corpus_call}.json").read_text())
    talk = truth["duration"] if talk_seconds is None else talk_seconds
    async with sessions() as session, session.begin():
        call = Call(linkedid=f"{corpus_call}-{direction}-{started:%H%M}", direction=direction, started_at=started,
                    disposition=disposition, talk_seconds=talk if disposition == "answered" else 0.0,
                    caller_number=CALLER if direction == "inbound" else None,
                    callee_number=CALLER if direction == "outbound" else None,
                    transcript=Transcript(status=status, lines=truth["turns"], audio_seconds=truth["duration"]))
        session.add(call)
        await session.flush()
        if with_lead:
            session.add(Lead(phone=CALLER, first_linkedid=call.linkedid, first_call_id=call.id, status="open"))
        return call.id


async def score_rows(sessions, call_id: int) -> list[CallScore]:
    async with sessions() as session:
        return list(await session.scalars(select(CallScore).where(CallScore.call_id == call_id).order_by(CallScore.id)))


async def facts(sessions) -> dict[str, LeadFact]:
    async with sessions() as session:
        return {fact.field: fact for fact in await session.scalars(select(LeadFact))}


async def drain(service: QaService) -> None:
    worker = Worker(service.queue, service.handle, "test", block_seconds=0.1)
    while await worker.run_once():
        pass


async def test_a_transcribed_call_is_scored_with_evidence_and_fills_its_lead_card(sessions, service):
    script = await ScriptLibrary(sessions).save(SCRIPT)
    call_id = await add_transcribed_call(sessions)
    await service.enqueue(call_id)
    await drain(service)
    (score,) = await score_rows(sessions, call_id)
    assert (score.script_id, score.total, score.passed) == (script.id, 100.0, True)
    greeting = next(item for item in score.items if item["id"] == "greeting")
    assert greeting["met"] is True and greeting["evidence"]["start"] == 0.71
    assert greeting["evidence"]["quote"] == "Добрый день! Компания Северный парк, меня зовут Сергей."
    card = await facts(sessions)
    assert {field: fact.value for field, fact in card.items()} == {
        "name": "Иван", "source": "Радио", "rooms": "двухкомнатная"}
    assert (card["source"].quote, card["source"].set_by, card["source"].call_id) == (
        "Увидел объявление по радио.", "conversation", call_id)


@pytest.mark.parametrize("disposition, talk_seconds, lines", [
    ("abandoned", None, None),  # the caller's voicemail-like monologue while ringing: nobody answered
    ("answered", 6.0, None),  # "Алло? Перезвоните позже": under 10 s
    ("answered", None, []),  # a transcript without a word
    ("answered", None, "manager only"),  # the client's side silent: nobody to sell to
])
async def test_a_call_without_a_conversation_gets_no_score_and_loses_an_old_one(
        sessions, service, disposition, talk_seconds, lines):
    script = await ScriptLibrary(sessions).save(SCRIPT)
    call_id = await add_transcribed_call(sessions, disposition=disposition, talk_seconds=talk_seconds)
    async with sessions() as session, session.begin():
        transcript = await session.scalar(select(Transcript).where(Transcript.call_id == call_id))
        if lines is not None:
            transcript.lines = [line for line in transcript.lines if line["speaker"] == "manager"] if lines else []
        session.add(CallScore(call_id=call_id, script_id=script.id, total=15.8, passed=False, items=[], missed="",
                              created_at=STARTED))  # scored before calls without conversation were left out
    await service.enqueue(call_id)
    await drain(service)
    assert await score_rows(sessions, call_id) == []
    assert (await service.queue.stats()).dead == 0


async def test_a_job_run_twice_or_by_two_workers_at_once_leaves_one_score(sessions, service, redis):
    await ScriptLibrary(sessions).save(SCRIPT)
    call_id = await add_transcribed_call(sessions)
    await service.enqueue(call_id)
    await service.enqueue(call_id)
    other = QaService(service._sessions, JobQueue(redis, "jobs:qa"), FakeClock(STARTED))
    workers = [Worker(service.queue, service.handle, "a", block_seconds=0.1),
               Worker(other.queue, other.handle, "b", block_seconds=0.1)]
    await asyncio.gather(*(worker.run_once() for worker in workers))
    assert len(await score_rows(sessions, call_id)) == 1
    assert len(await facts(sessions)) == 3
    assert (await service.queue.stats()).dead == 0


async def test_a_score_queues_one_call_scored_webhook_for_those_who_want_it(sessions, service):
    script = await ScriptLibrary(sessions).save(SCRIPT)
    async with sessions() as session, session.begin():
        session.add_all([Webhook(url="https://crm.example/scored", secret="s" * 16, events=["call.scored"]),
                         Webhook(url="https://crm.example/leads", secret="s" * 16, events=["lead.created"])])
    call_id = await add_transcribed_call(sessions)
    for _ in range(2):  # the same job run again
        await service.enqueue(call_id)
        await drain(service)
    async with sessions() as session:
        deliveries = list(await session.scalars(select(WebhookDelivery)))
        linkedid = (await session.get(Call, call_id)).linkedid
    (delivery,) = deliveries
    assert (delivery.event, delivery.event_id, delivery.status) == (
        "call.scored", f"call.scored:{linkedid}:{script.id}", "pending")
    assert delivery.payload == {
        "linkedid": linkedid, "call_id": call_id, "answered_by_extension": None, "script": "realty-inbound",
        "script_version": 1, "total": 100.0, "passed": True, "missed_items": [], "critical_failed": [],
        "scored_at": STARTED.isoformat()}


async def test_a_new_script_version_keeps_the_old_score_as_history(sessions, service):
    library = ScriptLibrary(sessions)
    first = await library.save(SCRIPT)
    call_id = await add_transcribed_call(sessions)
    await service.enqueue(call_id)
    await drain(service)
    stricter = SCRIPT.replace("  - id: rudeness", "  - id: price\n    kind: phrase\n    weight: 100\n"
                                                  "    examples: [Стоимость квартиры от пяти миллионов]\n  - id: rudeness")
    second = await library.save(stricter)
    assert (second.version, [row.active for row in await library.versions("realty-inbound")]) == (2, [True, False])
    await service.enqueue(call_id)
    await drain(service)
    rows = await score_rows(sessions, call_id)
    assert [(row.script_id, row.total, row.passed) for row in rows] == [
        (first.id, 100.0, True), (second.id, 48.7, False)]  # 95 of 195: the new item's weight 100 missed
    await service.enqueue(call_id, first.id)  # on demand, with the old version: the same row again
    await drain(service)
    assert len(await score_rows(sessions, call_id)) == 2


async def test_the_conversation_never_overwrites_what_a_manager_typed(sessions, service):
    await ScriptLibrary(sessions).save(SCRIPT)
    call_id = await add_transcribed_call(sessions)
    async with sessions() as session:
        lead_id = await session.scalar(select(Lead.id))
    await LeadQueries(sessions, FakeClock(STARTED)).set_fact(EVERYONE, lead_id, "name", "Иван Петрович", user_id=None)
    await service.enqueue(call_id)
    await drain(service)
    card = await facts(sessions)
    assert (card["name"].value, card["name"].set_by, card["name"].quote) == ("Иван Петрович", "manager", "")
    assert card["rooms"].set_by == "conversation"


async def test_nothing_is_scored_without_a_finished_transcript_or_a_fitting_script(sessions, service):
    untranscribed = await add_transcribed_call(sessions, status="running", with_lead=False)
    await service.enqueue(untranscribed)
    await drain(service)
    assert await score_rows(sessions, untranscribed) == []  # and no script yet either
    await ScriptLibrary(sessions).save(SCRIPT)  # inbound only
    outbound = await add_transcribed_call(sessions, direction="outbound", with_lead=False)
    await service.enqueue(outbound)
    await drain(service)
    assert await score_rows(sessions, outbound) == []
    assert (await service.queue.stats()).dead == 0


async def test_rescoring_a_period_queues_its_transcribed_calls(sessions, service):
    await ScriptLibrary(sessions).save(SCRIPT)
    inside = await add_transcribed_call(sessions, with_lead=False)
    await add_transcribed_call(sessions, "call005", with_lead=False, started=STARTED + timedelta(days=2))
    await add_transcribed_call(sessions, "call007", status="failed", with_lead=False, started=STARTED + timedelta(hours=1))
    queued = await service.rescore_period(STARTED - timedelta(hours=1), STARTED + timedelta(days=1))
    assert queued == 1
    await drain(service)
    async with sessions() as session:
        assert await session.scalar(select(func.count(CallScore.id))) == 1
    assert [row.call_id for row in await score_rows(sessions, inside)] == [inside]
