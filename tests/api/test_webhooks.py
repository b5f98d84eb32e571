"""``/api/webhooks``: configuring them (the secret write-only), the delivery log, redelivery."""

from __future__ import annotations

from sqlalchemy import update

from crm.leads import utc
from storage.models import Webhook, WebhookDelivery
from tests.api.conftest import NOW
from webhooks.outbox import DELIVERED, FAILED, PENDING, Outbox

HOOK = "https://crm.example.com/hooks/callcenter"


async def stored(sessions, model, row_id: int):
    async with sessions() as session:
        return await session.get(model, row_id)


async def test_the_secret_is_given_or_made_and_never_shown_again(api, sessions):
    chosen = await api.json("POST", "/webhooks", "admin", 201,
                            json={"url": HOOK, "events": ["call.ended", "call.ended"], "secret": "my-secret"})
    assert (chosen["secret"], chosen["secret_set"], chosen["events"]) == (None, True, ["call.ended"])  # given: not echoed
    assert (await stored(sessions, Webhook, chosen["id"])).secret == "my-secret"
    made = await api.json("POST", "/webhooks", "rop", 201, json={"url": "http://10.0.0.5:8000/in"})
    assert len(made["secret"]) == 64 and made["events"] == []  # empty: every event
    assert (await stored(sessions, Webhook, made["id"])).secret == made["secret"]
    listed = await api.json("GET", "/webhooks", "admin")
    assert [hook["id"] for hook in listed["items"]] == [chosen["id"], made["id"]]
    shown = [*listed["items"], await api.json("GET", f"/webhooks/{made['id']}", "admin")]
    assert all("secret" not in hook and hook["secret_set"] for hook in shown)


async def test_changes_are_checked_and_applied(api, sessions):
    hook = await api.json("POST", "/webhooks", "admin", 201, json={"url": HOOK, "events": ["lead.created"]})
    path = f"/webhooks/{hook['id']}"
    changed = await api.json("PATCH", path, "admin", json={"events": [], "active": False, "secret": "rotated"})
    assert (changed["events"], changed["active"], changed["url"], "secret" in changed) == ([], False, HOOK, False)
    assert (await stored(sessions, Webhook, hook["id"])).secret == "rotated"
    for body, field in (({"url": "ftp://example.com/x"}, "url"), ({"events": ["call.started"]}, "events"),
                        ({"secret": ""}, "secret"), ({"url": None}, None)):
        rejected = await api.json("PATCH", path, "admin", 422, json=body)
        assert field is None or rejected["details"][0]["loc"][:2] == ["body", field], body
    assert (await api.call("POST", "/webhooks", "admin", json={"url": "not a url"})).status == 422
    assert (await api.call("PATCH", "/webhooks/999999", "admin", json={"active": True})).status == 404
    assert (await api.call("GET", "/webhooks/999999", "admin")).status == 404


async def test_only_configuring_roles_reach_webhooks(api):
    assert (await api.call("GET", "/webhooks", "ivan")).status == 403
    assert (await api.call("POST", "/webhooks", "ivan", json={"url": HOOK})).status == 403
    assert (await api.call("GET", "/webhooks")).status == 401


async def test_the_delivery_log_filters_pages_and_redelivers(api, sessions, clock):
    hook = await api.json("POST", "/webhooks", "admin", 201, json={"url": HOOK})
    other = await api.json("POST", "/webhooks", "admin", 201, json={"url": HOOK, "events": ["lead.created"]})
    outbox = Outbox(sessions, clock)
    for i in range(3):
        await outbox.enqueue("call.ended", f"call.ended:c{i}", {"linkedid": f"c{i}"})
    await outbox.enqueue("lead.created", "lead.created:1", {"lead_id": 1})  # to both webhooks
    path = f"/webhooks/{hook['id']}/deliveries"
    log = (await api.json("GET", path, "admin"))["items"]
    assert [item["event_id"] for item in log] == ["lead.created:1", "call.ended:c2", "call.ended:c1", "call.ended:c0"]
    failed_id = log[2]["id"]
    async with sessions() as session, session.begin():
        await session.execute(update(WebhookDelivery).where(WebhookDelivery.id == failed_id)
                              .values(status=FAILED, attempts=8, last_error="HTTP 500", next_attempt_at=None))
        await session.execute(
            update(WebhookDelivery).where(WebhookDelivery.id == log[3]["id"]).values(status=DELIVERED)
        )

    async def event_ids(**params) -> list[str]:
        return [item["event_id"] for item in (await api.json("GET", path, "admin", params=params))["items"]]

    assert await event_ids(status=FAILED) == ["call.ended:c1"]
    assert await event_ids(status=PENDING, event="call.ended") == ["call.ended:c2"]
    assert await event_ids(event="lead.created") == ["lead.created:1"]
    assert [item["id"] for item in await api.all_pages(path, "rop", limit=3)] == [item["id"] for item in log]
    others = await api.json("GET", f"/webhooks/{other['id']}/deliveries", "admin")
    assert [item["event_id"] for item in others["items"]] == ["lead.created:1"]
    assert (await api.call("GET", path, "admin", params={"status": "lost"})).status == 422
    assert (await api.call("GET", path, "admin", params={"cursor": "x"})).status == 400
    assert (await api.call("GET", "/webhooks/999999/deliveries", "admin")).status == 404

    again = await api.json("POST", f"/webhook-deliveries/{failed_id}/redeliver", "admin")
    assert (again["status"], again["attempts"], again["last_error"]) == (PENDING, 0, "")
    assert utc((await stored(sessions, WebhookDelivery, failed_id)).next_attempt_at) == NOW  # due now
    assert (await api.call("POST", "/webhook-deliveries/999999/redeliver", "admin")).status == 404
    assert (await api.call("POST", f"/webhook-deliveries/{failed_id}/redeliver", "ivan")).status == 403
