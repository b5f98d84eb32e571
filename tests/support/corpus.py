"""The real model, loaded once per test run, and the corpus transcribed by it once (for the
transcription and the scoring tests: a plugin of tests/conftest.py)."""

import json
from dataclasses import dataclass

import pytest

from tests.support.data import CORPUS
from transcription.audio import load_channel
from transcription.engine import EngineOptions, Line, SpeakerAudio, Transcriber
from transcription.model import bundled_model


@dataclass(frozen=True)
class CorpusCall:
    name: str
    truth: dict  # the corpus's ground truth: turns with speaker, text, start, end
    lines: list[Line]


@pytest.fixture(scope="session")
def transcriber() -> Transcriber:
    return Transcriber(bundled_model(), EngineOptions())


@pytest.fixture(scope="session")
def corpus(transcriber) -> list[CorpusCall]:
    calls = []
    for truth_file in sorted(CORPUS.glob("call*.json")):
        wav = truth_file.with_suffix(".wav")
        tracks = [SpeakerAudio("client", load_channel(wav, 0)), SpeakerAudio("manager", load_channel(wav, 1))]
        calls.append(CorpusCall(truth_file.stem, json.loads(truth_file.read_text()), transcriber.transcribe(tracks)))
    assert calls, f"no corpus calls in {CORPUS}"
    return calls
