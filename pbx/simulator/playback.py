"""How long ``Playback(<file>)`` takes: the WAV's length, or a nominal prompt length."""

from __future__ import annotations

import wave
from functools import lru_cache
from pathlib import Path

PROMPT_SECONDS = 2.0  # stock prompts (agent-hello, test) that do not exist on this machine


@lru_cache(maxsize=256)
def playback_seconds(sound: str) -> float:
    """``sound`` is a path without extension, as Asterisk takes it."""
    path = Path(sound + ".wav")
    if not path.is_file():
        return PROMPT_SECONDS
    with wave.open(str(path)) as wav:
        return wav.getnframes() / wav.getframerate()
