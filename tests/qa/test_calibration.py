"""Calibrating a script: each item's outcome over calls with its near misses, and a near miss added to an
item's examples with the rest of the YAML as written, whatever its layout."""

from pathlib import Path

import pytest

from qa.calibration import CalibrationCall, calibrate, with_example
from qa.script import ScriptError, parse_script
from tests.qa.support import client, manager

REALTY = Path("qa/scripts/realty-inbound.yaml").read_text(encoding="utf-8")
LAYOUTS = """name: t
items:
  - {id: hello, kind: phrase, examples: [здравствуйте, "добрый день"]}  # a flow mapping
  - id: objection
    kind: phrase
    trigger:
      speaker: client
      examples: [Это дорого]
    examples:  # block, after a trigger's own examples
      - Понимаю вас
  - id: rude
    kind: stop_words
    phrases: [не знаю]
"""


def examples(source: str, item_id: str) -> list[str]:
    return next(item.examples for item in parse_script(source).items if item.id == item_id)


@pytest.mark.parametrize("item_id, example", [
    ("hello", "Приветствую, компания «Север»: слушаю"),  # a comma and a colon inside a flow sequence
    ("objection", "Могу предложить скидку: до конца недели"),
])
def test_an_example_is_added_to_its_item_whatever_the_layout(item_id, example):
    added = with_example(LAYOUTS, item_id, example)
    assert examples(added, item_id) == [*examples(LAYOUTS, item_id), example]
    assert parse_script(added).items[1].trigger.examples == ["Это дорого"]  # the trigger's own are untouched
    assert added.count("\n") == LAYOUTS.count("\n") + (item_id == "objection")
    assert "# a flow mapping" in added and "# block, after a trigger's own examples" in added


def test_the_example_script_keeps_every_comment_and_line():
    added = with_example(REALTY, "greeting", "Здравствуйте, компания Новый квартал")
    assert set(REALTY.splitlines()) <= set(added.splitlines())
    assert examples(added, "greeting")[-1] == "Здравствуйте, компания Новый квартал"


def test_an_example_already_there_changes_nothing():
    assert with_example(LAYOUTS, "hello", "  добрый   день ") == LAYOUTS


@pytest.mark.parametrize("item_id, example, problem", [
    ("nothing", "x", "nothing: no such phrase item"),
    ("rude", "x", "rude: no such phrase item"),
    ("hello", " ", "the example is empty"),
])
def test_what_cannot_be_added_says_why(item_id, example, problem):
    with pytest.raises(ScriptError, match=problem):
        with_example(LAYOUTS, item_id, example)


def test_each_item_counts_its_calls_and_lists_its_near_misses_nearest_first():
    script = parse_script(LAYOUTS)
    calls = [
        CalibrationCall(1, [manager(0, "Здравствуйте!"), client(2, "Это дорого"), manager(4, "Понимаю вас")]),
        CalibrationCall(2, [manager(0, "Добрый вечер"), client(2, "Это дорого"), manager(4, "Я вас понимаю")]),
        CalibrationCall(3, [manager(0, "Да"), client(2, "Хорошо")]),  # no objection: it does not apply
    ]
    outcome = {item.id: item for item in calibrate(script, calls)}
    assert (outcome["hello"].applied, outcome["hello"].met) == (3, 1)
    assert (outcome["objection"].applied, outcome["objection"].met) == (2, 2)
    assert (outcome["rude"].applied, outcome["rude"].met) == (3, 3)
    [near] = outcome["hello"].borderline  # "Да" shares no word with the examples
    assert (near.call_id, near.quote, near.similarity, near.example) == (2, "Добрый вечер", 0.5, "добрый день")
