"""Serving the web app: the page at ``/`` and its files under ``/app/``."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

STATIC = Path(__file__).parent / "static"
APP_PREFIX = "/app/"
# the app's own scripts only; inline styles for the libraries that set them (Preact's style props, wavesurfer)
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "media-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


async def index(_request: web.Request) -> web.FileResponse:
    """The app's page; it routes in the browser (``#/calls/12``), so it is the only HTML."""
    return web.FileResponse(STATIC / "index.html", headers={**SECURITY_HEADERS, "Cache-Control": "no-cache"})


@web.middleware
async def security_headers(request: web.Request, handler) -> web.StreamResponse:
    response = await handler(request)
    if request.path.startswith(APP_PREFIX):
        response.headers.update(SECURITY_HEADERS)
        response.headers.setdefault("Cache-Control", "no-cache")  # revalidated: a new release shows at once
    return response


def install(app: web.Application) -> None:
    app.router.add_get("/", index)
    app.router.add_static(APP_PREFIX, STATIC, append_version=False)
    app.middlewares.append(security_headers)
