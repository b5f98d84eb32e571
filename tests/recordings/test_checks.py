"""Checking recording files: what is usable audio, and why the rest is not."""

import hashlib
import struct

import pytest

from recordings import checks
from recordings.checks import RecordingProblem, Status, duration_mismatch, inspect, sha256_of
from tests.recordings.wavs import write_wav
from tests.support.data import CORPUS, RECORDINGS


def problem(path) -> tuple[Status, str]:
    with pytest.raises(RecordingProblem) as caught:
        inspect(path)
    return caught.value.status, caught.value.error


def test_the_real_asterisk_file():
    audio = inspect(RECORDINGS / "1795430021.1.wav")
    assert (audio.channels, audio.sample_rate, audio.sample_width, audio.size_bytes) == (1, 8000, 2, 1017644)
    assert audio.duration_seconds == pytest.approx(63.6)  # 508800 frames at 8 kHz


def test_stereo_16_bit_and_mono_8_bit(tmp_path):
    stereo = inspect(CORPUS / "call000.wav")
    assert (stereo.channels, stereo.sample_rate, stereo.duration_seconds) == (2, 8000, pytest.approx(19.03, abs=0.01))
    low = inspect(write_wav(tmp_path / "8bit.wav", 2.0, width=1, rate=16000))
    assert (low.channels, low.sample_width, low.sample_rate, low.duration_seconds) == (1, 1, 16000, 2.0)


def test_sha256_is_streamed_and_equals_hashlib(tmp_path, monkeypatch):
    monkeypatch.setattr(checks, "CHUNK_BYTES", 1000)  # many chunks over one file
    path = write_wav(tmp_path / "a.wav", 3.0)
    assert sha256_of(path) == hashlib.sha256(path.read_bytes()).hexdigest() == inspect(path).sha256


def test_missing_file(tmp_path):
    assert problem(tmp_path / "nope.wav") == (Status.MISSING, f"no file at {tmp_path / 'nope.wav'}")


def test_empty_file(tmp_path):
    (tmp_path / "e.wav").write_bytes(b"")
    assert problem(tmp_path / "e.wav") == (Status.CORRUPT, "e.wav: empty file (0 bytes)")


@pytest.mark.parametrize("content, reason", [
    (b"hello, not audio at all" * 10, "not a readable WAV: file does not start with RIFF id"),
    (b"RIFF\x10\x00\x00\x00WAVEfmt ", "not a readable WAV: fmt chunk and/or data chunk missing"),
    (b"RIFF\x10\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00", "not a readable WAV: the header ends early"),
])
def test_garbage_and_a_cut_header(tmp_path, content, reason):
    (tmp_path / "x.wav").write_bytes(content)
    assert problem(tmp_path / "x.wav") == (Status.CORRUPT, f"x.wav: {reason}")


def test_truncated_audio(tmp_path):
    path = write_wav(tmp_path / "t.wav", 2.0)
    path.write_bytes(path.read_bytes()[:20000])
    assert problem(path) == (
        Status.CORRUPT, "t.wav: truncated: the header declares 32000 bytes of audio, the file holds 19956")


def test_a_header_the_pbx_never_finished(tmp_path):
    """Asterisk writes the sizes into the header when it closes the file: a crash leaves zeros."""
    path = write_wav(tmp_path / "u.wav", 1.0)
    data = bytearray(path.read_bytes())
    data[40:44] = struct.pack("<I", 0)
    path.write_bytes(bytes(data))
    assert problem(path) == (
        Status.CORRUPT, "u.wav: the header declares no audio but 16000 bytes follow it: the PBX never finished the file")


def test_a_header_without_audio(tmp_path):
    assert problem(write_wav(tmp_path / "h.wav", 0.0)) == (Status.EMPTY, "h.wav: no audio, a header only: nothing was heard")


def test_gsm_wav_is_not_pcm(tmp_path):
    """MixMonitor writes GSM in WAV (format 49) for a ``.WAV`` name."""
    path = write_wav(tmp_path / "g.wav", 1.0)
    data = bytearray(path.read_bytes())
    data[20:22] = struct.pack("<H", 49)
    path.write_bytes(bytes(data))
    assert problem(path) == (Status.CORRUPT, "g.wav: not a readable WAV: unsupported encoding (WAV format tag 49), not PCM")


def test_24_bit_samples_are_refused(tmp_path):
    path = write_wav(tmp_path / "w.wav", 1.0)
    data = bytearray(path.read_bytes())
    data[32:36] = struct.pack("<HH", 3, 24)  # block align, bits per sample
    path.write_bytes(bytes(data))
    assert problem(path) == (Status.CORRUPT, "w.wav: 24-bit samples; only 8- and 16-bit PCM are supported")


@pytest.mark.parametrize("recorded, fits", [
    (80.0, True),  # the whole call: MixMonitor on arrival
    (58.0, True),  # the talk only: MixMonitor on answer
    (82.9, True), (55.1, True),  # within the tolerance
    (83.5, False), (54.0, False), (3.0, False),
])
def test_duration_fits_between_the_talk_and_the_whole_call(recorded, fits):
    assert (duration_mismatch(recorded, 80.0, 58.0, 3.0) is None) is fits


def test_a_duration_mismatch_says_why():
    assert duration_mismatch(3.0, 80.0, 58.0, 3.0) == (
        "the recording lasts 3.0 s; the call 80.0 s with 58.0 s of talk "
        "(a recording spans between the talk and the whole call, ±3 s)")
