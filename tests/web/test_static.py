"""How the web app is served (its page, its files, the security headers, no
path out of its folder), and that every string it shows is in the Russian
strings file, including those it builds from the API's enumerations."""

from __future__ import annotations

import re

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from accounts.access import Role
from pbx.tracker.model import Direction, Disposition, LegResult
from recordings.checks import Status as RecordingStatus
from transcription.service import Status
from web import http as web_app

JS = web_app.STATIC / "js"
STRINGS = JS / "strings" / "ru.js"


async def client() -> TestClient:
    app = web.Application()
    web_app.install(app)
    test_client = TestClient(TestServer(app))
    await test_client.start_server()
    return test_client


async def test_the_page_and_its_files_are_served_with_a_strict_policy():
    http = await client()
    try:
        page = await http.get("/")
        assert page.status == 200 and page.content_type == "text/html"
        assert '<script type="module" src="/app/js/main.js">' in await page.text()
        policy = page.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-eval" not in policy and "frame-ancestors 'none'" in policy
        script = await http.get("/app/js/main.js")
        assert script.status == 200 and "javascript" in script.content_type
        assert script.headers["X-Content-Type-Options"] == "nosniff"
        vendor = await http.get("/app/vendor/htm-preact.mjs")
        assert vendor.status == 200 and "javascript" in vendor.content_type
    finally:
        await http.close()


async def test_no_path_reaches_outside_the_apps_folder():
    http = await client()
    try:
        for path in ("/app/../http.py", "/app/%2e%2e/http.py", "/app/js/../../http.py", "/app/nothing.js"):
            response = await http.get(path)
            assert response.status in (403, 404), path
            assert "STATIC" not in await response.text()
    finally:
        await http.close()


def keys_in_strings() -> set[str]:
    return set(re.findall(r'^\s*"([a-zA-Z0-9_.]+)":', STRINGS.read_text(encoding="utf-8"), re.MULTILINE))


def test_every_string_the_app_shows_is_in_the_strings_file():
    used = {key for path in JS.rglob("*.js") for key in re.findall(r'\bt\("([a-zA-Z0-9_.]+)"', path.read_text(encoding="utf-8"))}
    built = {
        *(f"direction.{value}" for value in Direction), *(f"disposition.{value}" for value in Disposition),
        *(f"leg.{value}" for value in LegResult), *(f"role.{value}" for value in Role),
        *(f"status.{value}" for value in RecordingStatus), *(f"status.{value}" for value in Status),
        *(f"speaker.{value}" for value in ("client", "manager", "unknown")),
        *(f"call.factSetBy.{value}" for value in ("conversation", "manager")),
        *(f"popup.{value}" for value in ("answered", "ended")),
    }
    assert used, "the app calls t()"
    assert (used | built) - keys_in_strings() == set()
