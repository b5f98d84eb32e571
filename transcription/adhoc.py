"""``callcenter transcribe FILE…``: ad-hoc files through the same engine as
the workers, with a progress bar on stderr and the dialogues on stdout, or
with ``--out DIR`` one transcript JSON per file there (docs/transcription.md,
"Transcript files"; ``callcenter qa score`` reads them)."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console

from callcenter.config import Settings
from callcenter.progress import consoles, each_file
from recordings.layouts import detect
from transcription.audio import AudioError, channel_count, load_channel
from transcription.engine import Line, SpeakerAudio, Transcriber
from transcription.worker import load_transcriber


def tracks_of(path: Path, client_channel: int) -> list[SpeakerAudio]:
    """The speakers of ``path`` as a recording's layout says: a stereo file's two, a mono file's one (unknown),
    or the caller and callee of MixMonitor's ``-in``/``-out`` files beside it."""
    _, tracks = detect(path, channel_count(path), client_channel=client_channel)
    return [SpeakerAudio(track.role, load_channel(track.path, track.channel)) for track in tracks]


def dialogue_text(lines: list[Line]) -> str:
    return "\n".join(f"[{_clock(line.start)}–{_clock(line.end)}] {line.speaker}: {line.text}" for line in lines)


def _clock(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes):02d}:{rest:04.1f}"


def transcript_json(path: Path, lines: list[Line]) -> str:
    """A transcript file's content: the recording it came from and its lines (``Line.as_dict``)."""
    return json.dumps({"file": str(path), "lines": [line.as_dict() for line in lines]}, ensure_ascii=False)


def transcribe_files(
    settings: Settings, files: list[Path], *, as_json: bool, client_channel: int, out_dir: Path | None = None
) -> bool:
    """Print each file's dialogue, or write it to ``out_dir`` as ``<name>.json`` (printing the path); an
    unreadable file is reported on stderr and skipped. Whether all went well."""
    out, err = consoles()
    with err.status("loading the speech model…"):
        transcriber: Transcriber = load_transcriber(settings)
    failures = 0
    written: set[Path] = set()
    for path in each_file(files, err, "transcribing"):
        try:
            lines = transcriber.transcribe(tracks_of(path, client_channel))
        except AudioError as error:
            failures += 1
            err.print(f"[red]{error}[/red]")
        else:
            if out_dir is None:
                _print(out, path, lines, as_json)
            else:
                target = _unused(out_dir / f"{path.stem}.json", written)
                target.write_text(transcript_json(path, lines) + "\n", encoding="utf-8")
                out.print(str(target), markup=False)
    return failures == 0


def _unused(target: Path, written: set[Path]) -> Path:
    """``target``, or ``<stem>-2.json``… if this run wrote it already (two inputs of the same name)."""
    candidate, number = target, 1
    while candidate in written:
        number += 1
        candidate = target.with_name(f"{target.stem}-{number}{target.suffix}")
    written.add(candidate)
    return candidate


def _print(out: Console, path: Path, lines: list[Line], as_json: bool) -> None:
    if as_json:
        out.print(transcript_json(path, lines), markup=False)
    else:
        out.print(f"== {path}", markup=False)
        out.print(dialogue_text(lines) or "(no speech)", markup=False)
