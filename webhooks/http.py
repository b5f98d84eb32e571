"""``/api/webhooks``: configuring webhooks and reading or redelivering their deliveries.

The secret is write-only: it is given on creation (or made then and answered
that once) and can be replaced, but never read back; a webhook shows
``secret_set`` instead. Input is checked with the service's own rules.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from accounts.access import CONFIGURE, Principal
from api.app import context
from api.errors import NotFound
from api.pagination import Page, PageQuery, SortField, Sorting
from api.registry import Routes
from api.validation import Patch, Schema, Timestamp
from storage.models import Webhook, WebhookDelivery
from webhooks.events import WEBHOOK_EVENTS
from webhooks.outbox import DELIVERY_STATUSES
from webhooks.service import MAX_SECRET_LENGTH, MAX_URL_LENGTH, WebhookService, valid_events, valid_url

routes = Routes("webhooks")

# the service's order, newest first; its ``before_id`` is this keyset
DELIVERY_PAGES = Sorting(id_column=WebhookDelivery.id, fields={"id": SortField(WebhookDelivery.id, int)}, default="-id")

EventName = Literal[WEBHOOK_EVENTS]  # type: ignore[valid-type]
DeliveryStatus = Literal[DELIVERY_STATUSES]  # type: ignore[valid-type]
Url = Annotated[
    str,
    Field(max_length=MAX_URL_LENGTH, description="Absolute http(s) URL.", examples=["https://crm.example.com/hooks"]),
    AfterValidator(valid_url),
]
Events = Annotated[
    list[EventName], Field(description="The events to send; empty: every event."), AfterValidator(valid_events)
]
Secret = Annotated[str, Field(min_length=1, max_length=MAX_SECRET_LENGTH, description="The HMAC key of the signature.")]


class WebhookCreate(Schema):
    url: Url
    events: Events = []
    secret: Secret | None = Field(default=None, description="Omitted: one is made and answered this once.")
    active: bool = True


class WebhookUpdate(Patch):
    url: Url | None = None
    events: Events | None = None
    secret: Secret | None = Field(default=None, description="Replaces the secret.")
    active: bool | None = None


class WebhookOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    url: str
    events: list[str] = Field(description="Empty: every event.")
    active: bool
    secret_set: bool = Field(default=True, description="The secret is never shown again.")
    created_at: Timestamp


class WebhookCreated(WebhookOut):
    secret: str | None = Field(description="The secret made for you, shown only now; null when you gave one.")


class WebhookList(BaseModel):
    items: list[WebhookOut]


class DeliveryQuery(PageQuery):
    status: DeliveryStatus | None = None
    event: EventName | None = None


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    webhook_id: int
    event: str
    event_id: str
    payload: dict[str, Any]
    status: DeliveryStatus
    attempts: int
    next_attempt_at: Timestamp | None
    last_error: str
    response_status: int | None
    created_at: Timestamp
    delivered_at: Timestamp | None


def _webhooks(request: web.Request) -> WebhookService:
    return context(request).webhooks


def _found(webhook: Webhook | None) -> WebhookOut:
    if webhook is None:
        raise NotFound("no such webhook")
    return WebhookOut.model_validate(webhook)


@routes.get("/webhooks", roles=CONFIGURE, response=WebhookList)
async def list_webhooks(request: web.Request, principal: Principal) -> WebhookList:
    """Every webhook, oldest first (a department has a few)."""
    return WebhookList(items=[WebhookOut.model_validate(hook) for hook in await _webhooks(request).webhooks()])


@routes.post("/webhooks", roles=CONFIGURE, body=WebhookCreate, response=WebhookCreated, status=201)
async def create_webhook(request: web.Request, principal: Principal, body: WebhookCreate) -> WebhookCreated:
    """Add a webhook; without a secret one is made and answered this once."""
    webhook = await _webhooks(request).create(body.url, body.events, body.secret, body.active)
    made = webhook.secret if body.secret is None else None
    return WebhookCreated(**WebhookOut.model_validate(webhook).model_dump(), secret=made)


@routes.get("/webhooks/{webhook_id}", roles=CONFIGURE, response=WebhookOut)
async def get_webhook(request: web.Request, principal: Principal, webhook_id: int) -> WebhookOut:
    """One webhook."""
    return _found(await _webhooks(request).get(webhook_id))


@routes.patch("/webhooks/{webhook_id}", roles=CONFIGURE, body=WebhookUpdate, response=WebhookOut)
async def update_webhook(
    request: web.Request, principal: Principal, webhook_id: int, body: WebhookUpdate
) -> WebhookOut:
    """Change a webhook's URL, events, secret, or switch it off and on."""
    return _found(await _webhooks(request).update(webhook_id, **body.changes()))


@routes.get("/webhooks/{webhook_id}/deliveries", roles=CONFIGURE, query=DeliveryQuery, response=Page[DeliveryOut])
async def list_deliveries(
    request: web.Request, principal: Principal, webhook_id: int, query: DeliveryQuery
) -> Page[DeliveryOut]:
    """The webhook's delivery log, newest first."""
    _found(await _webhooks(request).get(webhook_id))
    page = DELIVERY_PAGES.request(query, DELIVERY_PAGES.default)
    deliveries = await _webhooks(request).deliveries(
        webhook_id=webhook_id,
        status=query.status,
        event=query.event,
        before_id=None if page.after is None else page.after[1],
        limit=page.limit + 1,
    )
    items = [DeliveryOut.model_validate(delivery) for delivery in deliveries[: page.limit]]
    last = items[-1].id if len(deliveries) > page.limit else None
    cursor = None if last is None else DELIVERY_PAGES.cursor(page.sort, last, last)  # the service pages by id
    return Page[DeliveryOut](items=items, next_cursor=cursor)


@routes.post("/webhook-deliveries/{delivery_id}/redeliver", roles=CONFIGURE, response=DeliveryOut)
async def redeliver(request: web.Request, principal: Principal, delivery_id: int) -> DeliveryOut:
    """Send a delivery again, whatever became of it, with a fresh budget of attempts."""
    delivery = await _webhooks(request).redeliver(delivery_id)
    if delivery is None:
        raise NotFound("no such delivery")
    return DeliveryOut.model_validate(delivery)
