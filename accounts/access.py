"""Who sees what, in one place. Pure: no I/O.

- A manager works with their own call data: calls they answered or that rang
  them, calls of their clients, the leads they own, the tasks assigned to
  them, the clients they are responsible for.
- The head of sales (ROP) sees and changes the whole department's call data,
  gives clients, leads and tasks to managers, and configures the department;
  they draw training samples and share playlists of calls with managers, who
  may then open those calls too.
- An admin configures (users, managers, groups) and sees no call data.

Endpoints name the roles they admit (``CALL_DATA``, ``CONFIGURE``, ``ANYONE``):
a wrong role is a 403. Within call data, ``data_scope`` says whose rows a
principal sees; the SQL form of it is ``crm.visibility``. A row outside the
scope is answered as if it did not exist (404), never as forbidden.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    MANAGER = "manager"
    ROP = "rop"  # руководитель отдела продаж: the head of sales
    ADMIN = "admin"


CALL_DATA = frozenset({Role.MANAGER, Role.ROP})  # calls, recordings, clients, leads, tasks
ASSIGN = frozenset({Role.ROP})  # give a client, lead or task to another manager
CONFIGURE = frozenset({Role.ROP, Role.ADMIN})  # users, managers, groups
TEAM_REPORTS = frozenset({Role.ROP})  # the team's figures
COACH = frozenset({Role.ROP})  # draw training samples, keep playlists, mark good and bad examples
TRY_SCRIPTS = CALL_DATA & CONFIGURE  # try a script being written on a real call's transcript
ANYONE = frozenset(Role)


@dataclass(frozen=True)
class Principal:
    """An authenticated user, as the request's session says."""

    user_id: int
    username: str
    role: Role
    manager_id: int | None
    token_hash: str


@dataclass(frozen=True)
class Scope:
    """Whose call data is visible: everyone's, or one manager's (``manager_id``
    None: nobody's, for a manager login not linked to a manager)."""

    everyone: bool
    manager_id: int | None = None


EVERYONE = Scope(everyone=True)


def data_scope(principal: Principal) -> Scope:
    """The call data ``principal`` sees; callers have admitted only ``CALL_DATA`` roles."""
    if principal.role is Role.ROP:
        return EVERYONE
    if principal.role is Role.MANAGER:
        return Scope(everyone=False, manager_id=principal.manager_id)
    raise ValueError(f"{principal.role} sees no call data")


def may(principal: Principal, roles: frozenset[Role]) -> bool:
    return principal.role in roles


def may_manage_user(actor: Role, target: Role) -> bool:
    """Admins manage every account; the ROP manages managers' and ROPs' accounts, not admins'."""
    return actor is Role.ADMIN or (actor is Role.ROP and target is not Role.ADMIN)
