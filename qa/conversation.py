"""A transcript prepared for scoring: each speaker's words in the normal form,
with their dictionary forms and the second each was said.

The input is the dialogue as ``transcription`` stores it: lines with
speaker, start, end, text, the text's normal form (``norm``: numbers as
words, no punctuation, "ё" as "е"; made here from the text when a line has
none) and, when the model gave them, word timings. A normal-form word takes the time of
the recognised word it came from (proportionally, when normalising changed
the count, e.g. "2-комнатная" → "двухкомнатная").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import count
from operator import itemgetter
from typing import Any, NamedTuple

from qa.language import lemmas
from transcription.normalize import normalize

CLIENT = "client"
MANAGER = "manager"
UNKNOWN = "unknown"  # a mixed mono recording: both voices on one track


class Turn(NamedTuple):
    """One line of the dialogue."""

    index: int
    speaker: str
    start: float
    end: float
    text: str  # as recognised, for quotes

    @property
    def seconds(self) -> float:
        return max(self.end - self.start, 0.0)


@dataclass
class Stream:
    """One speaker's words in order (normal form, dictionary form, start second, turn index, as parallel
    lists), and the positions where each normal and dictionary form occurs."""

    words: list[str] = field(default_factory=list)
    lemmas: list[str] = field(default_factory=list)
    starts: list[float] = field(default_factory=list)
    turns: list[int] = field(default_factory=list)
    positions: dict[str, list[int]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.words)

    @classmethod
    def of(cls, words: list[str], starts: list[float], turns: list[int]) -> Stream:
        forms = lemmas(words)
        positions: defaultdict[str, list[int]] = defaultdict(list)
        for position, word, lemma in zip(count(), words, forms):
            positions[lemma].append(position)
            if word != lemma:
                positions[word].append(position)
        return cls(words, forms, starts, turns, dict(positions))


UTTERANCE_GAP_SECONDS = 1.5  # a speaker's lines this close, with at most a "угу" of the other between, are one utterance
BACKCHANNEL_WORDS = 1


@dataclass
class Conversation:
    turns: list[Turn]  # by start
    streams: dict[str, Stream]
    duration: float
    talk: dict[str, float]  # seconds each speaker talked
    utterances: list[int] = field(default_factory=list)  # each turn's utterance: a phrase is heard within one

    @classmethod
    def from_lines(cls, lines: Iterable[Mapping[str, Any]], duration: float | None = None) -> Conversation:
        """From transcript lines (``transcription.engine.Line.as_dict`` rows); ``duration`` defaults to the last end."""
        rows = sorted(lines, key=itemgetter("start"))
        turns: list[Turn] = []
        said: dict[str, tuple[list[str], list[float], list[int]]] = {}  # speaker → words, starts, turns
        talk: defaultdict[str, float] = defaultdict(float)
        for index, row in enumerate(rows):
            turn = Turn(index, row["speaker"], float(row["start"]), float(row["end"]), row["text"])
            turns.append(turn)
            talk[turn.speaker] += turn.seconds
            words = (normalize(turn.text) if row.get("norm") is None else row["norm"]).split()
            speaker_words, starts, indexes = said.setdefault(turn.speaker, ([], [], []))
            speaker_words += words
            starts += _starts(turn, len(words), row.get("words") or ())
            indexes += [index] * len(words)
        end = max((turn.end for turn in turns), default=0.0)
        streams = {speaker: Stream.of(*lists) for speaker, lists in said.items()}
        return cls(turns, streams, max(duration or 0.0, end), dict(talk), _utterances(turns))

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


def _utterances(turns: list[Turn]) -> list[int]:
    """Each turn's utterance number: a line starts a new one unless the same speaker's previous line ended
    under ``UTTERANCE_GAP_SECONDS`` before it and the others said no more than a backchannel meanwhile
    ("Предлагаю встретиться" – "угу" – "в нашем офисе"). A word of the previous question never completes
    the next."""
    utterances: list[int] = []
    last: dict[str, int] = {}  # speaker → their latest turn
    number = -1
    for index, turn in enumerate(turns):
        previous = last.get(turn.speaker)
        between = turns[previous + 1:index] if previous is not None else []
        if previous is None or turn.start - turns[previous].end >= UTTERANCE_GAP_SECONDS or any(
                len(other.text.split()) > BACKCHANNEL_WORDS for other in between):
            number += 1
            utterances.append(number)
        else:
            utterances.append(utterances[previous])
        last[turn.speaker] = index
    return utterances


def _starts(turn: Turn, count: int, recognised: Sequence[Any]) -> list[float]:
    """When each of the turn's ``count`` normal-form words was said: the start of the recognised word it
    came from (proportionally), or, without word timings, spread over the turn."""
    if not recognised:
        step = turn.seconds / count if count else 0.0
        return [turn.start + step * index for index in range(count)]
    if len(recognised) == count:
        return [word[1] for word in recognised]
    return [float(recognised[index * len(recognised) // count][1]) for index in range(count)]
