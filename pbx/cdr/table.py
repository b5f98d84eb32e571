"""The ``cdr`` table that cdr_pgsql, cdr_adaptive_odbc or cdr_sqlite3_custom write, as ``CdrRow``s.

The columns are Asterisk's (its sample schema): ``calldate`` (the start), ``clid``, ``src``, ``dst``,
``dcontext``, ``channel``, ``dstchannel``, ``lastapp``, ``lastdata``, ``duration``, ``billsec``,
``disposition``, ``uniqueid``, ``linkedid`` (which groups a call's rows: add it to an older table) and
``userfield``.
The table has no answer time: it is the end less ``billsec``. A ``calldate`` without a zone is in
``zone``.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from pbx.cdr.rows import CdrRow

LONGEST_CALL = timedelta(hours=12)  # rows that started this long before the moment asked for are read too
QUERY = text(
    "SELECT calldate, clid, src, dst, dcontext, channel, dstchannel, lastapp, lastdata, duration, billsec,"
    " disposition, uniqueid, linkedid, userfield FROM cdr WHERE calldate >= :earliest ORDER BY calldate"
)


async def read_cdr_table(engine: AsyncEngine, since: datetime, zone: tzinfo) -> list[CdrRow]:
    """The rows of calls that ended at or after ``since``."""
    earliest = (since - LONGEST_CALL).astimezone(zone).replace(tzinfo=None)
    async with engine.connect() as connection:
        result = await connection.execute(QUERY, {"earliest": earliest})
        rows = [_row(values, zone) for values in result]
    return [row for row in rows if row.linkedid and row.end >= since]


def _row(values, zone: tzinfo) -> CdrRow:
    (calldate, clid, src, dst, dcontext, channel, dstchannel, lastapp, lastdata, duration, billsec,
     disposition, uniqueid, linkedid, userfield) = values
    start = calldate if isinstance(calldate, datetime) else datetime.fromisoformat(str(calldate))
    start = start if start.tzinfo is not None else start.replace(tzinfo=zone)
    duration, billsec = int(duration or 0), int(billsec or 0)
    answer = start + timedelta(seconds=duration - billsec) if disposition == "ANSWERED" else None
    return CdrRow(
        start=start, answer=answer, duration=duration, billsec=billsec, disposition=disposition or "",
        src=src or "", dst=dst or "", dcontext=dcontext or "", clid=clid or "", channel=channel or "",
        dstchannel=dstchannel or "", lastapp=lastapp or "", lastdata=lastdata or "", uniqueid=uniqueid or "",
        linkedid=linkedid or "", userfield=userfield or "",
    )
