"""A RoutePlan as FastAGI channel variables."""

import re

from pbx.agi.server import VARIABLE_NAME, variable_commands
from routing.channel_vars import MAX_REASON_LENGTH, plan_variables
from routing.decide import fallback_plan
from routing.model import Destination, DestinationKind, RingAttempt, RoutePlan

QUEUE = Destination(DestinationKind.QUEUE, "sales")


def test_a_single_target_is_the_reference_dialplan_s_route_target():
    variables = plan_variables(RoutePlan(attempts=(RingAttempt(("101",), 20),), destination=QUEUE, owner="101",
                                         is_new_caller=False))
    assert variables == {
        "ROUTE_TARGET": "101",
        "ROUTE_TIMEOUT": "20",
        "ROUTE_ATTEMPTS": "1",
        "ROUTE_QUEUE": "sales",
        "ROUTE_OWNER": "101",
        "ROUTE_NEW_CALLER": "0",
        "ROUTE_SOURCE": "",
        "ROUTE_REASON": "",
    }


def test_later_attempts_are_numbered_from_two_and_ring_all_joins_with_ampersand():
    plan = RoutePlan(
        attempts=(RingAttempt(("101",), 15), RingAttempt(("102", "103"), 25), RingAttempt(("104",), 10)),
        destination=QUEUE,
        is_new_caller=True,
        source="Avito",
        reasons=("105 skipped: on a call",),
    )
    variables = plan_variables(plan)
    assert variables["ROUTE_TARGET"] == "101"
    assert variables["ROUTE_TIMEOUT"] == "15"
    assert variables["ROUTE_TARGETS_2"] == "102&103"
    assert variables["ROUTE_TIMEOUT_2"] == "25"
    assert variables["ROUTE_TARGETS_3"] == "104"
    assert variables["ROUTE_TIMEOUT_3"] == "10"
    assert "ROUTE_TARGETS_4" not in variables
    assert variables["ROUTE_ATTEMPTS"] == "3"
    assert variables["ROUTE_OWNER"] == ""
    assert variables["ROUTE_NEW_CALLER"] == "1"
    assert variables["ROUTE_SOURCE"] == "Avito"
    assert variables["ROUTE_REASON"] == "105 skipped: on a call"


def test_voicemail_replaces_the_queue():
    plan = RoutePlan(attempts=(), destination=Destination(DestinationKind.VOICEMAIL, "100@sales,u"), is_new_caller=True)
    variables = plan_variables(plan)
    assert variables["ROUTE_VOICEMAIL"] == "100@salesu"  # mailbox@context, no option injection
    assert "ROUTE_QUEUE" not in variables


def test_the_fallback_plan_goes_straight_to_the_queue():
    variables = plan_variables(fallback_plan("sales"))
    assert variables["ROUTE_TARGET"] == ""
    assert variables["ROUTE_TIMEOUT"] == ""
    assert variables["ROUTE_ATTEMPTS"] == "0"
    assert variables["ROUTE_QUEUE"] == "sales"
    assert variables["ROUTE_NEW_CALLER"] == ""
    assert variables["ROUTE_REASON"] == "routing data unavailable"


def test_values_cannot_inject_dialplan_syntax():
    plan = RoutePlan(
        attempts=(RingAttempt(('10"1', "1&02,3", "${EVIL}", "104@other", ""), 20), RingAttempt(("",), 20)),
        destination=Destination(DestinationKind.QUEUE, "sales,r,,,1"),
        owner="1\n01",
        source='Ави"то\r\n${X}',
        reasons=("a,b", 'c"d\\e', "${SHELL(rm)}", "x" * 500),
    )
    variables = plan_variables(plan)
    assert variables["ROUTE_TARGET"] == "101&1023&EVIL&104other"
    assert "ROUTE_TARGETS_2" not in variables  # an attempt with no usable target is dropped
    assert variables["ROUTE_ATTEMPTS"] == "1"
    assert variables["ROUTE_QUEUE"] == "salesr1"
    assert variables["ROUTE_OWNER"] == "101"
    assert variables["ROUTE_SOURCE"] == "Ави то X"
    reason = variables["ROUTE_REASON"]
    assert len(reason) <= MAX_REASON_LENGTH and reason.endswith("...")
    for name, value in variables.items():
        assert re.fullmatch(r"[A-Z0-9_]+", name) and VARIABLE_NAME.fullmatch(name)
        assert not re.search(r"[\x00-\x1f\x7f\"\\,$(){}]", value), (name, value)
    assert [command.split(" ")[:2] for command in variable_commands(variables)] == [["EXEC", "MSet"]]  # one command


def test_a_short_reason_list_is_joined_whole():
    plan = RoutePlan(attempts=(), destination=QUEUE, reasons=("a", "b"))
    assert plan_variables(plan)["ROUTE_REASON"] == "a; b"
