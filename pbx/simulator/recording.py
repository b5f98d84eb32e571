"""MixMonitor output: mixed, and with r()/t() the read (-in) and written (-out) legs."""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pbx.simulator.playback import RATE, samples


@dataclass
class Monitor:
    """What ``MixMonitor(file[,r(in)t(out)])`` was started with, and when."""

    mixed: Path
    started_at: float
    read: Path | None = None
    written: Path | None = None

    def stop(self, answered_at: float | None, ended_at: float, caller_audio: str, agent_audio: str) -> None:
        """Write the files: silence until the answer, then the conversation, until the hangup. A call nobody
        answered leaves a header only, as a real MixMonitor does (it writes nothing until audio flows)."""
        if answered_at is None:
            frames = offset = 0
        else:
            frames = max(round((ended_at - self.started_at) * RATE), 0)
            offset = round((answered_at - self.started_at) * RATE)
        heard = _place(_channel(caller_audio, 0), offset, frames)
        sent = _place(_channel(agent_audio, 1), offset, frames)
        mixed = np.clip(heard.astype(np.int32) + sent, -32768, 32767).astype(np.int16)
        _write(self.mixed, mixed)
        if self.read is not None:
            _write(self.read, heard)
        if self.written is not None:
            _write(self.written, sent)


def _channel(sound: str, index: int) -> np.ndarray:
    """One channel of ``sound`` (a corpus call is stereo: 0 client, 1 manager); none if absent."""
    audio = samples(sound)
    return audio[:, min(index, audio.shape[1] - 1)]


def _place(audio: np.ndarray, offset: int, frames: int) -> np.ndarray:
    track = np.zeros(frames, np.int16)
    if offset < frames:
        chunk = audio[: frames - offset]
        track[offset: offset + len(chunk)] = chunk
    return track


def _write(path: Path, samples: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(samples.astype("<i2").tobytes())
