"""The report figures from plain rows: the department's days, missed rates,
who was rung, callbacks against their deadlines, scores by week, the items
missed most, leads by source."""

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from reports.figures import (
    CallRow,
    ScoreRow,
    TaskRow,
    calls_by_day,
    calls_by_manager,
    callbacks_by_manager,
    leads_by_source,
    missed_items,
    scores_by_manager_week,
)

MOSCOW = ZoneInfo("Europe/Moscow")
MONDAY = date(2026, 11, 23)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=MOSCOW).astimezone(timezone.utc)


def call(moment: datetime, disposition: str = "answered", by: int | None = 1, wait: float | None = 10.0,
         direction: str = "inbound", rung: tuple[int, ...] = ()) -> CallRow:
    return CallRow(moment, direction, disposition, by, wait, frozenset(rung))


def test_calls_count_on_the_departments_day_and_empty_days_are_kept():
    calls = [
        call(at(MONDAY, 0, 30), wait=4.0),  # 21:30 UTC on Sunday: still Monday in Moscow
        call(at(MONDAY, 23, 50), "missed", by=None, wait=None, rung=(1,)),
        call(at(MONDAY, 12), "answered", wait=20.0, direction="outbound"),  # outbound: no wait counted
        call(at(MONDAY + timedelta(days=2), 9), "abandoned", by=None, wait=None),
    ]
    days = calls_by_day(calls, MOSCOW, MONDAY, MONDAY + timedelta(days=2))
    assert list(days) == [MONDAY, MONDAY + timedelta(days=1), MONDAY + timedelta(days=2)]
    monday = days[MONDAY]
    assert (monday.calls, monday.inbound, monday.answered, monday.missed) == (3, 2, 2, 1)
    assert monday.missed_rate == 0.5 and monday.average_wait == 4.0
    assert days[MONDAY + timedelta(days=1)].calls == 0 and days[MONDAY + timedelta(days=1)].missed_rate is None
    assert days[MONDAY + timedelta(days=2)].missed == 1


def test_a_managers_missed_calls_are_those_that_rang_them_unanswered():
    calls = [
        call(at(MONDAY, 10), by=1, wait=6.0), call(at(MONDAY, 11), by=2, wait=12.0, rung=(1, 2)),
        call(at(MONDAY, 12), "missed", by=None, wait=None, rung=(1, 2)),
    ]
    managers = calls_by_manager(calls)
    assert (managers[1].answered, managers[1].missed, managers[1].average_wait) == (1, 1, 6.0)
    assert (managers[2].answered, managers[2].missed, managers[2].calls) == (1, 1, 2)


def test_callbacks_by_their_deadline():
    now = at(MONDAY, 18)
    deadline = at(MONDAY, 12)
    tasks = [
        TaskRow(1, deadline, deadline - timedelta(minutes=1)), TaskRow(1, deadline, deadline + timedelta(minutes=1)),
        TaskRow(1, deadline, None), TaskRow(None, now + timedelta(hours=1), None),
    ]
    counts = callbacks_by_manager(tasks, now)
    assert (counts[1].tasks, counts[1].in_time, counts[1].late, counts[1].open, counts[1].overdue) == (3, 1, 1, 1, 1)
    assert counts[1].in_time_rate == 0.333
    assert (counts[None].open, counts[None].overdue) == (1, 0)


def item(item_id: str, met: bool | None) -> dict:
    return {"id": item_id, "title": item_id.title(), "met": met}


def test_scores_average_by_manager_and_week_and_items_by_misses():
    scores = [
        ScoreRow(at(MONDAY, 10), 1, 60.0, [item("greeting", True), item("farewell", False), item("objection", None)]),
        ScoreRow(at(MONDAY + timedelta(days=6), 23, 30), 1, 80.0, [item("greeting", False), item("farewell", False)]),
        ScoreRow(at(MONDAY + timedelta(days=7), 9), 1, 90.0, [item("greeting", True)]),
        ScoreRow(at(MONDAY, 11), 2, 50.0, []),
    ]
    weeks = scores_by_manager_week(scores, MOSCOW)
    assert weeks == {(1, MONDAY): 70.0, (2, MONDAY): 50.0, (1, MONDAY + timedelta(days=7)): 90.0}
    items = missed_items(scores)
    assert [(row.id, row.missed, row.applied) for row in items] == [("farewell", 2, 2), ("greeting", 1, 3)]
    assert items[1].missed_rate == 0.333  # "objection" never applied: not listed


def test_leads_by_source_most_first():
    assert leads_by_source(["сайт", "Avito", "сайт", None]) == {"сайт": 2, "Avito": 1, "": 1}
