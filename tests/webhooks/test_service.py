"""Configuring webhooks and reading the delivery log."""

import pytest

from callcenter.bus import CALL_ENDED, CALL_SCORED, LEAD_CREATED, TASK_CREATED
from webhooks.service import WebhookError, valid_url


@pytest.mark.parametrize("url", ["https://crm.example/hook", "http://10.0.0.5:8000/in?x=1", "HTTPS://CRM.EXAMPLE"])
def test_http_and_https_urls_are_valid(url):
    assert valid_url(url) == url


@pytest.mark.parametrize(
    "url",
    ["ftp://crm.example/hook", "file:///etc/passwd", "javascript:alert(1)", "crm.example/hook", "http://", "",
     "https://crm.example/a b", "https://crm.example/" + "a" * 500],
)
def test_other_urls_are_not(url):
    with pytest.raises(WebhookError):
        valid_url(url)


async def test_a_webhook_with_an_invalid_url_is_not_made(service):
    with pytest.raises(WebhookError, match="http"):
        await service.create("ftp://crm.example/hook")
    assert await service.webhooks() == []


async def test_create_makes_a_secret_and_checks_the_events(service):
    webhook = await service.create("https://crm.example/hook", events=[LEAD_CREATED, CALL_SCORED, LEAD_CREATED])
    assert webhook.id is not None and webhook.active and webhook.created_at is not None
    assert webhook.events == [LEAD_CREATED, CALL_SCORED]
    assert len(webhook.secret) == 64 and webhook.secret != (await service.create("https://crm.example/2")).secret
    with pytest.raises(WebhookError, match="unknown webhook events"):
        await service.create("https://crm.example/hook", events=["call.exploded"])
    with pytest.raises(WebhookError):
        await service.create("https://crm.example/hook", secret="")


async def test_update_changes_only_what_is_given(service):
    webhook = await service.create("https://crm.example/hook", secret="one")
    updated = await service.update(webhook.id, events=[CALL_ENDED], active=False)
    assert (updated.url, updated.secret, updated.events, updated.active) == (
        "https://crm.example/hook", "one", [CALL_ENDED], False)
    updated = await service.update(webhook.id, url="https://new.example/hook", secret="two", events=[])
    assert (updated.url, updated.secret, updated.events, updated.active) == (
        "https://new.example/hook", "two", [], False)
    assert (await service.get(webhook.id)).url == "https://new.example/hook"
    with pytest.raises(WebhookError):
        await service.update(webhook.id, url="gopher://x")
    assert (await service.get(webhook.id)).url == "https://new.example/hook"
    assert await service.update(10_000, active=True) is None


async def test_the_delivery_log_filters_and_pages(service, outbox):
    first = await service.create("https://one.example/hook")
    second = await service.create("https://two.example/hook", events=[TASK_CREATED])
    for n in range(3):
        await outbox.enqueue(LEAD_CREATED, f"lead.created:{n}", {"lead_id": n})
    await outbox.enqueue(TASK_CREATED, "task.created:1", {"task_id": 1})

    everything = await service.deliveries()
    assert [row.event_id for row in everything] == [
        "task.created:1", "task.created:1", "lead.created:2", "lead.created:1", "lead.created:0"]
    assert [row.webhook_id for row in await service.deliveries(webhook_id=second.id)] == [second.id]
    assert len(await service.deliveries(webhook_id=first.id, event=LEAD_CREATED)) == 3
    assert len(await service.deliveries(status="pending")) == 5
    assert await service.deliveries(status="delivered") == []
    page = await service.deliveries(limit=2)
    rest = await service.deliveries(limit=2, before_id=page[-1].id)
    assert [row.id for row in page + rest] == [row.id for row in everything[:4]]
    with pytest.raises(WebhookError):
        await service.deliveries(status="lost")
    with pytest.raises(WebhookError):
        await service.deliveries(limit=0)
