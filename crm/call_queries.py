"""Reading call cards for the API: filtered, sorted pages and one card with
its routing path, always within the reader's scope (``crm.visibility``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.orm import selectinload

from accounts.access import Scope
from api.errors import NotFound
from api.pagination import PageRequest, SortField, Sorting
from crm.visibility import visible_calls
from storage.models import Call, CallLeg, CallScore, Client, Manager, Recording, Transcript
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
        return conditions


@dataclass(frozen=True)
class CallCardData:
    """A card with what it refers to: the managers of its legs and answer, its client."""

    call: Call
    managers: dict[int, Manager]
    client: Client | None


class CallQueries:
    def __init__(self, sessions: async_sessionmaker) -> None:
        self._sessions = sessions

    async def page(self, scope: Scope, filters: CallFilters, page: PageRequest) -> tuple[list[Call], str | None]:
        query = (
            select(Call)
            .where(visible_calls(scope), *filters.conditions())
            .options(selectinload(Call.recording), selectinload(Call.transcript), selectinload(Call.scores))
        )
        async with self._sessions() as session:
            return await CALL_SORTS.fetch(session, query, page)

    async def card(self, scope: Scope, call_id: int) -> CallCardData:
        async with self._sessions() as session:
            call = await session.scalar(
                select(Call)
                .where(Call.id == call_id, visible_calls(scope))
                .options(selectinload(Call.legs), selectinload(Call.recording), selectinload(Call.transcript),
                         selectinload(Call.scores).selectinload(CallScore.script))
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
                select(Recording).join(Call, Call.id == Recording.call_id).where(Call.id == call_id, visible_calls(scope))
            )
        if recording is None:
            raise NotFound("no recording for this call")
        return recording
