"""Conversation metrics from the dialogue's timing: who talked how much, the
longest silence, the manager talking over the client, the manager's pace.

Each metric gives its value and, where it has one, the second it refers to
(the start of the longest silence, the first interruption), so a score's
evidence can point there.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from itertools import accumulate

from qa.conversation import CLIENT, MANAGER, Conversation
from qa.script import MetricName

# The manager starting this long before the client's line ends is talking over them, not a quick reply.
OVERLAP_SECONDS = 0.3


@dataclass(frozen=True)
class Measure:
    value: float | None  # None: not measurable in this call (e.g. the client never spoke)
    at: float | None = None  # the second it refers to, if any


def measure(conversation: Conversation, metric: MetricName) -> Measure:
    return _METRICS[metric](conversation)


def talk_listen_ratio(conversation: Conversation) -> Measure:
    """The manager's talk time over the client's."""
    manager, client = conversation.talk.get(MANAGER, 0.0), conversation.talk.get(CLIENT, 0.0)
    return Measure(round(manager / client, 2) if client > 0 else None)


def longest_silence(conversation: Conversation) -> Measure:
    """The longest time nobody spoke between the first and the last words."""
    longest, at, spoken_until = 0.0, None, None
    for turn in conversation.turns:
        if spoken_until is not None and turn.start - spoken_until > longest:
            longest, at = turn.start - spoken_until, spoken_until
        spoken_until = turn.end if spoken_until is None else max(spoken_until, turn.end)
    return Measure(round(longest, 2), at)


def interruptions(conversation: Conversation) -> Measure:
    """How often the manager started talking while the client was still talking."""
    client = [turn for turn in conversation.turns if turn.speaker == CLIENT]  # by start, as all turns
    client_starts = [turn.start for turn in client]
    talking_until = list(accumulate((turn.end for turn in client), max))  # the client talks until, so far
    starts = []
    for turn in conversation.turns:
        before = bisect_left(client_starts, turn.start)  # client lines that began earlier
        if turn.speaker == MANAGER and before and turn.start < talking_until[before - 1] - OVERLAP_SECONDS:
            starts.append(turn.start)
    return Measure(float(len(starts)), starts[0] if starts else None)


def speech_rate(conversation: Conversation) -> Measure:
    """The manager's words a minute of their own talk time."""
    seconds = conversation.talk.get(MANAGER, 0.0)
    words = len(conversation.stream(MANAGER))
    return Measure(round(words * 60 / seconds, 1) if seconds > 0 else None)


_METRICS = {
    MetricName.TALK_LISTEN_RATIO: talk_listen_ratio,
    MetricName.LONGEST_SILENCE: longest_silence,
    MetricName.INTERRUPTIONS: interruptions,
    MetricName.SPEECH_RATE: speech_rate,
}
