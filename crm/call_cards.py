"""Call cards: a finished call record from the tracker becomes one row in
``calls`` with its legs and recording, tied to managers and the client.

An inbound card carries the marketing source of the number dialled (the
routing rule's ``source``: "how they heard of us"). Saving is idempotent by ``linkedid``: the same call saved twice (a replay after
a reconnect, two instances) leaves one card holding the latest record.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from callcenter.bus import CALL_ENDED, DomainEvent, EventBus
from crm.lookups import client_of_phone, source_of_did
from pbx.tracker.model import CallRecord, Direction
from storage.models import Call, CallLeg, Manager, Recording


class CallCardStore:
    def __init__(self, sessions: async_sessionmaker) -> None:
        self._sessions = sessions

    def subscribe(self, bus: EventBus) -> None:
        bus.subscribe(CALL_ENDED, self._on_call_ended)

    async def _on_call_ended(self, event: DomainEvent) -> None:
        await self.save(event.payload)

    async def save(self, record: CallRecord) -> int:
        """Store ``record`` as its call card; return the card's id."""
        try:
            return await self._save_once(record)
        except IntegrityError:
            # another writer stored the same linkedid between our read and insert
            return await self._save_once(record)

    async def _save_once(self, record: CallRecord) -> int:
        async with self._sessions() as session, session.begin():
            card = await session.scalar(
                select(Call)
                .where(Call.linkedid == record.linkedid)
                .options(selectinload(Call.legs), selectinload(Call.recording))
            )
            managers = await _managers_by_extension(session, record)
            client_id, _ = await client_of_phone(session, record.client_number)
            source = await source_of_did(session, record.did) if record.direction is Direction.INBOUND else None
            if card is None:
                card = Call(linkedid=record.linkedid, legs=[], recording=None)
                session.add(card)
            card.client_id = client_id
            card.source = source
            _fill_card(card, record, managers)
            await session.flush()
            return card.id

    async def get(self, linkedid: str) -> Call | None:
        """The card with its legs and recording loaded."""
        async with self._sessions() as session:
            return await session.scalar(
                select(Call)
                .where(Call.linkedid == linkedid)
                .options(selectinload(Call.legs), selectinload(Call.recording))
            )


async def _managers_by_extension(session: AsyncSession, record: CallRecord) -> dict[str, int]:
    extensions = {leg.extension for leg in record.legs}
    if record.answered_by:
        extensions.add(record.answered_by)
    if not extensions:
        return {}
    rows = await session.execute(select(Manager.extension, Manager.id).where(Manager.extension.in_(extensions)))
    return {extension: manager_id for extension, manager_id in rows}


def _fill_card(card: Call, record: CallRecord, managers: dict[str, int]) -> None:
    card.direction = record.direction.value
    card.caller_raw = record.caller_raw
    card.caller_number = record.caller_number
    card.caller_name = record.caller_name
    card.did = record.did
    card.callee_raw = record.callee_raw
    card.callee_number = record.callee_number
    card.started_at = record.started_at
    card.answered_at = record.answered_at
    card.ended_at = record.ended_at
    card.wait_seconds = record.wait_seconds
    card.talk_seconds = record.talk_seconds
    card.answered_by_extension = record.answered_by
    card.answered_by_id = managers.get(record.answered_by or "")
    card.queue = record.queue
    card.disposition = str(record.disposition)
    card.hangup_cause = record.hangup_cause
    card.hangup_cause_text = record.hangup_cause_text
    card.recovered = record.recovered
    _replace_legs(card, record, managers)
    if record.recording_file:
        if card.recording is None:
            card.recording = Recording(path=record.recording_file)
        else:
            card.recording.path = record.recording_file


def _replace_legs(card: Call, record: CallRecord, managers: dict[str, int]) -> None:
    """Rewrite the legs in place by position (a replay may carry more of them)."""
    del card.legs[len(record.legs) :]
    for position, leg in enumerate(record.legs):
        if position == len(card.legs):
            card.legs.append(CallLeg(position=position))
        row = card.legs[position]
        row.extension = leg.extension
        row.manager_id = managers.get(leg.extension)
        row.channel = leg.channel
        row.queue = leg.queue
        row.rang_at = leg.rang_at
        row.answered_at = leg.answered_at
        row.ended_at = leg.ended_at
        row.result = leg.result.value
