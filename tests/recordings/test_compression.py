"""Older recordings are re-encoded as Opus: the card follows the new file,
the audio keeps its channels and length, and a bad file is left as it was.
Retention can take the transcripts with the recordings."""

import shutil
from datetime import datetime, timedelta, timezone

from click.testing import CliRunner
from sqlalchemy import select

from callcenter.cli import main
from recordings.checks import sha256_of
from recordings.compression import compress_older
from recordings.retention import apply_retention
from recordings.store import LocalStore, recording_key
from storage.models import Call, Recording, Transcript
from tests.support.data import CORPUS
from transcription.audio import channel_count, load_channel

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)


async def stored_call(sessions, store: LocalStore, linkedid: str, days_ago: int, source=CORPUS / "call000.wav") -> str:
    started = NOW - timedelta(days=days_ago)
    key = recording_key(started, linkedid, f"{linkedid}.wav")
    store.put(key, source, sha256_of(source))
    tracks = [{"role": "client", "key": key, "channel": 0}, {"role": "manager", "key": key, "channel": 1}]
    async with sessions() as session, session.begin():
        session.add(Call(linkedid=linkedid, direction="inbound", started_at=started, disposition="answered",
                         recording=Recording(path=key, status="ok", layout="stereo", tracks=tracks,
                                             size_bytes=source.stat().st_size),
                         transcript=Transcript(status="done", lines=[], search_text="")))
    return key


async def recording_of(sessions, linkedid: str) -> Recording:
    async with sessions() as session:
        return await session.scalar(select(Recording).join(Call).where(Call.linkedid == linkedid))


async def test_old_recordings_become_opus_and_the_card_follows(sessions, tmp_path):
    store = LocalStore(tmp_path / "store")
    old = await stored_call(sessions, store, "old", 40)
    recent = await stored_call(sessions, store, "recent", 5)
    report = await compress_older(store, sessions, NOW, 30)
    assert list(report.keys) == [old] and report.keys[old].key == old.removesuffix(".wav") + ".opus"
    assert not store.exists(old) and store.exists(recent)

    recording = await recording_of(sessions, "old")
    opus = store.path(recording.path)
    assert recording.path.endswith(".opus") and [t["key"] for t in recording.tracks] == [recording.path] * 2
    assert recording.size_bytes == opus.stat().st_size < (CORPUS / "call000.wav").stat().st_size / 5
    assert recording.sha256 == sha256_of(opus)
    assert channel_count(opus) == 2
    assert abs(len(load_channel(opus, 1)) - len(load_channel(CORPUS / "call000.wav", 1))) < 16000 * 0.05
    assert (await recording_of(sessions, "recent")).path == recent
    assert (await compress_older(store, sessions, NOW, 30)).keys == {}  # nothing left to do


async def test_a_bad_file_is_kept_and_zero_days_is_off(sessions, tmp_path):
    store = LocalStore(tmp_path / "store")
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    key = await stored_call(sessions, store, "bad", 40, source=broken)
    assert (await compress_older(store, sessions, NOW, 0)).cutoff is None
    report = await compress_older(store, sessions, NOW, 30)
    assert report.keys == {} and store.exists(key) and (await recording_of(sessions, "bad")).path == key


async def test_retention_can_take_the_transcripts_too(sessions, tmp_path):
    store = LocalStore(tmp_path / "store")
    await stored_call(sessions, store, "kept", 40)
    await apply_retention(store, sessions, NOW, 30)
    async with sessions() as session:
        assert len((await session.scalars(select(Transcript))).all()) == 1
    await stored_call(sessions, store, "gone", 40, source=shutil.copyfile(CORPUS / "call001.wav", tmp_path / "b.wav"))
    await apply_retention(store, sessions, NOW, 30, transcripts=True)
    async with sessions() as session:
        left = (await session.execute(select(Call.linkedid).join(Transcript))).scalars().all()
    assert left == ["kept"]  # deleted with the recording retention removed this time, not before


def test_the_cli_command(tmp_path):
    env = {"CALLCENTER_DATA_DIR": str(tmp_path), "CALLCENTER_CONFIG": str(tmp_path / "none.toml"), "DATABASE_URL": ""}
    result = CliRunner().invoke(main, ["recordings", "compress"], env=env)
    assert result.exit_code == 0 and "compression is off" in result.output
    result = CliRunner().invoke(main, ["recordings", "compress"], env=env | {"CALLCENTER_RECORDINGS_COMPRESS_AFTER_DAYS": "30"})
    assert result.exit_code == 0, result.output
    assert result.output.strip().startswith("compressed 0 file(s) of calls before ")
