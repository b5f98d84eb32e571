"""The routing decision: owner first, chains, skips with reasons, the destination."""

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from routing.decide import decide, fallback_plan
from routing.model import (
    DEFAULT_RING_SECONDS,
    CallStats,
    Destination,
    DestinationKind,
    DidRule,
    ExtensionStep,
    FallbackChain,
    GroupStep,
    IncomingCall,
    ManagerState,
    OwnerStep,
    RingAttempt,
    Strategy,
)

MOSCOW = ZoneInfo("Europe/Moscow")
MONDAY_11 = datetime(2026, 11, 23, 11, 0, tzinfo=MOSCOW)
MONDAY_22 = datetime(2026, 11, 23, 22, 0, tzinfo=MOSCOW)
OFFICE = {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
CLIENT = "+79123456789"
AVITO_DID = "74950000001"
DEFAULT_QUEUE = "default-q"

SALES_CHAIN = FallbackChain((GroupStep("sales", Strategy.ROUND_ROBIN, 15),), queue="sales-q", voicemail="sales-vm")
AVITO = DidRule(
    chain=FallbackChain((GroupStep("sales", Strategy.RING_ALL, 25),), queue="sales-q", voicemail="sales-vm"),
    source="Avito",
    ivr={"2": FallbackChain((GroupStep("support", Strategy.FEWEST_CALLS, 10),), queue="support-q")},
)


def manager(extension: str, *groups: str, **state) -> ManagerState:
    return ManagerState(extension, groups=groups or ("sales",), working_hours=OFFICE, **state)


TEAM = (manager("101"), manager("102"), manager("103"), manager("201", "support"), manager("202", "support"))


def plan(
    caller: str | None = CLIENT,
    *,
    owner: str | None = None,
    did: str = AVITO_DID,
    at: datetime = MONDAY_11,
    ivr_choice: str | None = None,
    managers=TEAM,
    group_chains=None,
    did_rules=None,
    stats: CallStats = CallStats(),
    round_robin=None,
):
    return decide(
        IncomingCall(caller, did, at, ivr_choice),
        owner=owner,
        managers=managers,
        group_chains={"sales": SALES_CHAIN} if group_chains is None else group_chains,
        did_rules={AVITO_DID: AVITO} if did_rules is None else did_rules,
        stats=stats,
        round_robin=round_robin or {},
        default_queue=DEFAULT_QUEUE,
    )


def targets(route) -> list[tuple[str, ...]]:
    return [attempt.targets for attempt in route.attempts]


def with_state(extension: str, **state) -> tuple[ManagerState, ...]:
    return tuple(replace(member, **state) if member.extension == extension else member for member in TEAM)


def test_known_caller_rings_the_owner_first_then_the_owner_s_group_chain():
    route = plan(owner="102")
    assert route.attempts[0] == RingAttempt(("102",), DEFAULT_RING_SECONDS)
    assert targets(route)[1:] == [("101",), ("103",)]  # round-robin over the rest of sales, 15 s each
    assert {attempt.ring_seconds for attempt in route.attempts[1:]} == {15}
    assert route.destination == Destination(DestinationKind.QUEUE, "sales-q")
    assert (route.owner, route.is_new_caller, route.source) == ("102", False, "Avito")
    assert route.reasons == ()


@pytest.mark.parametrize(
    ("state", "at", "reason"),
    [
        pytest.param({"on_call": True}, MONDAY_11, "on a call", id="on-call"),
        pytest.param({"paused": True}, MONDAY_11, "paused", id="paused"),
        pytest.param({"do_not_disturb": True}, MONDAY_11, "do not disturb", id="dnd"),
        pytest.param({"absent": True}, MONDAY_11, "absent", id="absent"),
        pytest.param({"working_hours": {"mon": [["14:00", "18:00"]]}}, MONDAY_11, "outside working hours", id="hours"),
        pytest.param({"holidays": frozenset({"2026-11-23"})}, MONDAY_11, "holiday", id="holiday"),
        pytest.param({"absent": True, "on_call": True}, MONDAY_11, "absent", id="lasting-cause-first"),
    ],
)
def test_an_unavailable_owner_is_skipped_with_the_reason(state, at, reason):
    route = plan(owner="102", managers=with_state("102", **state), at=at)
    assert targets(route) == [("101",), ("103",)]
    assert f"102 skipped: {reason}" in route.reasons


def test_a_malformed_schedule_skips_only_that_manager():
    route = plan(owner="102", managers=with_state("102", working_hours={"mon": [["9am", "6pm"]]}))
    assert targets(route) == [("101",), ("103",)]
    assert any(reason.startswith("102 skipped: invalid working hours") for reason in route.reasons)


def test_owner_without_a_group_chain_continues_with_the_did_chain():
    route = plan(owner="201")
    assert targets(route) == [("201",), ("101", "102", "103")]
    assert route.attempts[1].ring_seconds == 25


def test_the_owner_s_first_group_with_a_chain_is_used():
    team = (*TEAM, manager("301", "vip", "sales"))
    vip = FallbackChain((ExtensionStep("103"),), queue="vip-q")
    route = plan(owner="301", managers=team, group_chains={"sales": SALES_CHAIN, "vip": vip})
    assert targets(route) == [("301",), ("103",)]
    assert route.destination.name == "vip-q"


def test_a_chain_may_place_the_owner_itself():
    chain = FallbackChain((ExtensionStep("103", 10), OwnerStep(30)))
    route = plan(owner="102", group_chains={"sales": chain})
    assert route.attempts == (RingAttempt(("103",), 10), RingAttempt(("102",), 30))


def test_an_owner_who_is_no_active_manager_is_skipped():
    route = plan(owner="999")
    assert route.owner == "999"
    assert "owner 999 skipped: not an active manager" in route.reasons
    assert targets(route) == [("101", "102", "103")]  # the DID's chain


def test_new_caller_follows_the_did_rule_and_the_source_is_recorded():
    route = plan(owner=None)
    assert targets(route) == [("101", "102", "103")]
    assert route.destination == Destination(DestinationKind.QUEUE, "sales-q")
    assert (route.owner, route.is_new_caller, route.source) == (None, True, "Avito")


def test_new_caller_s_ivr_choice_picks_its_chain():
    route = plan(ivr_choice="2", stats=CallStats(calls_today={"201": 7, "202": 3}))
    assert route.attempts == (RingAttempt(("202",), 10), RingAttempt(("201",), 10))
    assert route.destination.name == "support-q"
    assert route.source == "Avito"


def test_an_unknown_ivr_choice_falls_back_to_the_did_chain():
    route = plan(ivr_choice="9")
    assert targets(route) == [("101", "102", "103")]
    assert "IVR choice 9 has no chain" in route.reasons


def test_anonymous_caller_is_new_even_if_an_owner_is_passed():
    route = plan(None, owner="102")
    assert (route.owner, route.is_new_caller) == (None, True)
    assert targets(route) == [("101", "102", "103")]


@pytest.mark.parametrize("owner", [None, "101"])
def test_unknown_did_goes_to_the_default_queue(owner):
    route = plan(owner=owner, did="74959999999", group_chains={})
    assert route.destination == Destination(DestinationKind.QUEUE, DEFAULT_QUEUE)
    assert targets(route) == ([("101",)] if owner else [])
    assert route.source is None
    assert "DID 74959999999 has no rule" in route.reasons


def test_a_manager_never_appears_twice():
    chain = FallbackChain(
        (
            ExtensionStep("101"),
            GroupStep("sales", Strategy.RING_ALL),
            GroupStep("sales", Strategy.LEAST_RECENT),
            OwnerStep(),
            ExtensionStep("103"),
        )
    )
    route = plan(owner="102", group_chains={"sales": chain})
    assert targets(route) == [("101",), ("102", "103")]
    assert "group sales skipped: nobody left to ring" in route.reasons


def test_nobody_available_in_hours_goes_straight_to_the_queue():
    team = tuple(replace(member, on_call=True) for member in TEAM)
    route = plan(owner="102", managers=team)
    assert route.attempts == ()
    assert route.destination == Destination(DestinationKind.QUEUE, "sales-q")
    assert {"101 skipped: on a call", "102 skipped: on a call", "103 skipped: on a call"} <= set(route.reasons)
    assert "nobody to ring: straight to the queue" in route.reasons


def test_nobody_in_hours_goes_to_voicemail_when_the_chain_has_one():
    route = plan(owner="102", at=MONDAY_22)
    assert route.attempts == ()
    assert route.destination == Destination(DestinationKind.VOICEMAIL, "sales-vm")
    assert "102 skipped: outside working hours" in route.reasons


def test_nobody_in_hours_without_voicemail_goes_to_the_queue():
    route = plan(ivr_choice="2", at=MONDAY_22)
    assert route.destination == Destination(DestinationKind.QUEUE, "support-q")


def test_one_manager_in_hours_but_busy_keeps_the_call_in_the_queue():
    route = plan(owner="102", managers=with_state("103", on_call=True, working_hours={}), at=MONDAY_22)
    assert route.attempts == ()
    assert route.destination.kind is DestinationKind.QUEUE


def test_managers_work_by_their_own_clock():
    vladivostok_09_30 = datetime(2026, 11, 23, 9, 30, tzinfo=ZoneInfo("Asia/Vladivostok"))  # 02:30 in Moscow
    team = (*TEAM, replace(manager("104"), timezone="Asia/Vladivostok"))
    route = plan(at=vladivostok_09_30, managers=team)
    assert targets(route) == [("104",)]
    assert "101 skipped: outside working hours" in route.reasons


def test_round_robin_resumes_from_the_stored_state_and_reports_the_new_one():
    by_turns = {AVITO_DID: DidRule(SALES_CHAIN)}
    first = plan(did_rules=by_turns)
    assert targets(first) == [("101",), ("102",), ("103",)]
    assert first.round_robin == {"sales": "101"}
    second = plan(did_rules=by_turns, round_robin=first.round_robin)
    assert targets(second) == [("102",), ("103",), ("101",)]
    assert second.round_robin == {"sales": "102"}


def test_a_group_reached_after_the_owner_rings_in_turn_but_leaves_the_turn_where_it_was():
    """Its first manager rings only if the owner does not answer: the turn is not used up."""
    support_via_sales = {"support": FallbackChain((GroupStep("sales"),))}
    route = plan(owner="201", group_chains=support_via_sales, round_robin={"sales": "101"})
    assert targets(route)[1:] == [("102",), ("103",), ("101",)]
    assert route.round_robin == {}


def test_a_fixed_extension_that_is_no_manager_is_rung_as_configured():
    route = plan(did_rules={AVITO_DID: DidRule(FallbackChain((ExtensionStep("500", 40),)))})
    assert route.attempts == (RingAttempt(("500",), 40),)
    assert route.source is None


def test_fallback_plan_goes_to_the_default_queue():
    route = fallback_plan(DEFAULT_QUEUE)
    assert route.attempts == ()
    assert route.destination == Destination(DestinationKind.QUEUE, DEFAULT_QUEUE)
    assert (route.owner, route.is_new_caller) == (None, None)
    assert route.reasons
