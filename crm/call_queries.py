"""Reading call cards for the API: filtered, sorted pages and one card with
its routing path, always within the reader's scope (``crm.visibility``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, ScalarSelect, exists, func, or_, select
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.orm import aliased, selectinload

from accounts.access import Scope
from api.errors import NotFound
from api.pagination import PageRequest, SortField, Sorting
from crm.visibility import readable_calls, visible_calls
from storage.models import Call, CallLeg, CallMark, CallScore, Client, Manager, Recording, Transcript
from transcription.normalize import terms

CALL_SORTS = Sorting(
    id_column=Call.id,
    fields={
        "started_at": SortField(Call.started_at, datetime),
        "wait_seconds": SortField(func.coalesce(Call.wait_seconds, -1.0), float),  # no wait (NULL) sorts first
        "talk_seconds": SortField(Call.talk_seconds, float),
    },
    default="-started_at",
)


def latest_score_id(call_id: ColumnElement[int]) -> ScalarSelect[int]:
    """The id of the call's latest score (a correlated subquery)."""
    newest = aliased(CallScore)
    return select(func.max(newest.id)).where(newest.call_id == call_id).scalar_subquery()


@dataclass(frozen=True)
class CallFilters:
    since: datetime | None = None
    until: datetime | None = None
    direction: str | None = None
    disposition: str | None = None
    manager_id: int | None = None  # answered, or rang as a leg
    phone: str | None = None  # E.164: the caller's or the callee's number
    client_id: int | None = None
    said: str | None = None  # words in the transcript, each matching the start of a word, in any form of it
    source: str | None = None  # the dialled number's marketing source
    missed_item: str | None = None  # a script item the latest score found missing
    mark: str | None = None  # marked as a good or a bad example

    def conditions(self) -> list[ColumnElement[bool]]:
        conditions = []
        if self.since is not None:
            conditions.append(Call.started_at >= self.since)
        if self.until is not None:
            conditions.append(Call.started_at < self.until)
        if self.direction is not None:
            conditions.append(Call.direction == self.direction)
        if self.disposition is not None:
            conditions.append(Call.disposition == self.disposition)
        if self.manager_id is not None:
            conditions.append(
                or_(
                    Call.answered_by_id == self.manager_id,
                    exists().where(CallLeg.call_id == Call.id, CallLeg.manager_id == self.manager_id),
                )
            )
        if self.phone is not None:
            conditions.append(or_(Call.caller_number == self.phone, Call.callee_number == self.phone))
        if self.client_id is not None:
            conditions.append(Call.client_id == self.client_id)
        if self.said:
            words = [Transcript.search_text.contains(f" {word}", autoescape=True) for word in terms(self.said)]
            conditions.append(exists().where(Transcript.call_id == Call.id, *words))
        if self.source is not None:
            conditions.append(Call.source == self.source)
        if self.missed_item is not None:
            conditions.append(exists().where(
                CallScore.call_id == Call.id, CallScore.id == latest_score_id(CallScore.call_id),
                CallScore.missed.contains(f" {self.missed_item} ", autoescape=True),
            ))
        if self.mark is not None:
            conditions.append(exists().where(CallMark.call_id == Call.id, CallMark.verdict == self.mark))
        return conditions


@dataclass(frozen=True)
class CallCardData:
    """A card with what it refers to: the managers of its legs and answer, its client."""

    call: Call
    managers: dict[int, Manager]
    client: Client | None


SUMMARY = (selectinload(Call.recording), selectinload(Call.transcript), selectinload(Call.scores),
           selectinload(Call.mark))


class CallQueries:
    def __init__(self, sessions: async_sessionmaker) -> None:
        self._sessions = sessions

    async def page(self, scope: Scope, filters: CallFilters, page: PageRequest) -> tuple[list[Call], str | None]:
        query = (
            select(Call)
            .where(visible_calls(scope), *filters.conditions())
            .options(*SUMMARY)
        )
        async with self._sessions() as session:
            return await CALL_SORTS.fetch(session, query, page)

    async def summaries(self, scope: Scope, call_ids: Sequence[int]) -> dict[int, Call]:
        """The calls of these ids the scope may read, by id, loaded as the list shows them."""
        async with self._sessions() as session:
            calls = await session.scalars(
                select(Call).where(Call.id.in_(call_ids), readable_calls(scope)).options(*SUMMARY)
            )
            return {call.id: call for call in calls}

    async def recent_conversations(
        self, scope: Scope, direction: str | None, dids: Sequence[str], min_talk_seconds: float, limit: int
    ) -> list[Call]:
        """The ``limit`` latest answered calls of ``direction`` (None: any) and ``dids`` (empty: any), talked
        ``min_talk_seconds`` or more, with a finished transcript (loaded), that the scope sees."""
        query = (
            select(Call)
            .join(Transcript, Transcript.call_id == Call.id)
            .where(visible_calls(scope), Call.disposition == "answered", Call.talk_seconds >= min_talk_seconds,
                   Transcript.status == "done")
            .options(selectinload(Call.transcript))
            .order_by(Call.started_at.desc(), Call.id.desc())
            .limit(limit)
        )
        if direction is not None:
            query = query.where(Call.direction == direction)
        if dids:
            query = query.where(Call.did.in_(list(dids)))
        async with self._sessions() as session:
            return list(await session.scalars(query))

    async def card(self, scope: Scope, call_id: int) -> CallCardData:
        async with self._sessions() as session:
            call = await session.scalar(
                select(Call)
                .where(Call.id == call_id, readable_calls(scope))
                .options(selectinload(Call.legs), selectinload(Call.recording), selectinload(Call.transcript),
                         selectinload(Call.scores).selectinload(CallScore.script), selectinload(Call.mark))
            )
            if call is None:
                raise NotFound("no such call")
            ids = {leg.manager_id for leg in call.legs} | {call.answered_by_id}
            ids.discard(None)
            managers = {m.id: m for m in await session.scalars(select(Manager).where(Manager.id.in_(ids)))} if ids else {}
            client = await session.get(Client, call.client_id) if call.client_id is not None else None
            return CallCardData(call, managers, client)

    async def recording(self, scope: Scope, call_id: int) -> Recording:
        """The recording of a call the scope sees; 404 for no such call or no recording."""
        async with self._sessions() as session:
            recording = await session.scalar(
                select(Recording).join(Call, Call.id == Recording.call_id).where(Call.id == call_id, readable_calls(scope))
            )
        if recording is None:
            raise NotFound("no recording for this call")
        return recording
