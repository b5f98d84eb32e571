"""The access rules, pure."""

import pytest

from accounts.access import ASSIGN, CALL_DATA, CONFIGURE, EVERYONE, Principal, Role, Scope, data_scope, may, may_manage_user
from accounts.passwords import hash_password, verify_password


def principal(role: Role, manager_id: int | None = None) -> Principal:
    return Principal(1, "u", role, manager_id, "hash")


def test_who_sees_which_call_data():
    assert data_scope(principal(Role.ROP)) == EVERYONE
    assert data_scope(principal(Role.MANAGER, 7)) == Scope(everyone=False, manager_id=7)
    assert data_scope(principal(Role.MANAGER)) == Scope(everyone=False, manager_id=None)  # an unlinked login: nothing
    with pytest.raises(ValueError):
        data_scope(principal(Role.ADMIN))


def test_who_may_do_what():
    assert may(principal(Role.MANAGER, 1), CALL_DATA) and not may(principal(Role.MANAGER, 1), CONFIGURE)
    assert may(principal(Role.ROP), CALL_DATA) and may(principal(Role.ROP), ASSIGN) and may(principal(Role.ROP), CONFIGURE)
    assert not may(principal(Role.ADMIN), CALL_DATA) and may(principal(Role.ADMIN), CONFIGURE)
    assert not may(principal(Role.MANAGER, 1), ASSIGN)
    assert may_manage_user(Role.ADMIN, Role.ADMIN) and may_manage_user(Role.ROP, Role.MANAGER)
    assert not may_manage_user(Role.ROP, Role.ADMIN) and not may_manage_user(Role.MANAGER, Role.MANAGER)


def test_passwords_are_argon2id():
    hashed = hash_password("пароль-123")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "пароль-123")
    assert not verify_password(hashed, "пароль-124")
    assert not verify_password(None, "пароль-123")
    assert not verify_password("not a hash", "x")
