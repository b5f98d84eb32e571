"""Recovering, after a start or a takeover, the calls nobody followed: the adapter between the CDR store
(``read_store``: the ``cdr`` table of ``cdr_db_url``, else ``Master.csv``), Redis (when the department's last AMI event was seen) and the call cards.

While AMI is consumed, the time of the latest event is kept in Redis (``ami:last_event_at``, written at
most every ``FLUSH_SECONDS``). After the next connect, the CDR rows of calls that ended since then (less
``MARGIN``, for a call that was ending as the backend died) are read; the inbound calls they imply
(``pbx.cdr.recovery``) that are neither live nor already on a card are returned, to be published as
``call.ended``: cards, leads and missed-call tasks follow as for any call, each card marked recovered.
The very first start has no last event and recovers nothing (it does not import the PBX's history).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection
from datetime import datetime, timedelta, tzinfo
from pathlib import Path

from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from pbx.cdr.master_csv import read_master_csv
from pbx.cdr.recovery import recover_calls
from pbx.cdr.rows import CdrRow
from pbx.cdr.table import read_cdr_table
from pbx.tracker.model import CallRecord
from pbx.tracker.tracker import TrackerConfig
from storage.models import Call

log = logging.getLogger(__name__)

LAST_EVENT_KEY = "ami:last_event_at"
FLUSH_SECONDS = 5.0
MARGIN = timedelta(minutes=5)

CdrReader = Callable[[datetime], Awaitable[list[CdrRow]]]
"""The rows of calls that ended at or after the given moment."""


class CdrRecovery:
    def __init__(self, redis: Redis, sessions: async_sessionmaker, read_rows: CdrReader, config: TrackerConfig) -> None:
        self._redis = redis
        self._sessions = sessions
        self._read_rows = read_rows
        self._config = config
        self._flushed: datetime | None = None
        self.pending = False  # a recovery failed: the last event seen stays put until one succeeds

    async def seen(self, now: datetime) -> None:
        """An AMI event came at ``now``; stored every ``FLUSH_SECONDS``."""
        if self.pending:
            return
        if self._flushed is None or (now - self._flushed).total_seconds() >= FLUSH_SECONDS:
            await self._redis.set(LAST_EVENT_KEY, now.isoformat())
            self._flushed = now

    async def recover(self, live: Collection[str], now: datetime) -> list[CallRecord]:
        """The calls that ended since the last event seen, neither ``live`` (by linkedid) nor on a card. When
        the store cannot be read, ``pending`` until a later call succeeds (the pipeline retries at every
        channel listing), and the last event seen is not moved meanwhile."""
        last = await self._redis.get(LAST_EVENT_KEY)
        if last is None:
            await self.seen(now)
            return []
        since = datetime.fromisoformat(last) - MARGIN
        try:
            rows = await self._read_rows(since)
        except (OSError, SQLAlchemyError) as error:
            log.error("the PBX's CDR store could not be read (%s): calls since %s not recovered yet", error, last)
            self.pending = True
            return []
        self.pending = False
        await self.seen(now)
        records = [record for record in recover_calls(rows, self._config) if record.linkedid not in live]
        carded = await self._carded([record.linkedid for record in records])
        recovered = [record for record in records if record.linkedid not in carded]
        if recovered:
            log.warning("%d call(s) recovered from the PBX's CDR store (since %s)", len(recovered), last)
        return recovered

    async def _carded(self, linkedids: list[str]) -> set[str]:
        if not linkedids:
            return set()
        async with self._sessions() as session:
            return set(await session.scalars(select(Call.linkedid).where(Call.linkedid.in_(linkedids))))


def store_reader(db_url: str, csv_path: str, zone: tzinfo) -> CdrReader | None:
    """The reader of the configured CDR store: the database's ``cdr`` table, else Master.csv; None for none."""
    if db_url:
        async def read_table(since: datetime) -> list[CdrRow]:
            engine = create_async_engine(db_url)
            try:
                return await read_cdr_table(engine, since, zone)
            finally:
                await engine.dispose()
        return read_table
    if csv_path:
        path = Path(csv_path)
        return lambda since: asyncio.to_thread(read_master_csv, path, since, zone)
    return None
