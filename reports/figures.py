"""The report figures, worked out from plain rows: no database, no HTTP.

Days and weeks are the department's (``zone``), not UTC's: a call at 01:00
Moscow time belongs to that Moscow day. A missed call is an inbound call
nobody answered (missed, abandoned, busy or failed), its rate is over inbound
calls; time to answer is an answered inbound call's wait.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import fmean
from zoneinfo import ZoneInfo

INBOUND, ANSWERED = "inbound", "answered"


@dataclass(frozen=True)
class CallRow:
    started_at: datetime  # aware
    direction: str
    disposition: str
    answered_by_id: int | None
    wait_seconds: float | None
    rung_ids: frozenset[int]  # the managers its legs rang


@dataclass(frozen=True)
class TaskRow:
    manager_id: int | None
    deadline_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True)
class ScoreRow:
    started_at: datetime  # the call's
    manager_id: int | None  # who answered the call
    total: float
    items: list[dict]  # qa.scoring.ItemResult rows: id, title, met...


@dataclass(frozen=True)
class CallCounts:
    calls: int = 0
    inbound: int = 0
    answered: int = 0
    missed: int = 0  # inbound, nobody answered
    waits: tuple[float, ...] = ()

    def add(self, row: CallRow) -> CallCounts:
        inbound = row.direction == INBOUND
        answered = row.disposition == ANSWERED
        waits = self.waits + ((row.wait_seconds,) if inbound and answered and row.wait_seconds is not None else ())
        return CallCounts(self.calls + 1, self.inbound + inbound, self.answered + answered,
                          self.missed + (inbound and not answered), waits)

    @property
    def missed_rate(self) -> float | None:
        return round(self.missed / self.inbound, 3) if self.inbound else None

    @property
    def average_wait(self) -> float | None:
        return round(fmean(self.waits), 1) if self.waits else None


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def week_start(day: date) -> date:
    """The Monday of ``day``'s ISO week."""
    return day - timedelta(days=day.weekday())


def calls_by_day(calls: Iterable[CallRow], zone: ZoneInfo, first: date, last: date) -> dict[date, CallCounts]:
    """Every day from ``first`` to ``last``, days without calls included."""
    days = {first + timedelta(days=n): CallCounts() for n in range((last - first).days + 1)}
    for row in calls:
        day = local_day(row.started_at, zone)
        if day in days:
            days[day] = days[day].add(row)
    return days


def calls_by_manager(calls: Iterable[CallRow]) -> dict[int, CallCounts]:
    """Per manager: the calls they answered, and the inbound calls that rang them and nobody answered."""
    managers: dict[int, CallCounts] = defaultdict(CallCounts)
    for row in calls:
        if row.answered_by_id is not None:
            managers[row.answered_by_id] = managers[row.answered_by_id].add(row)
        elif row.direction == INBOUND:
            for manager_id in row.rung_ids:
                managers[manager_id] = managers[manager_id].add(row)
    return dict(managers)


@dataclass(frozen=True)
class CallbackCounts:
    tasks: int = 0
    in_time: int = 0  # closed by the deadline
    late: int = 0  # closed after it
    open: int = 0
    overdue: int = 0  # open, past the deadline

    @property
    def in_time_rate(self) -> float | None:
        return round(self.in_time / self.tasks, 3) if self.tasks else None


def callbacks_by_manager(tasks: Iterable[TaskRow], now: datetime) -> dict[int | None, CallbackCounts]:
    """Per task owner (None: unassigned), how their callbacks went."""
    counts: dict[int | None, Counter] = defaultdict(Counter)
    for task in tasks:
        tally = counts[task.manager_id]
        tally["tasks"] += 1
        if task.closed_at is None:
            tally["open"] += 1
            tally["overdue"] += task.deadline_at < now
        else:
            tally["in_time" if task.closed_at <= task.deadline_at else "late"] += 1
    return {manager_id: CallbackCounts(**tally) for manager_id, tally in counts.items()}


def scores_by_manager_week(scores: Iterable[ScoreRow], zone: ZoneInfo) -> dict[tuple[int | None, date], float]:
    """The average total per (manager, Monday of the week), rounded to 0.1."""
    totals: dict[tuple[int | None, date], list[float]] = defaultdict(list)
    for score in scores:
        totals[(score.manager_id, week_start(local_day(score.started_at, zone)))].append(score.total)
    return {key: round(fmean(values), 1) for key, values in sorted(totals.items(), key=lambda kv: (kv[0][1], kv[0][0] or 0))}


@dataclass(frozen=True)
class ItemMisses:
    id: str
    title: str
    missed: int
    applied: int  # calls it was required in

    @property
    def missed_rate(self) -> float:
        return round(self.missed / self.applied, 3) if self.applied else 0.0


def missed_items(scores: Iterable[ScoreRow]) -> list[ItemMisses]:
    """Script items by how often they were missed where they applied, most missed first."""
    missed: Counter[str] = Counter()
    applied: Counter[str] = Counter()
    titles: dict[str, str] = {}
    for score in scores:
        for item in score.items:
            if item.get("met") is None:
                continue
            titles[item["id"]] = item.get("title") or item["id"]
            applied[item["id"]] += 1
            missed[item["id"]] += not item["met"]
    rows = [ItemMisses(item_id, titles[item_id], missed[item_id], applied[item_id]) for item_id in applied]
    return sorted(rows, key=lambda row: (-row.missed, -row.missed_rate, row.id))


def leads_by_source(sources: Iterable[str | None]) -> dict[str, int]:
    """How many leads each source brought, most first ("" for an unknown source)."""
    return dict(Counter(source or "" for source in sources).most_common())
