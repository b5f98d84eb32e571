"""The department's own words for the speech model, taken from its active scripts.

Whisper hears a company's name, its products and its places far better when
told them first (its prompt: on the corpus the WER went from 0.138 to 0.090,
docs/transcription.md). A department's scripts already hold those words: the
examples its managers are taught to say, the words clients name sources and
wants by. ``vocabulary`` picks the ones worth telling, without anyone
configuring it:

- names first: capitalised words inside an example with the noun after them
  ("компания Северный парк" gives "Северный парк", "СтройИнвест"), and words
  the dictionary does not know (brands, places);
- then the things the department talks of: nouns, adjectives and numerals
  (not verbs, not "вы", "какой") of ``MIN_LETTERS`` or more, those the scripts
  use most first (the lead card's words for sources and wants count triple),
  each once (by dictionary form), as written;

as text ("Северный парк, СтройИнвест. Однушка, двухкомнатная, квартира…"), up
to ``MAX_CHARS``: a bare list of lowercase words, verbs included, measured
worse than no prompt; a long prompt makes Whisper take it for what was said,
and the engine hears such windows again without it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from qa.language import analyse
from qa.script import PhraseItem, Script
from transcription.normalize import normalize

MAX_CHARS = 200
MIN_LETTERS = 5
LEAD_CARD_WEIGHT = 3  # the words clients name sources and wants by are the department's own: told first
THINGS = {"NOUN", "ADJF", "ADJS", "NUMR"}  # what a department sells and where: not verbs, not greetings' words
WORDS = re.compile(r"[A-Za-zА-Яа-яЁё][\w-]*")
CLAUSES = re.compile(r"[.,!?…;:()«»\"]+")
CYRILLIC = re.compile(r"[А-Яа-яЁё]")


def vocabulary(scripts: Iterable[Script], configured: str = "", limit: int = MAX_CHARS) -> str:
    """The prompt for the speech model, written as text (a bare list of words measured worse): ``configured``
    (the department's own, kept first), then the scripts' names, then the things they talk of, at most
    ``limit`` characters."""
    names: list[str] = []
    counts: Counter[str] = Counter()
    written: dict[str, str] = {}
    for script in scripts:
        for text, weight in _texts(script):
            names += _names(text)
            for word in WORDS.findall(text):
                form = normalize(word)
                analysed = analyse(form)
                if len(form) < MIN_LETTERS or not CYRILLIC.search(word):
                    continue
                if not analysed.known:
                    names.append(word)  # a brand, a place: whatever the dictionary does not know
                elif analysed.content and analysed.pos in THINGS:
                    counts[analysed.lemma] += weight
                    written.setdefault(analysed.lemma, word.lower())
    told = {analyse(form).lemma for form in normalize(configured).split()}
    chosen: list[list[str]] = [[], []]  # names, things
    for group, candidates in enumerate((names, [written[lemma] for lemma, _ in counts.most_common()])):
        for term in candidates:
            lemmas = {analyse(form).lemma for form in normalize(term).split()}
            if not lemmas <= told:
                chosen[group].append(term)
                told |= lemmas
    parts = [configured.strip().rstrip(".")] if configured.strip() else []
    for group in chosen:
        if group:
            parts.append("")
        for term in group:
            sentence = ", ".join([*filter(None, parts[-1].split(", ")), term]) if parts[-1] else term[:1].upper() + term[1:]
            candidate = ". ".join([*parts[:-1], sentence]) + "."
            if len(candidate) > limit:
                break
            parts[-1] = sentence
        parts = [part for part in parts if part]
    return ". ".join(parts) + "." if parts else ""


def _texts(script: Script) -> Iterable[tuple[str, int]]:
    """The script's texts with how much each word of them counts: the examples, the lead card's words."""
    for item in script.items:
        if isinstance(item, PhraseItem):
            yield from ((example, 1) for example in item.examples)
            if item.trigger is not None:
                yield from ((example, 1) for example in item.trigger.examples)
    card = script.lead_card
    yield from ((word, LEAD_CARD_WEIGHT) for words in card.sources.values() for word in words)
    yield from ((word, LEAD_CARD_WEIGHT) for values in card.interests.values() for words in values.values()
                for word in words)


def _names(text: str) -> list[str]:
    """The names in ``text``: a capitalised word that does not merely open a sentence, with the capitalised
    words and the one noun after it ("компания Северный парк, …" gives "Северный парк")."""
    names: list[str] = []
    for clause_number, clause in enumerate(CLAUSES.split(text)):
        words = WORDS.findall(clause)
        position = 0
        while position < len(words):
            word = words[position]
            opening = clause_number == 0 and position == 0 and not any(letter.isupper() for letter in word[1:])
            if not word[0].isupper() or opening:
                position += 1
                continue
            name = [word]
            position += 1
            while position < len(words) and words[position][0].isupper():
                name.append(words[position])
                position += 1
            if position < len(words) and analyse(normalize(words[position])).pos == "NOUN":
                name.append(words[position])
                position += 1
            names.append(" ".join(name))
    return names
