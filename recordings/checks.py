"""Checking a recording file: a readable PCM WAV with audio in it, its
facts (size, duration, channels, rate, SHA-256, streamed), and whether its
duration fits the call.

Which duration a recording should have: MixMonitor records from the moment
the dialplan starts it until the recorded channel hangs up. Both our
dialplans start it on arrival, before any ringing, so an inbound recording
spans the whole call; other dialplans start it on answer (Queue's or Dial's
monitor options), so it spans the talk only; a click-to-call starts it when
the manager picks up. Any of these is right, so a recording must last
between the talk time and the whole call (end minus start), give or take
the tolerance; outside that it is the wrong file, or cut short.
"""

from __future__ import annotations

import hashlib
import struct
import wave
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO

CHUNK_BYTES = 1 << 20
SAMPLE_WIDTHS = {1: "8-bit", 2: "16-bit"}  # what Asterisk's wav/wav16 formats and the corpus write


class Status(StrEnum):
    """``Recording.status``: ``pending`` until checked, then one of the others."""

    PENDING = "pending"
    OK = "ok"
    MISSING = "missing"  # no file (never written, not shared with us yet, or deleted by retention)
    CORRUPT = "corrupt"  # a file, but not usable audio
    EMPTY = "empty"  # a header and no audio: nothing was heard (MixMonitor writes none until audio flows)
    MISMATCH = "mismatch"  # usable audio, but its duration does not fit the call


class RecordingProblem(Exception):
    """Why a recording is not ``ok``: a status and a sentence for people."""

    def __init__(self, status: Status, error: str) -> None:
        super().__init__(error)
        self.status = status
        self.error = error


@dataclass(frozen=True)
class AudioFile:
    size_bytes: int
    duration_seconds: float
    channels: int
    sample_rate: int
    sample_width: int
    sha256: str


def sha256_of(path: Path) -> str:
    """The file's SHA-256, read a chunk at a time."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def inspect(path: Path) -> AudioFile:
    """The facts of the WAV file at ``path``; RecordingProblem when it is missing or unusable."""
    if not path.is_file():
        raise RecordingProblem(Status.MISSING, f"no file at {path}")
    size = path.stat().st_size
    if size == 0:
        raise RecordingProblem(Status.CORRUPT, f"{path.name}: empty file (0 bytes)")
    with path.open("rb") as handle:
        channels, rate, width, frames = _format(handle, path.name)
        offset, declared = _data_chunk(handle, path.name)
    _check_data(path.name, declared, size - offset)
    return AudioFile(size, frames / rate, channels, rate, width, sha256_of(path))


def _format(handle: BinaryIO, name: str) -> tuple[int, int, int, int]:
    try:
        with wave.open(handle) as wav:
            params = wav.getparams()
    except (wave.Error, EOFError) as error:
        reason = str(error) or "the header ends early"
        if reason.startswith("unknown format"):  # e.g. 49: GSM, what MixMonitor writes for a .WAV name
            reason = f"unsupported encoding (WAV format tag {reason.split()[-1]}), not PCM"
        raise RecordingProblem(Status.CORRUPT, f"{name}: not a readable WAV: {reason}") from error
    if params.sampwidth not in SAMPLE_WIDTHS:
        raise RecordingProblem(
            Status.CORRUPT, f"{name}: {8 * params.sampwidth}-bit samples; only 8- and 16-bit PCM are supported"
        )
    if params.framerate <= 0 or params.nchannels not in (1, 2):
        raise RecordingProblem(
            Status.CORRUPT, f"{name}: {params.nchannels} channel(s) at {params.framerate} Hz; expected mono or stereo"
        )
    return params.nchannels, params.framerate, params.sampwidth, params.nframes


def _data_chunk(handle: BinaryIO, name: str) -> tuple[int, int]:
    """Where the audio starts, and how many bytes of it the header declares."""
    handle.seek(12)  # past "RIFF", its size and "WAVE", which wave checked
    while len(header := handle.read(8)) == 8:
        kind, size = header[:4], struct.unpack("<I", header[4:])[0]
        if kind == b"data":
            return handle.tell(), size
        handle.seek(size + size % 2, 1)
    raise RecordingProblem(Status.CORRUPT, f"{name}: not a readable WAV: no data chunk")


def _check_data(name: str, declared: int, present: int) -> None:
    if declared > present:
        raise RecordingProblem(
            Status.CORRUPT, f"{name}: truncated: the header declares {declared} bytes of audio, the file holds {present}"
        )
    if declared == 0 and present:
        raise RecordingProblem(
            Status.CORRUPT, f"{name}: the header declares no audio but {present} bytes follow it: the PBX never finished the file"
        )
    if declared == 0:
        raise RecordingProblem(Status.EMPTY, f"{name}: no audio, a header only: nothing was heard")


def duration_mismatch(recorded: float, call_seconds: float, talk_seconds: float, tolerance: float) -> str | None:
    """Why ``recorded`` seconds do not fit a call of ``call_seconds`` with ``talk_seconds`` of talk; None if they do."""
    if talk_seconds - tolerance <= recorded <= call_seconds + tolerance:
        return None
    return (
        f"the recording lasts {recorded:.1f} s; the call {call_seconds:.1f} s with {talk_seconds:.1f} s of talk "
        f"(a recording spans between the talk and the whole call, ±{tolerance:g} s)"
    )
