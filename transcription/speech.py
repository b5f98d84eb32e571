"""Finding the speech on one speaker's channel, and sending only that to the model.

A channel of a two-track call recording holds one speaker's replies between
stretches of line noise. Whisper, given the noise, invents text or drops the
short replies next to it; given only the speech, it is both faster and more
accurate. So: an energy pass measures the channel's noise floor (a low
percentile of its frame levels), marks frames well above it as speech, closes
short gaps (pauses between words) and drops blips too short to be words, and
loud stretches whose spectrum is as flat as hiss (noise bursts, crackle). The
regions are then joined with a short pause between them into one buffer for
the model, and ``Timeline`` maps times in that buffer back to the call.

All pure numpy on 16 kHz float32 mono, testable without the model.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np

RATE = 16000


@dataclass(frozen=True)
class SpeechParams:
    """The energy pass's knobs; the defaults are the ones measured best on the corpus (docs/transcription.md)."""

    frame_ms: float = 25.0
    hop_ms: float = 10.0
    floor_percentile: float = 10.0
    threshold_db: float = 8.0  # above the noise floor
    min_level_db: float = -55.0  # never call quieter frames speech, however quiet the floor
    merge_gap_s: float = 0.5  # pauses shorter than this stay inside one region
    min_speech_s: float = 0.2  # shorter blips are clicks, not words
    pad_s: float = 0.15  # kept on each side so word onsets and tails are not clipped
    joint_gap_s: float = 0.5  # pause put between regions in the model's buffer
    # a region whose spectrum is this flat (0 a pure tone, 1 white noise) in the voice band is noise, not speech;
    # the corpus's speech stays under 0.13, hiss and crackle bursts are 0.24 (pink) to 0.56 (white)
    max_flatness: float = 0.2


@dataclass(frozen=True)
class Region:
    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


def frame_levels(audio: np.ndarray, params: SpeechParams) -> np.ndarray:
    """Each frame's level in dB (full scale 1.0), one per hop."""
    frame = int(RATE * params.frame_ms / 1000)
    hop = int(RATE * params.hop_ms / 1000)
    if len(audio) < frame:
        return np.empty(0, dtype=np.float32)
    frames = np.lib.stride_tricks.sliding_window_view(audio, frame)[::hop]
    power = np.einsum("ij,ij->i", frames, frames, dtype=np.float64) / frame
    return (10 * np.log10(power + 1e-12)).astype(np.float32)


def speech_regions(audio: np.ndarray, params: SpeechParams = SpeechParams()) -> list[Region]:
    """The stretches of ``audio`` (16 kHz mono) that hold speech, in seconds, padded and merged."""
    levels = frame_levels(audio, params)
    if levels.size == 0:
        return []
    floor = float(np.percentile(levels, params.floor_percentile))
    loud = levels > max(floor + params.threshold_db, params.min_level_db)
    hop_s = params.hop_ms / 1000
    frame_s = params.frame_ms / 1000
    duration = len(audio) / RATE
    regions: list[Region] = []
    for first, last in _runs(loud):
        start, end = first * hop_s, last * hop_s + frame_s
        if regions and start - regions[-1].end < params.merge_gap_s:
            regions[-1] = Region(regions[-1].start, end)
        else:
            regions.append(Region(start, end))
    padded = [
        Region(max(0.0, r.start - params.pad_s), min(duration, r.end + params.pad_s))
        for r in regions
        if r.duration >= params.min_speech_s and spectral_flatness(_samples(audio, r)) <= params.max_flatness
    ]
    return _merge_overlaps(padded)


def _samples(audio: np.ndarray, region: Region) -> np.ndarray:
    return audio[int(region.start * RATE) : int(region.end * RATE)]


def spectral_flatness(audio: np.ndarray) -> float:
    """Median spectral flatness (geometric over arithmetic mean power) in the voice band, 300-3600 Hz, over the
    louder half of the 25 ms frames: low for voiced speech, high for noise."""
    size, hop = 400, 160
    if len(audio) < size:
        return 1.0
    frames = np.lib.stride_tricks.sliding_window_view(audio, size)[::hop]
    power = np.abs(np.fft.rfft(frames * np.hanning(size), axis=1)) ** 2 + 1e-12
    band = power[:, 8:91]  # 40 Hz bins
    flatness = np.exp(np.mean(np.log(band), axis=1)) / np.mean(band, axis=1)
    levels = frames.var(axis=1)
    return float(np.median(flatness[levels >= np.median(levels)]))


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) indices of each run of True."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], mask.astype(np.int8), [0]))))
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _merge_overlaps(regions: list[Region]) -> list[Region]:
    merged: list[Region] = []
    for region in regions:
        if merged and region.start <= merged[-1].end:
            merged[-1] = Region(merged[-1].start, max(merged[-1].end, region.end))
        else:
            merged.append(region)
    return merged


class Timeline:
    """Where each region sits in the joined buffer, to map the model's times back to the call's."""

    def __init__(self, regions: list[Region], joint_gap_s: float) -> None:
        self.regions = regions
        self.offsets: list[float] = []  # start of each region in the buffer
        position = 0.0
        for region in regions:
            self.offsets.append(position)
            position += region.duration + joint_gap_s
        self.length = max(position - joint_gap_s, 0.0)

    def region_at(self, buffer_time: float) -> int:
        """Index of the region a buffer time falls in; a time in a pause goes to the nearer region."""
        index = max(bisect.bisect_right(self.offsets, buffer_time) - 1, 0)
        end = self.offsets[index] + self.regions[index].duration
        if buffer_time > end and index + 1 < len(self.regions):
            if self.offsets[index + 1] - buffer_time < buffer_time - end:
                return index + 1
        return index

    def to_call(self, buffer_time: float, index: int | None = None) -> float:
        """The call time of a buffer time, within region ``index`` (default: the one it falls in)."""
        if index is None:
            index = self.region_at(buffer_time)
        region = self.regions[index]
        return min(max(region.start + buffer_time - self.offsets[index], region.start), region.end)


def join_regions(audio: np.ndarray, regions: list[Region], joint_gap_s: float) -> tuple[np.ndarray, Timeline]:
    """The regions' audio one after another with ``joint_gap_s`` of silence between, and their timeline."""
    gap = np.zeros(int(RATE * joint_gap_s), dtype=np.float32)
    pieces: list[np.ndarray] = []
    for index, region in enumerate(regions):
        if index:
            pieces.append(gap)
        pieces.append(audio[int(region.start * RATE) : int(region.end * RATE)])
    buffer = np.concatenate(pieces).astype(np.float32) if pieces else np.zeros(0, dtype=np.float32)
    return buffer, Timeline(regions, joint_gap_s)


def pack_windows(regions: list[Region], max_seconds: float, joint_gap_s: float) -> list[list[Region]]:
    """Consecutive regions grouped so each group, joined, fits one model window of ``max_seconds``.

    A region longer than a window is cut into window-sized pieces (rare: a monologue with no pause)."""
    windows: list[list[Region]] = []
    length = 0.0
    for region in _cut(regions, max_seconds):
        if windows and length + joint_gap_s + region.duration <= max_seconds:
            windows[-1].append(region)
            length += joint_gap_s + region.duration
        else:
            windows.append([region])
            length = region.duration
    return windows


def _cut(regions: list[Region], max_seconds: float) -> list[Region]:
    pieces: list[Region] = []
    for region in regions:
        start = region.start
        while region.end - start > max_seconds:
            pieces.append(Region(start, start + max_seconds))
            start += max_seconds
        pieces.append(Region(start, region.end))
    return pieces
