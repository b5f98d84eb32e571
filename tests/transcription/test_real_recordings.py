"""The real MixMonitor recording (a real Asterisk 22, ``-in``: the client, ``-out``:
the manager; corpus call003's conversation) transcribed by the real model, as
recorded and as real calls also come: with 25 or 40 s of digital silence before
the answer (ringing, a queue), 20 s of music on hold in the middle of the
manager's track (the client hearing it, saying nothing: exact zeros on theirs),
and a DC offset. Every variant keeps every turn, at its time shifted by what was
added, and recognises the words as well (WER within 0.03 of the plain one)."""

from __future__ import annotations

import json
import logging

import jiwer
import numpy as np
import pytest

from tests.support.data import CORPUS, RECORDINGS
from tests.support.sounds import music
from transcription.audio import load_channel
from transcription.engine import Line, SpeakerAudio
from transcription.normalize import normalize
from transcription.speech import RATE, speech_regions

CLIENT = load_channel(RECORDINGS / "1795430021.1-in.wav")
MANAGER = load_channel(RECORDINGS / "1795430021.1-out.wav")
TRUTH = json.loads((CORPUS / "call003.json").read_text())
HOLD_AT = 24.0  # a pause of both (the manager's line ends at 23.5, the client's next begins at 25.1)
SPEAKERS = ("client", "manager")


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), np.float32)


def variant(name: str) -> tuple[np.ndarray, np.ndarray, float, float]:
    """The two tracks of a variant, and where its added stretch starts and how long it is."""
    if name.startswith("zeros"):
        seconds = float(name.removeprefix("zeros"))
        return np.concatenate([silence(seconds), CLIENT]), np.concatenate([silence(seconds), MANAGER]), 0.0, seconds
    if name == "hold":
        cut = int(HOLD_AT * RATE)
        held = music(20.0, np.random.default_rng(3))
        return (np.concatenate([CLIENT[:cut], silence(20.0), CLIENT[cut:]]),
                np.concatenate([MANAGER[:cut], held, MANAGER[cut:]]), HOLD_AT, 20.0)
    return CLIENT + 0.05, MANAGER + 0.05, 0.0, 0.0  # "dc"


def heard(lines: list[Line], speaker: str) -> jiwer.WordOutput:
    truth = normalize(" ".join(turn["text"] for turn in TRUTH["turns"] if turn["speaker"] == speaker))
    return jiwer.process_words(truth, normalize(" ".join(line.text for line in lines if line.speaker == speaker)))


def wer(lines: list[Line], speaker: str) -> float:
    return heard(lines, speaker).wer


@pytest.fixture(scope="module")
def plain(transcriber) -> list[Line]:
    return transcriber.transcribe([SpeakerAudio("client", CLIENT), SpeakerAudio("manager", MANAGER)])


@pytest.mark.parametrize("name", ["zeros25", "zeros40", "hold", "dc"])
def test_every_turn_is_kept_and_heard_as_well(transcriber, plain, name, caplog):
    client, manager, at, added = variant(name)
    with caplog.at_level(logging.WARNING, logger="faster_whisper"):
        lines = transcriber.transcribe([SpeakerAudio("client", client), SpeakerAudio("manager", manager)])
    assert "longer than 30 seconds" not in caplog.text
    for speaker in SPEAKERS:
        assert wer(lines, speaker) <= wer(plain, speaker) + 0.03, (speaker, [line.text for line in lines])
    for line in plain:
        expected = line.start + (added if line.start >= at else 0.0)
        assert any(other.speaker == line.speaker and abs(other.start - expected) < 1.0 for other in lines), (
            name, line.speaker, line.text, expected)
    assert len(lines) == len(plain)


def test_no_line_runs_past_a_turn(plain):
    """Lines split at pauses of 0.6 s and after 15 s: every line is one turn of the truth at most."""
    assert {line.speaker for line in plain} == set(SPEAKERS)
    assert all(line.end - line.start <= 15.0 for line in plain)
    for line in plain:
        words = line.words
        assert all(later.start - earlier.end < 0.6 for earlier, later in zip(words, words[1:]))


def test_a_monologue_longer_than_a_window_is_cut_and_fully_heard(transcriber, plain, caplog):
    """The manager's turns said back to back (their pauses cut to 0.3 s: 32 s without a pause that ends a
    region): cut at a quiet moment into regions that fit the model's window, nothing lost."""
    monologue = np.concatenate([MANAGER[int(region.start * RATE):int(region.end * RATE)]
                                for region in speech_regions(MANAGER)])
    assert len(speech_regions(monologue)) > 1 and len(monologue) / RATE > 30.0
    with caplog.at_level(logging.WARNING, logger="faster_whisper"):
        lines = transcriber.transcribe([SpeakerAudio("manager", monologue)])
    assert "longer than 30 seconds" not in caplog.text
    # nothing lost: no more of the truth's words missing than in the plain call; the words heard may differ
    # by a few (the pauses cut to 0.3 s make it other audio: 2-3 words either way on different CPUs)
    assert heard(lines, "manager").deletions <= heard(plain, "manager").deletions + 1
    assert wer(lines, "manager") <= wer(plain, "manager") + 0.06
