"""``callcenter qa score --script FILE RECORDING_OR_TRANSCRIPT…``: try a script on files before putting it live.

A transcript is JSON (docs/transcription.md, "Transcript files"): what ``callcenter transcribe --out``
writes (``{"file", "lines"}``), what ``--json`` prints (those objects, one a line: every one is scored),
a bare list of lines, or a call card with its ``transcript``. Anything else is taken for a recording
and transcribed first (the model loads only if one is given). Each transcript's result goes to stdout
as one JSON object a line, as the scoring job stores it; a file that cannot be read, transcribed or
understood is reported on stderr with what is wrong, and the others are still scored.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from callcenter.progress import consoles, each_file
from qa.conversation import Conversation
from qa.scoring import Scorer
from qa.script import Script
from transcription.adhoc import tracks_of
from transcription.audio import AudioError
from transcription.engine import Transcriber


class TranscriptError(ValueError):
    """A JSON file that is not a transcript."""


def transcript_lines(data: Any) -> list[dict]:
    """The dialogue lines of a parsed transcript (see the module docstring), checked line by line."""
    if isinstance(data, dict) and isinstance(data.get("transcript"), dict):
        data = data["transcript"]
    if isinstance(data, dict):
        data = data.get("lines")
    if not isinstance(data, list) or not all(isinstance(line, dict) for line in data):
        raise TranscriptError("not a transcript: expected a list of lines, or an object with \"lines\"")
    for number, line in enumerate(data, 1):
        if problem := _line_problem(line):
            raise TranscriptError(f"line {number}: {problem}")
    return data


def _line_problem(line: dict) -> str | None:
    missing = [key for key in ("speaker", "start", "end", "text") if key not in line]
    if missing:
        return f"no {', '.join(missing)}"
    if not isinstance(line["speaker"], str) or not line["speaker"]:
        return "speaker must be a name (client, manager or unknown)"
    if not all(isinstance(line[key], int | float) and not isinstance(line[key], bool) for key in ("start", "end")):
        return "start and end must be seconds (numbers)"
    if line["end"] < line["start"] or line["start"] < 0:
        return f"end {line['end']} before start {line['start']}" if line["end"] < line["start"] else "start below 0"
    if not isinstance(line["text"], str):
        return "text must be a string"
    return None


def score_result(scorer: Scorer, lines: list[dict], source: str) -> dict:
    score, facts = scorer.assess(Conversation.from_lines(lines))
    return {"file": source, "score": score.as_dict(), "lead_card": [vars(fact) for fact in facts]}


def score_files(
    script: Script, files: list[Path], load_transcriber: Callable[[], Transcriber], client_channel: int
) -> bool:
    """Print each file's score; whether every file could be scored."""
    out, err = consoles()
    scorer = Scorer(script)
    transcriber: Transcriber | None = None
    failures = 0
    for path in each_file(files, err, "scoring"):
        try:
            transcripts = _transcripts(path)
            if transcripts is None:
                transcriber = transcriber or load_transcriber()
                transcripts = [(str(path), [line.as_dict() for line in transcriber.transcribe(tracks_of(path, client_channel))])]
            for source, lines in transcripts:
                out.print(json.dumps(score_result(scorer, lines, source), ensure_ascii=False), markup=False)
        except (AudioError, TranscriptError) as error:
            failures += 1
            err.print(f"[red]{path}: {error}[/red]")
    return failures == 0


def _transcripts(path: Path) -> list[tuple[str, list[dict]]] | None:
    """The transcripts in ``path`` (each with what it names as its recording, else the file) if it is a
    JSON file (TranscriptError if it holds no transcript), else None: a recording."""
    raw = path.read_bytes()
    if path.suffix.lower() not in (".json", ".jsonl") and raw.lstrip()[:1] not in (b"{", b"["):
        return None
    try:
        text = raw.decode("utf-8")
        try:
            objects = [json.loads(text)]
        except json.JSONDecodeError:  # JSON lines, as `callcenter transcribe --json` prints them
            objects = [json.loads(row) for row in text.splitlines() if row.strip()]
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise TranscriptError(f"not valid JSON: {error}") from error
    if not objects:
        raise TranscriptError("empty: no transcript in it")
    found = []
    for number, data in enumerate(objects, 1):
        try:
            lines = transcript_lines(data)
        except TranscriptError as error:
            raise TranscriptError(f"transcript {number}: {error}" if len(objects) > 1 else str(error)) from None
        named = data.get("file") if isinstance(data, dict) else None
        found.append((named if isinstance(named, str) and named else str(path), lines))
    return found
