"""``callcenter serve`` on the embedded defaults (no REDIS_URL) starts its own
valkey-server, and leaves none behind however it ends: SIGTERM (systemd),
Ctrl-C (SIGINT to the whole terminal's process group) or SIGKILL."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

from tests.conftest import free_port


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its reaper counts as gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


async def until(condition, timeout: float) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.05)


async def serve(tmp_path, database_url) -> tuple[asyncio.subprocess.Process, int]:
    """``callcenter serve`` on the embedded Redis; returns it once it answers, and its valkey-server's pid."""
    http_port = free_port()
    env = {
        **os.environ,
        "CALLCENTER_CONFIG": str(tmp_path / "none.toml"),
        "DATABASE_URL": database_url,
        "REDIS_URL": "",
        "CALLCENTER_DATA_DIR": str(tmp_path / "data"),
        "CALLCENTER_HTTP_PORT": str(http_port),
        "CALLCENTER_AGI_PORT": "0",
        "CALLCENTER_AMI_PORT": str(free_port()),  # nobody there: it keeps retrying, as against a PBX being restarted
        "CALLCENTER_AMI_SECRET": "secret",
        "CALLCENTER_TRANSCRIPTION_WORKERS_IN_BACKEND": "0",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from callcenter.cli import main; main()", "serve", env=env,
        start_new_session=True,  # its own process group, as a terminal gives a command
    )
    async with aiohttp.ClientSession() as http:
        async with asyncio.timeout(60):
            while True:
                try:
                    async with http.get(f"http://127.0.0.1:{http_port}/health") as response:
                        if response.status in (200, 503):
                            break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.2)
    [valkey] = [pid for pid in children(process.pid) if "valkey-server" in Path(f"/proc/{pid}/cmdline").read_text()]
    assert (tmp_path / "data" / "redis" / "valkey.sock").exists()
    return process, valkey


@pytest.mark.parametrize("how", ["SIGTERM", "Ctrl-C", "SIGKILL"])
async def test_the_embedded_server_never_outlives_the_backend(tmp_path, how):
    process, valkey = await serve(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'test.db'}")
    try:
        if how == "SIGTERM":
            process.send_signal(signal.SIGTERM)
        elif how == "Ctrl-C":
            os.killpg(process.pid, signal.SIGINT)  # the terminal signals every process of the group
        else:
            process.kill()
        async with asyncio.timeout(30):
            code = await process.wait()
        await until(lambda: not alive(valkey), timeout=10)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    if how == "SIGTERM":
        assert code == 0  # a graceful stop: everything stopped in order, the server last
    assert not (tmp_path / "data" / "redis" / "valkey.sock").exists() or how == "SIGKILL"
