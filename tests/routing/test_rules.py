"""Stored chains are validated before routing or the API trusts them; the
rule book picks a DID's rule, the catch-all's, or the default group."""

import pytest
from pydantic import ValidationError

from routing.model import ExtensionStep, FallbackChain, GroupStep, OwnerStep, Strategy
from routing.rules import CATCH_ALL_DID, ChainSpec, RuleBook, StoredRule, parse_chain

FULL = {
    "steps": [
        {"kind": "owner", "ring_seconds": 25},
        {"kind": "group", "group": "Продажи", "strategy": "ring_all", "ring_seconds": 15},
        {"kind": "extension", "extension": "100"},
    ],
    "queue": "sales",
    "voicemail": "100@default",
}


def test_a_stored_chain_becomes_a_fallback_chain():
    assert parse_chain(FULL) == FallbackChain(
        steps=(OwnerStep(25), GroupStep("Продажи", Strategy.RING_ALL, 15), ExtensionStep("100", 20)),
        queue="sales",
        voicemail="100@default",
    )
    assert parse_chain(None) is None
    assert parse_chain({}) == FallbackChain()


@pytest.mark.parametrize(
    "chain",
    [
        {"steps": [{"kind": "boss"}]},  # unknown step
        {"steps": [{"kind": "owner", "ring_seconds": 0}]},  # rings nobody
        {"steps": [{"kind": "owner", "ring_seconds": 3600}]},  # an hour of ringing
        {"steps": [{"kind": "group", "group": "sales", "strategy": "random"}]},
        {"steps": [{"kind": "group"}]},  # which group?
        {"steps": [{"kind": "extension", "extension": "101&102"}]},  # Dial() injection
        {"steps": [{"kind": "extension", "extension": "${EXTEN}"}]},
        {"queue": "sales,r"},
        {"voicemail": "100@default,u"},
        {"steps": [{"kind": "owner"}] * 11},  # too long
        {"steps": [], "priority": 1},  # unknown field
    ],
)
def test_a_malformed_chain_is_refused(chain):
    with pytest.raises(ValidationError):
        ChainSpec.model_validate(chain)


def book(*rules: StoredRule, groups=None) -> RuleBook:
    return RuleBook.build(list(rules), groups or {}, default_group="sales")


def test_a_did_has_its_own_rule_with_source_and_ivr():
    rules = book(
        StoredRule("74950000001", {"steps": [{"kind": "extension", "extension": "100"}]}, "Avito",
                   {"1": {"steps": [{"kind": "group", "group": "flats"}]}}),
    )
    rule = rules.did_rule("74950000001")
    assert rule.source == "Avito"
    assert rule.chain.steps == (ExtensionStep("100"),)
    assert rule.ivr["1"].steps == (GroupStep("flats"),)


def test_an_unknown_did_takes_the_catch_all_rule_or_rings_the_default_group():
    catch_all = StoredRule(CATCH_ALL_DID, {"queue": "night"}, "прочее")
    assert book(catch_all).did_rule("74959999999").chain.queue == "night"
    default = book().did_rule("74959999999")
    assert default.chain.steps == (GroupStep("sales", Strategy.ROUND_ROBIN),)
    assert default.source is None


def test_a_group_has_its_own_chain_or_round_robin_over_its_managers():
    rules = book(groups={"vip": {"steps": [{"kind": "group", "group": "vip", "strategy": "ring_all"}]}, "flats": None})
    chains = rules.group_chains(["vip", "flats"])
    assert chains["vip"].steps == (GroupStep("vip", Strategy.RING_ALL),)
    assert chains["flats"].steps == (GroupStep("flats", Strategy.ROUND_ROBIN),)


def test_a_malformed_stored_row_is_left_out_and_the_rest_still_routes():
    broken = StoredRule("74950000002", {"steps": [{"kind": "boss"}]})
    good = StoredRule("74950000003", {"queue": "vip"}, "радио")
    rules = book(broken, good, groups={"vip": {"queue": "a,b"}})
    assert rules.did_rule("74950000003").source == "радио"
    assert rules.did_rule("74950000002").chain.steps == (GroupStep("sales"),)  # as if it had no rule
    assert rules.group_chains(["vip"])["vip"].steps == (GroupStep("vip"),)
    assert len(rules.problems) == 2 and "74950000002" in rules.problems[0]


@pytest.mark.parametrize(
    ("group_chain", "ivr_chain", "expected"),
    [
        pytest.param(None, None, False, id="default-round-robin"),
        pytest.param({"steps": [{"kind": "group", "group": "sales", "strategy": "ring_all"}]}, None, False,
                     id="ring-all"),
        pytest.param({"steps": [{"kind": "group", "group": "sales", "strategy": "least_recent"}]}, None, True,
                     id="group-least-recent"),
        pytest.param(None, {"steps": [{"kind": "owner"}, {"kind": "group", "group": "b", "strategy": "fewest_calls"}]},
                     True, id="ivr-fewest-calls"),
    ],
)
def test_the_rule_book_knows_whether_a_strategy_needs_the_call_history(group_chain, ivr_chain, expected):
    ivr = {"1": ivr_chain} if ivr_chain else {}
    book = RuleBook.build([StoredRule("74950000000", FULL, ivr=ivr)], {"sales": group_chain}, "sales")
    assert book.uses_call_history() is expected
