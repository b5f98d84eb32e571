"""Calls recovered from the PBX's CDR store: the real captures' CDRs written as cdr_csv writes Master.csv
(loguniqueid, loguserfield, newcdrcolumns, usegmtime; the linkedid each channel had in the capture) give
the cards the tracker made from the whole event stream, marked recovered; rows this reader cannot use are
left out with the reason."""

from __future__ import annotations

import csv
import logging
from datetime import datetime, timezone
from pathlib import Path

import pytest

from callcenter.bus import CALL_ENDED
from pbx.cdr.master_csv import read_master_csv
from pbx.cdr.recovery import recover_calls
from pbx.cdr.rows import CdrRow
from pbx.tracker.model import CallRecord
from pbx.tracker.tracker import CallTracker, TrackerConfig
from tests.support.captures import load_capture, replay

CAPTURES = ["one-call.ami", "away-to-queue.ami", "missed-all-away.ami", "answered-split-recording.ami"]
EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)


def master_csv(capture: str, path: Path) -> Path:
    """The capture's Cdr events as Master.csv rows."""
    messages = load_capture(capture)
    linkedids = {m["Uniqueid"]: m["Linkedid"] for m in messages if m.get("Event") == "Newchannel"}
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
        for cdr in (m for m in messages if m.get("Event") == "Cdr"):
            writer.writerow([
                cdr["AccountCode"], cdr["Source"], cdr["Destination"], cdr["DestinationContext"], cdr["CallerID"],
                cdr["Channel"], cdr["DestinationChannel"], cdr["LastApplication"], cdr["LastData"],
                cdr["StartTime"], cdr["AnswerTime"], cdr["EndTime"], int(cdr["Duration"]),
                int(cdr["BillableSeconds"]), cdr["Disposition"], cdr["AMAFlags"], cdr["UniqueID"],
                cdr.get("UserField", ""), "", linkedids[cdr["UniqueID"]], 0,
            ])
    return path


def tracked(capture: str) -> CallRecord:
    tracker = CallTracker()
    published = replay(load_capture(capture), tracker)
    [ended] = [e for e in published + tracker.expire(datetime.max.replace(tzinfo=timezone.utc)) if e.name == CALL_ENDED]
    return ended.payload


@pytest.mark.parametrize("capture", CAPTURES)
def test_the_cdr_rows_give_the_card_the_events_gave(capture, tmp_path):
    [recovered] = recover_calls(read_master_csv(master_csv(capture, tmp_path / "Master.csv"), EPOCH, timezone.utc),
                                TrackerConfig())
    followed = tracked(capture)
    assert recovered.recovered and not followed.recovered
    same = ("linkedid", "direction", "caller_raw", "caller_number", "caller_name", "did", "answered_by",
            "disposition", "wait_seconds", "talk_seconds", "recording_file")
    assert {name: getattr(recovered, name) for name in same} == {name: getattr(followed, name) for name in same}
    assert recovered.rung == followed.rung
    assert [leg.result for leg in recovered.legs] == [leg.result for leg in followed.legs]


def test_only_calls_that_ended_since_the_given_moment_are_read(tmp_path):
    path = master_csv("missed-all-away.ami", tmp_path / "Master.csv")  # ends 2026-11-23 10:30:41 UTC
    assert read_master_csv(path, datetime(2026, 11, 23, 10, 30, 41, tzinfo=timezone.utc), timezone.utc)
    assert read_master_csv(path, datetime(2026, 11, 23, 10, 30, 42, tzinfo=timezone.utc), timezone.utc) == []


def test_rows_without_a_linkedid_or_with_bad_fields_are_left_out_with_the_reason(tmp_path, caplog):
    path = tmp_path / "Master.csv"
    good = master_csv("one-call.ami", tmp_path / "good.csv").read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([
        '"","79161234567","74951234567","from-pstn","x","ch","","Dial","","2026-11-23 10:00:00","",'
        '"2026-11-23 10:00:05",5,0,"NO ANSWER","DOCUMENTATION","1.1"',  # no newcdrcolumns: 17 columns
        good[0].replace('"2026-11-23', '"23.11.2026', 1),  # a date this reader cannot take
        *good[1:],
    ]) + "\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="pbx.cdr.master_csv"):
        rows = read_master_csv(path, EPOCH, timezone.utc)
    assert len(rows) == len(good) - 1
    assert "line 1 left out: 17 columns; expected 20 or 21" in caplog.text
    assert "loguniqueid = yes and newcdrcolumns = yes" in caplog.text
    assert "line 2 left out: time data '23.11.2026" in caplog.text


def test_a_call_placed_by_a_manager_is_not_recovered_yet():
    """Only calls that arrived in a trunk context: a manager's own calls need their phone's rows read."""
    placed = CdrRow(EPOCH, None, 5, 0, "NO ANSWER", "101", "89161234567", "sim-agent", '"" <101>',
                    "Local/101@sim-agent-00000001;2", "Local/89161234567@outbound-00000002;1", "Dial", "", "1.1", "1.1")
    assert recover_calls([placed], TrackerConfig()) == []


CDR_TABLE = """CREATE TABLE cdr (
    calldate TIMESTAMP NOT NULL, clid VARCHAR(80), src VARCHAR(80), dst VARCHAR(80), dcontext VARCHAR(80),
    channel VARCHAR(80), dstchannel VARCHAR(80), lastapp VARCHAR(80), lastdata VARCHAR(80),
    duration INTEGER, billsec INTEGER, disposition VARCHAR(45), amaflags INTEGER, accountcode VARCHAR(20),
    uniqueid VARCHAR(150), userfield VARCHAR(255), peeraccount VARCHAR(20), linkedid VARCHAR(150),
    sequence INTEGER)"""


@pytest.mark.parametrize("capture", ["away-to-queue.ami", "missed-all-away.ami"])
async def test_the_cdr_table_gives_the_same_calls_as_master_csv(engine, capture, tmp_path):
    """The table cdr_pgsql (or cdr_sqlite3_custom) writes, with Asterisk's sample columns: no answer time
    of its own (the end less billsec), times without a zone."""
    from sqlalchemy import text

    from pbx.cdr.table import read_cdr_table

    rows = read_master_csv(master_csv(capture, tmp_path / "Master.csv"), EPOCH, timezone.utc)
    async with engine.begin() as connection:
        await connection.execute(text(CDR_TABLE))
        await connection.execute(text(
            "INSERT INTO cdr (calldate, clid, src, dst, dcontext, channel, dstchannel, lastapp, lastdata, duration,"
            " billsec, disposition, uniqueid, linkedid, userfield) VALUES (:start, :clid, :src, :dst, :dcontext,"
            " :channel, :dstchannel, :lastapp, :lastdata, :duration, :billsec, :disposition, :uniqueid, :linkedid,"
            " :userfield)"),
            [{**{name: getattr(row, name) for name in ("clid", "src", "dst", "dcontext", "channel", "dstchannel",
                                                      "lastapp", "lastdata", "duration", "billsec", "disposition",
                                                      "uniqueid", "linkedid", "userfield")},
              "start": row.start.replace(tzinfo=None)} for row in rows])
    from_table = await read_cdr_table(engine, EPOCH, timezone.utc)
    assert recover_calls(from_table, TrackerConfig()) == recover_calls(rows, TrackerConfig())
    assert await read_cdr_table(engine, datetime(2026, 11, 24, tzinfo=timezone.utc), timezone.utc) == []


async def test_a_store_that_cannot_be_read_is_tried_again_and_the_last_event_seen_waits_for_it(redis, sessions, tmp_path):
    """Recovery from the calls since the last event seen (in Redis): a store that fails (a share not
    mounted yet) leaves the recovery pending and that moment where it was; the next try recovers the calls,
    and a call already on a card or still live is never recovered twice."""
    from crm.call_cards import CallCardStore
    from pbx.cdr.service import LAST_EVENT_KEY, CdrRecovery

    path = master_csv("missed-all-away.ami", tmp_path / "Master.csv")  # the call ends 10:30:41
    mounted = False

    async def read(since: datetime) -> list[CdrRow]:
        if not mounted:
            raise FileNotFoundError(path)
        return read_master_csv(path, since, timezone.utc)

    recovery = CdrRecovery(redis, sessions, read, TrackerConfig())
    before = datetime(2026, 11, 23, 10, 30, tzinfo=timezone.utc)
    await redis.set(LAST_EVENT_KEY, before.isoformat())
    later = datetime(2026, 11, 23, 11, 0, tzinfo=timezone.utc)
    assert await recovery.recover(live=set(), now=later) == [] and recovery.pending
    await recovery.seen(later)
    assert await redis.get(LAST_EVENT_KEY) == before.isoformat()
    mounted = True
    [record] = await recovery.recover(live=set(), now=later)
    assert (record.linkedid, record.recovered, recovery.pending) == ("1795429781.32", True, False)
    assert await redis.get(LAST_EVENT_KEY) == later.isoformat()

    await redis.set(LAST_EVENT_KEY, before.isoformat())
    assert await recovery.recover(live={"1795429781.32"}, now=later) == []  # live: its events will end it
    await CallCardStore(sessions).save(record)
    await redis.set(LAST_EVENT_KEY, before.isoformat())
    assert await recovery.recover(live=set(), now=later) == []  # on a card already
