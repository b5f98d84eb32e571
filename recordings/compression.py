"""Compressing older recordings: WAV files of calls older than M days are
re-encoded as Ogg Opus at telephone quality (16 kbit/s a channel, the
channels and rate kept, so a stereo recording still has the client and the
manager apart), about a tenth of the size of 16-bit PCM at 8 kHz.

Safe to interrupt: the compressed file is stored (and verified) first, then
the card's path and tracks are pointed at it, and only then is the WAV
deleted. Transcription reads Opus as well as WAV, so a call can still be
transcribed again after it was compressed.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath

import av
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from recordings.checks import sha256_of
from recordings.store import RecordingStore, local_file
from storage.models import Recording

log = logging.getLogger(__name__)
BITS_PER_CHANNEL = 16_000
OPUS_RATES = (8000, 12000, 16000, 24000, 48000)


@dataclass(frozen=True)
class Compressed:
    key: str
    size_bytes: int
    sha256: str


@dataclass(frozen=True)
class CompressionReport:
    cutoff: datetime | None  # None: compression is off
    keys: dict[str, Compressed]  # by the WAV's key


def encode_opus(source: Path, target: Path) -> None:
    """``source`` (any audio PyAV reads) as Ogg Opus in ``target``."""
    with av.open(str(source)) as wav, av.open(str(target), "w", format="ogg") as ogg:
        heard = wav.streams.audio[0]
        rate = min((r for r in OPUS_RATES if r >= heard.rate), default=48000)
        stream = ogg.add_stream("libopus", rate=rate, layout=heard.layout.name)
        stream.bit_rate = BITS_PER_CHANNEL * heard.channels
        resampler = av.AudioResampler(format="s16", layout=heard.layout.name, rate=rate)
        for frame in wav.decode(heard):
            for resampled in resampler.resample(frame):
                ogg.mux(stream.encode(resampled))
        for resampled in resampler.resample(None):
            ogg.mux(stream.encode(resampled))
        ogg.mux(stream.encode(None))


def opus_key(key: str) -> str:
    return str(PurePosixPath(key).with_suffix(".opus"))


async def compress_older(
    store: RecordingStore, sessions: async_sessionmaker, now: datetime, days: int
) -> CompressionReport:
    """Compress the stored WAV files of calls that started ``days`` or more days before ``now`` (0: never)."""
    if days <= 0:
        return CompressionReport(None, {})
    cutoff = now - timedelta(days=days)
    keys = [key for key in await asyncio.to_thread(store.list_older_than, cutoff.date()) if key.endswith(".wav")]
    done: dict[str, Compressed] = {}
    for key in keys:
        try:
            done[key] = await asyncio.to_thread(_compress, store, key)
        except (av.FFmpegError, OSError, ValueError) as error:
            log.warning("compressing recording %s failed, kept as it is: %s", key, error)
    await _repoint(sessions, done)
    await asyncio.to_thread(lambda: [store.delete(key) for key in done])
    if done:
        log.info("compressed %d recording file(s) of calls before %s", len(done), cutoff.date())
    return CompressionReport(cutoff, done)


def _compress(store: RecordingStore, key: str) -> Compressed:
    target = opus_key(key)
    with tempfile.TemporaryDirectory() as folder, local_file(store, key) as source:
        encoded = Path(folder) / "out.opus"
        encode_opus(source, encoded)
        compressed = Compressed(target, encoded.stat().st_size, sha256_of(encoded))
        store.put(target, encoded, compressed.sha256)
    return compressed


async def _repoint(sessions: async_sessionmaker, moved: dict[str, Compressed]) -> None:
    """Point the cards whose recording (or one of its tracks) moved at the compressed files."""
    folders = {str(PurePosixPath(key).parent) for key in moved}
    async with sessions() as session, session.begin():
        for folder in folders:
            recordings = await session.scalars(select(Recording).where(Recording.path.startswith(f"{folder}/")))
            for recording in recordings:
                if (mixed := moved.get(recording.path)) is not None:
                    recording.path, recording.size_bytes, recording.sha256 = mixed.key, mixed.size_bytes, mixed.sha256
                if recording.tracks:
                    recording.tracks = [
                        {**track, "key": moved[track["key"]].key} if track["key"] in moved else track
                        for track in recording.tracks
                    ]
