"""Picking up one call's recording: find its layout, check every file, and
copy them into the store. Plain blocking file work, run in a thread.

The files are copied rather than registered where the PBX left them: the
PBX's spool is a working folder that it (or its cleanup job) may rotate, a
remote store needs a copy anyway, and a copy verified against the checksum
taken while checking proves what was stored is what was checked. The PBX's
originals are left alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from recordings.checks import AudioFile, RecordingProblem, Status, duration_mismatch, inspect
from recordings.layouts import Layout, Role, detect
from recordings.store import RecordingStore, recording_key


@dataclass(frozen=True)
class CallTimes:
    """What the recording is checked against."""

    linkedid: str
    started_at: datetime
    call_seconds: float | None  # start to end; None while unknown
    talk_seconds: float
    outbound: bool


@dataclass(frozen=True)
class StoredTrack:
    """A track of a stored recording: whose voice, which file (store key) and channel."""

    role: Role
    key: str
    channel: int

    def as_row(self) -> dict[str, object]:
        """JSON-able, as the card's ``tracks``, ``recording.ready`` and the transcription job keep it."""
        return {"role": str(self.role), "key": self.key, "channel": self.channel}

    @classmethod
    def from_row(cls, row: Mapping[str, object]) -> StoredTrack:
        return cls(Role(str(row["role"])), str(row["key"]), int(row.get("channel", 0)))


@dataclass(frozen=True)
class Pickup:
    status: Status
    error: str = ""
    audio: AudioFile | None = None  # the mixed (or only) file
    key: str | None = None  # the mixed file's key, once stored
    layout: Layout | None = None
    tracks: list[StoredTrack] = field(default_factory=list)


def pick_up(
    source: Path, call: CallTimes, store: RecordingStore, *, tolerance: float, client_channel: int = 0
) -> Pickup:
    """Check the recording whose mixed (or only) file is ``source`` and store it when it is usable audio.
    A file with no audio is ``empty`` when the call had no talk (the normal recording of a missed call),
    ``corrupt`` when it had."""
    try:
        audio = inspect(source)
        layout, tracks = detect(source, audio.channels, call.outbound, client_channel)
        files = {source: audio} | {
            track.path: _split_track(track.path, audio, tolerance) for track in tracks if track.path != source
        }
    except RecordingProblem as problem:
        if problem.status is Status.EMPTY and call.talk_seconds > tolerance:
            return Pickup(Status.CORRUPT, f"{problem.error}, though the call had {call.talk_seconds:.0f} s of talk")
        return Pickup(problem.status, problem.error)
    mismatch = None if call.call_seconds is None else duration_mismatch(
        audio.duration_seconds, call.call_seconds, call.talk_seconds, tolerance
    )
    keys = {path: recording_key(call.started_at, call.linkedid, path.name) for path in files}
    for path, facts in files.items():
        store.put(keys[path], path, facts.sha256)
    return Pickup(
        Status.MISMATCH if mismatch else Status.OK,
        mismatch or "",
        audio,
        keys[source],
        layout,
        [StoredTrack(track.role, keys[track.path], track.channel) for track in tracks],
    )


def _split_track(path: Path, mixed: AudioFile, tolerance: float) -> AudioFile:
    """A per-direction file's own checks: mono audio as long as the mixed file (MixMonitor writes them together)."""
    audio = inspect(path)
    if audio.channels != 1 or abs(audio.duration_seconds - mixed.duration_seconds) > tolerance:
        raise RecordingProblem(
            Status.MISMATCH,
            f"{path.name}: {audio.channels} channel(s), {audio.duration_seconds:.1f} s beside a mixed file "
            f"of {mixed.duration_seconds:.1f} s; the per-direction files must be mono and as long",
        )
    return audio
