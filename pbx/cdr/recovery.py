"""The call records that CDR rows imply, for calls nobody followed over AMI (pure, no I/O).

A call is the rows of one ``linkedid``; an inbound one has rows of its origin, the channel that arrived
in a trunk context (``dcontext``) and dialled the managers (of a ``Local`` pair, the half that dials).
Each origin row that dialled a manager's phone (``dstchannel``: a ``Local/<ext>@<agent context>``
channel, or a phone of another technology) is a leg, rung at the row's start, with its result from the
row's disposition and its queue from ``Queue``'s argument; phones that stopped ringing at the answer are
``cancel``, as the tracker has them. The call runs from the origin's first row to its last row's end;
the first answered leg answered it; the recording is the one the dialplan names in the rows'
``userfield`` (``rec:<file>``). What the rows do not tell: the hangup cause, a caller who gave up in the
queue rather than being missed (both are ``missed``). Calls placed by managers are not recovered yet.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from callcenter.phones import normalize_phone
from pbx.cdr.rows import CdrRow
from pbx.tracker.channels import parse_channel
from pbx.tracker.model import CallLeg, CallRecord, Direction, Disposition, LegResult
from pbx.tracker.tracker import TrackerConfig, disposition

LEG_RESULTS = {
    "ANSWERED": LegResult.ANSWERED,
    "NO ANSWER": LegResult.NOANSWER,
    "BUSY": LegResult.BUSY,
    "FAILED": LegResult.FAILED,
    "CONGESTION": LegResult.FAILED,
}
UNKNOWN_NAMES = frozenset({"", "<unknown>"})
RECORDING = "rec:"  # the dialplan's CDR(userfield)=rec:${RECORDING_FILE}
CHANNEL_COUNTER = re.compile(r"-([0-9a-fA-F]{8})(?:;\d)?$")


def recover_calls(rows: Iterable[CdrRow], config: TrackerConfig) -> list[CallRecord]:
    """The inbound calls in ``rows``, oldest first, each marked ``recovered``."""
    calls: dict[str, list[CdrRow]] = defaultdict(list)
    for row in rows:
        calls[row.linkedid].append(row)
    records = [record for linkedid, group in calls.items() if (record := _record(linkedid, group, config))]
    return sorted(records, key=lambda record: record.started_at)


def _record(linkedid: str, rows: list[CdrRow], config: TrackerConfig) -> CallRecord | None:
    arrived = [row for row in rows if row.dcontext in config.trunk_contexts]
    if not arrived:
        return None
    dialling = [row for row in arrived if _manager(row.dstchannel, config) is not None]
    first = min(dialling or arrived, key=_rung_order)  # of a Local pair, the half that dials
    origin = sorted((row for row in arrived if row.uniqueid == first.uniqueid), key=_rung_order)
    record = CallRecord(
        linkedid=linkedid,
        direction=Direction.INBOUND,
        started_at=first.start,
        caller_raw=first.src,
        caller_number=normalize_phone(first.src, config.region),
        caller_name="" if first.caller_name in UNKNOWN_NAMES else first.caller_name,
        did=first.dst or None,
        ended_at=max(row.end for row in origin),
        recording_file=next((row.userfield[len(RECORDING):] for row in origin if row.userfield.startswith(RECORDING)),
                            None),
        recovered=True,
    )
    for row in origin:
        extension = _manager(row.dstchannel, config)
        if extension is None:
            continue
        result = LEG_RESULTS.get(row.disposition, LegResult.FAILED)
        queue = row.lastdata.split(",", 1)[0] or None if row.lastapp == "Queue" else None
        record.queue = record.queue or queue
        answered = row.answer if result is LegResult.ANSWERED else None
        record.legs.append(CallLeg(extension, row.dstchannel, row.start, answered, row.end, result, queue))
        if answered is not None and record.answered_by is None:
            record.answered_by, record.answered_at = extension, answered
    _cancel_the_others(record)
    record.disposition = disposition(record, None, Disposition.MISSED)
    return record


def _cancel_the_others(record: CallRecord) -> None:
    """Phones rung together with the one that answered stopped ringing at the answer: cancelled, as the
    tracker has it (their rows say NO ANSWER)."""
    answered_at = record.answered_at
    if answered_at is None:
        return
    for leg in record.legs:
        if leg.result is LegResult.NOANSWER and leg.ended_at is not None and abs(
            (leg.ended_at - answered_at).total_seconds()
        ) <= 1:
            leg.result = LegResult.CANCEL


def _rung_order(row: CdrRow) -> tuple[datetime, int, str]:
    """Rows by start, phones rung in the same second by when their channel was made (its name's counter:
    ``Local/101@agents-0000002a;1``), whatever order the store returns them in."""
    counter = CHANNEL_COUNTER.search(row.dstchannel)
    return row.start, int(counter[1], 16) if counter else -1, row.dstchannel


def _manager(channel: str, config: TrackerConfig) -> str | None:
    """The extension whose phone ``channel`` rings; None for anything else (a trunk, nothing)."""
    own = parse_channel(channel)
    if own is None:
        return None
    if own.tech == "Local":
        return own.resource if own.context in config.agent_contexts else None
    return own.resource
