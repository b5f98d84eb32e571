"""Retention: stored recordings of calls older than N days are deleted
(and, if so configured, their transcripts).

The store's date layout says how old a key is, so no database scan is
needed to find them; each deleted mixed file's card is then marked
``missing`` with the reason. Only the store is touched: the PBX's own spool
is the PBX's to clean.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from recordings.checks import Status
from recordings.store import RecordingStore
from storage.models import Recording, Transcript

log = logging.getLogger(__name__)
INTERVAL_SECONDS = 6 * 3600  # how often the leader applies it
BATCH = 500


@dataclass(frozen=True)
class RetentionReport:
    cutoff: datetime | None  # None: retention is off
    keys: list[str]  # deleted, or that would be on a dry run
    dry_run: bool


async def apply_retention(
    store: RecordingStore, sessions: async_sessionmaker, now: datetime, days: int, *, dry_run: bool = False,
    transcripts: bool = False,
) -> RetentionReport:
    """Delete the stored files of calls that started ``days`` or more days before ``now`` (0: keep everything),
    and with ``transcripts`` the transcripts of those calls."""
    if days <= 0:
        return RetentionReport(None, [], dry_run)
    cutoff = now - timedelta(days=days)
    keys = await asyncio.to_thread(store.list_older_than, cutoff.date())
    if dry_run or not keys:
        return RetentionReport(cutoff, keys, dry_run)
    await asyncio.to_thread(_delete, store, keys)
    error = f"deleted by the retention policy ({days} days) on {now:%Y-%m-%d}"
    async with sessions() as session, session.begin():
        for start in range(0, len(keys), BATCH):
            batch = keys[start : start + BATCH]
            await session.execute(
                update(Recording).where(Recording.path.in_(batch)).values(status=Status.MISSING, error=error)
            )
            if transcripts:
                calls = select(Recording.call_id).where(Recording.path.in_(batch))
                await session.execute(delete(Transcript).where(Transcript.call_id.in_(calls)))
    log.info("retention: deleted %d recording file(s) of calls before %s", len(keys), cutoff.date())
    return RetentionReport(cutoff, keys, dry_run)


def _delete(store: RecordingStore, keys: list[str]) -> None:
    for key in keys:
        store.delete(key)
