"""WAV files for the recording tests."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np


def write_wav(path: Path, seconds: float, channels: int = 1, rate: int = 8000, width: int = 2) -> Path:
    """A tone of ``seconds`` with ``channels`` channels of ``width``-byte PCM samples."""
    frames = round(seconds * rate)
    tone = (np.sin(np.arange(frames) * 0.3) * 1000).astype(np.int16)
    samples = np.repeat(tone[:, None], channels, axis=1)
    data = (samples // 256 + 128).astype(np.uint8).tobytes() if width == 1 else samples.astype("<i2").tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(width)
        wav.setframerate(rate)
        wav.writeframes(data)
    return path
