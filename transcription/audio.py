"""Reading one speaker's track for the model: any audio file (WAV from the
PBX, or whatever ``callcenter transcribe`` is given), one channel of it,
resampled to 16 kHz mono float32 by FFmpeg's libraries (PyAV, which
faster-whisper brings)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
from faster_whisper import decode_audio

from transcription.speech import RATE


class AudioError(Exception):
    """The file is not audio we can read; the message says which file and why."""


def channel_count(path: Path) -> int:
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise AudioError(f"{path.name}: no audio stream")
            return container.streams.audio[0].channels
    except (av.FFmpegError, OSError, UnicodeDecodeError) as error:
        raise AudioError(f"{path.name}: not readable audio ({error})") from error


def load_channel(path: Path, channel: int = 0) -> np.ndarray:
    """Channel ``channel`` of ``path`` at 16 kHz; a mono file's only channel whatever ``channel`` says."""
    channels = channel_count(path)
    if channels > 2:
        raise AudioError(f"{path.name}: {channels} channels; expected mono or stereo")
    try:
        decoded = decode_audio(str(path), sampling_rate=RATE, split_stereo=channels == 2)
    except (av.FFmpegError, OSError, ValueError) as error:
        raise AudioError(f"{path.name}: decoding failed ({error})") from error
    audio = decoded[min(channel, 1)] if channels == 2 else decoded
    return np.ascontiguousarray(audio, dtype=np.float32)
