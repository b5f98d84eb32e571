"""``/api/notifications``: whose a reader sees, the unread filter, pages, marking read."""

from __future__ import annotations

from datetime import datetime

import pytest

from crm.notifications import COLLEAGUE_ANSWERED
from storage.models import Notification
from tests.api.conftest import NOW


@pytest.fixture
async def told(sessions, department) -> dict[str, list[int]]:
    """Ivan's notifications (the first one read) and Olga's, ids in order of creation."""
    async with sessions() as session, session.begin():
        rows = {
            "ivan": [
                Notification(manager_id=department.ivan, kind=COLLEAGUE_ANSWERED, payload={"phone": f"+7916000000{i}"},
                             read_at=NOW if i == 0 else None)
                for i in range(3)
            ],
            "olga": [Notification(manager_id=department.olga, kind=COLLEAGUE_ANSWERED, payload={"phone": "+79160000009"})],
        }
        session.add_all([row for own in rows.values() for row in own])
        await session.flush()
        return {name: [row.id for row in own] for name, own in rows.items()}


async def ids(api, user: str, **params) -> list[int]:
    return [item["id"] for item in (await api.json("GET", "/notifications", user, params=params))["items"]]


async def test_a_manager_sees_their_own_and_the_head_of_sales_everyone_s(api, told):
    assert await ids(api, "ivan") == told["ivan"][::-1]  # newest first
    assert await ids(api, "olga") == told["olga"]
    assert await ids(api, "rop") == sorted(told["ivan"] + told["olga"], reverse=True)
    assert await ids(api, "ivan", unread="true") == told["ivan"][:0:-1]
    assert await ids(api, "ivan", unread="false") == told["ivan"][:1]
    item = (await api.json("GET", "/notifications", "olga"))["items"][0]
    assert (item["kind"], item["payload"], item["read_at"]) == ("colleague_answered", {"phone": "+79160000009"}, None)
    assert (await api.call("GET", "/notifications", "admin")).status == 403
    assert (await api.call("GET", "/notifications")).status == 401


async def test_pages_follow_the_cursor(api, told):
    seen = [item["id"] for item in await api.all_pages("/notifications", "rop", limit=1)]
    assert seen == sorted(told["ivan"] + told["olga"], reverse=True)
    oldest_first = await api.json("GET", "/notifications", "rop", params={"sort": "id", "limit": 2})
    assert [item["id"] for item in oldest_first["items"]] == sorted(told["ivan"] + told["olga"])[:2]
    bad = await api.json("GET", "/notifications", "rop", status=400, params={"cursor": "nonsense"})
    assert bad["error"] == "bad_cursor"


async def test_only_your_own_notification_can_be_marked_read(api, told, clock):
    unread = told["ivan"][1]
    read = await api.json("POST", f"/notifications/{unread}/read", "ivan")
    assert datetime.fromisoformat(read["read_at"]) == NOW
    clock.advance(60)
    again = await api.json("POST", f"/notifications/{unread}/read", "ivan")
    assert datetime.fromisoformat(again["read_at"]) == NOW  # read once: the first time stays
    assert unread not in await ids(api, "ivan", unread="true")
    for user, notification in (("ivan", told["olga"][0]), ("rop", told["ivan"][2]), ("ivan", 999_999)):
        assert (await api.json("POST", f"/notifications/{notification}/read", user, status=404))["error"] == "not_found"
    assert await ids(api, "olga", unread="true") == told["olga"]
