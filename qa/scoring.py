"""Scoring a conversation against a script: each item met or not, with evidence.

The total is the weight of the items met over the weight of the items that
applied, from 0 to 100; a phrase item whose trigger never came (the client
did not object) does not apply. The call passes when the total reaches the
script's ``pass_score`` and no critical item failed.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from qa.conversation import MANAGER, UNKNOWN, Conversation
from qa.lead_card import Fact, extract
from qa.metrics import measure
from qa.phrases import Heard, Listening, PhraseMatcher
from qa.script import MetricItem, PhraseItem, Script, StopWordsItem


@dataclass(frozen=True)
class Evidence:
    speaker: str
    quote: str  # the line(s) as recognised
    start: float  # the second it was heard (or the metric refers to)
    example: str = ""  # the script's phrase it matched
    similarity: float | None = None  # share of the example's words heard


@dataclass(frozen=True)
class ItemResult:
    id: str
    title: str
    kind: str
    weight: float
    critical: bool
    met: bool | None  # None: not required in this call
    found: bool  # the phrase or stop words were heard; the metric could be measured
    reason: str  # why it is (not) met or does not apply, in English
    evidence: Evidence | None = None
    value: float | None = None  # a metric's value
    reason_code: str = ""  # the reason as a key of REASONS, for a user interface to say in its own language...
    reason_args: dict[str, str | float] = field(default_factory=dict)  # ...with these values
    closest: Evidence | None = None  # not met: the place that came nearest (below the threshold, or outside the window)
    trigger: Evidence | None = None  # an item with a trigger: where it was heard, or the place that came nearest


REASONS = {
    "heard": "heard",
    "not_heard": "not heard",
    "not_heard_first": "not heard in the first {seconds:g} s",
    "not_heard_last": "not heard in the last {seconds:g} s",
    "not_heard_after_trigger": "not heard after the trigger at {seconds:.1f} s",
    "heard_outside": "heard at {seconds:.1f} s, outside its window",
    "trigger_not_heard": "not required: its trigger was not heard",
    "said": "said: {phrase}",
    "none_said": "none said",
    "mixed": "not checked: a mixed recording does not tell the manager's words from the client's",
    "unmeasurable": "{metric} cannot be measured in this call",
    "below": "{metric} {value:g} is below {limit:g}",
    "above": "{metric} {value:g} is above {limit:g}",
    "in_range": "{metric} {value:g} is in range",
}


def _why(code: str, **args: str | float) -> dict:
    """An item's reason fields: the English text and what it is made of."""
    return {"reason": REASONS[code].format(**args), "reason_code": code, "reason_args": args}


@dataclass(frozen=True)
class ScoreResult:
    script: str
    total: float  # 0-100
    passed: bool
    critical_failed: list[str]
    items: list[ItemResult]

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def missed(self) -> str:
        """The ids of the items not met, as stored for searching: " greeting name "."""
        ids = [item.id for item in self.items if item.met is False]
        return f" {' '.join(ids)} " if ids else ""


class Scorer:
    """Scores conversations against one script (its phrases compiled once)."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.matcher = PhraseMatcher(_phrases(script))

    def score(self, conversation: Conversation) -> ScoreResult:
        return self._score(self.matcher.listen(conversation))

    def assess(self, conversation: Conversation) -> tuple[ScoreResult, list[Fact]]:
        """The score, and the lead card's facts from the client's words (one pass over the words)."""
        listening = self.matcher.listen(conversation)
        return self._score(listening), extract(self.script.lead_card, listening)

    def _score(self, listening: Listening) -> ScoreResult:
        items = [self._item(item, listening) for item in self.script.items]
        applied = [item for item in items if item.met is not None]
        weight = sum(item.weight for item in applied)
        total = 100 * sum(item.weight for item in applied if item.met) / weight if weight else 100.0
        critical_failed = [item.id for item in applied if item.critical and not item.met]
        return ScoreResult(
            script=self.script.name,
            total=round(total, 1),
            passed=total >= self.script.pass_score and not critical_failed,
            critical_failed=critical_failed,
            items=items,
        )

    def _item(self, item: PhraseItem | StopWordsItem | MetricItem, listening: Listening) -> ItemResult:
        if isinstance(item, PhraseItem):
            return self._phrase(item, listening)
        if isinstance(item, StopWordsItem):
            return self._stop_words(item, listening)
        return _metric(item, listening.conversation)

    def _phrase(self, item: PhraseItem, listening: Listening) -> ItemResult:
        """Met, not met or not required, and why: what was heard where, or what came nearest (a head of sales
        can take that for a new example), and for an item with a trigger, the trigger's own evidence."""
        conversation = listening.conversation
        speaker = UNKNOWN if conversation.mixed else item.speaker  # a mixed recording: whoever said it
        tolerance = self.script.tolerance(item)
        since, until = 0.0, math.inf
        if item.within_first is not None:
            until = item.within_first
        if item.within_last is not None:
            since = conversation.duration - item.within_last
        trigger = None
        if item.trigger is not None:
            trigger_speaker = UNKNOWN if conversation.mixed else item.trigger.speaker
            trigger_tolerance = self.script.tolerance(item.trigger)
            trigger = listening.find(trigger_speaker, item.trigger.examples, trigger_tolerance)
            if trigger is None:
                nearest = listening.closest(trigger_speaker, item.trigger.examples, trigger_tolerance)
                heard = listening.find(speaker, item.examples, tolerance, since, until)
                return _result(item, None, heard, conversation, _why("trigger_not_heard"),
                               trigger=_evidence(nearest, conversation))
            since = max(since, trigger.start)
        trigger_evidence = _evidence(trigger, conversation)
        heard = listening.find(speaker, item.examples, tolerance, since, until)
        if heard is not None:
            return _result(item, True, heard, conversation, _why("heard"), trigger=trigger_evidence)
        elsewhere = listening.find(speaker, item.examples, tolerance)
        if elsewhere is not None:  # said, but too early or too late (or before the trigger)
            return _result(item, False, None, conversation, _why("heard_outside", seconds=round(elsewhere.start, 1)),
                           closest=_evidence(elsewhere, conversation), trigger=trigger_evidence)
        nearest = listening.closest(speaker, item.examples, tolerance, since, until)
        return _result(item, False, None, conversation, _not_heard(item, since),
                       closest=_evidence(nearest, conversation), trigger=trigger_evidence)

    def _stop_words(self, item: StopWordsItem, listening: Listening) -> ItemResult:
        if listening.conversation.mixed:  # the client's words must never count against the manager
            return _result(item, None, None, listening.conversation, _why("mixed"))
        heard = listening.find(MANAGER, item.phrases, self.script.tolerance(item))
        if heard is None:
            return _result(item, True, None, listening.conversation, _why("none_said"))
        return _result(item, False, heard, listening.conversation, _why("said", phrase=heard.phrase.text))


def _metric(item: MetricItem, conversation: Conversation) -> ItemResult:
    measured = measure(conversation, item.metric)
    value = measured.value
    evidence = None if measured.at is None else Evidence(MANAGER, "", round(measured.at, 2))
    metric = str(item.metric)
    if value is None:
        met, why = False, _why("unmeasurable", metric=metric)
    elif item.min is not None and value < item.min:
        met, why = False, _why("below", metric=metric, value=value, limit=item.min)
    elif item.max is not None and value > item.max:
        met, why = False, _why("above", metric=metric, value=value, limit=item.max)
    else:
        met, why = True, _why("in_range", metric=metric, value=value)
    return ItemResult(item.id, item.title, item.kind, item.weight, item.critical, met, value is not None,
                      evidence=evidence, value=value, **why)


def _result(
    item: PhraseItem | StopWordsItem, met: bool | None, heard: Heard | None, conversation: Conversation, why: dict,
    *, closest: Evidence | None = None, trigger: Evidence | None = None,
) -> ItemResult:
    return ItemResult(item.id, item.title, item.kind, item.weight, item.critical, met, heard is not None,
                      evidence=_evidence(heard, conversation), closest=closest, trigger=trigger, **why)


def _evidence(heard: Heard | None, conversation: Conversation) -> Evidence | None:
    if heard is None:
        return None
    speaker = conversation.turns[heard.first_turn].speaker
    return Evidence(speaker, conversation.quote(heard.first_turn, heard.last_turn), round(heard.start, 2),
                    heard.phrase.text, round(heard.similarity, 2))


def _not_heard(item: PhraseItem, since: float) -> dict:
    """Not heard, and where it was looked for."""
    if item.within_first is not None:
        return _why("not_heard_first", seconds=item.within_first)
    if item.trigger is not None:
        return _why("not_heard_after_trigger", seconds=round(since, 1))
    if item.within_last is not None:
        return _why("not_heard_last", seconds=item.within_last)
    return _why("not_heard")


def _phrases(script: Script) -> list[str]:
    phrases: list[str] = []
    for item in script.items:
        if isinstance(item, PhraseItem):
            phrases += item.examples + (item.trigger.examples if item.trigger else [])
        elif isinstance(item, StopWordsItem):
            phrases += item.phrases
    lead_card = script.lead_card
    phrases += lead_card.name_questions + lead_card.source_questions
    phrases += [word for words in lead_card.sources.values() for word in words]
    phrases += [word for values in lead_card.interests.values() for words in values.values() for word in words]
    return phrases
