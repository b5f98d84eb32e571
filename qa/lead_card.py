"""What a new lead's card can say from the conversation: the client's name,
how they heard of us, and what they want, each with the quote it came from.

Only the client's words are read. The name is the first first name
(pymorphy3's ``Name``) the client says in reply to the manager's name
question (``name_questions``, answered within ``ANSWER_SECONDS``) or when
introducing themselves ("меня зовут Иван", "это Иван"), and never the
manager's own (the one they introduced themselves with: a client's "Сергей,
здравствуйте" greets the manager). The source and the interests are the
script's lists of words per value (``lead_card`` in the script), matched like
phrases; the earliest mention wins. A client who answers the source question
(``source_questions``) with none of the listed sources gets "другое: <their
reply>", so a new channel shows up on the card instead of nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from qa.conversation import CLIENT, MANAGER, Stream
from qa.language import analyse
from qa.phrases import Heard, Listening
from qa.script import LeadCardRules, Tolerance

ANSWER_SECONDS = 20.0  # the client's reply to the name question comes within this
INTRODUCTIONS = {"звать": 3, "это": 1}  # "меня зовут … Иван", "это Иван": within so many words before the name
MENTION = Tolerance(threshold=1.0, fuzz=85)  # a source or interest word: all of it, nearly as written
QUESTION = Tolerance()  # the name question: as loosely as a script's phrase item

NAME = "name"
SOURCE = "source"
OTHER_SOURCE = "другое: {reply}"


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
    facts.append(_first_mention(SOURCE, rules.sources, listening) or _other_source(rules, listening))
    facts += [_first_mention(field, values, listening) for field, values in rules.interests.items()]
    return [fact for fact in facts if fact is not None]


def _name(rules: LeadCardRules, listening: Listening) -> Fact | None:
    conversation = listening.conversation
    stream = conversation.stream(CLIENT)
    question = listening.find(MANAGER, rules.name_questions, QUESTION) if rules.name_questions else None
    managers = _introduced(conversation.stream(MANAGER))
    for index, word in enumerate(stream.words):
        start = stream.starts[index]
        if analyse(word).is_name and stream.lemmas[index] not in managers and (
                _answers(question, start) or _introduces(stream, index)):
            turn = conversation.turns[stream.turns[index]]
            return Fact(NAME, stream.lemmas[index].capitalize(), turn.text, round(start, 2))
    return None


def _answers(question: Heard | None, start: float) -> bool:
    return question is not None and question.start <= start <= question.start + ANSWER_SECONDS


def _introduces(stream: Stream, index: int) -> bool:
    """The name at ``index`` follows "меня зовут" or "это" in the same line."""
    return any(word in stream.lemmas[max(0, index - within):index]
               and stream.turns[stream.lemmas.index(word, max(0, index - within), index)] == stream.turns[index]
               for word, within in INTRODUCTIONS.items())


def _introduced(stream: Stream) -> set[str]:
    """The first names a speaker introduced themselves with (the manager's own: never the client's): looked
    for only after the words that introduce one."""
    names = set()
    for word, within in INTRODUCTIONS.items():
        for place in stream.positions.get(word, ()):
            for index in range(place + 1, min(place + within + 1, len(stream.words))):
                if stream.turns[index] == stream.turns[place] and analyse(stream.words[index]).is_name:
                    names.add(stream.lemmas[index])
    return names


def _other_source(rules: LeadCardRules, listening: Listening) -> Fact | None:
    """The client's reply to the source question when it named no listed source."""
    if not rules.source_questions:
        return None
    question = listening.find(MANAGER, rules.source_questions, QUESTION)
    if question is None:
        return None
    asked = listening.conversation.turns[question.last_turn]
    reply = next((turn for turn in listening.conversation.turns[question.last_turn + 1:]
                  if turn.speaker == CLIENT and turn.start >= asked.start and turn.start <= question.start + ANSWER_SECONDS
                  and turn.text.strip()), None)
    if reply is None:
        return None
    return Fact(SOURCE, OTHER_SOURCE.format(reply=reply.text.strip())[:200], reply.text, round(reply.start, 2))


def _first_mention(field: str, values: dict[str, list[str]], listening: Listening) -> Fact | None:
    mentions = [
        (heard, value) for value, words in values.items() if (heard := listening.find(CLIENT, words, MENTION))
    ]
    if not mentions:
        return None
    heard, value = min(mentions, key=lambda mention: mention[0].start)
    quote = listening.conversation.quote(heard.first_turn, heard.last_turn)
    return Fact(field, value, quote, round(heard.start, 2))
