"""Whether a manager is on duty at a moment, by their own clock, and when a
span of their working time ends (a callback's deadline).

A shift belongs to the weekday it starts on: Monday's ``["22:00", "02:00"]``
covers Tuesday 01:00, and a holiday cancels the shifts starting on that date
(the night after it included, the night before it not).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from routing.model import ManagerState, WorkingHours

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 24 * 60
CLOCK_TIME = re.compile(r"(\d{1,2}):(\d{2})")
HOLIDAY = "holiday"
OUTSIDE_HOURS = "outside working hours"

Shift = tuple[int, int]  # minutes after the start day's midnight; the end may pass the next midnight
Week = tuple[tuple[Shift, ...], ...]  # Monday first
MAX_REMEMBERED = 4096
SEARCH_DAYS = 31  # how far working_deadline looks for working time before falling back to the clock
# (id(working hours), time zone, holidays, minute since the epoch) -> the hours and the answer
_REMEMBERED: dict[tuple[int, str, frozenset[str], int], tuple[WorkingHours, str | None]] = {}


def is_working(manager: ManagerState, at: datetime) -> bool:
    return off_duty_reason(manager, at) is None


def off_duty_reason(manager: ManagerState, at: datetime) -> str | None:
    """``None`` when ``manager`` is on duty at ``at``, else ``HOLIDAY`` or ``OUTSIDE_HOURS``.

    Shifts are whole minutes, so the answer holds for the whole minute: it is
    remembered per manager's schedule and minute (routing judges the same
    managers on every call). Raises ``TypeError`` for a naive ``at`` and
    ``ValueError`` for an unknown time zone or malformed hours."""
    if at.utcoffset() is None:
        raise TypeError(f"{at} has no time zone")
    key = (id(manager.working_hours), manager.timezone, manager.holidays, int(at.timestamp() // 60))
    remembered = _REMEMBERED.get(key)
    if remembered is not None and remembered[0] is manager.working_hours:
        return remembered[1]
    reason = _judge(manager, at)
    if len(_REMEMBERED) >= MAX_REMEMBERED:
        _REMEMBERED.clear()
    _REMEMBERED[key] = (manager.working_hours, reason)  # kept alive with the answer, so the id is not reused
    return reason


def split_holidays(stored: Mapping) -> tuple[WorkingHours, frozenset[str]]:
    """Working hours as stored for a manager (weekdays and ``holidays`` in one
    mapping) as the weekdays' shifts and the holidays' ISO dates."""
    hours = dict(stored)
    holidays = hours.pop("holidays", ()) or ()
    return hours, frozenset(str(day) for day in holidays)


def working_deadline(manager: ManagerState, start: datetime, minutes: float) -> datetime:
    """When ``minutes`` of ``manager``'s working time have passed since ``start``:
    a call missed at 17:55 with a 15-minute SLA, for a manager working 9 to 18,
    is due at 9:10 the next working day. Falls back to ``start + minutes`` when
    no shift comes within ``SEARCH_DAYS``. Raises as :func:`off_duty_reason` does."""
    if start.utcoffset() is None:
        raise TypeError(f"{start} has no time zone")
    left = timedelta(minutes=minutes)
    for begin, end in _working_spans(manager, start):
        begin = max(begin, start)
        if begin < end:
            if left <= end - begin:
                return (begin + left).astimezone(start.tzinfo)
            left -= end - begin
    return start + timedelta(minutes=minutes)


def _working_spans(manager: ManagerState, start: datetime) -> list[tuple[datetime, datetime]]:
    """The manager's shifts from the day before ``start`` on, as UTC moments,
    in order, overlapping ones merged."""
    zone = _zone(manager.timezone)
    week = _parse_week(manager.working_hours)
    first_day = start.astimezone(zone).date() - timedelta(days=1)
    spans = []
    for offset in range(SEARCH_DAYS + 1):
        day = first_day + timedelta(days=offset)
        if _is_holiday(manager, day):
            continue
        midnight = datetime.combine(day, time(), zone)
        spans += [((midnight + timedelta(minutes=begin)).astimezone(UTC), (midnight + timedelta(minutes=end)).astimezone(UTC))
                  for begin, end in week[day.weekday()]]
    merged: list[tuple[datetime, datetime]] = []
    for begin, end in sorted(spans):
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((begin, end))
    return merged


def _judge(manager: ManagerState, at: datetime) -> str | None:
    local = _local_time(at, manager.timezone)
    minute = local.hour * 60 + local.minute
    week = _parse_week(manager.working_hours)
    cancelled = False
    for start_day in (local.date(), local.date() - timedelta(days=1)):
        into_shift = minute + (local.date() - start_day).days * MINUTES_PER_DAY
        if any(start <= into_shift < end for start, end in week[start_day.weekday()]):
            if not _is_holiday(manager, start_day):
                return None
            cancelled = True
    return HOLIDAY if cancelled or _is_holiday(manager, local.date()) else OUTSIDE_HOURS


def _is_holiday(manager: ManagerState, day: date) -> bool:
    return day.isoformat() in manager.holidays


def _local_time(at: datetime, zone_name: str) -> datetime:
    return at.astimezone(_zone(zone_name))


def _zone(zone_name: str) -> ZoneInfo:
    try:
        return ZoneInfo(zone_name)
    except ZoneInfoNotFoundError as error:
        raise ValueError(f"unknown time zone {zone_name!r}") from error


def _parse_week(hours: WorkingHours) -> Week:
    """Shifts per weekday, Monday first; no weekdays at all means around the clock."""
    unknown = set(hours) - set(WEEKDAYS)
    if unknown:
        raise ValueError(f"unknown weekdays {sorted(unknown)}")
    if not hours:
        return (((0, MINUTES_PER_DAY),),) * len(WEEKDAYS)
    return tuple(tuple(_shift(interval) for interval in hours.get(day, ())) for day in WEEKDAYS)


def _shift(interval: object) -> Shift:
    match interval:
        case [str(start_text), str(end_text)]:
            start, end = _minutes(start_text), _minutes(end_text)
            return (start, end if end > start else end + MINUTES_PER_DAY)
    raise ValueError(f"an interval is a [start, end] pair, not {interval!r}")


def _minutes(clock_time: str) -> int:
    """Minutes after midnight of ``"HH:MM"``; ``"24:00"`` is allowed as an end."""
    match = CLOCK_TIME.fullmatch(clock_time)
    if match:
        hours, minutes = int(match[1]), int(match[2])
        if minutes < 60 and hours * 60 + minutes <= MINUTES_PER_DAY:
            return hours * 60 + minutes
    raise ValueError(f"{clock_time!r} is not a time of day")
