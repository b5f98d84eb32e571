"""Managers, groups and users: configuration for admins and the ROP."""

from tests.api.conftest import PASSWORD, add_client, add_lead


async def test_managers_and_groups(api, department):
    assert (await api.call("GET", "/managers", "ivan")).status == 403
    hours = {"mon": [["09:00", "18:00"]], "holidays": ["2026-12-31"]}
    manager = await api.json("POST", "/managers", "admin", 201,
                             json={"name": "Пётр", "extension": "103", "working_hours": hours})
    assert manager["working_hours"] == hours and manager["timezone"] == "Europe/Moscow"
    assert (await api.call("POST", "/managers", "admin", json={"name": "Дубль", "extension": "103"})).status == 409
    bad = await api.call("POST", "/managers", "admin", json={"name": "X", "extension": "104", "timezone": "Mars/Base",
                                                             "working_hours": {"mon": [["9", "18:00"]]}})
    assert bad.status == 422 and len((await bad.json())["details"]) == 2
    group = await api.json("POST", "/groups", "rop", 201,
                           json={"name": "sales", "manager_ids": [department.ivan, manager["id"]],
                                 "default_manager_id": department.ivan})
    assert group["manager_ids"] == sorted([department.ivan, manager["id"]])
    assert department.events[-1].name == "managers.changed"
    changed = await api.json("PATCH", f"/managers/{manager['id']}", "rop",
                             json={"do_not_disturb": True, "absent": True, "group_ids": []})
    assert (changed["do_not_disturb"], changed["absent"], changed["group_ids"]) == (True, True, [])
    assert (await api.json("GET", f"/groups/{group['id']}", "admin"))["manager_ids"] == [department.ivan]
    assert (await api.call("POST", "/groups", "rop", json={"name": "x", "manager_ids": [999999]})).status == 422


async def test_switching_a_manager_off_names_every_number_that_rang_them_first(api, sessions, department):
    await add_client(sessions, "ACME", department.ivan, "+79031110001", "+79031110002")
    await add_lead(sessions, "+79031110003", department.ivan, "lead-1")
    await add_lead(sessions, "+79031110004", department.olga, "lead-2")
    await api.json("PATCH", f"/managers/{department.ivan}", "rop", json={"active": False})
    changed = department.events[-1]  # the owner index looks these numbers up again
    assert changed.name == "managers.changed"
    assert changed.payload.phones == ("+79031110001", "+79031110002", "+79031110003")


async def test_users(api, department):
    assert (await api.call("GET", "/users", "ivan")).status == 403
    body = {"username": "petr", "password": PASSWORD, "role": "manager"}
    assert (await api.call("POST", "/users", "rop", json=body)).status == 422  # a manager's login needs a manager
    assert (await api.call("POST", "/users", "rop", json={**body, "manager_id": department.olga})).status == 409
    assert (await api.call("POST", "/users", "rop", json={**body, "password": "short"})).status == 422
    assert (await api.call("POST", "/users", "rop", json={**body, "role": "admin"})).status == 403
    created = await api.json("POST", "/users", "admin", 201, json={**body, "role": "admin"})
    assert "password" not in created and "password_hash" not in created
    assert (await api.call("PATCH", f"/users/{created['id']}", "rop", json={"active": False})).status == 403
    login = await api.call("POST", "/auth/login", json={"username": "petr", "password": PASSWORD})
    assert login.status == 200
    me = (await api.json("GET", "/auth/me", "admin"))["id"]
    assert (await api.call("PATCH", f"/users/{me}", "admin", json={"active": False})).status == 409
    new_password = await api.json("PATCH", f"/users/{created['id']}", "admin", json={"password": "another one!"})
    assert new_password["active"]
    assert (await api.call("POST", "/auth/login", json={"username": "petr", "password": PASSWORD})).status == 401


async def test_openapi_lists_every_route(api):
    response = await api.call("GET", "/openapi.json")
    document = await response.json()
    assert document["openapi"] == "3.1.0"
    routes = {
        (route.method.lower(), route.resource.canonical.removeprefix("/api"))
        for route in api.client.app._subapps[0].router.routes()
        if route.method != "HEAD"
    }
    documented = {(method, path) for path, operations in document["paths"].items() for method in operations}
    assert {(m, p.replace(":\\d{1,9}", "")) for m, p in routes} == documented
    schemas = document["components"]["schemas"]
    refs = {ref.split("/")[-1] for ref in _refs(document["paths"])}
    assert refs <= set(schemas) and {"CallCard", "ErrorBody", "Page_CallSummary_"} <= refs
    assert {"bearer", "session_cookie"} == set(document["components"]["securitySchemes"])
    calls = document["paths"]["/calls"]["get"]
    assert {p["name"] for p in calls["parameters"]} >= {"limit", "cursor", "sort", "from", "to", "phone"}
    assert calls["x-roles"] == ["manager", "rop"] and "401" in calls["responses"]


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)
