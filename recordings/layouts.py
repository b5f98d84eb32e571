"""Which of the three normal recording layouts a call's recording is, and
its tracks: who speaks on which file and channel.

- ``split``: MixMonitor's ``r()``/``t()`` pair beside the mixed file,
  ``<name>-in.wav`` (read from the recorded channel: its caller) and
  ``<name>-out.wav`` (written to it: the other party). Both dialplans record
  the caller's channel, so on an inbound call ``-in`` is the client and on an
  outbound one (placed by a manager) ``-in`` is the manager.
- ``stereo``: one two-channel file, the client on ``client_channel`` (0 by
  default) and the manager on the other.
- ``mono``: one mixed file, one speaker-unknown track.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class Layout(StrEnum):
    SPLIT = "split"
    STEREO = "stereo"
    MONO = "mono"


class Role(StrEnum):
    CLIENT = "client"
    MANAGER = "manager"
    UNKNOWN = "unknown"  # a mixed file: both speakers


@dataclass(frozen=True)
class Track:
    """One speaker's audio: ``channel`` of the WAV file at ``path``."""

    role: Role
    path: Path
    channel: int = 0


def split_pair(main: Path) -> tuple[Path, Path]:
    """The ``-in`` and ``-out`` files MixMonitor's r()/t() write beside ``main``."""
    return main.with_name(f"{main.stem}-in{main.suffix}"), main.with_name(f"{main.stem}-out{main.suffix}")


def detect(main: Path, channels: int, outbound: bool = False, client_channel: int = 0) -> tuple[Layout, list[Track]]:
    """The layout of the recording whose mixed (or only) file is ``main``, with ``channels`` channels."""
    heard, sent = split_pair(main)
    if heard.is_file() and sent.is_file():
        caller, callee = (Role.MANAGER, Role.CLIENT) if outbound else (Role.CLIENT, Role.MANAGER)
        return Layout.SPLIT, [Track(caller, heard), Track(callee, sent)]
    if channels == 2:
        return Layout.STEREO, [Track(Role.CLIENT, main, client_channel), Track(Role.MANAGER, main, 1 - client_channel)]
    return Layout.MONO, [Track(Role.UNKNOWN, main)]
