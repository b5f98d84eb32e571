"""Group strategies order the available managers; ties go by extension."""

from datetime import datetime, timezone

import pytest

from routing.model import CallStats, GroupStep, RingAttempt, Strategy
from routing.strategies import fewest_calls, least_recent, ring_group, round_robin


@pytest.mark.parametrize(
    ("extensions", "last_served", "expected"),
    [
        pytest.param(["103", "101", "102"], None, ["101", "102", "103"], id="fresh"),
        pytest.param(["101", "102", "103"], "101", ["102", "103", "101"], id="after-first"),
        pytest.param(["101", "102", "103"], "103", ["101", "102", "103"], id="wraps"),
        pytest.param(["101", "103"], "102", ["103", "101"], id="last-served-left"),
        pytest.param(["101", "103"], "101", ["103", "101"], id="busy-member-left-out"),
        pytest.param(["1001", "99", "101"], "99", ["101", "1001", "99"], id="numeric-order"),
        pytest.param([], "101", [], id="nobody"),
    ],
)
def test_round_robin_order(extensions, last_served, expected):
    assert round_robin(extensions, last_served) == expected


def test_round_robin_cycles_through_the_group_and_resumes_from_stored_state():
    step = GroupStep("sales", Strategy.ROUND_ROBIN, ring_seconds=15)
    state = None
    served = []
    for _ in range(4):
        attempts, state = ring_group(step, ["101", "102", "103"], CallStats(), state)
        served.append(attempts[0].targets[0])
    assert served == ["101", "102", "103", "101"]
    attempts, state = ring_group(step, ["101", "102", "103"], CallStats(), "102")  # as read back from Redis
    assert [attempt.targets for attempt in attempts] == [("103",), ("101",), ("102",)]
    assert state == "103"


def test_round_robin_keeps_its_place_when_nobody_is_available():
    assert ring_group(GroupStep("sales"), [], CallStats(), "102") == ([], "102")


def test_least_recent_puts_the_longest_idle_first_and_never_called_before_all():
    ended = {
        "101": datetime(2026, 11, 23, 7, 50, tzinfo=timezone.utc),
        "102": datetime(2026, 11, 23, 7, 10, tzinfo=timezone.utc),
        "103": datetime(2026, 11, 23, 7, 10, tzinfo=timezone.utc),
    }
    assert least_recent(["101", "102", "103", "105", "104"], ended) == ["104", "105", "102", "103", "101"]


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        pytest.param({"101": 5, "102": 2, "103": 9}, ["102", "101", "103"], id="fewest-first"),
        pytest.param({"101": 3, "102": 3, "103": 1}, ["103", "101", "102"], id="tie-by-extension"),
        pytest.param({"101": 1}, ["102", "103", "101"], id="no-calls-counts-zero"),
    ],
)
def test_fewest_calls(counts, expected):
    assert fewest_calls(["103", "102", "101"], counts) == expected


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        pytest.param(Strategy.LEAST_RECENT, ["102", "101"], id="least-recent"),
        pytest.param(Strategy.FEWEST_CALLS, ["101", "102"], id="fewest-calls"),
    ],
)
def test_hunting_strategies_ring_one_manager_per_attempt(strategy, expected):
    stats = CallStats(
        last_call_ended={"101": datetime(2026, 11, 23, 7, 50, tzinfo=timezone.utc)},
        calls_today={"101": 1, "102": 4},
    )
    attempts, state = ring_group(GroupStep("sales", strategy, ring_seconds=12), ["101", "102"], stats, "101")
    assert attempts == [RingAttempt((extension,), 12) for extension in expected]
    assert state == "101"  # only round-robin moves


def test_ring_all_rings_everyone_in_one_attempt():
    attempts, state = ring_group(GroupStep("sales", Strategy.RING_ALL, 25), ["103", "101", "102"], CallStats(), None)
    assert attempts == [RingAttempt(("101", "102", "103"), 25)]
    assert state is None


def test_ring_all_with_nobody_makes_no_attempt():
    assert ring_group(GroupStep("sales", Strategy.RING_ALL), [], CallStats(), None) == ([], None)
