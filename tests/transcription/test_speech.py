"""The energy pass: speech found on a one-speaker channel (and nothing found in
digital silence, a DC offset, line noise, noise bursts, tones or music), long
regions cut at quiet moments, packed into model windows, and times mapped back
from the model's buffer to the call. Real recordings with these in them:
tests/transcription/test_real_recordings.py."""

import numpy as np
import pytest

from tests.support.sounds import music, tone, voice
from transcription.speech import RATE, Region, SpeechParams, Timeline, join_regions, pack_windows, speech_regions

RNG = np.random.default_rng(7)


def channel(seconds: float, bursts: list[tuple[float, float]], noise_db: float = -45.0) -> np.ndarray:
    """Line noise with speech (``voice``) at the given times."""
    audio = (RNG.standard_normal(int(seconds * RATE)) * 10 ** (noise_db / 20)).astype(np.float32)
    for start, end in bursts:
        audio[int(start * RATE):int(start * RATE) + int((end - start) * RATE)] += voice(end - start, RNG)
    return audio


def found(regions) -> list[tuple[float, float]]:
    return [(round(region.start, 1), round(region.end, 1)) for region in regions]


def test_bursts_are_found_within_the_padding():
    regions = speech_regions(channel(12.0, [(1.0, 2.5), (6.0, 8.0)]))
    assert len(regions) == 2
    pad = SpeechParams().pad_s + 0.05
    for region, (start, end) in zip(regions, [(1.0, 2.5), (6.0, 8.0)], strict=True):
        assert abs(region.start - start) <= pad and abs(region.end - end) <= pad


def test_short_pauses_stay_inside_one_region_and_clicks_are_dropped():
    regions = speech_regions(channel(10.0, [(1.0, 2.0), (2.3, 3.0), (6.0, 6.05)]))
    assert len(regions) == 1 and regions[0].start < 1.0 < 3.0 < regions[0].end


@pytest.mark.parametrize("noise_db", [-60.0, -40.0, -25.0])
def test_noise_alone_is_not_speech_at_any_level(noise_db):
    assert speech_regions(channel(20.0, [], noise_db)) == []


def test_digital_silence_and_tiny_input_are_not_speech():
    assert speech_regions(np.zeros(RATE * 5, dtype=np.float32)) == []
    assert speech_regions(np.zeros(10, dtype=np.float32)) == []


def test_regions_are_packed_into_windows():
    regions = [Region(0, 10), Region(12, 22), Region(30, 45), Region(50, 78), Region(80, 82)]
    windows = pack_windows(regions, 30.0, 0.5)
    assert [[(r.start, r.end) for r in w] for w in windows] == [
        [(0, 10), (12, 22)], [(30, 45)], [(50, 78)], [(80, 82)]]  # 28 s + the pause + 2 s would not fit
    assert all(sum(r.duration for r in w) + 0.5 * (len(w) - 1) <= 30.0 for w in windows)


def test_a_region_longer_than_a_window_is_refused():
    with pytest.raises(ValueError, match="does not fit"):
        pack_windows([Region(0, 31)], 30.0, 0.5)


def test_speech_after_digital_silence_is_found_as_without_it():
    """Before the answer MixMonitor writes exact zeros on a direction; they are no noise floor."""
    audio = channel(12.0, [(1.0, 2.5), (6.0, 8.0)])
    for zeros in (5.0, 25.0, 60.0):  # from less than a tenth of the track to most of it
        padded = np.concatenate([np.zeros(int(zeros * RATE), np.float32), audio, np.zeros(RATE * 3, np.float32)])
        shifted = [Region(region.start - zeros, region.end - zeros) for region in speech_regions(padded)]
        assert found(shifted) == found(speech_regions(audio)), zeros


def test_a_dc_offset_changes_nothing():
    audio = channel(12.0, [(1.0, 2.5), (6.0, 8.0)])
    assert found(speech_regions(audio + 0.1)) == found(speech_regions(audio))


@pytest.mark.parametrize("sound", [tone, music])
def test_a_tone_or_music_is_not_speech_and_the_speech_around_it_is(sound):
    audio = channel(40.0, [(1.0, 3.0), (30.0, 32.0)])
    audio[int(5 * RATE):int(25 * RATE)] += sound(20.0, RNG)  # the ringback tone, or the client put on hold
    assert [(round(r.start), round(r.end)) for r in speech_regions(audio)] == [(1, 3), (30, 32)]


def test_a_monologue_is_cut_at_its_quietest_moment_into_window_sized_regions():
    audio = channel(70.0, [(1.0, 23.0), (23.4, 45.0), (45.4, 69.0)])  # breaths too short to end the region
    regions = speech_regions(audio)
    assert all(region.duration <= SpeechParams().max_region_s for region in regions)
    assert [round(region.end, 1) for region in regions[:-1]] == pytest.approx([23.2, 45.2], abs=0.2)
    assert regions[0].start < 1.0 and regions[-1].end > 69.0


def test_the_timeline_maps_buffer_times_back_to_the_call():
    audio = channel(20.0, [])
    regions = [Region(2.0, 4.0), Region(10.0, 11.0)]
    buffer, timeline = join_regions(audio, regions, 0.5)
    assert len(buffer) == int(2.0 * RATE) + int(0.5 * RATE) + int(1.0 * RATE)
    assert timeline.to_call(1.0) == pytest.approx(3.0)
    assert timeline.to_call(2.7) == pytest.approx(10.2)
    assert timeline.region_at(2.1) == 0 and timeline.region_at(2.4) == 1  # a pause goes to the nearer region
    assert timeline.to_call(2.1, 1) == pytest.approx(10.0)  # clamped into the region asked for


def test_an_empty_timeline_has_no_length():
    buffer, timeline = join_regions(np.zeros(RATE, dtype=np.float32), [], 0.5)
    assert buffer.size == 0 and timeline.length == 0.0 and isinstance(timeline, Timeline)


@pytest.mark.parametrize("kind", ["white", "pink"])
def test_loud_noise_bursts_are_not_speech(kind):
    audio = channel(12.0, [])
    for start in (2, 7):
        burst = RNG.standard_normal(2 * RATE)
        if kind == "pink":  # integrated white noise, its slow drift removed: most power at low frequencies
            burst = np.cumsum(burst)
            burst -= np.convolve(burst, np.ones(400) / 400, "same")
        audio[start * RATE : (start + 2) * RATE] += (0.3 * burst / np.abs(burst).max()).astype(np.float32)
    assert speech_regions(audio) == []
