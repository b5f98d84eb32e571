"""cdr_csv's ``Master.csv`` as ``CdrRow``s.

The columns are cdr_csv's (``cdr/cdr_csv.c``, ``build_csv_record``): accountcode, src, dst, dcontext,
clid, channel, dstchannel, lastapp, lastdata, start, answer, end, duration, billsec, disposition,
amaflags, then ``uniqueid`` (``loguniqueid = yes``), ``userfield`` (``loguserfield = yes``), and
``peeraccount, linkedid, sequence`` (``newcdrcolumns = yes``). Calls are told apart by ``linkedid``, so
``loguniqueid`` and ``newcdrcolumns`` must be on; a row without them is refused, with the reason. Times
are the PBX's local time unless ``usegmtime = yes``: ``zone`` says which.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator
from datetime import datetime, tzinfo
from pathlib import Path

from pbx.cdr.rows import CdrRow

log = logging.getLogger(__name__)

BASE_COLUMNS = 16  # accountcode .. amaflags
WITH_IDS = BASE_COLUMNS + 1 + 3  # + uniqueid + peeraccount, linkedid, sequence
WITH_USERFIELD = WITH_IDS + 1


class CdrFormatError(ValueError):
    """A Master.csv row this reader cannot use."""


def read_master_csv(path: Path, since: datetime, zone: tzinfo) -> list[CdrRow]:
    """The rows of calls that ended at or after ``since``; unreadable rows are logged and skipped."""
    rows: list[CdrRow] = []
    for number, fields in _lines(path):
        try:
            row = parse_row(fields, zone)
        except CdrFormatError as error:
            log.warning("%s line %d left out: %s", path, number, error)
            continue
        if row.end >= since:
            rows.append(row)
    return rows


def _lines(path: Path) -> Iterator[tuple[int, list[str]]]:
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        yield from enumerate(csv.reader(handle), start=1)


def parse_row(fields: list[str], zone: tzinfo) -> CdrRow:
    if len(fields) not in (WITH_IDS, WITH_USERFIELD):
        raise CdrFormatError(
            f"{len(fields)} columns; expected {WITH_IDS} or {WITH_USERFIELD} "
            "(cdr_csv.conf: loguniqueid = yes and newcdrcolumns = yes, for the uniqueid and linkedid)"
        )
    (_, src, dst, dcontext, clid, channel, dstchannel, lastapp, lastdata, start, answer, _end,
     duration, billsec, disposition, _amaflags, uniqueid) = fields[:17]
    linkedid = fields[-2]
    userfield = fields[17] if len(fields) == WITH_USERFIELD else ""
    if not linkedid:
        raise CdrFormatError("no linkedid")
    try:
        return CdrRow(
            start=_time(start, zone), answer=_time(answer, zone) if answer else None,
            duration=int(duration), billsec=int(billsec), disposition=disposition, src=src, dst=dst,
            dcontext=dcontext, clid=clid, channel=channel, dstchannel=dstchannel, lastapp=lastapp,
            lastdata=lastdata, uniqueid=uniqueid, linkedid=linkedid, userfield=userfield,
        )
    except ValueError as error:
        raise CdrFormatError(str(error)) from error


def _time(text: str, zone: tzinfo) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=zone)
