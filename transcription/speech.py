"""Finding the speech on one speaker's channel, and sending only that to the model.

A channel of a two-track call recording holds one speaker's replies between
stretches of line noise, and much else that is not speech: exact zeros where
the PBX recorded nothing on that direction (ringing before the answer, a
queue, hold, the end of the call), a DC offset, comfort noise, the ringback
tone and music on hold that the caller heard. Whisper, given any of that,
invents text or drops the short replies next to it; given only the speech,
it is both faster and more accurate. So, frame by frame (each frame's level
taken around its own mean, so a DC offset is no level):

- digital silence (below ``silence_db``, i.e. under one bit of 16-bit audio)
  is nothing at all: it is never speech and never the noise floor;
- tones and music are told apart by how steady their spectrum is: a tone or a
  held note sounds the same from one 64 ms frame to the next, a voice never
  does (its pitch and formants move), so frames whose spectrum stays alike to
  ``max_steadiness`` over half a second are not speech and not the floor;
- the noise floor is a low percentile of the frames left, and frames well
  above it are speech; short gaps (pauses between words) are closed, blips
  too short to be words dropped, and loud stretches whose spectrum is as flat
  as hiss (noise bursts, crackle) too;
- no region is longer than ``max_region_s``: a long one (a monologue without
  a pause) is cut at its quietest moment, so each fits a model window.

The regions are then joined with a short pause between them into one buffer for
the model, and ``Timeline`` maps times in that buffer back to the call.

All pure numpy on 16 kHz float32 mono, testable without the model.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np

RATE = 16000
STEADY_FRAME = 1024  # 64 ms: fine enough in frequency (16 Hz) to see a held pitch
STEADY_HOP = 256


@dataclass(frozen=True)
class SpeechParams:
    """The energy pass's knobs; the defaults are the ones measured best on the corpus (docs/transcription.md)."""

    frame_ms: float = 25.0
    hop_ms: float = 10.0
    floor_percentile: float = 10.0
    threshold_db: float = 8.0  # above the noise floor
    min_level_db: float = -55.0  # never call quieter frames speech, however quiet the floor
    silence_db: float = -85.0  # digital silence: under one bit of 16-bit audio (-90 dB), with room for a codec
    merge_gap_s: float = 0.5  # pauses shorter than this stay inside one region
    min_speech_s: float = 0.2  # shorter blips are clicks, not words
    pad_s: float = 0.15  # kept on each side so word onsets and tails are not clipped
    joint_gap_s: float = 0.5  # pause put between regions in the model's buffer
    # a region whose spectrum is this flat (0 a pure tone, 1 white noise) in the voice band is noise, not speech;
    # the corpus's speech stays under 0.13, hiss and crackle bursts are 0.24 (pink) to 0.56 (white)
    max_flatness: float = 0.2
    # frames whose spectrum stays this alike (cosine of consecutive 64 ms frames, median over steady_s) are a
    # tone or music: the corpus's speech never goes over 0.93, held notes and tones are 0.99 and more
    max_steadiness: float = 0.95
    steady_s: float = 0.5
    max_region_s: float = 28.0  # a longer region is cut at its quietest moment (the model's window is 30 s)


@dataclass(frozen=True)
class Region:
    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


def frame_levels(audio: np.ndarray, params: SpeechParams) -> np.ndarray:
    """Each frame's level in dB (full scale 1.0) around the frame's own mean (so a DC offset adds
    nothing), one per hop."""
    frame = int(RATE * params.frame_ms / 1000)
    hop = int(RATE * params.hop_ms / 1000)
    if len(audio) < frame:
        return np.empty(0, dtype=np.float32)
    frames = np.lib.stride_tricks.sliding_window_view(audio, frame)[::hop]
    return (10 * np.log10(frames.var(axis=1, dtype=np.float64) + 1e-12)).astype(np.float32)


def steady_frames(audio: np.ndarray, params: SpeechParams, count: int) -> np.ndarray:
    """For each of the ``count`` level frames, whether the sound there is a tone or music: its spectrum
    (100-2000 Hz) alike from one 64 ms frame to the next for most of ``steady_s``."""
    if len(audio) < STEADY_FRAME * 2:
        return np.zeros(count, dtype=bool)
    frames = np.lib.stride_tricks.sliding_window_view(audio, STEADY_FRAME)[::STEADY_HOP]
    spectrum = np.abs(np.fft.rfft(frames * np.hanning(STEADY_FRAME), axis=1))
    band = spectrum[:, 100 * STEADY_FRAME // RATE : 2000 * STEADY_FRAME // RATE]
    band /= np.linalg.norm(band, axis=1, keepdims=True) + 1e-12
    alike = np.concatenate(([0.0], np.einsum("ij,ij->i", band[1:], band[:-1])))
    span = max(int(params.steady_s * RATE / STEADY_HOP), 1)
    padded = np.pad(alike, (span // 2, span - 1 - span // 2), mode="edge")
    steady = np.median(np.lib.stride_tricks.sliding_window_view(padded, span), axis=1) > params.max_steadiness
    # a steady stretch's first and last half span are steady too (the median only sees them as it enters)
    steady = np.convolve(steady, np.ones(span), mode="same") > 0
    # level frame i starts at i * hop; take the steady frame around its middle
    hop = RATE * params.hop_ms / 1000
    middle = (np.arange(count) * hop + RATE * params.frame_ms / 2000 - STEADY_FRAME / 2) / STEADY_HOP
    return steady[np.clip(np.round(middle).astype(int), 0, len(steady) - 1)]


def speech_regions(audio: np.ndarray, params: SpeechParams = SpeechParams()) -> list[Region]:
    """The stretches of ``audio`` (16 kHz mono) that hold speech, in seconds, padded, merged, and none
    longer than ``max_region_s``."""
    levels = frame_levels(audio, params)
    audible = levels > params.silence_db
    if not audible.any():
        return []
    candidates = audible & ~steady_frames(audio, params, len(levels))
    if not candidates.any():
        return []
    floor = float(np.percentile(levels[candidates], params.floor_percentile))
    loud = candidates & (levels > max(floor + params.threshold_db, params.min_level_db))
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
    return [piece for region in _merge_overlaps(padded) for piece in _cut_at_quiet(region, levels, params)]


def _cut_at_quiet(region: Region, levels: np.ndarray, params: SpeechParams) -> list[Region]:
    """``region`` in pieces of at most ``max_region_s``, each cut in the quietest 0.3 s of its second half
    (a breath between phrases rather than a gap between words)."""
    hop_s = params.hop_ms / 1000
    smooth = max(int(0.3 / hop_s), 1)
    pieces: list[Region] = []
    start = region.start
    while region.end - start > params.max_region_s:
        low, high = int((start + params.max_region_s / 2) / hop_s), int((start + params.max_region_s) / hop_s)
        window = np.convolve(levels[low:high], np.ones(smooth) / smooth, mode="same")
        cut = (low + int(np.argmin(window))) * hop_s if window.size else start + params.max_region_s
        pieces.append(Region(start, cut))
        start = cut
    pieces.append(Region(start, region.end))
    return pieces


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
    """The regions' audio one after another with ``joint_gap_s`` of silence between, and their timeline.
    Each region is centred on zero: a DC offset would make a step at every joint and shift the model's
    lowest frequency bands."""
    gap = np.zeros(int(RATE * joint_gap_s), dtype=np.float32)
    pieces: list[np.ndarray] = []
    for index, region in enumerate(regions):
        if index:
            pieces.append(gap)
        piece = audio[int(region.start * RATE) : int(region.end * RATE)]
        pieces.append(piece - piece.mean() if piece.size else piece)
    buffer = np.concatenate(pieces).astype(np.float32) if pieces else np.zeros(0, dtype=np.float32)
    return buffer, Timeline(regions, joint_gap_s)


def pack_windows(regions: list[Region], max_seconds: float, joint_gap_s: float) -> list[list[Region]]:
    """Consecutive regions grouped so each group, joined, fits one model window of ``max_seconds``.
    No region may be longer than a window (``speech_regions`` cuts them at quiet moments)."""
    windows: list[list[Region]] = []
    length = 0.0
    for region in regions:
        if region.duration > max_seconds:
            raise ValueError(f"a region of {region.duration:.1f} s does not fit a {max_seconds:.0f} s window")
        if windows and length + joint_gap_s + region.duration <= max_seconds:
            windows[-1].append(region)
            length += joint_gap_s + region.duration
        else:
            windows.append([region])
            length = region.duration
    return windows
