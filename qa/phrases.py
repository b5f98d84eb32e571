"""Finding a script's phrases in what a speaker said, as speech recognition heard it.

An example phrase becomes its distinct dictionary forms ("Как я могу к вам
обращаться?" → как, я, мочь, к, вы, обращаться). It is heard where enough of
them (the ``threshold`` share) occur close together in one utterance of one
speaker (a line, or lines split only by a pause or the other's "угу":
``Conversation.utterances``): within the phrase's length plus a little slack,
in any order; never pieced together from two, where a word of the previous
question could complete the next. A heard word counts as an example's word when its
dictionary or normal form is the same, or alike to ``fuzz`` (0-100, the
``rapidfuzz`` ratio), which forgives a misrecognised letter in a long word;
a long script word also counts inside a longer heard word (the best-matching
part of it), since the model glues words ("менеджердмитри").
So inflections, word order, a misheard word and small paraphrases still
match, and the best match gives the evidence: the quote and its second.

Comparing every heard word with every script word is the slow part, so a
``PhraseMatcher`` remembers, per heard word, which script words it resembles.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.process import cdist

from qa.conversation import Conversation, Stream
from qa.language import lemma
from qa.script import Tolerance
from transcription.normalize import normalize

MIN_FUZZ = 70  # no item may ask for less (qa.script), so nothing weaker is remembered
GLUED_LETTERS = 6  # a script word this long may be found inside a longer heard word...
GLUED_EXTRA = 3  # ...at least this many letters longer ("менеджер" in "менеджердмитри", not "сад" in "садик")
REMEMBER_WORDS = 100_000
NEAREST = 0.3  # the share of an example's words a place needs to be shown as what came nearest
NOWHERE: list[int] = []


@dataclass(frozen=True)
class Phrase:
    text: str  # as the script writes it
    terms: tuple[str, ...]  # its distinct dictionary forms, in order

    @property
    def slack(self) -> int:
        """Other words allowed among the phrase's own (fillers, a rephrasing)."""
        return max(2, len(self.terms) // 2)


def compile_phrase(text: str) -> Phrase:
    terms = dict.fromkeys(lemma(word) for word in normalize(text).split())
    return Phrase(text, tuple(terms))


@dataclass(frozen=True)
class Heard:
    """Where a phrase was heard: the example, how much of it, when, and in which lines."""

    phrase: Phrase
    similarity: float  # share of the example's words heard
    start: float
    first_turn: int
    last_turn: int


class PhraseMatcher:
    """Finds phrases (compiled once) in conversations."""

    def __init__(self, phrases: Iterable[str]) -> None:
        self.phrases = {text: compile_phrase(text) for text in phrases}
        self._terms = sorted({term for phrase in self.phrases.values() for term in phrase.terms})
        index = {term: number for number, term in enumerate(self._terms)}
        self._term_ids = {text: tuple(index[term] for term in phrase.terms) for text, phrase in self.phrases.items()}
        self._term_lengths = np.array([len(term) for term in self._terms], dtype=np.int32)[None, :]
        self._alike: dict[str, tuple[tuple[int, int], ...]] = {}  # heard word → (term index, score) pairs

    def listen(self, conversation: Conversation) -> Listening:
        return Listening(self, conversation)

    def term_ids(self, text: str) -> tuple[int, ...]:
        return self._term_ids[text]

    def _gluing_allowed(self, heard: Sequence[str]) -> np.ndarray:
        """Where a heard word may hold a script word inside it (Whisper glues words: "менеджердмитри"):
        script words of GLUED_LETTERS or more, in a heard word at least GLUED_EXTRA letters longer."""
        term_lengths = self._term_lengths
        heard_lengths = np.fromiter((len(word) for word in heard), dtype=np.int32, count=len(heard))[:, None]
        return ((term_lengths >= GLUED_LETTERS) & (heard_lengths >= term_lengths + GLUED_EXTRA)).astype(np.uint8)

    def alike_terms(self, heard: Sequence[str]) -> dict[str, tuple[tuple[int, int], ...]]:
        """For each heard word, the script words it resembles (term index, score ≥ MIN_FUZZ)."""
        new = [word for word in heard if word not in self._alike]
        if new and self._terms:
            if len(self._alike) + len(new) > REMEMBER_WORDS:
                self._alike.clear()
            scores = cdist(new, self._terms, scorer=fuzz.ratio, score_cutoff=MIN_FUZZ, dtype="uint8", workers=1)
            glued = cdist(new, self._terms, scorer=fuzz.partial_ratio, score_cutoff=MIN_FUZZ, dtype="uint8", workers=1)
            scores = np.maximum(scores, glued * self._gluing_allowed(new))
            for word, row in zip(new, scores, strict=True):
                self._alike[word] = tuple((int(index), int(row[index])) for index in row.nonzero()[0])
        return {word: self._alike.get(word, ()) for word in heard}


class Listening:
    """One conversation as ``PhraseMatcher`` searches it; it remembers where each script word was heard."""

    def __init__(self, matcher: PhraseMatcher, conversation: Conversation) -> None:
        self.matcher = matcher
        self.conversation = conversation
        self._heard: dict[str, list[tuple[list[int], tuple[tuple[int, int], ...]]]] = {}
        self._positions: dict[tuple[str, int], dict[int, list[int]]] = {}  # (speaker, fuzz) → term → positions
        self._utterance_of: dict[str, list[int]] = {}  # speaker → each of their words' utterance

    def find(
        self,
        speaker: str,
        phrases: Iterable[str],
        tolerance: Tolerance,
        since: float = 0.0,
        until: float = math.inf,
    ) -> Heard | None:
        """The best hearing of any of ``phrases`` by ``speaker`` starting in [since, until]; None if none is
        heard well enough. Best: the largest share of its words, then the earliest."""
        stream = self.conversation.stream(speaker)
        # the words said in [since, until] are positions [first, stop): a stream is in time order
        first, stop = bisect_left(stream.starts, since), bisect_right(stream.starts, until)
        places = self._places(speaker, stream, tolerance.fuzz)
        utterances = self._utterances(speaker, stream)
        best: Heard | None = None
        for text in phrases:
            found = [_between(places.get(term, NOWHERE), first, stop) for term in self.matcher.term_ids(text)]
            heard = _best_window(self.matcher.phrases[text], found, stream, utterances, tolerance.threshold)
            if heard is not None and (best is None or (heard.similarity, -heard.start) > (best.similarity, -best.start)):
                best = heard
        return best

    def closest(
        self,
        speaker: str,
        phrases: Iterable[str],
        tolerance: Tolerance,
        since: float = 0.0,
        until: float = math.inf,
    ) -> Heard | None:
        """The place that comes nearest to any of ``phrases`` (most of an example's words together) with at
        least ``NEAREST`` of one's words; None if none does: what a head of sales would look at when an item
        was not met."""
        return self.find(speaker, phrases, Tolerance(threshold=NEAREST, fuzz=tolerance.fuzz), since, until)

    def _utterances(self, speaker: str, stream: Stream) -> list[int]:
        """The utterance of each word ``speaker`` said (``stream``), worked out once."""
        if speaker not in self._utterance_of:
            utterances = self.conversation.utterances
            self._utterance_of[speaker] = [utterances[turn] for turn in stream.turns]
        return self._utterance_of[speaker]

    def _places(self, speaker: str, stream: Stream, fuzz: int) -> dict[int, list[int]]:
        """Script word → where ``speaker`` said a word alike to it (to ``fuzz``), in order."""
        key = (speaker, fuzz)
        if key not in self._positions:
            by_term: defaultdict[int, list[list[int]]] = defaultdict(list)
            for places, alike in self._alike(speaker, stream):
                for term, score in alike:
                    if score >= fuzz:
                        by_term[term].append(places)
            self._positions[key] = {
                term: places[0] if len(places) == 1 else sorted(chain.from_iterable(places))
                for term, places in by_term.items()
            }
        return self._positions[key]

    def _alike(self, speaker: str, stream: Stream) -> list[tuple[list[int], tuple[tuple[int, int], ...]]]:
        """The places of each word ``speaker`` said that resembles a script word, and the script words."""
        if speaker not in self._heard:
            alike = self.matcher.alike_terms(list(stream.positions))
            self._heard[speaker] = [(stream.positions[word], terms) for word, terms in alike.items() if terms]
        return self._heard[speaker]


def _between(positions: list[int], first: int, stop: int) -> list[int]:
    if first == 0 and (not positions or positions[-1] < stop):
        return positions
    return positions[bisect_left(positions, first):bisect_left(positions, stop)]


def _best_window(
    phrase: Phrase, found: list[list[int]], stream: Stream, utterances: list[int], threshold: float
) -> Heard | None:
    """The densest place of the phrase's words (``found``: where each was heard, in order), if one holds
    enough of them: at most len(terms) + slack words holding the most distinct terms; of those, the
    tightest, then the earliest."""
    terms = len(found)
    if terms == 1:  # a single word (a source, a stop word): its first place
        return Heard(phrase, 1.0, stream.starts[found[0][0]], stream.turns[found[0][0]], stream.turns[found[0][0]]) \
            if found[0] else None
    need = max(1, math.ceil(terms * threshold - 1e-9))
    if sum(1 for positions in found if positions) < need:
        return None
    width = terms + phrase.slack
    # A window with `need` distinct words holds one of the `terms - need + 1` rarest (the others are too
    # few); look only around those words' places that have enough of the others nearby. Words like "вы"
    # or "в" are everywhere in a long call; this keeps the search to the few places that matter.
    rarest = sorted(found, key=len)[:terms - need + 1]
    ranges: list[tuple[int, int]] = []  # [low, high) around the anchors that have enough words near
    for anchor in sorted(chain.from_iterable(rarest)):
        if not _enough_near(found, anchor, width, need):
            continue
        if ranges and anchor - width + 1 <= ranges[-1][1]:
            ranges[-1] = (ranges[-1][0], anchor + width)
        else:
            ranges.append((anchor - width + 1, anchor + width))
    hits = sorted(
        (position, which)
        for low, high in ranges
        for which, positions in enumerate(found)
        for position in positions[bisect_left(positions, low):bisect_left(positions, high)]
    )
    if not hits:
        return None
    best = _densest(hits, utterances, terms, width, need)
    if best is None:
        return None
    distinct, _, first, last = best
    return Heard(phrase, distinct / terms, stream.starts[first], stream.turns[first], stream.turns[last])


def _enough_near(found: list[list[int]], anchor: int, width: int, need: int) -> bool:
    """Whether at least ``need`` of the terms occur less than ``width`` words from ``anchor``."""
    near = 0
    for positions in found:
        index = bisect_left(positions, anchor - width + 1)
        if index < len(positions) and positions[index] < anchor + width:
            near += 1
            if near >= need:
                return True
    return False


def _densest(
    hits: list[tuple[int, int]], utterances: list[int], terms: int, width: int, need: int
) -> tuple[int, int, int, int] | None:
    """Over ``hits`` (position, term), the window of fewer than ``width`` words of one utterance
    (``utterances``: each position's) with the most distinct terms, then the tightest, then the earliest, as
    (distinct, -span, first position, last position). Each window is trimmed on the left of terms repeated
    later in it."""
    places = [position for position, _ in hits]
    whose = [which for _, which in hits]
    counts = [0] * terms
    distinct = left = 0
    best: tuple[int, int, int, int] | None = None
    for right, position in enumerate(places):
        term = whose[right]
        if not counts[term]:
            distinct += 1
        counts[term] += 1
        while (position - places[left] >= width or utterances[places[left]] != utterances[position]
               or counts[whose[left]] > 1):
            counts[whose[left]] -= 1
            if not counts[whose[left]]:
                distinct -= 1
            left += 1
        if distinct >= need and (best is None or (distinct, places[left] - position) > best[:2]):
            best = (distinct, places[left] - position, places[left], position)
    return best
