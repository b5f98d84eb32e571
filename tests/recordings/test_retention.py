"""Retention deletes exactly the old recordings; a dry run deletes nothing."""

import os
from datetime import datetime, timedelta, timezone

from click.testing import CliRunner
from sqlalchemy import select

from callcenter.cli import main
from callcenter.clock import FakeClock
from recordings.checks import sha256_of
from recordings.retention import apply_retention
from recordings.store import LocalStore, recording_key
from storage.models import Call, Recording
from tests.recordings.wavs import write_wav

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)


async def calls_on_days(sessions, store: LocalStore, source, *days_ago: int) -> list[str]:
    """One stored recording per call, started ``days_ago`` before NOW; their keys."""
    keys = []
    async with sessions() as session, session.begin():
        for index, days in enumerate(days_ago):
            started = NOW - timedelta(days=days)
            key = recording_key(started, f"{index}.0", f"{index}.1.wav")
            store.put(key, source, sha256_of(source))
            session.add(Call(linkedid=f"{index}.0", direction="inbound", started_at=started, disposition="answered",
                             recording=Recording(path=key, status="ok")))
            keys.append(key)
    return keys


async def test_retention_deletes_exactly_the_old_ones(sessions, tmp_path):
    store, clock = LocalStore(tmp_path / "store"), FakeClock(NOW)
    keys = await calls_on_days(sessions, store, write_wav(tmp_path / "a.wav", 1.0), 0, 29, 30, 31, 400)
    report = await apply_retention(store, sessions, clock.now(), 30, dry_run=True)
    assert report.keys == sorted([keys[3], keys[4]]) and all(store.exists(key) for key in keys)

    report = await apply_retention(store, sessions, clock.now(), 30)
    assert report.keys == sorted([keys[3], keys[4]])
    assert [store.exists(key) for key in keys] == [True, True, True, False, False]
    async with sessions() as session:
        statuses = dict((await session.execute(select(Recording.path, Recording.status))).all())
        error = await session.scalar(select(Recording.error).where(Recording.path == keys[3]))
    assert [statuses[key] for key in keys] == ["ok", "ok", "ok", "missing", "missing"]
    assert error == "deleted by the retention policy (30 days) on 2026-11-23"

    clock.advance(86400)  # a day later the 30-day-old call is past it too
    assert (await apply_retention(store, sessions, clock.now(), 30)).keys == [keys[2]]


async def test_zero_days_keeps_everything(sessions, tmp_path):
    store = LocalStore(tmp_path / "store")
    keys = await calls_on_days(sessions, store, write_wav(tmp_path / "a.wav", 1.0), 1000)
    report = await apply_retention(store, sessions, NOW, 0)
    assert (report.cutoff, report.keys, store.exists(keys[0])) == (None, [], True)


def test_the_cli_command(tmp_path):
    old = tmp_path / "data/recordings/2001/01/01/1.0/1.wav"
    write_wav(old, 0.5)
    env = {"CALLCENTER_DATA_DIR": str(tmp_path / "data"), "CALLCENTER_CONFIG": str(tmp_path / "none.toml"),
           "DATABASE_URL": "", "CALLCENTER_RECORDINGS_RETENTION_DAYS": "30"}
    dry = CliRunner().invoke(main, ["recordings", "retention", "--dry-run"], env=env)
    assert dry.exit_code == 0, dry.output
    assert dry.output.splitlines()[0] == "2001/01/01/1.0/1.wav" and "would delete 1 file(s)" in dry.output
    assert old.exists()
    done = CliRunner().invoke(main, ["recordings", "retention"], env=env)
    assert done.exit_code == 0 and "deleted 1 file(s)" in done.output and not old.exists()
    off = CliRunner().invoke(main, ["recordings", "retention"], env={**env, "CALLCENTER_RECORDINGS_RETENTION_DAYS": "0"})
    assert "retention is off" in off.output
    assert os.listdir(tmp_path / "data/recordings") == []
