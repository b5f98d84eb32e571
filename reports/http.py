"""``/api/reports/{name}``: one table of figures for a period of the
department's days, as JSON (for the web app's charts) or CSV (``format=csv``,
for a spreadsheet). The head of sales' only."""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from aiohttp import web
from pydantic import BaseModel, Field, model_validator

from accounts.access import TEAM_REPORTS, Principal
from api.app import context
from api.errors import NotFound
from api.registry import Routes
from api.validation import Schema
from reports import figures
from reports.queries import ReportQueries

routes = Routes("reports")
MAX_DAYS = 366
REPORT_NAME = r"[a-z-]{1,40}"


class ReportQuery(Schema):
    from_: date = Field(alias="from", description="The first day (the department's time zone).")
    to: date = Field(description="The last day, included.")
    format: Literal["json", "csv"] = "json"

    @model_validator(mode="after")
    def _period(self) -> ReportQuery:
        if self.to < self.from_:
            raise ValueError("'to' is before 'from'")
        if (self.to - self.from_).days >= MAX_DAYS:
            raise ValueError(f"a report covers at most {MAX_DAYS} days")
        return self


class ReportOut(BaseModel):
    name: str
    first: date = Field(description="The period's first day.")
    last: date = Field(description="Its last day, included.")
    columns: list[str] = Field(description="The rows' keys, in order (the CSV's header).")
    rows: list[dict[str, Any]]


@dataclass(frozen=True)
class Period:
    first: date
    last: date
    zone: ZoneInfo

    @property
    def since(self) -> datetime:
        return datetime.combine(self.first, time(), self.zone)

    @property
    def until(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(), self.zone)


Rows = list[dict[str, Any]]
Build = Callable[[ReportQueries, Period, datetime], Awaitable[Rows]]


async def _with_managers(queries: ReportQueries, rows: Rows) -> Rows:
    """``manager_id`` rows with the manager's name and extension beside it."""
    managers = await queries.managers()
    for row in rows:
        row["manager"], row["extension"] = managers.get(row["manager_id"], ("", ""))
    return sorted(rows, key=lambda row: (row["manager"], row["manager_id"] or 0))


def _counts(counts: figures.CallCounts) -> dict[str, Any]:
    return {"calls": counts.calls, "inbound": counts.inbound, "answered": counts.answered, "missed": counts.missed,
            "missed_rate": counts.missed_rate, "average_wait": counts.average_wait}


async def calls_by_day(queries: ReportQueries, period: Period, _now: datetime) -> Rows:
    days = figures.calls_by_day(await queries.calls(period.since, period.until), period.zone, period.first, period.last)
    return [{"day": day.isoformat(), **_counts(counts)} for day, counts in days.items()]


async def calls_by_manager(queries: ReportQueries, period: Period, _now: datetime) -> Rows:
    managers = figures.calls_by_manager(await queries.calls(period.since, period.until))
    return await _with_managers(queries, [{"manager_id": manager_id, **_counts(counts)}
                                          for manager_id, counts in managers.items()])


async def callbacks(queries: ReportQueries, period: Period, now: datetime) -> Rows:
    managers = figures.callbacks_by_manager(await queries.tasks(period.since, period.until), now)
    return await _with_managers(queries, [
        {"manager_id": manager_id, "tasks": c.tasks, "in_time": c.in_time, "late": c.late, "open": c.open,
         "overdue": c.overdue, "in_time_rate": c.in_time_rate}
        for manager_id, c in managers.items()
    ])


async def scores_by_week(queries: ReportQueries, period: Period, _now: datetime) -> Rows:
    weeks = figures.scores_by_manager_week(await queries.scores(period.since, period.until), period.zone)
    rows = await _with_managers(queries, [{"manager_id": manager_id, "week": week.isoformat(), "average_score": average}
                                          for (manager_id, week), average in weeks.items()])
    return sorted(rows, key=lambda row: (row["week"], row["manager"]))


async def missed_items(queries: ReportQueries, period: Period, _now: datetime) -> Rows:
    items = figures.missed_items(await queries.scores(period.since, period.until))
    return [{"item": item.id, "title": item.title, "missed": item.missed, "applied": item.applied,
             "missed_rate": item.missed_rate} for item in items]


async def leads_by_source(queries: ReportQueries, period: Period, _now: datetime) -> Rows:
    sources = figures.leads_by_source(await queries.lead_sources(period.since, period.until))
    return [{"source": source, "leads": leads} for source, leads in sources.items()]


REPORTS: dict[str, tuple[Build, list[str]]] = {
    "calls-by-day": (calls_by_day, ["day", "calls", "inbound", "answered", "missed", "missed_rate", "average_wait"]),
    "calls-by-manager": (calls_by_manager, ["manager_id", "manager", "extension", "calls", "inbound", "answered",
                                            "missed", "missed_rate", "average_wait"]),
    "callbacks": (callbacks, ["manager_id", "manager", "extension", "tasks", "in_time", "late", "open", "overdue",
                              "in_time_rate"]),
    "scores-by-week": (scores_by_week, ["week", "manager_id", "manager", "extension", "average_score"]),
    "missed-items": (missed_items, ["item", "title", "missed", "applied", "missed_rate"]),
    "leads-by-source": (leads_by_source, ["source", "leads"]),
}


def as_csv(columns: list[str], rows: Rows) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


@routes.get("/reports/{name}", roles=TEAM_REPORTS, query=ReportQuery, response=ReportOut,
            text_params={"name": REPORT_NAME})
async def get_report(request: web.Request, principal: Principal, name: str, query: ReportQuery) -> ReportOut | web.Response:
    """One report's table for the days ``from``–``to``: ``calls-by-day``, ``calls-by-manager``, ``callbacks``,
    ``scores-by-week``, ``missed-items`` or ``leads-by-source``; ``format=csv`` for a spreadsheet."""
    if name not in REPORTS:
        raise NotFound(f"no report {name!r}; there are {', '.join(REPORTS)}")
    ctx = context(request)
    build, columns = REPORTS[name]
    period = Period(query.from_, query.to, ZoneInfo(ctx.settings.department_timezone))
    rows = await build(ReportQueries(ctx.sessions), period, ctx.clock.now())
    if query.format == "csv":
        filename = f"{name}_{query.from_}_{query.to}.csv"
        return web.Response(text=as_csv(columns, rows), content_type="text/csv", charset="utf-8",
                            headers={"Content-Disposition": f'attachment; filename="{filename}"'})
    return ReportOut(name=name, first=query.from_, last=query.to, columns=columns, rows=rows)
