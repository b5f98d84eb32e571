"""Logging in and out, tokens and session cookies, CSRF, on both databases."""

from api.errors import ErrorBody
from tests.api.conftest import PASSWORD


async def test_login_gives_a_token_and_an_httponly_strict_cookie(api):
    response = await api.call("POST", "/auth/login", json={"username": "ivan", "password": PASSWORD})
    body = await response.json()
    assert response.status == 200, body
    assert body["user"]["username"] == "ivan" and body["user"]["role"] == "manager"
    cookie = response.cookies["callcenter_session"]
    assert cookie.value == body["token"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/api"
    me = await api.json("GET", "/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me["username"] == "ivan"


async def test_unknown_user_and_wrong_password_are_the_same_401(api):
    unknown = await api.call("POST", "/auth/login", json={"username": "nobody", "password": PASSWORD})
    wrong = await api.call("POST", "/auth/login", json={"username": "ivan", "password": "not it at all"})
    assert unknown.status == wrong.status == 401
    assert await unknown.json() == await wrong.json()


async def test_no_token_a_bad_token_and_a_bad_scheme_are_401(api):
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic aXZhbjp4"}, {"Authorization": "Bearer"}):
        response = await api.call("GET", "/auth/me", headers=headers)
        assert response.status == 401
        ErrorBody.model_validate(await response.json())


async def test_an_expired_token_is_401(api, clock, settings):
    assert (await api.call("GET", "/auth/me", "ivan")).status == 200
    clock.advance(settings.session_hours * 3600 + 1)
    assert (await api.call("GET", "/auth/me", "ivan")).status == 401


async def test_a_disabled_user_cannot_log_in_and_their_tokens_stop_working(api):
    await api.json("PATCH", f"/users/{await _user_id(api, 'olga')}", "admin", json={"active": False})
    assert (await api.call("GET", "/auth/me", "olga")).status == 401
    response = await api.call("POST", "/auth/login", json={"username": "olga", "password": PASSWORD})
    assert response.status == 401


async def test_logout_ends_the_session(api):
    response = await api.call("POST", "/auth/logout", "ivan")
    assert response.status == 204
    assert (await api.call("GET", "/auth/me", "ivan")).status == 401


async def test_cookie_sessions_need_the_csrf_header_to_change_anything(api):
    login = await api.call("POST", "/auth/login", json={"username": "rop", "password": PASSWORD})
    assert login.status == 200  # the client's cookie jar now holds the session
    assert (await api.call("GET", "/auth/me")).status == 200  # safe methods need no header
    body = {"name": "ООО Ромашка", "phones": [{"phone": "+79161234567"}]}
    refused = await api.call("POST", "/clients", json=body)
    assert refused.status == 403 and (await refused.json())["error"] == "csrf"
    foreign = await api.call("POST", "/clients", json=body,
                             headers={"X-Requested-With": "fetch", "Origin": "https://evil.example"})
    assert foreign.status == 403
    allowed = await api.call("POST", "/clients", json=body, headers={"X-Requested-With": "fetch"})
    assert allowed.status == 201, await allowed.json()


async def test_login_body_must_be_json(api):
    response = await api.call("POST", "/auth/login", data="username=ivan&password=x",
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status == 415
    malformed = await api.call("POST", "/auth/login", data="{not json", headers={"Content-Type": "application/json"})
    assert malformed.status == 400 and (await malformed.json())["error"] == "malformed_json"


async def _user_id(api, username: str) -> int:
    users = await api.json("GET", "/users", "admin")
    return next(user["id"] for user in users["items"] if user["username"] == username)
