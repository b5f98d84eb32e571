"""Scoring calls through the job queue, and filling leads' cards from what they said.

When a transcript is committed the transcription worker queues a scoring
job (``enqueue``); so does the API to re-score one call or a period. A
worker (``handle``) picks the active script that fits the call (``qa.choice``),
scores the transcript (unless the call holds no conversation: ``qa.eligibility``), and commits in one transaction the score (one row per
call and script version, so a job run twice changes nothing and a new
version keeps the old score as history) and, for a lead's call, the facts
the client's words gave, never over what a manager typed. Then it queues the
``call.scored`` webhook in the outbox (a database table, so a worker in its own
process needs no bus; the backend's delivery worker sends it). The queue
acknowledges the job only afterwards, as for transcription: a job run again
stores the same score and finds its webhook queued already.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from callcenter.bus import CALL_SCORED
from callcenter.clock import Clock
from crm.lead_queries import FACT_BY_CONVERSATION
from crm.leads import iso
from crm.lookups import insert_or_update
from jobs.queue import Job, JobQueue
from qa.choice import CallFacts, choose_script
from qa.eligibility import no_conversation_in
from qa.conversation import Conversation
from qa.lead_card import Fact
from qa.script import parse_script
from qa.scoring import Scorer, ScoreResult
from storage.models import Call, CallScore, Lead, LeadFact, Manager, QaScript, Transcript
from transcription.service import Status
from webhooks.outbox import Outbox


@dataclass(frozen=True)
class Scored:
    call_id: int
    score: ScoreResult
    facts: list[Fact]


class QaService:
    def __init__(self, sessions: async_sessionmaker, queue: JobQueue, clock: Clock) -> None:
        self._sessions = sessions
        self.queue = queue
        self._clock = clock
        self._scorers: dict[int, Scorer] = {}  # script version id → its compiled scorer
        self._outbox = Outbox(sessions, clock)

    async def enqueue(self, call_id: int, script_id: int | None = None) -> None:
        """Score the call (again): with the given script version, else the active one that fits."""
        await self.queue.enqueue({"call_id": call_id, "script_id": script_id})

    async def rescore_period(self, since: datetime, until: datetime, script_id: int | None = None) -> int:
        """Queue every call started in [since, until) with a finished transcript; how many."""
        async with self._sessions() as session:
            call_ids = list(await session.scalars(
                select(Call.id)
                .join(Transcript, Transcript.call_id == Call.id)
                .where(Call.started_at >= since, Call.started_at < until, Transcript.status == Status.DONE)
                .order_by(Call.started_at)
            ))
        for call_id in call_ids:
            await self.enqueue(call_id, script_id)
        return len(call_ids)

    async def handle(self, job: Job) -> Scored | None:
        """A worker's job; None when there is nothing to score (no transcript, no conversation, no script fits).
        A call with no conversation loses any score it was given before (``qa.eligibility``)."""
        call_id, script_id = int(job.payload["call_id"]), job.payload.get("script_id")
        async with self._sessions() as session, session.begin():
            call = await session.scalar(
                select(Call).where(Call.id == call_id).options(selectinload(Call.transcript))
            )
            if call is None or call.transcript is None or call.transcript.status != Status.DONE:
                return None
            if no_conversation_in(call) is not None:
                await session.execute(delete(CallScore).where(CallScore.call_id == call.id))
                return None
            row = await (session.get(QaScript, int(script_id)) if script_id else self._fitting(session, call))
            if row is None:
                return None
            scorer = self._scorer(row)
            conversation = Conversation.from_lines(call.transcript.lines or (), call.transcript.audio_seconds)
            score, facts = scorer.assess(conversation)
            scored_at = self._clock.now()
            await self._store_score(session, call.id, row.id, score, scored_at)
            if (lead := await _lead_of(session, call)) is not None:
                await self._store_facts(session, lead.id, call.id, facts)
        await self._outbox.enqueue(CALL_SCORED, f"{CALL_SCORED}:{call.linkedid}:{row.id}",
                                   scored_payload(call, row, score, scored_at))
        return Scored(call_id, score, facts)

    def _scorer(self, row: QaScript) -> Scorer:
        if row.id not in self._scorers:
            self._scorers[row.id] = Scorer(parse_script(row.source))
        return self._scorers[row.id]

    @staticmethod
    async def _fitting(session: AsyncSession, call: Call) -> QaScript | None:
        groups: list[str] = []
        if call.answered_by_id is not None:
            manager = await session.scalar(
                select(Manager).where(Manager.id == call.answered_by_id).options(selectinload(Manager.groups))
            )
            groups = [group.name for group in manager.groups] if manager else []
        scripts = list(await session.scalars(select(QaScript).where(QaScript.active)))
        return choose_script(scripts, CallFacts(call.direction, call.did, groups))

    @staticmethod
    async def _store_score(
        session: AsyncSession, call_id: int, script_id: int, score: ScoreResult, scored_at: datetime
    ) -> None:
        """One row per call and script version: scored by this version before, the same result refreshed."""
        row = {"call_id": call_id, "script_id": script_id, "created_at": scored_at, "total": score.total,
               "passed": score.passed, "items": score.as_dict()["items"], "missed": score.missed}
        await session.execute(insert_or_update(
            session, CallScore.__table__, row, ["call_id", "script_id"], ["total", "passed", "items", "missed"]
        ))

    async def _store_facts(self, session: AsyncSession, lead_id: int, call_id: int, facts: list[Fact]) -> None:
        """One row per lead and field; a manager's own entry is left as it is."""
        changing, now = ["value", "quote", "second", "call_id", "updated_at"], self._clock.now()
        for fact in facts:
            row = {"lead_id": lead_id, "field": fact.field, "set_by": FACT_BY_CONVERSATION, "value": fact.value[:200],
                   "quote": fact.quote, "second": fact.start, "call_id": call_id, "updated_at": now}
            await session.execute(insert_or_update(
                session, LeadFact.__table__, row, ["lead_id", "field"], changing,
                where=LeadFact.__table__.c.set_by == FACT_BY_CONVERSATION,
            ))


def scored_payload(call: Call, script: QaScript, score: ScoreResult, scored_at: datetime) -> dict:
    """The ``call.scored`` webhook's data."""
    return {
        "linkedid": call.linkedid,
        "call_id": call.id,
        "answered_by_extension": call.answered_by_extension,
        "script": script.name,
        "script_version": script.version,
        "total": score.total,
        "passed": score.passed,
        "missed_items": score.missed.split(),
        "critical_failed": score.critical_failed,
        "scored_at": iso(scored_at),
    }


async def _lead_of(session: AsyncSession, call: Call) -> Lead | None:
    """The lead this call is about: the one it created, else the open lead of the client's number."""
    lead = await session.scalar(select(Lead).where(Lead.first_call_id == call.id))
    number = call.caller_number if call.direction == "inbound" else call.callee_number
    if lead is None and number:
        lead = await session.scalar(select(Lead).where(Lead.phone == number, Lead.status == "open"))
    return lead
