"""Finding a script's phrases in what a speaker said, as speech recognition heard it.

An example phrase becomes its distinct dictionary forms ("Как я могу к вам
обращаться?" → как, я, мочь, к, вы, обращаться). It is heard where enough of
them (the ``threshold`` share) occur close together in one speaker's words:
within the phrase's length plus a little slack, in any order, across the
lines of one turn. A heard word counts as an example's word when its
dictionary or normal form is the same, or alike to ``fuzz`` (0-100, the
``rapidfuzz`` ratio), which forgives a misrecognised letter in a long word.
So inflections, word order, a misheard word and small paraphrases still
match, and the best match gives the evidence: the quote and its second.

Comparing every heard word with every script word is the slow part, so a
``PhraseMatcher`` remembers, per heard word, which script words it resembles.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz
from rapidfuzz.process import cdist

from qa.conversation import Conversation, Stream
from qa.language import lemma
from qa.script import Tolerance
from transcription.normalize import normalize

MIN_FUZZ = 70  # no item may ask for less (qa.script), so nothing weaker is remembered
REMEMBER_WORDS = 100_000


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
        self._alike: dict[str, tuple[tuple[int, int], ...]] = {}  # heard word → (term index, score) pairs

    def listen(self, conversation: Conversation) -> Listening:
        return Listening(self, conversation)

    def term_ids(self, text: str) -> tuple[int, ...]:
        return self._term_ids[text]

    def alike_terms(self, heard: Sequence[str]) -> dict[str, tuple[tuple[int, int], ...]]:
        """For each heard word, the script words it resembles (term index, score ≥ MIN_FUZZ)."""
        new = [word for word in heard if word not in self._alike]
        if new and self._terms:
            if len(self._alike) + len(new) > REMEMBER_WORDS:
                self._alike.clear()
            scores = cdist(new, self._terms, scorer=fuzz.ratio, score_cutoff=MIN_FUZZ, dtype="uint8", workers=1)
            for word, row in zip(new, scores, strict=True):
                self._alike[word] = tuple((int(index), int(row[index])) for index in row.nonzero()[0])
        return {word: self._alike.get(word, ()) for word in heard}


class Listening:
    """One conversation as ``PhraseMatcher`` searches it."""

    def __init__(self, matcher: PhraseMatcher, conversation: Conversation) -> None:
        self.matcher = matcher
        self.conversation = conversation
        self._heard_as: dict[str, dict[int, list[tuple[str, int]]]] = {}  # speaker → term → (heard word, score)

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
        heard_as = self._heard(speaker, stream)
        best: Heard | None = None
        for text in phrases:
            phrase, term_ids = self.matcher.phrases[text], self.matcher.term_ids(text)
            found = _best_window(phrase, term_ids, stream, heard_as, tolerance, since, until)
            if found is not None and (best is None or (found.similarity, -found.start) > (best.similarity, -best.start)):
                best = found
        return best

    def _heard(self, speaker: str, stream: Stream) -> dict[int, list[tuple[str, int]]]:
        if speaker not in self._heard_as:
            by_term: dict[int, list[tuple[str, int]]] = {}
            for word, alike in self.matcher.alike_terms(list(stream.positions)).items():
                for term, score in alike:
                    by_term.setdefault(term, []).append((word, score))
            self._heard_as[speaker] = by_term
        return self._heard_as[speaker]


def _best_window(
    phrase: Phrase,
    term_ids: tuple[int, ...],
    stream: Stream,
    heard_as: dict[int, list[tuple[str, int]]],
    tolerance: Tolerance,
    since: float,
    until: float,
) -> Heard | None:
    need = max(1, math.ceil(len(term_ids) * tolerance.threshold - 1e-9))
    hits: list[tuple[int, int]] = []  # (position, which of the phrase's terms)
    present = 0
    for which, term in enumerate(term_ids):
        positions = [
            position
            for word, score in heard_as.get(term, ())
            if score >= tolerance.fuzz
            for position in stream.positions[word]
            if since <= stream.tokens[position].start <= until
        ]
        if positions:
            present += 1
            hits.extend((position, which) for position in positions)
        elif present + len(term_ids) - which - 1 < need:
            return None  # too few of the remaining words can still be heard
    if present < need:
        return None
    hits.sort()
    return _densest(phrase, stream, hits, need)


def _densest(phrase: Phrase, stream: Stream, hits: list[tuple[int, int]], need: int) -> Heard | None:
    """The window of at most len(terms) + slack words holding the most distinct terms; of those, the
    tightest, then the earliest. Each window is trimmed on the left of hits repeated later in it."""
    width = len(phrase.terms) + phrase.slack
    counts = [0] * len(phrase.terms)
    distinct = 0
    best: tuple[int, int, int, int] | None = None  # (distinct, -span, left hit, right hit)
    left = 0
    for right, (position, which) in enumerate(hits):
        if counts[which] == 0:
            distinct += 1
        counts[which] += 1
        while position - hits[left][0] >= width or counts[hits[left][1]] > 1:
            gone = hits[left][1]
            counts[gone] -= 1
            if counts[gone] == 0:
                distinct -= 1
            left += 1
        span = position - hits[left][0]
        if distinct >= need and (best is None or (distinct, -span) > best[:2]):
            best = (distinct, -span, left, right)
    if best is None:
        return None
    distinct, _, left, right = best
    first, last = stream.tokens[hits[left][0]], stream.tokens[hits[right][0]]
    return Heard(phrase, distinct / len(phrase.terms), first.start, first.turn, last.turn)
