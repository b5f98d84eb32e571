"""``/api/notifications``: what managers are told (e.g. a colleague answered their client)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from accounts.access import CALL_DATA, Principal, Scope, data_scope
from api.app import context
from api.pagination import Page, PageQuery
from api.registry import Routes
from api.validation import Timestamp
from crm.notification_queries import NOTIFICATION_SORTS, NotificationFilters, NotificationQueries

routes = Routes("notifications")


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    manager_id: int = Field(description="Whom it is addressed to.")
    kind: str = Field(description="e.g. colleague_answered.")
    call_id: int | None
    payload: dict[str, Any]
    created_at: Timestamp
    read_at: Timestamp | None


class NotificationQuery(PageQuery):
    sort: NOTIFICATION_SORTS.choices() = NOTIFICATION_SORTS.default  # type: ignore[valid-type]
    unread: bool | None = Field(default=None, description="true: only those not read yet; false: only those read.")


def _notifications(request: web.Request) -> NotificationQueries:
    return NotificationQueries(context(request).sessions)


@routes.get("/notifications", roles=CALL_DATA, query=NotificationQuery, response=Page[NotificationOut])
async def list_notifications(
    request: web.Request, principal: Principal, query: NotificationQuery
) -> Page[NotificationOut]:
    """Notifications, newest first by default: a manager's own; the head of sales sees everyone's."""
    notifications, cursor = await _notifications(request).page(
        data_scope(principal), NotificationFilters(unread=query.unread), NOTIFICATION_SORTS.request(query, query.sort)
    )
    return Page[NotificationOut](items=[NotificationOut.model_validate(n) for n in notifications], next_cursor=cursor)


@routes.post("/notifications/{notification_id}/read", roles=CALL_DATA, response=NotificationOut)
async def read_notification(request: web.Request, principal: Principal, notification_id: int) -> NotificationOut:
    """Mark one of your own notifications read (someone else's is not found, even for the head of sales)."""
    own = Scope(everyone=False, manager_id=principal.manager_id)
    notification = await _notifications(request).mark_read(own, notification_id, context(request).clock.now())
    return NotificationOut.model_validate(notification)
