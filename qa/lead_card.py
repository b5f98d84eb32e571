"""What a new lead's card can say from the conversation: the client's name,
how they heard of us, and what they want, each with the quote it came from.

Only the client's words are read. The name is the first first name
(pymorphy3's ``Name``) the client says in reply to the manager's name
question (``name_questions``, answered within ``ANSWER_SECONDS``) or when
introducing themselves ("меня зовут Иван"). The source and the interests
are the script's lists of words per value (``lead_card`` in the script),
matched like phrases; the earliest mention wins.
"""

from __future__ import annotations

from dataclasses import dataclass

from qa.conversation import CLIENT, MANAGER, Stream
from qa.language import analyse
from qa.phrases import Heard, Listening
from qa.script import LeadCardRules, Tolerance

ANSWER_SECONDS = 20.0  # the client's reply to the name question comes within this
INTRODUCTION = "звать"  # "меня зовут …": the name follows within a few words
INTRODUCTION_WORDS = 3
MENTION = Tolerance(threshold=1.0, fuzz=85)  # a source or interest word: all of it, nearly as written
QUESTION = Tolerance()  # the name question: as loosely as a script's phrase item

NAME = "name"
SOURCE = "source"


@dataclass(frozen=True)
class Fact:
    field: str  # name, source, or an interest field of the script (e.g. rooms)
    value: str
    quote: str  # the client's line(s) as recognised
    start: float


def extract(rules: LeadCardRules, listening: Listening) -> list[Fact]:
    """The facts the client's words give, one per field at most (none from a mixed recording)."""
    if listening.conversation.mixed:
        return []
    facts = [_name(rules, listening)]
    facts.append(_first_mention(SOURCE, rules.sources, listening))
    facts += [_first_mention(field, values, listening) for field, values in rules.interests.items()]
    return [fact for fact in facts if fact is not None]


def _name(rules: LeadCardRules, listening: Listening) -> Fact | None:
    conversation = listening.conversation
    stream = conversation.stream(CLIENT)
    question = listening.find(MANAGER, rules.name_questions, QUESTION) if rules.name_questions else None
    for index, word in enumerate(stream.words):
        start = stream.starts[index]
        if analyse(word).is_name and (_answers(question, start) or _introduces(stream, index)):
            turn = conversation.turns[stream.turns[index]]
            return Fact(NAME, stream.lemmas[index].capitalize(), turn.text, round(start, 2))
    return None


def _answers(question: Heard | None, start: float) -> bool:
    return question is not None and question.start <= start <= question.start + ANSWER_SECONDS


def _introduces(stream: Stream, index: int) -> bool:
    return INTRODUCTION in stream.lemmas[max(0, index - INTRODUCTION_WORDS):index]


def _first_mention(field: str, values: dict[str, list[str]], listening: Listening) -> Fact | None:
    mentions = [
        (heard, value) for value, words in values.items() if (heard := listening.find(CLIENT, words, MENTION))
    ]
    if not mentions:
        return None
    heard, value = min(mentions, key=lambda mention: mention[0].start)
    quote = listening.conversation.quote(heard.first_turn, heard.last_turn)
    return Fact(field, value, quote, round(heard.start, 2))
