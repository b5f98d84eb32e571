"""Where a recording the PBX reported lives on this host.

The PBX reports an absolute path on its own disk (MixMonitor's
``MIXMONITOR_FILENAME``, e.g. ``/var/spool/asterisk/monitor/123.wav``). The
PBX's recordings folder is shared with, or copied to, ``recordings_dir``
here, so the path relative to the PBX's folder is the path relative to ours.
A relative path is taken as relative to ours.

Nothing outside ``recordings_dir`` is ever served: a path elsewhere on the
PBX, ``..`` segments, and symlinks that lead outside all map to nothing.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath


def local_recording(reported: str, pbx_dir: str, root: Path) -> Path | None:
    """The existing file under ``root`` that ``reported`` names, or None."""
    path = PurePosixPath(reported)
    if path.is_absolute():
        if not path.is_relative_to(pbx_dir):
            return None
        path = path.relative_to(pbx_dir)
    if not path.parts or ".." in path.parts:
        return None
    base = root.resolve()
    candidate = (base / path).resolve()
    if not candidate.is_relative_to(base) or not candidate.is_file():
        return None
    return candidate
