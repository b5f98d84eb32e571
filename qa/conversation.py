"""A transcript prepared for scoring: each speaker's words in the normal form,
with their dictionary forms and the second each was said.

The input is the dialogue as ``transcription`` stores it: lines with
speaker, start, end, text and, when the model gave them, word timings.
Words are put in the normal form of ``transcription.normalize`` (numbers as
words, no punctuation, "ё" as "е"); a normal-form word takes the time of
the recognised word it came from (proportionally, when normalising changed
the count, e.g. "2-комнатная" → "двухкомнатная").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from qa.language import analyse
from transcription.normalize import normalize

CLIENT = "client"
MANAGER = "manager"
UNKNOWN = "unknown"  # a mixed mono recording: both voices on one track


@dataclass(frozen=True, slots=True)
class Turn:
    """One line of the dialogue."""

    index: int
    speaker: str
    start: float
    end: float
    text: str  # as recognised, for quotes

    @property
    def seconds(self) -> float:
        return max(self.end - self.start, 0.0)


@dataclass(frozen=True, slots=True)
class Token:
    word: str  # normal form
    lemma: str
    start: float
    turn: int  # index of its Turn


@dataclass
class Stream:
    """One speaker's words in order, and where each word and dictionary form occurs."""

    tokens: list[Token] = field(default_factory=list)
    positions: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))

    def add(self, token: Token) -> None:
        position = len(self.tokens)
        self.tokens.append(token)
        self.positions[token.lemma].append(position)
        if token.word != token.lemma:
            self.positions[token.word].append(position)


@dataclass
class Conversation:
    turns: list[Turn]
    streams: dict[str, Stream]
    duration: float

    @classmethod
    def from_lines(cls, lines: Iterable[Mapping[str, Any]], duration: float | None = None) -> Conversation:
        """From transcript lines (``transcription.engine.Line.as_dict`` rows); ``duration`` defaults to the last end."""
        rows = sorted(lines, key=lambda row: float(row["start"]))
        turns: list[Turn] = []
        streams: dict[str, Stream] = defaultdict(Stream)
        for index, row in enumerate(rows):
            turn = Turn(index, str(row["speaker"]), float(row["start"]), float(row["end"]), str(row["text"]))
            turns.append(turn)
            stream = streams[turn.speaker]
            for word, start in _timed_words(turn, row.get("words") or ()):
                stream.add(Token(word, analyse(word).lemma, start, index))
        end = max((turn.end for turn in turns), default=0.0)
        return cls(turns, dict(streams), max(duration or 0.0, end))

    @property
    def mixed(self) -> bool:
        """From a mixed recording: nobody's words are known to be the manager's or the client's."""
        return UNKNOWN in self.streams and not {CLIENT, MANAGER} & self.streams.keys()

    def stream(self, speaker: str) -> Stream:
        return self.streams.get(speaker) or Stream()

    def quote(self, first_turn: int, last_turn: int) -> str:
        """The lines of ``first_turn``'s speaker from it to ``last_turn``, as recognised."""
        speaker = self.turns[first_turn].speaker
        return " ".join(turn.text for turn in self.turns[first_turn:last_turn + 1] if turn.speaker == speaker)


def _timed_words(turn: Turn, words: Iterable[Any]) -> list[tuple[str, float]]:
    """The turn's normal-form words, each with the start of the recognised word it came from."""
    normal = normalize(turn.text).split()
    starts = [float(word[1]) for word in words]
    if not normal:
        return []
    if not starts:  # no word timings: spread the words over the turn
        step = turn.seconds / len(normal)
        return [(word, turn.start + step * index) for index, word in enumerate(normal)]
    return [(word, starts[index * len(starts) // len(normal)]) for index, word in enumerate(normal)]
