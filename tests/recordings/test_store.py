"""The local store: dated keys, verified copies, deletion, listing by age."""

from datetime import date, datetime, timedelta, timezone

import pytest

from recordings.checks import sha256_of
from recordings.store import LocalStore, StoreError, key_day, recording_key
from tests.recordings.wavs import write_wav


def test_keys_are_laid_out_by_the_calls_utc_start_date():
    moscow = timezone(timedelta(hours=3))
    key = recording_key(datetime(2026, 11, 24, 1, 30, tzinfo=moscow), "1795430021.0", "1795430021.1-in.wav")
    assert key == "2026/11/23/1795430021.0/1795430021.1-in.wav"
    assert key_day(key) == date(2026, 11, 23)
    assert key_day("1795430021.1.wav") is None and key_day("2026/13/40/x/y.wav") is None


def test_put_copies_and_verifies(tmp_path):
    source = write_wav(tmp_path / "spool" / "1.wav", 1.0)
    store = LocalStore(tmp_path / "store")
    store.put("2026/11/23/1.0/1.wav", source, sha256_of(source))
    assert store.path("2026/11/23/1.0/1.wav").read_bytes() == source.read_bytes()
    with store.open("2026/11/23/1.0/1.wav") as handle:
        assert handle.read(4) == b"RIFF"
    assert source.exists()  # the PBX's original stays
    assert [p.name for p in (tmp_path / "store/2026/11/23/1.0").iterdir()] == ["1.wav"]


def test_a_copy_that_differs_is_not_stored(tmp_path):
    source = write_wav(tmp_path / "1.wav", 1.0)
    store = LocalStore(tmp_path / "store")
    with pytest.raises(StoreError):
        store.put("2026/11/23/1.0/1.wav", source, "0" * 64)
    assert not store.exists("2026/11/23/1.0/1.wav")
    assert list((tmp_path / "store/2026/11/23/1.0").iterdir()) == []  # no partial file left


def test_keys_outside_the_layout_are_refused(tmp_path):
    store = LocalStore(tmp_path)
    for key in ("../etc/passwd", "2026/11/23/../../x/y.wav", "1.wav"):
        with pytest.raises(ValueError):
            store.exists(key)


def test_delete_removes_the_file_and_empty_folders(tmp_path):
    store = LocalStore(tmp_path)
    source = write_wav(tmp_path / "spool.wav", 0.5)
    for key in ("2026/11/23/1.0/1.wav", "2026/11/23/1.0/1-in.wav", "2026/11/24/2.0/2.wav"):
        store.put(key, source, sha256_of(source))
    store.delete("2026/11/23/1.0/1.wav")
    assert (tmp_path / "2026/11/23/1.0").is_dir()
    store.delete("2026/11/23/1.0/1-in.wav")
    store.delete("2026/11/23/1.0/1-in.wav")  # already gone: nothing happens
    assert not (tmp_path / "2026/11/23").exists() and (tmp_path / "2026/11/24/2.0/2.wav").is_file()


def test_list_older_than_sees_only_the_stores_own_keys(tmp_path):
    store = LocalStore(tmp_path)
    source = write_wav(tmp_path / "1795430021.1.wav", 0.5)  # the PBX's own file in the same folder
    write_wav(tmp_path / "2026/10/01/in-200-100.wav", 0.5)  # a PBX's own dated layout (FreePBX)
    for key in ("2026/10/31/1.0/1.wav", "2026/11/01/2.0/2.wav", "2026/11/02/3.0/3.wav"):
        store.put(key, source, sha256_of(source))
    assert store.list_older_than(date(2026, 11, 2)) == ["2026/10/31/1.0/1.wav", "2026/11/01/2.0/2.wav"]
    assert store.list_older_than(date(2026, 10, 31)) == []
