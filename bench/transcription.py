"""Transcription: word error rate, speed and memory of our engine, beside plain faster-whisper.

    python -m bench.transcription [--calls DIR] [--script YAML] [--repeats 2] [--configs engine,...]

Every call of a corpus (by default the realty corpus, ``tests/data/corpus/calls``;
the car dealership's is ``tests/data/corpus-cars/calls`` with its
``script.yaml``): a stereo 8 kHz WAV, channel 0 the client, channel 1 the
manager, with its truth JSON beside it (the turns said), is transcribed by each
configuration, on the bundled Whisper base model (int8, 2 CPU threads):

* our engine (``transcription.engine.Transcriber``) with ``EngineOptions()``;
  with a vocabulary written by hand as the prompt (``--prompt``, by default
  the realty department's); and with the vocabulary the backend makes itself
  from the department's script (``--script``: ``qa.vocabulary``);
* plain faster-whisper, ``WhisperModel.transcribe`` on each channel with its
  defaults (the language detected per channel), and with ``language="ru"``.

Each channel's hypothesis (our lines of that speaker, or the joined segment
texts) is compared with its reference (the speaker's turns joined) by jiwer,
both in ``transcription.normalize``'s normal form; WER is over all the
corpus's words (errors / reference words), per channel and overall.
Processing time is the wall time of the transcription calls only: the audio
is decoded and the model loaded before the clock starts (the load is timed
on its own). It is given per channel-second (each call counts twice, once
per channel) and per second of call. Each configuration runs in its own
spawned process, whose ``ru_maxrss`` is its peak memory; the configurations
run ``--repeats`` times in turn and the run with the lowest processing time
is reported, since the machine is shared.

Targets (transcription issue): WER at most 0.15 over the corpus, at most
0.05 processing seconds per channel-second on 2 CPU cores, and both better
than plain faster-whisper.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import resource
import time
from dataclasses import dataclass
from pathlib import Path

import jiwer
from faster_whisper import decode_audio

from transcription.model import bundled_model
from transcription.normalize import normalize
from qa.script import load_script
from qa.vocabulary import vocabulary
from tests.support.data import CORPUS as CALLS

SCRIPT = Path(__file__).resolve().parents[1] / "qa" / "scripts" / "realty-inbound.yaml"
SPEAKERS = ("client", "manager")  # channel 0, channel 1
# The realty department's vocabulary written by hand, the kind a department sets in CALLCENTER_TRANSCRIPTION_PROMPT.
PROMPT = (
    "Отдел продаж компании Северный парк. Однокомнатная, двухкомнатная, трёхкомнатная квартира, "
    "рассрочка, ипотека, закрытая территория, детский сад, парковка."
)
CONFIGS = {
    "engine": "our engine, EngineOptions()",
    "engine-prompt": "our engine, prompt = vocabulary by hand",
    "engine-vocabulary": "our engine, prompt = the script's vocabulary",
    "whisper": "faster-whisper, defaults",
    "whisper-ru": "faster-whisper, language=ru",
}
WER_TARGET = 0.15
SPEED_TARGET = 0.05  # processing seconds per channel-second


@dataclass(frozen=True)
class Call:
    name: str
    wav: Path
    seconds: float
    references: dict[str, str]  # speaker -> the turns said, joined


@dataclass(frozen=True)
class Run:
    config: str
    hypotheses: dict[str, dict[str, str]]  # call -> speaker -> text
    load_seconds: float
    processing_seconds: float
    peak_mb: float


@dataclass(frozen=True)
class Score:
    run: Run
    wer: dict[str, float]  # client, manager, overall
    channel_seconds: float

    @property
    def per_channel_second(self) -> float:
        return self.run.processing_seconds / self.channel_seconds

    @property
    def per_call_second(self) -> float:
        return 2 * self.per_channel_second


def load_calls(folder: Path) -> list[Call]:
    """Every stereo WAV in ``folder`` with its truth JSON beside it (``turns`` with speaker and text), any names."""
    calls = []
    for wav in sorted(folder.glob("*.wav")):
        meta = wav.with_suffix(".json")
        if not meta.is_file():
            continue
        truth = json.loads(meta.read_text(encoding="utf-8"))
        references = {s: " ".join(t["text"] for t in truth["turns"] if t["speaker"] == s) for s in SPEAKERS}
        seconds = len(decode_audio(str(wav), sampling_rate=16000)) / 16000
        calls.append(Call(meta.stem, wav, seconds, references))
    return calls


def transcribe_all(config: str, calls: list[Call], model_path: Path, prompt: str) -> Run:
    """Runs in the child: load the model, decode every call, then time the transcriptions (``prompt``: the
    engine's, for the configurations that have one)."""
    started = time.perf_counter()
    if config.startswith("engine"):
        from transcription.audio import load_channel
        from transcription.engine import EngineOptions, SpeakerAudio, Transcriber

        transcriber = Transcriber(model_path, EngineOptions(prompt="" if config == "engine" else prompt))
        load_seconds = time.perf_counter() - started
        audio = {c.name: [SpeakerAudio(s, load_channel(c.wav, i)) for i, s in enumerate(SPEAKERS)] for c in calls}

        def run(call: Call) -> dict[str, str]:
            lines = transcriber.transcribe(audio[call.name])
            return {s: " ".join(line.text for line in lines if line.speaker == s) for s in SPEAKERS}
    else:
        from faster_whisper import WhisperModel

        model = WhisperModel(str(model_path), device="cpu", compute_type="int8", cpu_threads=2)
        load_seconds = time.perf_counter() - started
        options = {"language": "ru"} if config == "whisper-ru" else {}
        channels = {c.name: decode_audio(str(c.wav), sampling_rate=16000, split_stereo=True) for c in calls}

        def run(call: Call) -> dict[str, str]:
            texts = {}
            for speaker, samples in zip(SPEAKERS, channels[call.name]):
                segments, _ = model.transcribe(samples, **options)
                texts[speaker] = "".join(segment.text for segment in segments)  # the generator does the work
            return texts

    hypotheses, processing = {}, 0.0
    for call in calls:
        started = time.perf_counter()
        hypotheses[call.name] = run(call)
        processing += time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return Run(config, hypotheses, load_seconds, processing, peak_mb)


def _child(config: str, calls: list[Call], model_path: Path, prompt: str, queue: multiprocessing.Queue) -> None:
    queue.put(transcribe_all(config, calls, model_path, prompt))


def run_in_child(config: str, calls: list[Call], model_path: Path, prompt: str) -> Run:
    """One configuration in a fresh spawned process, so its peak memory is its own."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(config, calls, model_path, prompt, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def score(run: Run, calls: list[Call]) -> Score:
    def wer(speakers: tuple[str, ...]) -> float:
        references = [normalize(c.references[s]) for c in calls for s in speakers]
        hypotheses = [normalize(run.hypotheses[c.name][s]) for c in calls for s in speakers]
        return jiwer.process_words(references, hypotheses).wer

    rates = {s: wer((s,)) for s in SPEAKERS} | {"overall": wer(SPEAKERS)}
    return Score(run, rates, sum(2 * c.seconds for c in calls))


def table(scores: list[Score]) -> str:
    rows = [
        "| configuration | WER client | WER manager | WER overall | processing s | s per channel-s | s per call-s "
        "| model load s | peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in scores:
        rows.append(
            f"| {CONFIGS[s.run.config]} | {s.wer['client']:.3f} | {s.wer['manager']:.3f} | {s.wer['overall']:.3f} "
            f"| {s.run.processing_seconds:.1f} | {s.per_channel_second:.4f} | {s.per_call_second:.4f} "
            f"| {s.run.load_seconds:.2f} | {s.run.peak_mb:.0f} |"
        )
    return "\n".join(rows)


def targets(scores: dict[str, Score]) -> list[str]:
    baselines = [scores[c] for c in ("whisper", "whisper-ru") if c in scores]
    lines = []
    for config in ("engine", "engine-prompt", "engine-vocabulary"):
        if config not in scores:
            continue
        s = scores[config]
        checks = [
            (f"WER {s.wer['overall']:.3f} <= {WER_TARGET}", s.wer["overall"] <= WER_TARGET),
            (f"{s.per_channel_second:.4f} s per channel-s <= {SPEED_TARGET}", s.per_channel_second <= SPEED_TARGET),
        ]
        if baselines:
            wer = min(b.wer["overall"] for b in baselines)
            speed = min(b.per_channel_second for b in baselines)
            checks.append((f"WER below the best plain one ({wer:.3f})", s.wer["overall"] < wer))
            checks.append((f"faster than the fastest plain one ({speed:.4f})", s.per_channel_second < speed))
        lines += [f"{CONFIGS[config]}: {text}: {'met' if ok else 'NOT met'}" for text, ok in checks]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=Path, default=CALLS, help="folder of stereo WAVs, each with its truth JSON")
    parser.add_argument("--script", type=Path, default=SCRIPT, help="the department's script: its vocabulary")
    parser.add_argument("--prompt", default=PROMPT, help="the vocabulary written by hand (engine-prompt)")
    parser.add_argument("--repeats", type=int, default=2, help="runs of each configuration; the fastest is reported")
    parser.add_argument("--configs", default=",".join(CONFIGS), help=f"comma-separated, of {', '.join(CONFIGS)}")
    args = parser.parse_args()
    configs = [c for c in args.configs.split(",") if c]
    unknown = set(configs) - set(CONFIGS)
    if unknown:
        parser.error(f"unknown configurations: {', '.join(sorted(unknown))}")
    model_path = bundled_model()
    calls = load_calls(args.calls)
    print(f"the script's vocabulary: {vocabulary([load_script(args.script)])}")
    if not calls:
        parser.error(f"no stereo WAV with its truth JSON beside it in {args.calls}")
    total = sum(c.seconds for c in calls)
    print(f"corpus: {len(calls)} calls, {total:.1f} s of calls, {2 * total:.1f} channel-seconds ({args.calls})")
    print(f"model: {model_path} (int8, 2 threads); python {platform.python_version()}, {os.cpu_count()} CPUs")
    print(f"each configuration run {args.repeats}x, each run in its own process; the fastest run is reported\n")

    best: dict[str, Score] = {}
    for repeat in range(args.repeats):
        for config in configs:
            prompt = vocabulary([load_script(args.script)]) if config == "engine-vocabulary" else args.prompt
            result = score(run_in_child(config, calls, model_path, prompt), calls)
            print(f"  run {repeat + 1} {config:14} {result.run.processing_seconds:6.1f} s  WER {result.wer['overall']:.3f}")
            if config not in best or result.run.processing_seconds < best[config].run.processing_seconds:
                best[config] = result
    print()
    print(table([best[c] for c in configs]))
    print()
    for line in targets(best):
        print(line)


if __name__ == "__main__":
    main()
