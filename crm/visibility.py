"""``accounts.access.Scope`` as SQL: the rows of each kind of call data a scope sees.

Every crm read and write for the API filters with these, so a row outside the
scope is simply not found (404). A manager sees the calls they answered or
that rang them as a leg, and the calls of the clients they are responsible
for; the clients they are responsible for; the leads they own; the tasks
assigned to them; the notifications addressed to them. A manager may also
open (not list among their calls) the calls of the training playlists shared
with them.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import ColumnElement, exists, false, or_, select, true

from accounts.access import Scope
from storage.models import (
    Call,
    CallbackTask,
    CallLeg,
    Client,
    Lead,
    Notification,
    Playlist,
    PlaylistCall,
    playlist_shares,
)


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


def shared_playlists(manager_id: int) -> ColumnElement[bool]:
    """The playlists shared with this manager: by name, or with everyone."""
    return or_(
        Playlist.shared_with_all,
        exists().where(playlist_shares.c.playlist_id == Playlist.id, playlist_shares.c.manager_id == manager_id),
    )


def visible_playlists(scope: Scope) -> ColumnElement[bool]:
    return _own(scope, shared_playlists)


def readable_calls(scope: Scope) -> ColumnElement[bool]:
    """The calls a scope may open: its own, and those of the playlists shared with it."""
    return _own(scope, lambda manager_id: or_(
        _calls_of(manager_id),
        Call.id.in_(select(PlaylistCall.call_id).join(Playlist).where(shared_playlists(manager_id))),
    ))


def visible_clients(scope: Scope) -> ColumnElement[bool]:
    return _own(scope, lambda manager_id: Client.responsible_manager_id == manager_id)


def visible_leads(scope: Scope) -> ColumnElement[bool]:
    return _own(scope, lambda manager_id: Lead.owner_id == manager_id)


def visible_tasks(scope: Scope) -> ColumnElement[bool]:
    return _own(scope, lambda manager_id: CallbackTask.manager_id == manager_id)


def visible_notifications(scope: Scope) -> ColumnElement[bool]:
    return _own(scope, lambda manager_id: Notification.manager_id == manager_id)
