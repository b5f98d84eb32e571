"""The three normal layouts, from a real Asterisk's files, the simulator's and our own."""

import shutil
import wave

from pbx.simulator.recording import Monitor
from recordings.layouts import Layout, Role, Track, detect
from tests.recordings.wavs import write_wav
from tests.support.data import CORPUS, RECORDINGS

REAL = RECORDINGS / "1795430021.1.wav"


def channels(path) -> int:
    with wave.open(str(path)) as wav:
        return wav.getnchannels()


def test_the_real_asterisk_pair_is_split_in_is_the_caller():
    assert detect(REAL, channels(REAL)) == (
        Layout.SPLIT,
        [Track(Role.CLIENT, RECORDINGS / "1795430021.1-in.wav"), Track(Role.MANAGER, RECORDINGS / "1795430021.1-out.wav")],
    )


def test_on_an_outbound_call_the_caller_on_the_recorded_channel_is_the_manager():
    layout, tracks = detect(REAL, 1, outbound=True)
    assert layout is Layout.SPLIT
    assert [(track.role, track.path.name) for track in tracks] == [
        (Role.MANAGER, "1795430021.1-in.wav"), (Role.CLIENT, "1795430021.1-out.wav")]


def test_the_mixed_file_alone_is_mono(tmp_path):
    mixed = shutil.copy(REAL, tmp_path / "1795430021.1.wav")
    assert detect(mixed, channels(mixed)) == (Layout.MONO, [Track(Role.UNKNOWN, mixed)])


def test_half_a_pair_is_not_a_split_recording(tmp_path):
    mixed = shutil.copy(REAL, tmp_path / "1795430021.1.wav")
    shutil.copy(RECORDINGS / "1795430021.1-in.wav", tmp_path)
    assert detect(mixed, 1)[0] is Layout.MONO


def test_the_simulators_split_and_plain_recordings(tmp_path):
    split = Monitor(tmp_path / "1.wav", 0.0, tmp_path / "1-in.wav", tmp_path / "1-out.wav")
    split.stop(3.0, 10.0, str(CORPUS / "call000"), str(CORPUS / "call000"))
    plain = Monitor(tmp_path / "2.wav", 0.0)
    plain.stop(3.0, 10.0, str(CORPUS / "call000"), str(CORPUS / "call000"))
    assert detect(tmp_path / "1.wav", channels(tmp_path / "1.wav")) == (
        Layout.SPLIT, [Track(Role.CLIENT, tmp_path / "1-in.wav"), Track(Role.MANAGER, tmp_path / "1-out.wav")])
    assert detect(tmp_path / "2.wav", channels(tmp_path / "2.wav")) == (Layout.MONO, [Track(Role.UNKNOWN, tmp_path / "2.wav")])


def test_stereo_puts_the_client_on_the_configured_channel(tmp_path):
    corpus = CORPUS / "call000.wav"  # channel 0 client, 1 manager
    assert detect(corpus, channels(corpus)) == (
        Layout.STEREO, [Track(Role.CLIENT, corpus, 0), Track(Role.MANAGER, corpus, 1)])
    swapped = write_wav(tmp_path / "s.wav", 1.0, channels=2)
    assert detect(swapped, 2, client_channel=1)[1] == [Track(Role.CLIENT, swapped, 1), Track(Role.MANAGER, swapped, 0)]
