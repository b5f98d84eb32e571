"""Calibrating a script on the department's recent calls, before it goes live.

The head of sales tries a script (as written in the editor, not yet saved) on
the last N calls it would apply to: for each item, how many calls it applied
to and how many met it, and the borderline misses, the places that came
nearest without being heard (``qa.phrases.NEAREST`` of an example's words or more).
A borderline candidate is usually a way the managers really say it that no
example covers yet: ``with_example`` adds it to the item's examples in the
YAML, keeping the rest of the text as written, and the next version re-scores
those calls.

Pure: the calls come in as transcripts, the result goes out as data.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import yaml

from qa.conversation import Conversation
from qa.scoring import Scorer
from qa.script import PhraseItem, Script, ScriptError, parse_script

CANDIDATES = 5  # per item, the nearest first


@dataclass(frozen=True)
class CalibrationCall:
    call_id: int
    lines: Sequence[dict]
    audio_seconds: float | None = None


@dataclass(frozen=True)
class Candidate:
    call_id: int
    quote: str
    start: float
    similarity: float  # share of the example's words heard there
    example: str  # the example it came nearest to


@dataclass
class ItemCalibration:
    id: str
    title: str
    kind: str
    applied: int = 0  # calls it applied to
    met: int = 0
    borderline: list[Candidate] = field(default_factory=list)


def calibrate(script: Script, calls: Sequence[CalibrationCall]) -> list[ItemCalibration]:
    """Each item's outcome over ``calls``, with its borderline misses (phrase items)."""
    scorer = Scorer(script)
    results = {item.id: ItemCalibration(item.id, item.title, item.kind) for item in script.items}
    for call in calls:
        for item in scorer.score(Conversation.from_lines(call.lines, call.audio_seconds)).items:
            outcome = results[item.id]
            if item.met is None:
                continue
            outcome.applied += 1
            outcome.met += bool(item.met)
            near = item.closest
            if not item.met and near is not None and near.similarity is not None:
                outcome.borderline.append(Candidate(call.call_id, near.quote, near.start, near.similarity, near.example))
    for outcome in results.values():
        outcome.borderline = sorted(outcome.borderline, key=lambda found: -found.similarity)[:CANDIDATES]
    return list(results.values())


def with_example(source: str, item_id: str, example: str) -> str:
    """``source`` (a script's YAML) with ``example`` added to the examples of phrase item ``item_id``, the
    rest of the text (comments, order, layout) as it was. ScriptError when the item is not a phrase item of
    the script, or its examples are laid out in a way this cannot extend (add it by hand then)."""
    example = " ".join(example.split())
    if not example:
        raise ScriptError(["the example is empty"])
    script = parse_script(source)
    item = next((item for item in script.items if item.id == item_id), None)
    if not isinstance(item, PhraseItem):
        raise ScriptError([f"{item_id}: no such phrase item in the script"])
    if example in item.examples:
        return source
    lines = source.splitlines(keepends=True)
    start = _item_line(lines, item_id)
    changed = _append_example(lines, start, example)
    result = "".join(changed)
    added = next(found for found in parse_script(result).items if found.id == item_id)
    if not isinstance(added, PhraseItem) or added.examples != [*item.examples, example]:
        raise ScriptError([f"{item_id}: its examples are laid out in a way that cannot be extended here; "
                           "add the example by hand"])
    return result


def _item_line(lines: list[str], item_id: str) -> int:
    pattern = re.compile(rf"^\s*-?\s*(\{{\s*)?id:\s*['\"]?{re.escape(item_id)}['\"]?\s*[,}}\n#]")
    for number, line in enumerate(lines):
        if pattern.match(line):
            return number
    raise ScriptError([f"{item_id}: cannot find where the item starts; add the example by hand"])


def _append_example(lines: list[str], start: int, example: str) -> list[str]:
    """Add ``example`` to the item's ``examples:`` (the item's block starts at line ``start``)."""
    indent = len(lines[start]) - len(lines[start].lstrip(" -"))
    for number in range(start, len(lines)):
        line = lines[number]
        if number > start and line.strip() and not line.lstrip().startswith("#") and \
                len(line) - len(line.lstrip(" ")) < indent and line.lstrip().startswith("- "):
            break  # the next item
        if number > start and len(line) - len(line.lstrip(" ")) != indent:
            continue  # not one of the item's own keys (a trigger's examples, a comment)
        flow = re.match(r"^(\s*(?:-\s*)?(?:\{.*)?examples:\s*\[)(.*?)(\].*)$", line.rstrip("\n"), re.S)
        if flow:
            inside = flow.group(2).strip()
            quoted = json.dumps(example, ensure_ascii=False)  # a double-quoted YAML scalar: commas stay inside
            lines[number] = f"{flow.group(1)}{inside + ', ' if inside else ''}{quoted}{flow.group(3)}\n"
            return lines
        block = re.match(r"^(\s*)examples:\s*(#.*)?$", line.rstrip("\n"))
        if block:
            last = number
            for following in range(number + 1, len(lines)):
                text = lines[following]
                if text.strip().startswith("- ") and len(text) - len(text.lstrip()) > len(block.group(1)) - 1:
                    last = following
                    item_indent = text[: len(text) - len(text.lstrip())]
                elif text.strip() and not text.strip().startswith("#"):
                    break
            if last == number:
                break
            plain = yaml.safe_dump(example, allow_unicode=True, width=10_000).removesuffix("...\n").strip()
            lines.insert(last + 1, f"{item_indent}- {plain}\n")
            return lines
    raise ScriptError(["cannot find the item's examples; add the example by hand"])
