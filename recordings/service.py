"""From a call's end to a registered recording, off the AMI pipeline.

The ``call.ended`` handler only queues the call's linkedid; a worker task
(on the AMI leader, beside the tracker) picks the recording up in a thread,
so a slow disk or share never holds the AMI events back. The ``pending``
rows are the durable queue: the worker also sweeps them periodically, so
recordings of calls that ended before a crash or a takeover are picked up
too. Each pickup ends in one status on the card (``recordings.checks.Status``)
and, for usable audio (``ok``, or ``mismatch``: audio that does not fit the
call's times), ``recording.ready`` with the tracks for transcription; a
missed call's file holds no audio (``empty``) and goes no further.

Idempotent: a recording already in the store is not picked up or announced
again (a replayed ``call.ended`` rewrites the card's path to the PBX's; the
pickup puts the key back).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from callcenter.bus import CALL_ENDED, RECORDING_READY, DomainEvent, EventBus
from callcenter.clock import Clock
from callcenter.config import Settings
from crm.leads import utc
from pbx.tracker.model import CallRecord, Direction
from recordings.checks import Status
from recordings.files import local_recording
from recordings.pickup import CallTimes, Pickup, pick_up
from recordings.store import RecordingStore, recording_key
from storage.models import Call, Recording

log = logging.getLogger(__name__)
USABLE = (Status.OK, Status.MISMATCH)


@dataclass(frozen=True)
class PickupPolicy:
    pbx_dir: str
    root: Path
    tolerance: float
    client_channel: int
    missing_grace_seconds: float
    sweep_seconds: float

    @classmethod
    def from_settings(cls, settings: Settings) -> PickupPolicy:
        return cls(
            pbx_dir=settings.pbx_recordings_dir,
            root=settings.effective_recordings_dir,
            tolerance=settings.recordings_duration_tolerance_seconds,
            client_channel=settings.recordings_stereo_client_channel,
            missing_grace_seconds=settings.recordings_missing_grace_seconds,
            sweep_seconds=settings.recordings_sweep_seconds,
        )


class RecordingService:
    def __init__(
        self, sessions: async_sessionmaker, store: RecordingStore, bus: EventBus, clock: Clock, policy: PickupPolicy
    ) -> None:
        self._sessions = sessions
        self._store = store
        self._bus = bus
        self._clock = clock
        self._policy = policy
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._queued: set[str] = set()

    def subscribe(self, bus: EventBus) -> None:
        """After the call-card store: the card's recording row exists by then."""
        bus.subscribe(CALL_ENDED, self._on_call_ended)

    async def _on_call_ended(self, event: DomainEvent) -> None:
        record: CallRecord = event.payload
        if record.recording_file:
            self._enqueue(record.linkedid)

    def _enqueue(self, linkedid: str) -> None:
        if linkedid not in self._queued:
            self._queued.add(linkedid)
            self._queue.put_nowait(linkedid)

    async def run_forever(self) -> None:
        """Pick up queued recordings one at a time; sweep the pending ones every ``sweep_seconds``."""
        loop = asyncio.get_running_loop()
        next_sweep = loop.time()
        while True:
            if loop.time() >= next_sweep:
                await self._sweep()
                next_sweep = loop.time() + self._policy.sweep_seconds
            try:
                linkedid = await asyncio.wait_for(self._queue.get(), max(next_sweep - loop.time(), 0.0))
            except TimeoutError:
                continue
            self._queued.discard(linkedid)
            try:
                await self.register(linkedid)
            except Exception:
                log.exception("picking up the recording of %s failed; it stays pending", linkedid)

    async def _sweep(self) -> None:
        try:
            async with self._sessions() as session:
                pending = await session.scalars(
                    select(Call.linkedid).join(Recording).where(Recording.status == Status.PENDING).order_by(Recording.id)
                )
                for linkedid in pending:
                    self._enqueue(linkedid)
        except Exception:
            log.exception("looking for pending recordings failed; next sweep in %.0f s", self._policy.sweep_seconds)

    async def register(self, linkedid: str) -> Status | None:
        """Pick up the recording of call ``linkedid``; its status, or None when there is nothing (yet) to record."""
        async with self._sessions() as session:
            row = (await session.execute(select(Recording, Call).join(Call).where(Call.linkedid == linkedid))).first()
        if row is None:
            return None
        recording, call = row
        times = _times(call)
        key = recording_key(times.started_at, linkedid, PurePosixPath(recording.path).name)
        if recording.status in USABLE and await asyncio.to_thread(self._store.exists, key):
            if recording.path != key:
                await self._save(recording.id, path=key)
            return Status(recording.status)
        source = local_recording(recording.path, self._policy.pbx_dir, self._policy.root)
        if source is None:
            return await self._missing(recording, call)
        result = await asyncio.to_thread(
            pick_up, source, times, self._store,
            tolerance=self._policy.tolerance, client_channel=self._policy.client_channel,
        )
        await self._record(recording.id, result)
        if result.status in USABLE:
            await self._bus.publish(DomainEvent(RECORDING_READY, _ready(call, recording.id, result)))
        elif result.status is not Status.EMPTY:
            log.warning("recording of %s is %s: %s", linkedid, result.status, result.error)
        return result.status

    async def _missing(self, recording: Recording, call: Call) -> Status | None:
        ended = utc(call.ended_at) or self._clock.now()
        if (self._clock.now() - ended).total_seconds() < self._policy.missing_grace_seconds:
            return None  # still pending: the next sweep looks again
        error = f"no file at {recording.path} (looked in {self._policy.root})"
        if recording.status != Status.MISSING or recording.error != error:
            log.warning("recording of %s is missing: %s", call.linkedid, error)
            await self._save(recording.id, status=Status.MISSING, error=error)
        return Status.MISSING

    async def _record(self, recording_id: int, result: Pickup) -> None:
        facts = {"status": result.status, "error": result.error[:500]}
        if result.audio is not None:
            facts |= {
                "size_bytes": result.audio.size_bytes,
                "duration_seconds": result.audio.duration_seconds,
                "channels": result.audio.channels,
                "sha256": result.audio.sha256,
            }
        if result.key is not None:
            facts["path"] = result.key
        if result.layout is not None:
            facts |= {"layout": str(result.layout), "tracks": track_rows(result)}
        await self._save(recording_id, **facts)

    async def _save(self, recording_id: int, **facts: object) -> None:
        async with self._sessions() as session, session.begin():
            recording = await session.get(Recording, recording_id)
            if recording is not None:
                for name, value in facts.items():
                    setattr(recording, name, value)


def _times(call: Call) -> CallTimes:
    started, ended = utc(call.started_at), utc(call.ended_at)
    return CallTimes(
        linkedid=call.linkedid,
        started_at=started,
        call_seconds=None if ended is None else (ended - started).total_seconds(),
        talk_seconds=call.talk_seconds,
        outbound=call.direction == Direction.OUTBOUND,
    )


def _ready(call: Call, recording_id: int, result: Pickup) -> dict[str, object]:
    """``recording.ready``'s payload (JSON-able): tracks are store keys with their role and channel."""
    assert result.audio is not None and result.layout is not None
    return {
        "call_id": call.id,
        "linkedid": call.linkedid,
        "recording_id": recording_id,
        "status": str(result.status),
        "answered": call.answered_at is not None,
        "key": result.key,
        "layout": str(result.layout),
        "duration_seconds": result.audio.duration_seconds,
        "sample_rate": result.audio.sample_rate,
        "tracks": track_rows(result),
    }


def track_rows(result: Pickup) -> list[dict[str, object]]:
    """The stored tracks as JSON-able rows: role, key, channel."""
    return [track.as_row() for track in result.tracks]
