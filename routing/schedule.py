"""Whether a manager is on duty at a moment, by their own clock.

A shift belongs to the weekday it starts on: Monday's ``["22:00", "02:00"]``
covers Tuesday 01:00, and a holiday cancels the shifts starting on that date
(the night after it included, the night before it not).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
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
    try:
        return at.astimezone(ZoneInfo(zone_name))
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
