"""``/api/auth``: logging in and out, and how every request authenticates.

A login answers the token as JSON (for ``Authorization: Bearer``) and also
sets it as an HttpOnly, SameSite=Strict session cookie for browsers. The
cookie is sent by the browser on its own, so a cookie-authenticated request
that changes something (not GET/HEAD/OPTIONS) must also carry the
``X-Requested-With`` header, which another site cannot add without a CORS
preflight this API never grants, and an ``Origin``, if sent, must be this
host. Bearer requests are not ambient and need neither.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from aiohttp import web
from pydantic import BaseModel, Field

from accounts.access import ANYONE, Principal
from accounts.http.users import UserOut, accounts
from api.app import PREFIX, context
from api.errors import Forbidden, Unauthorized
from api.registry import Routes
from api.validation import Schema

SESSION_COOKIE = "callcenter_session"
CSRF_HEADER = "X-Requested-With"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer"},
    "session_cookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": f"Unsafe methods also need the {CSRF_HEADER} header.",
    },
}

routes = Routes("auth")


class Login(Schema):
    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=256)


class LoginResult(BaseModel):
    token: str
    token_type: str = "bearer"
    expires_at: datetime
    user: UserOut


async def authenticate(request: web.Request) -> Principal:
    """The request's principal from its bearer token or session cookie; 401 without a valid one."""
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("use Authorization: Bearer <token>")
        token, by_cookie = token.strip(), False
    else:
        token, by_cookie = request.cookies.get(SESSION_COOKIE), True
    if not token:
        raise Unauthorized("log in first")
    principal = await accounts(request).principal(token)
    if principal is None:
        raise Unauthorized("the session has expired or is not valid; log in again")
    if by_cookie and request.method not in SAFE_METHODS:
        _check_same_origin(request)
    return principal


def _check_same_origin(request: web.Request) -> None:
    if not request.headers.get(CSRF_HEADER):
        raise Forbidden(f"a cookie session needs the {CSRF_HEADER} header to change anything", code="csrf")
    origin = request.headers.get("Origin")
    if origin is not None and urlsplit(origin).netloc != request.host:
        raise Forbidden("the request comes from another site", code="csrf")


@routes.post("/auth/login", roles=None, body=Login, response=LoginResult, errors=(401,))
async def login(request: web.Request, body: Login) -> web.Response:
    """Log in: a bearer token, also set as the session cookie."""
    session = await accounts(request).login(body.username, body.password)
    if session is None:
        raise Unauthorized("wrong username or password", code="bad_credentials")
    result = LoginResult(token=session.token, expires_at=session.expires_at, user=UserOut.model_validate(session.user))
    response = web.json_response(result.model_dump(mode="json"))
    response.set_cookie(
        SESSION_COOKIE,
        session.token,
        max_age=int(context(request).settings.session_hours * 3600),
        path=PREFIX,
        httponly=True,
        samesite="Strict",
        secure=request.secure,
    )
    return response


@routes.post("/auth/logout", roles=ANYONE, status=204)
async def logout(request: web.Request, principal: Principal) -> web.Response:
    """End this session (the token and the cookie)."""
    await accounts(request).logout(principal)
    response = web.Response(status=204)
    response.del_cookie(SESSION_COOKIE, path=PREFIX)
    return response


@routes.get("/auth/me", roles=ANYONE, response=UserOut)
async def me(request: web.Request, principal: Principal) -> UserOut:
    """The logged-in user."""
    return UserOut.model_validate(await accounts(request).user(principal.user_id))
