"""``accounts.access.Scope`` as SQL: the rows of each kind of call data a scope sees.

Every crm read and write for the API filters with these, so a row outside the
scope is simply not found (404). A manager sees the calls they answered or
that rang them as a leg, and the calls of the clients they are responsible
for; the clients they are responsible for; the leads they own; the tasks
assigned to them; the notifications addressed to them.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import ColumnElement, exists, false, or_, select, true

from accounts.access import Scope
from storage.models import Call, CallbackTask, CallLeg, Client, Lead, Notification


def _own(scope: Scope, condition: Callable[[int], ColumnElement[bool]]) -> ColumnElement[bool]:
    if scope.everyone:
        return true()
    if scope.manager_id is None:
        return false()
    return condition(scope.manager_id)


def _calls_of(manager_id: int) -> ColumnElement[bool]:
    return or_(
        Call.answered_by_id == manager_id,
        exists().where(CallLeg.call_id == Call.id, CallLeg.manager_id == manager_id),
        Call.client_id.in_(select(Client.id).where(Client.responsible_manager_id == manager_id)),
    )


def visible_calls(scope: Scope) -> ColumnElement[bool]:
    return _own(scope, _calls_of)


def visible_clients(scope: Scope) -> ColumnElement[bool]:
    return _own(scope, lambda manager_id: Client.responsible_manager_id == manager_id)


def visible_leads(scope: Scope) -> ColumnElement[bool]:
    return _own(scope, lambda manager_id: Lead.owner_id == manager_id)


def visible_tasks(scope: Scope) -> ColumnElement[bool]:
    return _own(scope, lambda manager_id: CallbackTask.manager_id == manager_id)


def visible_notifications(scope: Scope) -> ColumnElement[bool]:
    return _own(scope, lambda manager_id: Notification.manager_id == manager_id)
