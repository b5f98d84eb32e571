"""The web app's world: the backend serving the demo department, two scored
calls (a corpus recording transcribed by the real model, scored by the example
script; one answered by sergey, one by olga), a simulated Asterisk that can
ring a manager, and Debian's chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from uuid import uuid4

import pytest
from playwright.async_api import Browser, Page, async_playwright
from sqlalchemy import select

from callcenter.app import Services
from callcenter.demo_department import Department, seed_department
from callcenter.runner import backend
from jobs.queue import Job
from pbx.simulator.ami_server import AmiServer
from pbx.simulator.scenario import AgentSpec
from pbx.simulator.simulator import Simulator
from storage.models import Call, CallLeg, Lead, Manager, Recording, Transcript
from tests.support.data import CORPUS
from transcription.audio import load_channel
from transcription.engine import SpeakerAudio

CHROMIUM = "/usr/bin/chromium"
CORPUS_CALL = "call001"
SPEED = 5.0
RING_SECONDS = 10.0  # simulated: 2 s of real time while the pop-up must show (the owner rings for 15)
SCREENSHOTS = os.environ.get("CALLCENTER_SCREENSHOTS")  # a folder: the tests save the main pages there


@dataclass
class Site:
    url: str
    services: Services
    passwords: dict[str, str]  # demo login -> password
    calls: dict[str, int]  # demo login of the manager who answered -> their scored call's id
    simulator: Simulator


@pytest.fixture(scope="session")
def corpus_lines(transcriber) -> list[dict]:
    """The corpus call's transcript as the transcription worker stores it (the real model, once per run)."""
    wav = CORPUS / f"{CORPUS_CALL}.wav"
    tracks = [SpeakerAudio("client", load_channel(wav, 0)), SpeakerAudio("manager", load_channel(wav, 1))]
    return [line.as_dict() for line in transcriber.transcribe(tracks)]


async def add_scored_call(services: Services, extension: str, caller: str, linkedid: str, lines: list[dict]) -> int:
    """A finished inbound call answered at ``extension``, with the corpus recording and transcript, scored."""
    wav = CORPUS / f"{CORPUS_CALL}.wav"
    folder = services.settings.effective_recordings_dir
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(wav, folder / f"{linkedid}.wav")
    duration = max(line["end"] for line in lines) + 1.0
    started = datetime.now(timezone.utc) - timedelta(minutes=30)
    async with services.sessions() as session, session.begin():
        manager = await session.scalar(select(Manager).where(Manager.extension == extension))
        call = Call(
            linkedid=linkedid, direction="inbound", caller_raw=caller.removeprefix("+"), caller_number=caller,
            caller_name="", did="74951234567", source="сайт", started_at=started,
            answered_at=started + timedelta(seconds=4), ended_at=started + timedelta(seconds=4 + duration),
            wait_seconds=4.0, talk_seconds=duration, answered_by_extension=extension, answered_by_id=manager.id,
            disposition="answered",
            legs=[CallLeg(position=0, extension=extension, manager_id=manager.id, rang_at=started, answered_at=started + timedelta(seconds=4),
                          ended_at=started + timedelta(seconds=4 + duration), result="answered")],
            recording=Recording(path=f"{linkedid}.wav", status="ok", size_bytes=wav.stat().st_size,
                                duration_seconds=duration, channels=2, layout="stereo"),
            transcript=Transcript(status="done", attempts=1, model="whisper-base", language="ru", lines=lines,
                                  audio_seconds=duration, finished_at=started + timedelta(minutes=5)),
        )
        session.add(call)
        await session.flush()
        call_id = call.id
        session.add(Lead(phone=caller, source="сайт", first_linkedid=linkedid, first_call_id=call_id,
                         owner_id=manager.id, status="open"))
    assert await services.qa.handle(Job(f"score-{call_id}", {"call_id": call_id}, 1)) is not None
    return call_id


def read_logins(path: Path) -> dict[str, str]:
    """``username (role): password`` lines of the demo's logins file."""
    return {line.split(" ", 1)[0]: line.rsplit(": ", 1)[1] for line in path.read_text().splitlines()}


@pytest.fixture
async def site(settings, corpus_lines) -> AsyncIterator[Site]:
    settings = settings.model_copy(update={"ami_secret": "s3cret", "live_channel_prefix": f"live-web-{uuid4().hex}"})
    ami = AmiServer(username=settings.ami_username, secret=settings.ami_secret)
    settings = settings.model_copy(update={"ami_port": await ami.start()})
    agents = [AgentSpec("101", ring_seconds=RING_SECONDS), AgentSpec("102", state="away"), AgentSpec("103", state="away")]
    simulators: list[Simulator] = []

    async def start_simulator(services: Services) -> None:
        simulators.append(Simulator(ami, "127.0.0.1", services.agi_port, settings.data_dir / "spool", CORPUS, SPEED, agents))

    logins = settings.data_dir / "logins.txt"
    try:
        async with backend(settings, before_ami=start_simulator) as services:
            assert await seed_department(services.sessions, Department.load(), datetime.now(timezone.utc), logins)
            calls = {
                "sergey": await add_scored_call(services, "101", "+79260000001", "web.1", corpus_lines),
                "olga": await add_scored_call(services, "104", "+79260000002", "web.2", corpus_lines),
            }
            yield Site(f"http://{settings.http_host}:{settings.http_port}", services, read_logins(logins), calls,
                       simulators[0])
    finally:
        for simulator in simulators:
            await simulator.close()
        await ami.stop()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Debian's chromium, headless; a laptop without it skips the browser tests, CI fails them."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--autoplay-policy=no-user-gesture-required"]
        )
        yield browser
        await browser.close()


async def logged_in(
    browser: Browser, site: Site, username: str, width: int = 1280, password: str | None = None, landing: str = "Сегодня"
) -> Page:
    """A new page of the app, logged in as ``username`` through the login form, on the ``landing`` page."""
    page = await browser.new_page(viewport={"width": width, "height": 900}, timezone_id="Europe/Moscow", locale="ru-RU")
    await page.goto(site.url + "/")
    await page.get_by_label("Логин").fill(username)
    await page.get_by_label("Пароль").fill(password or site.passwords[username])
    await page.get_by_role("button", name="Войти").click()
    await page.get_by_role("heading", name=landing, exact=True).wait_for()
    return page


async def screenshot(page: Page, name: str) -> None:
    """Save the page for the README when ``CALLCENTER_SCREENSHOTS`` names a folder."""
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)
