"""Working hours by the manager's own clock: intervals, midnight, holidays."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from routing.model import ManagerState
from routing.schedule import HOLIDAY, OUTSIDE_HOURS, is_working, off_duty_reason, split_holidays, working_deadline

MOSCOW = ZoneInfo("Europe/Moscow")
OFFICE = {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
LUNCH_BREAK = {"mon": [["09:00", "13:00"], ["14:00", "18:00"]]}
NIGHT = {"mon": [["22:00", "02:00"]]}
MONDAY, TUESDAY = "2026-11-23", "2026-11-24"


def at(day: str, clock: str, zone: ZoneInfo = MOSCOW) -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=zone)


@pytest.mark.parametrize(
    ("hours", "holidays", "moment", "expected"),
    [
        pytest.param(OFFICE, (), at(MONDAY, "10:00"), None, id="inside"),
        pytest.param(OFFICE, (), at(MONDAY, "09:00"), None, id="start-inclusive"),
        pytest.param(OFFICE, (), at(MONDAY, "17:59:59"), None, id="last-second"),
        pytest.param(OFFICE, (), at(MONDAY, "18:00"), OUTSIDE_HOURS, id="end-exclusive"),
        pytest.param(OFFICE, (), at("2026-11-28", "12:00"), OUTSIDE_HOURS, id="saturday"),
        pytest.param(LUNCH_BREAK, (), at(MONDAY, "13:30"), OUTSIDE_HOURS, id="lunch"),
        pytest.param(LUNCH_BREAK, (), at(MONDAY, "14:30"), None, id="afternoon"),
        pytest.param(NIGHT, (), at(MONDAY, "23:00"), None, id="night-before-midnight"),
        pytest.param(NIGHT, (), at(TUESDAY, "01:00"), None, id="night-after-midnight"),
        pytest.param(NIGHT, (), at(TUESDAY, "02:00"), OUTSIDE_HOURS, id="night-over"),
        pytest.param(NIGHT, (), at(MONDAY, "01:00"), OUTSIDE_HOURS, id="night-is-monday-s"),
        pytest.param({"sun": [["22:00", "06:00"]]}, (), at(MONDAY, "05:00"), None, id="sunday-night-wraps-the-week"),
        pytest.param({"mon": [["18:00", "24:00"]]}, (), at(MONDAY, "23:59"), None, id="until-24h"),
        pytest.param({"mon": [["18:00", "24:00"]]}, (), at(TUESDAY, "00:00"), OUTSIDE_HOURS, id="after-24h"),
        pytest.param({}, (), at(MONDAY, "03:00"), None, id="empty-means-always"),
        pytest.param({}, (MONDAY,), at(MONDAY, "03:00"), HOLIDAY, id="empty-but-holiday"),
        pytest.param(OFFICE, (MONDAY,), at(MONDAY, "10:00"), HOLIDAY, id="holiday"),
        pytest.param(OFFICE, (MONDAY,), at(MONDAY, "20:00"), HOLIDAY, id="holiday-evening"),
        pytest.param(NIGHT, (MONDAY,), at(TUESDAY, "01:00"), HOLIDAY, id="holiday-cancels-its-night"),
        pytest.param(NIGHT, (TUESDAY,), at(TUESDAY, "01:00"), None, id="night-before-holiday-stands"),
    ],
)
def test_off_duty_reason(hours, holidays, moment, expected):
    manager = ManagerState("101", working_hours=hours, holidays=frozenset(holidays))
    assert off_duty_reason(manager, moment) == expected
    assert is_working(manager, moment) is (expected is None)


def test_each_manager_works_by_their_own_clock():
    moment = at(MONDAY, "09:30", ZoneInfo("Asia/Vladivostok"))  # 02:30 in Moscow
    vladivostok = ManagerState("101", timezone="Asia/Vladivostok", working_hours=OFFICE)
    moscow = ManagerState("102", timezone="Europe/Moscow", working_hours=OFFICE)
    assert is_working(vladivostok, moment)
    assert not is_working(moscow, moment)
    assert is_working(moscow, moment.replace(hour=16))  # 09:00 in Moscow


def test_new_hours_count_at_once_though_parsed_weeks_are_remembered():
    monday_evening = at(MONDAY, "20:00")
    assert not is_working(ManagerState("101", working_hours=OFFICE), monday_evening)
    later = {**OFFICE, "mon": [["09:00", "21:00"]]}  # a reload brings new hours objects
    assert is_working(ManagerState("101", working_hours=later), monday_evening)
    assert not is_working(ManagerState("101", working_hours=dict(OFFICE)), monday_evening)


def test_naive_time_is_refused():
    with pytest.raises(TypeError):
        is_working(ManagerState("101"), datetime(2026, 11, 23, 10, 0))


@pytest.mark.parametrize(
    ("hours", "zone"),
    [
        pytest.param({"monday": [["09:00", "18:00"]]}, "Europe/Moscow", id="weekday-name"),
        pytest.param({"mon": [["9am", "18:00"]]}, "Europe/Moscow", id="clock-format"),
        pytest.param({"mon": [["09:00"]]}, "Europe/Moscow", id="half-interval"),
        pytest.param({"mon": ["09:00-18:00"]}, "Europe/Moscow", id="interval-as-text"),
        pytest.param({"mon": [["09:60", "18:00"]]}, "Europe/Moscow", id="minute-60"),
        pytest.param({"mon": [["09:00", "24:30"]]}, "Europe/Moscow", id="past-24h"),
        pytest.param(OFFICE, "Mars/Olympus", id="time-zone"),
    ],
)
def test_malformed_schedules_are_refused(hours, zone):
    with pytest.raises(ValueError):
        is_working(ManagerState("101", timezone=zone, working_hours=hours), at(MONDAY, "10:00"))


@pytest.mark.parametrize(
    ("hours", "holidays", "start", "due"),
    [
        pytest.param(OFFICE, (), at(MONDAY, "10:00"), at(MONDAY, "10:15"), id="inside-a-shift"),
        pytest.param(OFFICE, (), at(MONDAY, "17:55"), at(TUESDAY, "09:10"), id="across-the-night"),
        pytest.param(OFFICE, (), at("2026-11-27", "22:00"), at("2026-11-30", "09:15"), id="friday-night-to-monday"),
        pytest.param(OFFICE, (TUESDAY,), at(MONDAY, "17:55"), at("2026-11-25", "09:10"), id="over-a-holiday"),
        pytest.param(LUNCH_BREAK, (), at(MONDAY, "12:50"), at(MONDAY, "14:05"), id="over-lunch"),
        pytest.param(NIGHT, (), at(TUESDAY, "01:50"), at("2026-11-30", "22:05"), id="a-night-shift-and-a-week"),
        pytest.param({"mon": [["09:00", "18:00"]], "tue": [["00:00", "24:00"]]}, (), at(MONDAY, "17:50"),
                     at(TUESDAY, "00:05"), id="shifts-in-a-row"),
        pytest.param({}, (), at(MONDAY, "03:00"), at(MONDAY, "03:15"), id="around-the-clock"),
        pytest.param({"mon": [["09:00", "18:00"]]}, tuple(f"2026-{day}" for day in ("11-30", "12-07", "12-14", "12-21")),
                     at(MONDAY, "18:00"), at(MONDAY, "18:15"), id="no-shift-within-a-month-falls-back-to-the-clock"),
    ],
)
def test_a_deadline_counts_working_minutes(hours, holidays, start, due):
    manager = ManagerState("101", working_hours=hours, holidays=frozenset(holidays))
    assert working_deadline(manager, start, 15) == due
    assert working_deadline(manager, start.astimezone(ZoneInfo("UTC")), 15) == due  # any zone in, the same moment out


def test_a_deadline_runs_on_the_managers_own_clock():
    yekaterinburg = ManagerState("101", timezone="Asia/Yekaterinburg", working_hours=OFFICE)  # Moscow + 2 h
    assert working_deadline(yekaterinburg, at(MONDAY, "15:55"), 15) == at(TUESDAY, "07:10")  # 9:10 there


def test_split_holidays():
    assert split_holidays({"mon": [["09:00", "18:00"]], "holidays": ["2026-12-31"]}) == (
        {"mon": [["09:00", "18:00"]]}, frozenset({"2026-12-31"}))
    assert split_holidays({}) == ({}, frozenset())
