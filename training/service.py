"""Marks and playlists in the database, and the candidates a sample is drawn from."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from accounts.access import EVERYONE, Scope
from api.errors import NotFound
from callcenter.clock import Clock
from crm.call_queries import latest_score_id
from crm.staff import all_of
from crm.visibility import visible_playlists
from storage.models import Call, CallMark, CallScore, Manager, Playlist, PlaylistCall
from training.sampling import Candidate

GOOD, BAD = "good", "bad"


class TrainingService:
    def __init__(self, sessions: async_sessionmaker, clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    async def candidates(self, since: datetime, until: datetime) -> list[Candidate]:
        """The answered calls started in [since, until) that have a score, with their latest score."""
        async with self._sessions() as session:
            rows = await session.execute(
                select(Call.id, Call.answered_by_id, Call.direction, Call.talk_seconds, CallScore.total, CallScore.missed)
                .join(CallScore, CallScore.id == latest_score_id(Call.id))
                .where(Call.started_at >= since, Call.started_at < until, Call.answered_by_id.is_not(None))
            )
            return [Candidate(call_id, manager_id, direction, talk or 0.0, total, frozenset(missed.split()))
                    for call_id, manager_id, direction, talk, total, missed in rows]

    async def mark(self, call_id: int, verdict: str, note: str, user_id: int) -> CallMark:
        """Mark the call as a good or bad example (again: the new verdict replaces the old)."""
        async with self._sessions() as session, session.begin():
            if await session.get(Call, call_id) is None:
                raise NotFound("no such call")
            mark = await session.get(CallMark, call_id) or CallMark(call_id=call_id)
            mark.verdict, mark.note, mark.marked_by_id, mark.marked_at = verdict, note, user_id, self._clock.now()
            session.add(mark)
        return mark

    async def unmark(self, call_id: int) -> None:
        async with self._sessions() as session, session.begin():
            mark = await session.get(CallMark, call_id)
            if mark is None:
                raise NotFound("the call is not marked")
            await session.delete(mark)

    async def playlists(self, scope: Scope) -> list[Playlist]:
        """The playlists the scope sees (the head of sales: all; a manager: those shared with them), newest first."""
        async with self._sessions() as session:
            return list(await session.scalars(
                _playlists().where(visible_playlists(scope)).order_by(Playlist.updated_at.desc(), Playlist.id.desc())
            ))

    async def playlist(self, scope: Scope, playlist_id: int) -> Playlist:
        async with self._sessions() as session:
            return await _playlist(session, scope, playlist_id)

    async def save_playlist(self, playlist_id: int | None, changes: dict[str, Any], user_id: int) -> Playlist:
        """Create (``playlist_id`` None) or change a playlist; ``calls`` and ``manager_ids`` replace the old ones."""
        now = self._clock.now()
        calls, manager_ids = changes.pop("calls", None), changes.pop("manager_ids", None)
        async with self._sessions() as session, session.begin():
            if calls is not None:
                await all_of(session, Call, [entry["call_id"] for entry in calls], "calls")
                changes["entries"] = [PlaylistCall(call_id=entry["call_id"], position=position, note=entry["note"])
                                      for position, entry in enumerate(calls)]
            if manager_ids is not None:
                changes["managers"] = await all_of(session, Manager, manager_ids, "manager_ids")
            if playlist_id is None:
                playlist = Playlist(created_by_id=user_id, created_at=now, entries=[], managers=[])
            else:
                playlist = await _playlist(session, EVERYONE, playlist_id)
            for field, value in changes.items():
                setattr(playlist, field, value)
            playlist.updated_at = now
            session.add(playlist)
            await session.flush()
            playlist_id = playlist.id
        return await self.playlist(EVERYONE, playlist_id)

    async def delete_playlist(self, playlist_id: int) -> None:
        async with self._sessions() as session, session.begin():
            await session.delete(await _playlist(session, EVERYONE, playlist_id))


def _playlists():
    return select(Playlist).options(selectinload(Playlist.entries), selectinload(Playlist.managers))


async def _playlist(session: AsyncSession, scope: Scope, playlist_id: int) -> Playlist:
    playlist = await session.scalar(_playlists().where(Playlist.id == playlist_id, visible_playlists(scope)))
    if playlist is None:
        raise NotFound("no such playlist")
    return playlist

