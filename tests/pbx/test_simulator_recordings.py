"""MixMonitor files: where Asterisk says they are, 8 kHz mono 16-bit, aligned, the corpus audio."""

from __future__ import annotations

import asyncio
import wave
from pathlib import Path

import numpy as np

from pbx.simulator.scenario import CallSpec
from pbx.simulator.simulator import Simulator
from pbx.simulator.testing import EventLog, StaticRouteAgi
from tests.support.data import CORPUS

SPEED = 50.0


async def place(spec: CallSpec, recordings: Path) -> list[dict[str, str]]:
    log, agi = EventLog(), StaticRouteAgi("101")
    simulator = Simulator(log, "127.0.0.1", await agi.start(), recordings, CORPUS, speed=SPEED)
    await asyncio.wait_for(simulator.wait_call(await simulator.place_call(spec)), 10)
    await agi.stop()
    return log.events


def last_value(events: list[dict[str, str]], variable: str) -> str:
    return [e["Value"] for e in events if e["Event"] == "VarSet" and e["Variable"] == variable][-1]


def read(path: Path) -> np.ndarray:
    with wave.open(str(path)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 8000), path
        return np.frombuffer(wav.readframes(wav.getnframes()), "<i2")


def corpus_channel(name: str, index: int) -> np.ndarray:
    with wave.open(str(CORPUS / f"{name}.wav")) as wav:
        return np.frombuffer(wav.readframes(wav.getnframes()), "<i2").reshape(-1, 2)[:, index]


def test_split_recording_holds_the_corpus_call_time_aligned(tmp_path):
    spec = CallSpec("74951234567", "89161112233", "Елена Смирнова", audio="call003", split_recording=True,
                    agent_talk_seconds=2)
    events = asyncio.run(place(spec, tmp_path))
    mixed_path = Path(last_value(events, "MIXMONITOR_FILENAME"))
    uniqueid = next(e["Uniqueid"] for e in events if e["Event"] == "MixMonitorStart")
    assert mixed_path == tmp_path.resolve() / f"{uniqueid}.wav"
    heard, sent, mixed = (read(mixed_path.with_name(f"{uniqueid}{suffix}.wav")) for suffix in ("-in", "-out", ""))
    assert len(heard) == len(sent) == len(mixed)

    # like the reference recordings: silence while it rang, then the conversation until the hangup
    answered = int(last_value(events, "ANSWEREDTIME_MS")) * 8
    dialed = int(last_value(events, "DIALEDTIME_MS")) * 8
    assert abs(len(mixed) - dialed) <= 0.5 * 8000  # MixMonitor starts just before the Dial (AGI in between)
    expected_offset = len(mixed) - answered
    client, manager = corpus_channel("call003", 0), corpus_channel("call003", 1)
    # simulated time runs SPEED x the wall clock, so the ms of wall time between the recording's end
    # and the ANSWEREDTIME_MS VarSet become tens of simulated ms: look within +-50 ms
    offset = next(o for o in range(expected_offset - 400, expected_offset + 401)
                  if np.array_equal(sent[o:o + 8000], manager[:8000]))
    assert not heard[:offset].any() and not sent[:offset].any()
    talk = min(len(mixed) - offset, len(client))  # the manager talks 2 s past the end of the corpus audio
    assert np.array_equal(heard[offset:offset + talk], client[:talk])
    assert np.array_equal(sent[offset:offset + talk], manager[:talk])
    assert not heard[offset + talk:].any() and not sent[offset + talk:].any()
    assert np.array_equal(mixed, np.clip(heard.astype(np.int32) + sent, -32768, 32767))


def test_plain_recording_is_one_file_of_the_monitored_time(tmp_path):
    events = asyncio.run(place(CallSpec("79161234567", "79161234567", "Test Caller"), tmp_path))
    recording = Path(last_value(events, "MIXMONITOR_FILENAME"))
    assert sorted(p.name for p in tmp_path.iterdir()) == [recording.name]
    samples = read(recording)
    dialed_seconds = int(last_value(events, "DIALEDTIME_MS")) / 1000
    assert abs(len(samples) / 8000 - dialed_seconds) <= 0.5
    assert not samples.any()  # the stock prompts carry no audio in the simulator


def test_a_call_nobody_answered_leaves_headers_only_as_a_real_mixmonitor(tmp_path):
    """MixMonitor writes no audio until some flows: an unanswered call's files are WAV headers (44 bytes)."""
    spec = CallSpec("74951234567", "89161112233", audio="call003", split_recording=True, patience=3,
                    agent_states={"101": "away", "102": "away", "103": "away"})
    events = asyncio.run(place(spec, tmp_path))
    assert not any(e["Event"] == "BridgeEnter" for e in events)
    uniqueid = next(e["Uniqueid"] for e in events if e["Event"] == "MixMonitorStart")
    for suffix in ("-in", "-out", ""):
        path = tmp_path / f"{uniqueid}{suffix}.wav"
        assert path.stat().st_size == 44 and len(read(path)) == 0
