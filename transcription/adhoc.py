"""``callcenter transcribe FILE…``: ad-hoc files through the same engine as
the workers, with a progress bar on stderr and the dialogues on stdout."""

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


def transcribe_files(settings: Settings, files: list[Path], *, as_json: bool, client_channel: int) -> bool:
    """Print each file's dialogue; an unreadable file is reported on stderr and skipped. Whether all went well."""
    out, err = consoles()
    with err.status("loading the speech model…"):
        transcriber: Transcriber = load_transcriber(settings)
    failures = 0
    for path in each_file(files, err, "transcribing"):
        try:
            lines = transcriber.transcribe(tracks_of(path, client_channel))
        except AudioError as error:
            failures += 1
            err.print(f"[red]{error}[/red]")
        else:
            _print(out, path, lines, as_json)
    return failures == 0


def _print(out: Console, path: Path, lines: list[Line], as_json: bool) -> None:
    if as_json:
        out.print(json.dumps({"file": str(path), "lines": [line.as_dict() for line in lines]}, ensure_ascii=False),
                  markup=False)
    else:
        out.print(f"== {path}", markup=False)
        out.print(dialogue_text(lines) or "(no speech)", markup=False)
