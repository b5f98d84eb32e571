"""Pure parts of the plumbing: recording paths, cursors, errors."""

import os
from datetime import datetime, timezone

import pytest

from api.errors import BadRequest
from api.pagination import PageQuery, SortField, Sorting
from recordings.files import local_recording
from storage.models import Call

PBX = "/var/spool/asterisk/monitor"
SORTS = Sorting(Call.id, {"started_at": SortField(Call.started_at, datetime)}, "-started_at")


def test_recording_paths_map_into_the_recordings_dir(tmp_path):
    root = tmp_path / "recordings"
    (root / "2026").mkdir(parents=True)
    (root / "2026" / "1.wav").write_bytes(b"RIFF")
    (tmp_path / "secret").write_bytes(b"x")
    os.symlink(tmp_path / "secret", root / "escape.wav")
    os.symlink(root / "2026" / "1.wav", root / "inside.wav")
    assert local_recording(f"{PBX}/2026/1.wav", PBX, root) == (root / "2026" / "1.wav").resolve()
    assert local_recording("2026/1.wav", PBX, root) == (root / "2026" / "1.wav").resolve()
    assert local_recording(f"{PBX}/inside.wav", PBX, root) is not None
    for reported in ("/etc/passwd", f"{PBX}/../monitor/2026/1.wav", "../secret", f"{PBX}/escape.wav", f"{PBX}/2026",
                     f"{PBX}", "", f"{PBX}/nothing.wav"):
        assert local_recording(reported, PBX, root) is None, reported


def test_cursors_round_trip_and_are_checked():
    cursor = Sorting.cursor("-started_at", datetime(2026, 11, 23, 10, 0), 7)
    page = SORTS.request(PageQuery(cursor=cursor), "-started_at")
    assert page.after == (datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc), 7)
    for bad in (Sorting.cursor("-started_at", "yesterday", 7), Sorting.cursor("-started_at", "2026-11-23T10:00:00", 7),
                Sorting.cursor("-started_at", "2026-11-23T10:00:00+00:00", True), Sorting.cursor("started_at", None, 1)):
        with pytest.raises(BadRequest):
            SORTS.request(PageQuery(cursor=bad), "-started_at")
    assert PageQuery(limit=10_000).limit == 100
