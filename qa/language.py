"""Russian words to their dictionary form (``pymorphy3``), remembered.

"зовут", "звали" and "зовёт" are all "звать"; comparing dictionary forms
lets "как вас зовут" match "как Вас звать". pymorphy3 takes tens of
microseconds a word, while a department's calls repeat the same few
thousand words, so every answer is kept (up to ``CACHE_WORDS``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import pymorphy3

CACHE_WORDS = 200_000
CONTENT = frozenset({"NOUN", "ADJF", "ADJS", "COMP", "VERB", "INFN", "PRTF", "PRTS", "GRND", "NUMR"})


@dataclass(frozen=True, slots=True)
class WordForm:
    lemma: str
    is_name: bool  # a first name ("Иван", "Марии"): the lead card's name
    content: bool  # a noun, adjective, verb or numeral, not a pronoun, preposition or particle
    known: bool  # in the dictionary (a brand like "авито" is not)
    pos: str  # the likeliest part of speech (pymorphy's tag: NOUN, VERB, ADJF...), "" if none


@cache
def _analyzer() -> pymorphy3.MorphAnalyzer:
    return pymorphy3.MorphAnalyzer()


_forms: dict[str, WordForm] = {}


def analyse(word: str) -> WordForm:
    """``word`` (lower case, normal form) as its dictionary form, and whether it is a first name."""
    form = _forms.get(word)
    if form is None:
        if len(_forms) >= CACHE_WORDS:
            _forms.clear()
        parses = _analyzer().parse(word)
        best = parses[0]
        # "елена" is first a plant, then a name: a name anywhere among the likely parses counts
        is_name = any("Name" in parse.tag for parse in parses[:3] if parse.score >= best.score / 4)
        content = best.tag.POS in CONTENT and "Apro" not in best.tag
        form = _forms[word] = WordForm(best.normal_form.replace("ё", "е"), is_name, content,
                                       _analyzer().word_is_known(word), str(best.tag.POS or ""))
    return form


def lemma(word: str) -> str:
    return analyse(word).lemma


def lemmas(words: list[str]) -> list[str]:
    """The dictionary forms of ``words`` (the hot path of preparing a transcript: one dict lookup a word)."""
    forms = _forms
    return [forms[word].lemma if word in forms else analyse(word).lemma for word in words]
