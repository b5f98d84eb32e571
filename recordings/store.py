"""Where registered recordings are kept: a small interface, and a local folder.

A key is a relative path, ``YYYY/MM/DD/<linkedid>/<file name>`` (the call's
start date, UTC): one folder per call holds its mixed file and its tracks.
The local store's root is the recordings folder the API serves from, so a
key stored as ``Recording.path`` resolves there like any relative path
(``recordings.files``). An S3-compatible store would keep the same keys as
object names.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from datetime import date, datetime, timezone
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Protocol

from recordings.checks import sha256_of

_DATED = re.compile(r"^(\d{4})/(\d{2})/(\d{2})/[^/]+/[^/]+$")


class StoreError(Exception):
    """A recording could not be stored intact."""


class RecordingStore(Protocol):
    def put(self, key: str, source: Path, sha256: str) -> None:
        """Copy ``source`` to ``key``, verified against ``sha256``; replaces what was there."""

    def exists(self, key: str) -> bool: ...

    def open(self, key: str) -> BinaryIO: ...

    def path(self, key: str) -> Path | None:
        """A local file holding ``key``, for tools that need one; None if the store has none."""

    def delete(self, key: str) -> None:
        """Remove ``key``; nothing happens if it is already gone."""

    def list_older_than(self, day: date) -> list[str]:
        """Keys of calls that started before ``day``."""


@contextlib.contextmanager
def local_file(store: RecordingStore, key: str) -> Iterator[Path]:
    """A file on this machine holding ``key``: the store's own, or a temporary copy (a store elsewhere).
    A missing key raises what ``store.open`` raises (OSError, or ValueError for a malformed key)."""
    path = store.path(key)
    if path is not None:
        yield path
        return
    with store.open(key) as source, tempfile.NamedTemporaryFile(suffix=PurePosixPath(key).suffix) as copy:
        shutil.copyfileobj(source, copy)
        copy.flush()
        yield Path(copy.name)


def recording_key(started_at: datetime, linkedid: str, name: str) -> str:
    """The key of file ``name`` of the call ``linkedid`` that started at ``started_at``."""
    day = started_at.astimezone(timezone.utc)
    return f"{day:%Y/%m/%d}/{linkedid}/{name}"


def key_day(key: str) -> date | None:
    """The date a key is filed under; None for anything not laid out by the store."""
    match = _DATED.match(key)
    if match is None:
        return None
    with contextlib.suppress(ValueError):
        return date(*map(int, match.groups()))
    return None


class LocalStore:
    """Recordings in a folder on this machine (or a mounted share)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _file(self, key: str) -> Path:
        if key_day(key) is None or ".." in PurePosixPath(key).parts:
            raise ValueError(f"not a recording key: {key!r}")
        return self.root / key

    def put(self, key: str, source: Path, sha256: str) -> None:
        target = self._file(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.partial")
        try:
            shutil.copyfile(source, partial)
            if sha256_of(partial) != sha256:
                raise StoreError(f"the copy of {source.name} in the store differs from the original")
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._file(key).is_file()

    def open(self, key: str) -> BinaryIO:
        return self._file(key).open("rb")

    def path(self, key: str) -> Path | None:
        file = self._file(key)
        return file if file.is_file() else None

    def delete(self, key: str) -> None:
        file = self._file(key)
        file.unlink(missing_ok=True)
        for folder in list(file.parents)[:4]:  # the call's folder, then its day, month and year when empty
            with contextlib.suppress(OSError):
                folder.rmdir()

    def list_older_than(self, day: date) -> list[str]:
        keys = (file.relative_to(self.root).as_posix() for file in self.root.glob("[0-9]*/[0-9]*/[0-9]*/*/*"))
        return sorted(key for key in keys if (filed := key_day(key)) is not None and filed < day)
