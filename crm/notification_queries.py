"""Notifications for the API: a page of them, and marking one read, within
the caller's scope. (Making them is ``crm.notifications``.)

They sort by id, which is their order of creation: ``created_at`` is the
database's own default, whose precision differs between PostgreSQL and SQLite,
so it would not make a reliable keyset.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from accounts.access import Scope
from api.errors import NotFound
from api.pagination import PageRequest, SortField, Sorting
from crm.leads import utc
from crm.visibility import visible_notifications
from storage.models import Notification

NOTIFICATION_SORTS = Sorting(id_column=Notification.id, fields={"id": SortField(Notification.id, int)}, default="-id")


@dataclass(frozen=True)
class NotificationFilters:
    unread: bool | None = None  # True: not read yet; False: read

    def conditions(self) -> list[ColumnElement[bool]]:
        if self.unread is None:
            return []
        return [Notification.read_at.is_(None) if self.unread else Notification.read_at.is_not(None)]


class NotificationQueries:
    def __init__(self, sessions: async_sessionmaker) -> None:
        self._sessions = sessions

    async def page(
        self, scope: Scope, filters: NotificationFilters, page: PageRequest
    ) -> tuple[list[Notification], str | None]:
        query = select(Notification).where(visible_notifications(scope), *filters.conditions())
        async with self._sessions() as session:
            return await NOTIFICATION_SORTS.fetch(session, query, page)

    async def mark_read(self, scope: Scope, notification_id: int, now: datetime) -> Notification:
        """Mark the notification read; one read before keeps its first ``read_at``."""
        async with self._sessions() as session, session.begin():
            notification = await session.scalar(
                select(Notification).where(Notification.id == notification_id, visible_notifications(scope))
            )
            if notification is None:
                raise NotFound("no such notification")
            if notification.read_at is None:
                notification.read_at = utc(now)
            return notification
