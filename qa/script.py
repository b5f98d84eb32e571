"""A sales script as data: the YAML a head of sales writes, validated.

A script names the calls it applies to and its items. Each item has a
weight and may be critical (failing it fails the whole call):

* ``phrase``: the manager said something like one of the ``examples``,
  optionally within the first or last seconds of the call, or only required
  after a ``trigger`` (e.g. the client objected);
* ``stop_words``: the manager must not say any of the ``phrases`` (the
  client's words never count);
* ``metric``: a conversation metric (``qa.metrics``) within ``min``/``max``.

Matching is tolerant (``qa.phrases``): ``threshold`` is the share of an
example's words that must be heard together, ``fuzz`` how alike (0-100) a
heard word must be to count as the example's word. An optional
``lead_card`` section says what to take from the client's words for a new
lead's card (``qa.lead_card``). ``qa/scripts/`` has a complete example.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

DEFAULT_THRESHOLD = 0.6  # measured best on two businesses' calls, precision 1.00 (docs/qa.md)
DEFAULT_FUZZ = 80
# a stop phrase counts only when all of it was said, nearly as written: "это не проблема" is not "не мои проблемы"
STOP_THRESHOLD = 1.0
STOP_FUZZ = 90


class ScriptError(ValueError):
    """A script that cannot be used, with every problem found (YAML syntax or content)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"
    ANY = "any"


class AppliesTo(Strict):
    direction: Direction = Direction.ANY
    dids: list[str] = Field(default_factory=list, description="Dialled numbers (digits); empty: any.")
    groups: list[str] = Field(default_factory=list, description="The answering manager's groups; empty: any.")


class Tolerance(Strict):
    threshold: float = Field(DEFAULT_THRESHOLD, gt=0, le=1, description="Share of an example's words heard.")
    fuzz: int = Field(DEFAULT_FUZZ, ge=70, le=100, description="How alike a heard word must be (100: the same).")


class Trigger(Strict):
    """What makes a phrase item required: e.g. the client's objection."""

    speaker: Literal["client", "manager"] = "client"
    examples: list[str] = Field(min_length=1)
    threshold: float | None = Field(None, gt=0, le=1)
    fuzz: int | None = Field(None, ge=70, le=100)


class ItemBase(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str = ""
    weight: float = Field(10, ge=0)
    critical: bool = False


class PhraseItem(ItemBase):
    kind: Literal["phrase"]
    examples: list[str] = Field(min_length=1)
    speaker: Literal["client", "manager"] = "manager"
    within_first: float | None = Field(None, gt=0, description="Seconds from the call's start.")
    within_last: float | None = Field(None, gt=0, description="Seconds before the call's end.")
    trigger: Trigger | None = None
    threshold: float | None = Field(None, gt=0, le=1)
    fuzz: int | None = Field(None, ge=70, le=100)

    @model_validator(mode="after")
    def _one_window(self) -> PhraseItem:
        if self.within_first is not None and self.within_last is not None:
            raise ValueError("give within_first or within_last, not both")
        return self


class StopWordsItem(ItemBase):
    kind: Literal["stop_words"]
    phrases: list[str] = Field(min_length=1)
    threshold: float | None = Field(None, gt=0, le=1)
    fuzz: int | None = Field(None, ge=70, le=100)


class MetricName(StrEnum):
    TALK_LISTEN_RATIO = "talk_listen_ratio"  # manager's talk seconds / client's
    LONGEST_SILENCE = "longest_silence"  # seconds nobody spoke, between first and last words
    INTERRUPTIONS = "interruptions"  # times the manager started while the client spoke
    SPEECH_RATE = "speech_rate"  # manager's words a minute of their talk


class MetricItem(ItemBase):
    kind: Literal["metric"]
    metric: MetricName
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _a_range(self) -> MetricItem:
        if self.min is None and self.max is None:
            raise ValueError("a metric item needs min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min is above max")
        return self


Item = Annotated[PhraseItem | StopWordsItem | MetricItem, Field(discriminator="kind")]


class LeadCardRules(Strict):
    """What the client's words fill in on a new lead's card."""

    name_questions: list[str] = Field(default_factory=list, description="How the manager asks the name.")
    sources: dict[str, list[str]] = Field(default_factory=dict, description="Source → the words that name it.")
    source_questions: list[str] = Field(
        default_factory=list, description="How the manager asks where the client heard of us: a reply naming none "
                                          "of the sources is kept as 'другое: <the reply>'.")
    interests: dict[str, dict[str, list[str]]] = Field(
        default_factory=dict, description="Field → value → the words that name it (e.g. rooms → двухкомнатная)."
    )


class Script(Strict):
    name: str = Field(min_length=1, max_length=80, pattern=r"^[\w.-]+$")
    title: str = ""
    applies_to: AppliesTo = Field(default_factory=AppliesTo)
    pass_score: float = Field(70, ge=0, le=100)
    defaults: Tolerance = Field(default_factory=Tolerance)
    items: list[Item] = Field(min_length=1)
    lead_card: LeadCardRules = Field(default_factory=LeadCardRules)

    @model_validator(mode="after")
    def _unique_ids(self) -> Script:
        ids = [item.id for item in self.items]
        if twice := sorted({item for item in ids if ids.count(item) > 1}):
            raise ValueError(f"item ids must be unique: {', '.join(twice)}")
        return self

    def tolerance(self, item: PhraseItem | StopWordsItem | Trigger) -> Tolerance:
        """The item's threshold and fuzz; where it gives none, the script's defaults (stricter for stop words)."""
        if isinstance(item, StopWordsItem):
            return Tolerance(threshold=item.threshold or STOP_THRESHOLD, fuzz=item.fuzz or STOP_FUZZ)
        return Tolerance(threshold=item.threshold or self.defaults.threshold, fuzz=item.fuzz or self.defaults.fuzz)


def parse_script(text: str) -> Script:
    """The script in ``text`` (YAML); ``ScriptError`` lists what is wrong, with where."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise ScriptError([f"not valid YAML{where}: {getattr(error, 'problem', None) or error}"]) from error
    if not isinstance(data, dict):
        raise ScriptError(["a script is a YAML mapping with name and items"])
    try:
        return Script.model_validate(data)
    except ValidationError as error:
        raise ScriptError([_problem(problem) for problem in error.errors()]) from error


def load_script(path: str | Path) -> Script:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ScriptError([f"{path}: cannot read: {error}"]) from error
    return parse_script(text)


def _problem(problem: dict) -> str:
    where = ".".join(str(part) for part in problem["loc"])
    message = problem["msg"].removeprefix("Value error, ")
    return f"{where}: {message}" if where else message
