"""``callcenter qa score --script FILE RECORDING_OR_TRANSCRIPT…``: try a script on files before putting it live.

A transcript is JSON: what ``callcenter transcribe --json`` prints (``{"file", "lines"}``, one object a
line), a bare list of lines, or a call card with its ``transcript``. Anything else is taken for a
recording and transcribed first (the model loads only if one is given). Each file's result goes to
stdout as one JSON object a line, as the scoring job stores it; a file that cannot be read or
transcribed is reported on stderr and the others are still scored.
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
    """The dialogue lines of a parsed transcript file (see the module docstring)."""
    if isinstance(data, dict) and isinstance(data.get("transcript"), dict):
        data = data["transcript"]
    if isinstance(data, dict):
        data = data.get("lines")
    if not isinstance(data, list) or not all(isinstance(line, dict) for line in data):
        raise TranscriptError("not a transcript: expected a list of lines, or an object with \"lines\"")
    for number, line in enumerate(data, 1):
        missing = [key for key in ("speaker", "start", "end", "text") if key not in line]
        if missing:
            raise TranscriptError(f"line {number} has no {', '.join(missing)}")
    return data


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
            lines = _json_lines(path)
            if lines is None:
                transcriber = transcriber or load_transcriber()
                lines = [line.as_dict() for line in transcriber.transcribe(tracks_of(path, client_channel))]
            out.print(json.dumps(score_result(scorer, lines, str(path)), ensure_ascii=False), markup=False)
        except (AudioError, TranscriptError) as error:
            failures += 1
            err.print(f"[red]{path}: {error}[/red]")
    return failures == 0


def _json_lines(path: Path) -> list[dict] | None:
    """The transcript in ``path`` if it is a JSON file (TranscriptError if it is not a transcript), else None."""
    raw = path.read_bytes()
    if path.suffix.lower() != ".json" and raw.lstrip()[:1] not in (b"{", b"["):
        return None
    try:
        text = raw.decode("utf-8")
        try:
            objects = [json.loads(text)]
        except json.JSONDecodeError:  # JSON lines, as `callcenter transcribe --json` prints them
            objects = [json.loads(row) for row in text.splitlines() if row.strip()]
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise TranscriptError(f"not valid JSON: {error}") from error
    if len(objects) != 1:
        raise TranscriptError(f"{len(objects)} JSON objects: give one transcript a file")
    return transcript_lines(objects[0])
