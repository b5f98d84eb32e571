"""Audio tracks in, one dialogue out: faster-whisper on each speaker's speech.

For each track (one speaker: a channel of a stereo file, one of
MixMonitor's ``-in``/``-out`` files, or a mixed mono file), the energy pass
of ``transcription.speech`` finds the speech, whose regions are packed into
windows of up to 30 s of that speaker alone. All windows of a call go to the
model in one batch (``BatchedInferencePipeline``: one window per batch row,
beam search, the department's vocabulary as the prompt), with word
timestamps; each word is mapped back through its window's timeline to the
region, and so the turn, it was said in. A region's words make dialogue lines,
one per turn (split at pauses of 0.6 s, and a turn over 15 s at its longest
pause), each with its start and
end in call time and the mean word probability as its confidence. Lines that are Whisper's hallucinations are dropped and
repetition loops collapsed (``transcription.hallucinations``).

Settings and their measured effect: docs/transcription.md.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from faster_whisper import BatchedInferencePipeline, WhisperModel

from transcription.hallucinations import hallucination_reason, strip_loops
from transcription.normalize import normalize
from transcription.speech import (
    RATE,
    Region,
    SpeechParams,
    Timeline,
    join_regions,
    pack_windows,
    speech_regions,
)

WINDOW_SECONDS = 30.0  # Whisper's window: never hand it more (faster-whisper would drop the rest)
PACKED_SECONDS = WINDOW_SECONDS - 0.1  # what regions are packed to, leaving room for rounding to samples
# a region of speech this long that yielded fewer words a second with the prompt is heard again without it
RETRY_SECONDS = 1.0
RETRY_WORDS_PER_SECOND = 0.7  # people say 2-3 words a second
TURN_PAUSE_SECONDS = 0.6  # a pause this long between a speaker's words starts a new line
MAX_LINE_SECONDS = 15.0  # and no line runs longer (evidence quotes and the synced transcript stay short)


@dataclass(frozen=True)
class EngineOptions:
    language: str = "ru"
    beam_size: int = 3
    batch_size: int = 8
    prompt: str = ""  # the script's vocabulary: company, product and place names
    threads: int = 2
    compute_type: str = "int8"
    speech: SpeechParams = field(default_factory=SpeechParams)


@dataclass(frozen=True)
class SpeakerAudio:
    """One speaker's track: a role (client, manager, unknown) and its 16 kHz samples."""

    speaker: str
    audio: np.ndarray

    @property
    def seconds(self) -> float:
        return len(self.audio) / RATE


@dataclass(frozen=True)
class Word:
    text: str
    start: float
    end: float
    probability: float


@dataclass(frozen=True)
class Line:
    """One turn of the dialogue: who, when (seconds from the recording's start), what, how sure."""

    speaker: str
    start: float
    end: float
    text: str
    confidence: float
    words: tuple[Word, ...]

    def as_dict(self) -> dict[str, object]:
        """As stored: with ``norm``, the text in the normal form (transcription.normalize) that search
        and scoring compare, computed once here."""
        return {
            "speaker": self.speaker,
            "start": round(self.start, 2),
            "end": round(self.end, 2),
            "text": self.text,
            "norm": normalize(self.text),
            "confidence": round(self.confidence, 3),
            "words": [[w.text, round(w.start, 2), round(w.end, 2), round(w.probability, 3)] for w in self.words],
        }


@dataclass(frozen=True)
class _Window:
    track: int  # index into the tracks
    timeline: Timeline
    offset: float  # where the window starts in the batch's audio


class Transcriber:
    """A loaded model and how to run it; ``transcribe`` is blocking (run it in a thread or a worker)."""

    def __init__(self, model_path: Path, options: EngineOptions = EngineOptions()) -> None:
        self.model_path = model_path
        self.options = options
        model = WhisperModel(str(model_path), device="cpu", compute_type=options.compute_type, cpu_threads=options.threads)
        self._pipeline = BatchedInferencePipeline(model)

    def transcribe(self, tracks: Sequence[SpeakerAudio], prompt: str | None = None) -> list[Line]:
        """The dialogue of ``tracks``, lines ordered by start time; ``prompt`` (default: the options') is the
        department's vocabulary.

        With a prompt, Whisper now and then returns almost nothing for a whole window (it takes the
        prompt for the transcript); the speech regions left (nearly) without words are then heard
        again without the prompt, and those words replace the first pass's."""
        prompt = self.options.prompt if prompt is None else prompt
        regions = [speech_regions(track.audio, self.options.speech) for track in tracks]
        said = self._recognise(tracks, regions, prompt)
        if prompt:
            missed = [[r for r in found if _sparse(said.get((i, r), ()), r)] for i, found in enumerate(regions)]
            if any(missed):
                said |= self._recognise(tracks, missed, "")
        lines = [line for (index, _), words in said.items() for line in _lines(tracks[index].speaker, words)]
        return sorted(lines, key=lambda line: (line.start, line.speaker))

    def _recognise(
        self, tracks: Sequence[SpeakerAudio], regions: list[list[Region]], prompt: str
    ) -> dict[tuple[int, Region], list[Word]]:
        """One batch over all windows of the tracks' ``regions``: the words heard in each (track, region)."""
        windows, pieces, clips = self._windows(tracks, regions)
        if not windows:
            return {}
        segments, _ = self._pipeline.transcribe(
            np.concatenate(pieces),
            language=self.options.language,
            beam_size=self.options.beam_size,
            batch_size=self.options.batch_size,
            initial_prompt=prompt or None,
            clip_timestamps=clips,
            vad_filter=False,
            word_timestamps=True,
        )
        said: dict[tuple[int, Region], list[Word]] = defaultdict(list)
        starts = [window.offset for window in windows]
        for segment in segments:
            for word in segment.words or ():
                window = windows[max(int(np.searchsorted(starts, (word.start + word.end) / 2, side="right")) - 1, 0)]
                timeline = window.timeline
                start, end = word.start - window.offset, word.end - window.offset
                region = timeline.region_at((start + end) / 2)
                said[window.track, timeline.regions[region]].append(
                    Word(word.word.strip(), timeline.to_call(start, region), timeline.to_call(end, region), word.probability)
                )
        return said

    def _windows(
        self, tracks: Sequence[SpeakerAudio], regions: list[list[Region]]
    ) -> tuple[list[_Window], list[np.ndarray], list[dict]]:
        gap = self.options.speech.joint_gap_s
        windows: list[_Window] = []
        pieces: list[np.ndarray] = []
        clips: list[dict[str, float]] = []
        offset = 0.0
        for index, (track, found) in enumerate(zip(tracks, regions, strict=True)):
            for packed in pack_windows(found, PACKED_SECONDS, gap):
                buffer, timeline = join_regions(track.audio, packed, gap)
                seconds = len(buffer) / RATE
                if seconds > WINDOW_SECONDS:
                    raise AssertionError(f"a model window of {seconds:.2f} s: the regions were packed wrong")
                windows.append(_Window(index, timeline, offset))
                clips.append({"start": offset, "end": offset + seconds})
                pieces.append(buffer)
                offset += seconds
        return windows, pieces, clips


def _sparse(words: Sequence[Word], region: Region) -> bool:
    return region.duration >= RETRY_SECONDS and len(words) < RETRY_WORDS_PER_SECOND * region.duration


def _lines(speaker: str, words: list[Word]) -> list[Line]:
    """One region's words as lines, one per turn: split at every pause of ``TURN_PAUSE_SECONDS`` or more,
    and a turn still longer than ``MAX_LINE_SECONDS`` at its longest pause, until none is. Lines that are
    hallucinations are dropped."""
    turns: list[list[Word]] = []
    for word in (word for word in words if word.text):
        if not turns or word.start - turns[-1][-1].end >= TURN_PAUSE_SECONDS:
            turns.append([])
        turns[-1].append(word)
    return [line for turn in turns for part in _shorter(turn) if (line := _line(speaker, part)) is not None]


def _shorter(words: list[Word]) -> list[list[Word]]:
    """``words`` split at their longest pauses into parts of at most ``MAX_LINE_SECONDS`` (or single words)."""
    if len(words) < 2 or words[-1].end - words[0].start <= MAX_LINE_SECONDS:
        return [words]
    cut = max(range(1, len(words)), key=lambda index: words[index].start - words[index - 1].end)
    return _shorter(words[:cut]) + _shorter(words[cut:])


def _line(speaker: str, words: list[Word]) -> Line | None:
    """A turn's words as a line; None when they are a hallucination."""
    said = " ".join(word.text for word in words)
    if hallucination_reason(said) is not None:
        return None
    text = strip_loops(said)
    confidence = sum(word.probability for word in words) / len(words)
    return Line(speaker, words[0].start, words[-1].end, text, confidence, tuple(words))
