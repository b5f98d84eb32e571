"""Scripts as YAML: a valid one loads; a broken one is refused with every problem and where it is."""

from pathlib import Path

import pytest

from qa.script import MetricItem, PhraseItem, ScriptError, StopWordsItem, load_script, parse_script
from tests.qa.support import script

EXAMPLE = "qa/scripts/realty-inbound.yaml"


def test_the_example_script_loads_with_each_item_kind():
    loaded = load_script(EXAMPLE)
    kinds = {type(item) for item in loaded.items}
    assert kinds == {PhraseItem, StopWordsItem, MetricItem}
    assert loaded.applies_to.direction == "inbound" and loaded.lead_card.sources["Авито"] == ["авито", "avito"]


def test_stop_words_are_matched_strictly_unless_the_item_says_otherwise():
    loaded = script("""
  - {id: rude, kind: stop_words, phrases: [не мои проблемы]}
  - {id: lax, kind: stop_words, phrases: [блин], threshold: 0.5, fuzz: 75}
  - {id: hello, kind: phrase, examples: [здравствуйте]}""")
    rude, lax, hello = loaded.items
    assert (loaded.tolerance(rude).threshold, loaded.tolerance(rude).fuzz) == (1.0, 90)
    assert (loaded.tolerance(lax).threshold, loaded.tolerance(lax).fuzz) == (0.5, 75)
    assert (loaded.tolerance(hello).threshold, loaded.tolerance(hello).fuzz) == (0.6, 80)


@pytest.mark.parametrize(("text", "problem"), [
    ("name: t\nitems: [\n", "not valid YAML at line 3"),
    ("- just\n- a list\n", "a YAML mapping"),
    ("name: t\nitems: []\n", "items: List should have at least 1 item"),
    ("name: t\nitems:\n  - {id: a, kind: phrase}\n", "items.0.phrase.examples: Field required"),
    ("name: t\nitems:\n  - {id: a, kind: chant, examples: [x]}\n", "items.0: Input tag 'chant' found"),
    ("name: t\nitems:\n  - {id: a, kind: phrase, examples: [x], wieght: 5}\n", "items.0.phrase.wieght: Extra inputs"),
    ("name: t\nitems:\n  - {id: a, kind: phrase, examples: [x]}\n  - {id: a, kind: phrase, examples: [y]}\n",
     "item ids must be unique: a"),
    ("name: t\nitems:\n  - {id: a, kind: phrase, examples: [x], within_first: 5, within_last: 5}\n",
     "give within_first or within_last, not both"),
    ("name: t\nitems:\n  - {id: a, kind: metric, metric: speech_rate}\n", "needs min, max or both"),
    ("name: t\nitems:\n  - {id: a, kind: metric, metric: speech_rate, min: 9, max: 1}\n", "min is above max"),
    ("name: t\nitems:\n  - {id: a, kind: metric, metric: mood, min: 1}\n", "items.0.metric.metric: Input should be"),
    ("name: t\nitems:\n  - {id: a, kind: phrase, examples: [x], fuzz: 20}\n", "greater than or equal to 70"),
    ("name: two words\nitems:\n  - {id: a, kind: phrase, examples: [x]}\n", "name: String should match pattern"),
])
def test_a_broken_script_says_what_and_where(text, problem):
    with pytest.raises(ScriptError) as raised:
        parse_script(text)
    assert any(problem in found for found in raised.value.problems), raised.value.problems


def test_an_unreadable_file_is_a_script_error(tmp_path):
    with pytest.raises(ScriptError, match="cannot read"):
        load_script(tmp_path / "missing.yaml")
    (tmp_path / "latin1.yaml").write_bytes("name: t\nitems: [{id: a, kind: phrase, examples: [привет]}]".encode("cp1251"))
    with pytest.raises(ScriptError, match="cannot read"):
        load_script(tmp_path / "latin1.yaml")


def test_the_script_in_the_docs_is_a_valid_script():
    text = Path("docs/qa.md").read_text(encoding="utf-8")
    example = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    documented = parse_script(example)
    assert [item.kind for item in documented.items] == ["phrase", "phrase", "stop_words", "metric"]
    assert documented.lead_card.name_questions == ["Как вас зовут?", "Как я могу к вам обращаться?"]
