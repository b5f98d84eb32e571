"""The sounds ``Playback(<file>)`` plays: found as Asterisk finds them (a path
without extension, in any format on disk: WAV, Ogg Opus, FLAC), decoded once to
8 kHz 16-bit samples, and how long each takes. A sound that does not exist on
this machine (the stock prompts) lasts a nominal prompt length and is silent."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import av
import numpy as np

RATE = 8000
PROMPT_SECONDS = 2.0  # stock prompts (agent-hello, test) that do not exist on this machine
FORMATS = (".wav", ".opus", ".ogg", ".flac")


def sound_file(sound: str) -> Path | None:
    """The file behind ``sound`` (a path without extension), as Asterisk picks it: the first format present."""
    if not sound:
        return None
    return next((path for ext in FORMATS if (path := Path(sound + ext)).is_file()), None)


@lru_cache(maxsize=64)
def samples(sound: str) -> np.ndarray:
    """``sound`` at 8 kHz, 16-bit, shaped (frames, channels); no frames if there is no such file."""
    path = sound_file(sound)
    if path is None:
        return np.zeros((0, 1), np.int16)
    try:
        with av.open(str(path)) as container:
            stream = container.streams.audio[0]
            channels = stream.channels
            resampler = av.AudioResampler(format="s16", layout=stream.layout.name, rate=RATE)
            chunks = [out.to_ndarray().reshape(-1) for frame in container.decode(stream)
                      for out in resampler.resample(frame)]
            chunks += [out.to_ndarray().reshape(-1) for out in resampler.resample(None)]
    except (av.FFmpegError, IndexError) as error:
        raise ValueError(f"{path}: not a sound the simulator can play ({error})") from error
    return np.concatenate(chunks or [np.zeros(0, np.int16)]).astype(np.int16).reshape(-1, channels)


@lru_cache(maxsize=256)
def playback_seconds(sound: str) -> float:
    """``sound`` is a path without extension, as Asterisk takes it."""
    if sound_file(sound) is None:
        return PROMPT_SECONDS
    return len(samples(sound)) / RATE
