"""From call.ended to a registered recording, on both databases."""

import asyncio
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from callcenter.bus import CALL_ENDED, RECORDING_READY, DomainEvent, EventBus
from callcenter.clock import FakeClock
from crm.call_cards import CallCardStore
from pbx.tracker.model import CallRecord, Direction, Disposition
from callcenter.stopping import stop_tasks
from recordings.checks import sha256_of
from recordings.service import PickupPolicy, RecordingService
from recordings.store import LocalStore
from storage.models import Recording
from tests.recordings.wavs import write_wav
from tests.support.data import RECORDINGS

PBX = "/var/spool/asterisk/monitor"
T0 = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
KEY = "2026/11/23/1795430021.0/1795430021.1.wav"


def record(seconds: float = 64.0, talk: float = 55.0, linkedid: str = "1795430021.0", name: str = "1795430021.1.wav",
           direction: Direction = Direction.INBOUND) -> CallRecord:
    """An answered call whose recording is ``name`` in the PBX's spool; the real files last 63.6 s."""
    return CallRecord(
        linkedid=linkedid, direction=direction, started_at=T0, caller_raw="89161112233",
        answered_at=T0 + timedelta(seconds=seconds - talk), ended_at=T0 + timedelta(seconds=seconds),
        answered_by="101", disposition=Disposition.ANSWERED, recording_file=f"{PBX}/{name}",
    )


class Rig:
    def __init__(self, sessions, root: Path) -> None:
        self.root, self.bus, self.clock = root, EventBus(), FakeClock(T0 + timedelta(seconds=65))
        self.store = LocalStore(root)
        self.cards = CallCardStore(sessions)
        self.cards.subscribe(self.bus)
        policy = PickupPolicy(PBX, root, tolerance=3.0, client_channel=0, missing_grace_seconds=60.0, sweep_seconds=0.2)
        self.service = RecordingService(sessions, self.store, self.bus, self.clock, policy)
        self.service.subscribe(self.bus)
        self.ready: list[dict] = []

        async def note(event: DomainEvent) -> None:
            self.ready.append(event.payload)
        self.bus.subscribe(RECORDING_READY, note)
        self.sessions = sessions

    def spool(self, *names: str) -> None:
        for name in names:
            shutil.copy(RECORDINGS / name, self.root / name)

    async def row(self) -> Recording:
        async with self.sessions() as session:
            return await session.scalar(select(Recording))


@pytest.fixture
def rig(sessions, tmp_path) -> Rig:
    (tmp_path / "recordings").mkdir()
    return Rig(sessions, tmp_path / "recordings")


async def test_call_ended_registers_the_split_recording(rig):
    rig.spool("1795430021.1.wav", "1795430021.1-in.wav", "1795430021.1-out.wav")
    worker = asyncio.create_task(rig.service.run_forever())
    try:
        await rig.bus.publish(DomainEvent(CALL_ENDED, record()))
        async with asyncio.timeout(5):
            while not rig.ready:
                await asyncio.sleep(0.02)
    finally:
        await stop_tasks([worker])
    row = await rig.row()
    assert (row.status, row.error, row.path) == ("ok", "", KEY)
    assert (row.size_bytes, row.duration_seconds, row.channels) == (1017644, pytest.approx(63.6), 1)
    assert row.sha256 == sha256_of(RECORDINGS / "1795430021.1.wav") == sha256_of(rig.root / KEY)
    [ready] = rig.ready
    assert ready == {
        "call_id": row.call_id, "linkedid": "1795430021.0", "recording_id": row.id, "status": "ok", "answered": True,
        "key": KEY, "layout": "split", "duration_seconds": pytest.approx(63.6), "sample_rate": 8000,
        "tracks": [
            {"role": "client", "key": "2026/11/23/1795430021.0/1795430021.1-in.wav", "channel": 0},
            {"role": "manager", "key": "2026/11/23/1795430021.0/1795430021.1-out.wav", "channel": 0},
        ],
    }
    for track in ready["tracks"]:
        assert rig.store.path(track["key"]).read_bytes() == (RECORDINGS / Path(track["key"]).name).read_bytes()


async def test_a_replayed_call_is_not_picked_up_or_announced_again(rig):
    rig.spool("1795430021.1.wav")
    await rig.cards.save(record())
    assert await rig.service.register("1795430021.0") == "ok"
    await rig.cards.save(record())  # the replay puts the PBX's path back on the card
    assert (await rig.row()).path == f"{PBX}/1795430021.1.wav"
    (rig.root / "1795430021.1.wav").unlink()  # and the PBX has rotated its spool meanwhile
    assert await rig.service.register("1795430021.0") == "ok"
    assert ((await rig.row()).path, len(rig.ready)) == (KEY, 1)


async def test_stereo_and_mono_recordings(rig):
    write_wav(rig.root / "stereo.wav", 60.0, channels=2)
    write_wav(rig.root / "mono.wav", 60.0)
    await rig.cards.save(record(linkedid="1.0", name="stereo.wav"))
    await rig.cards.save(record(linkedid="2.0", name="mono.wav"))
    assert await rig.service.register("1.0") == await rig.service.register("2.0") == "ok"
    stereo, mono = rig.ready
    assert (stereo["layout"], stereo["tracks"]) == ("stereo", [
        {"role": "client", "key": "2026/11/23/1.0/stereo.wav", "channel": 0},
        {"role": "manager", "key": "2026/11/23/1.0/stereo.wav", "channel": 1}])
    assert (mono["layout"], mono["tracks"]) == ("mono", [{"role": "unknown", "key": "2026/11/23/2.0/mono.wav", "channel": 0}])


async def test_a_recording_not_there_yet_stays_pending_then_is_missing(rig):
    await rig.cards.save(record())
    assert await rig.service.register("1795430021.0") is None
    assert (await rig.row()).status == "pending"
    rig.clock.advance(60)
    assert await rig.service.register("1795430021.0") == "missing"
    row = await rig.row()
    assert row.error == f"no file at {PBX}/1795430021.1.wav (looked in {rig.root})"
    assert rig.ready == []


async def test_a_corrupt_file_is_recorded_as_such_and_not_stored(rig):
    rig.spool("1795430021.1.wav")
    path = rig.root / "1795430021.1.wav"
    path.write_bytes(path.read_bytes()[:5000])
    await rig.cards.save(record())
    assert await rig.service.register("1795430021.0") == "corrupt"
    row = await rig.row()
    assert (row.path, row.sha256) == (f"{PBX}/1795430021.1.wav", None)
    assert row.error == "1795430021.1.wav: truncated: the header declares 1017600 bytes of audio, the file holds 4956"
    assert not (rig.root / "2026").exists() and rig.ready == []


def missed(linkedid: str = "1795430021.0", name: str = "1795430021.1.wav") -> CallRecord:
    return CallRecord(
        linkedid=linkedid, direction=Direction.INBOUND, started_at=T0, caller_raw="89161112233",
        ended_at=T0 + timedelta(seconds=40), disposition=Disposition.MISSED, recording_file=f"{PBX}/{name}",
    )


async def test_a_missed_calls_header_only_recording_is_empty_not_corrupt_and_goes_no_further(rig):
    """A real MixMonitor writes no audio until some flows: a call nobody answered leaves 44-byte files."""
    for name in ("1795430021.1.wav", "1795430021.1-in.wav", "1795430021.1-out.wav"):
        write_wav(rig.root / name, 0.0)
    await rig.cards.save(missed())
    assert await rig.service.register("1795430021.0") == "empty"
    row = await rig.row()
    assert (row.error, row.sha256) == ("1795430021.1.wav: no audio, a header only: nothing was heard", None)
    assert not (rig.root / "2026").exists() and rig.ready == []  # not stored, no transcription


async def test_an_answered_calls_header_only_recording_is_corrupt(rig):
    write_wav(rig.root / "1795430021.1.wav", 0.0)
    await rig.cards.save(record())
    assert await rig.service.register("1795430021.0") == "corrupt"
    assert (await rig.row()).error == (
        "1795430021.1.wav: no audio, a header only: nothing was heard, though the call had 55 s of talk"
    )


async def test_a_bad_half_of_the_pair_makes_the_recording_corrupt(rig):
    rig.spool("1795430021.1.wav", "1795430021.1-in.wav")
    (rig.root / "1795430021.1-out.wav").write_bytes(b"")
    await rig.cards.save(record())
    assert await rig.service.register("1795430021.0") == "corrupt"
    assert (await rig.row()).error == "1795430021.1-out.wav: empty file (0 bytes)"


async def test_a_recording_that_does_not_fit_the_call_is_a_mismatch_but_stored(rig):
    rig.spool("1795430021.1.wav")
    await rig.cards.save(record(seconds=300.0, talk=290.0))
    rig.clock.advance(240)
    assert await rig.service.register("1795430021.0") == "mismatch"
    row = await rig.row()
    assert row.error.startswith("the recording lasts 63.6 s; the call 300.0 s with 290.0 s of talk")
    assert (row.path, row.duration_seconds) == (KEY, pytest.approx(63.6))
    assert [ready["status"] for ready in rig.ready] == ["mismatch"]


async def test_a_failing_store_leaves_the_recording_pending_and_the_worker_going(rig, monkeypatch):
    rig.spool("1795430021.1.wav")
    write_wav(rig.root / "2.wav", 60.0)
    await rig.cards.save(record())
    await rig.cards.save(record(linkedid="2.0", name="2.wav"))
    put = rig.store.put

    def full_disk_once(key, source, sha256):
        monkeypatch.setattr(rig.store, "put", put)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(rig.store, "put", full_disk_once)
    worker = asyncio.create_task(rig.service.run_forever())  # the sweep finds both pending
    try:
        async with asyncio.timeout(5):
            while len(rig.ready) < 2:  # the failed one is swept up again 0.2 s later
                await asyncio.sleep(0.02)
    finally:
        await stop_tasks([worker])
    assert sorted(ready["linkedid"] for ready in rig.ready) == ["1795430021.0", "2.0"]
