"""The department's own words for the speech model, taken from its active scripts.

Whisper hears a company's name, its products and its places far better when
told them first (its prompt: on the corpus the WER went from 0.138 to 0.090,
docs/transcription.md). A department's scripts already hold those words: the
examples its managers are taught to say, the words clients name sources and
wants by. ``vocabulary`` picks the ones worth telling, without anyone
configuring it:

- names first: capitalised words inside an example ("компания Северный парк"
  gives "Северный", "СтройИнвест"), runs of them kept together as written;
- and words the dictionary does not know (brands: "Авито");
- then content words (nouns, adjectives, verbs, numerals: not "вы", "какой",
  "и") of ``MIN_LETTERS`` or more, those the scripts use most first (the lead
  card's words for sources and wants count triple), each once (by dictionary
  form), as written;

joined by commas up to ``MAX_CHARS``: a long prompt makes Whisper take it for
what was said, and the engine hears such windows again without it.
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
WORDS = re.compile(r"[A-Za-zА-Яа-яЁё][\w-]*")
SENTENCES = re.compile(r"[.!?…]+\s*")


def vocabulary(scripts: Iterable[Script], configured: str = "", limit: int = MAX_CHARS) -> str:
    """The prompt for the speech model: ``configured`` (the department's own, kept first), then the scripts'
    names and content words, comma separated, at most ``limit`` characters."""
    names: list[str] = []
    counts: Counter[str] = Counter()
    written: dict[str, str] = {}
    for script in scripts:
        for text, weight in _texts(script):
            names += _names(text)
            for word in WORDS.findall(text):
                form = normalize(word)
                analysed = analyse(form)
                if not analysed.known and len(form) >= MIN_LETTERS:
                    names.append(word)  # a brand, a place: whatever the dictionary does not know
                elif len(form) >= MIN_LETTERS and analysed.content:
                    counts[analysed.lemma] += weight
                    written.setdefault(analysed.lemma, word.lower())
    told = {analyse(form).lemma for form in normalize(configured).split()}
    terms = []
    for term in [*names, *(written[lemma] for lemma, _ in counts.most_common())]:
        lemmas = {analyse(form).lemma for form in normalize(term).split()}
        if not lemmas <= told:
            terms.append(term)
            told |= lemmas
    prompt = configured.strip().rstrip(".")
    for term in terms:
        candidate = f"{prompt}, {term}" if prompt else term
        if len(candidate) > limit:
            break
        prompt = candidate
    return prompt


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
    """Runs of capitalised words that do not merely open a sentence ("компания Северный парк" → "Северный")."""
    names: list[str] = []
    for sentence in SENTENCES.split(text):
        run: list[str] = []
        for position, word in enumerate([*WORDS.findall(sentence), ""]):
            if word and word[0].isupper() and (position > 0 or any(letter.isupper() for letter in word[1:])):
                run.append(word)
            elif run:
                names.append(" ".join(run))
                run = []
    return names
