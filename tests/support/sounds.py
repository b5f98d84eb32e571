"""Sounds for the speech tests, made up at 16 kHz: something like a voice, the
ringback tone, and music on hold."""

from __future__ import annotations

import numpy as np

from transcription.speech import RATE


def voice(seconds: float, rng: np.random.Generator) -> np.ndarray:
    """Something like a voice: words of 0.3-0.8 s with short pauses between them (under the 0.5 s that
    ends a region), a pitch that wanders (90-250 Hz) with ten harmonics shaped by a formant that moves
    from syllable to syllable (every 120-250 ms), the level rising and falling with the syllables."""
    t = np.arange(int(seconds * RATE)) / RATE
    pitch = 150 + 50 * np.sin(2 * np.pi * 0.6 * t + rng.uniform(0, 6)) + 25 * np.sin(2 * np.pi * 3.3 * t)
    phase = 2 * np.pi * np.cumsum(pitch) / RATE
    syllables = np.cumsum(rng.uniform(0.12, 0.25, int(seconds * 9) + 2))
    formant = np.interp(t, syllables, rng.uniform(300, 1200, len(syllables)))
    envelope = 0.4 + 0.6 * np.abs(np.sin(np.pi * np.interp(t, syllables, np.arange(len(syllables)))))
    edges = np.cumsum(np.ravel([(rng.uniform(0.3, 0.8), rng.uniform(0.05, 0.25)) for _ in range(int(seconds * 3) + 2)]))
    words = np.searchsorted(edges, t, side="right") % 2 == 0  # inside a word, not in the pause after it
    audio = sum(np.exp(-((k * pitch - formant) / 600) ** 2) * np.sin(k * phase) for k in range(1, 11))
    return (0.2 * envelope * words * audio).astype(np.float32)


def tone(seconds: float, rng: np.random.Generator | None = None, hertz: float = 425.0) -> np.ndarray:
    """The ringback tone (425 Hz in Russia); ``rng`` is not needed, a tone is the same every time."""
    return (0.2 * np.sin(2 * np.pi * hertz * np.arange(int(seconds * RATE)) / RATE)).astype(np.float32)


def music(seconds: float, rng: np.random.Generator) -> np.ndarray:
    """Music on hold: three-note chords of rich, decaying notes every half second, over a little hiss."""
    notes = []
    for _ in range(int(seconds / 0.5) + 1):
        t = np.arange(RATE // 2) / RATE
        chord = sum(np.exp(-3 * t) * (0.3 / k) * np.sin(2 * np.pi * k * f * t + rng.uniform(0, 6))
                    for f in rng.choice([196, 220, 247, 262, 294, 330, 349, 392, 440], 3) for k in range(1, 11))
        notes.append(chord)
    audio = np.concatenate(notes)[: int(seconds * RATE)]
    audio += 10 ** (-45 / 20) * rng.standard_normal(len(audio))
    return (0.3 * audio / np.abs(audio).max()).astype(np.float32)
