"""Clients, leads, tasks: validation, conflicts, visibility, writes, events."""

from datetime import timedelta

from tests.api.conftest import NOW, add_lead, add_task


async def test_client_phones_are_normalised_validated_and_unique(api, department):
    created = await api.json("POST", "/clients", "ivan", 201,
                             json={"name": "Ромашка", "phones": [{"phone": "8 (912) 345-67-89", "label": "моб"}]})
    assert created["phones"] == [{"phone": "+79123456789", "label": "моб"}]
    assert created["responsible_manager_id"] == department.ivan  # a manager's new client is their own
    for bad in ("anonymous", "", "abc"):
        response = await api.call("POST", "/clients", "rop", json={"name": "X", "phones": [{"phone": bad}]})
        body = await response.json()
        assert response.status == 422 and body["details"][0]["loc"][:2] == ["body", "phones"], bad
    taken = await api.call("POST", "/clients", "rop", json={"name": "Y", "phones": [{"phone": "+7 912 345 67 89"}]})
    assert taken.status == 409 and (await taken.json())["details"] == {"phones": ["+79123456789"]}
    assert department.events[-1].name == "client.changed"
    assert department.events[-1].payload.phones == ("+79123456789",)


async def test_client_updates_and_who_may_assign(api, department):
    client = await api.json("POST", "/clients", "ivan", 201, json={"name": "A", "phones": [{"phone": "+79160000001"}]})
    path = f"/clients/{client['id']}"
    assert (await api.call("GET", path, "olga")).status == 404
    moved = await api.call("PATCH", path, "ivan", json={"responsible_manager_id": department.olga})
    assert moved.status == 403
    updated = await api.json("PATCH", path, "ivan", json={"phones": [{"phone": "+79160000002"}], "name": "B"})
    assert [p["phone"] for p in updated["phones"]] == ["+79160000002"] and updated["name"] == "B"
    assert department.events[-1].payload.phones == ("+79160000001", "+79160000002")
    given = await api.json("PATCH", path, "rop", json={"responsible_manager_id": department.olga})
    assert given["responsible_manager_id"] == department.olga
    assert (await api.call("PATCH", path, "rop", json={"name": None})).status == 422
    assert (await api.call("GET", path, "admin")).status == 403


async def test_leads_visibility_status_owner_and_conversion(api, sessions, department):
    mine = await add_lead(sessions, "+79031112233", department.ivan, "l1")
    hers = await add_lead(sessions, "+79031112244", department.olga, "l2")
    assert [lead["id"] for lead in (await api.json("GET", "/leads", "ivan"))["items"]] == [mine]
    assert (await api.call("GET", f"/leads/{hers}", "ivan")).status == 404
    assert (await api.call("PATCH", f"/leads/{mine}", "ivan", json={"owner_id": department.olga})).status == 403
    assert (await api.call("PATCH", f"/leads/{mine}", "ivan", json={"status": "won"})).status == 422
    client = await api.json("POST", f"/leads/{mine}/convert", "ivan", 201, json={"name": "Новый клиент"})
    assert client["phones"][0]["phone"] == "+79031112233" and client["responsible_manager_id"] == department.ivan
    assert (await api.json("GET", f"/leads/{mine}", "ivan"))["status"] == "converted"
    again = await api.call("POST", f"/leads/{mine}/convert", "ivan", json={"name": "Снова"})
    assert again.status == 409
    given = await api.json("PATCH", f"/leads/{hers}", "rop", json={"owner_id": department.ivan, "status": "closed"})
    assert (given["owner_id"], given["status"]) == (department.ivan, "closed")
    changed = department.events[-1]  # routing's owner index looks the number up again at once
    assert (changed.name, changed.payload.lead_id, changed.payload.phones) == ("lead.changed", hers, ("+79031112244",))


async def test_tasks_overdue_close_and_reassign(api, sessions, department, clock):
    late = await add_task(sessions, "+79035550001", department.ivan, NOW - timedelta(minutes=1), "t1")
    due = await add_task(sessions, "+79035550002", department.ivan, NOW + timedelta(minutes=5), "t2")
    hers = await add_task(sessions, "+79035550003", department.olga, NOW + timedelta(minutes=5), "t3")
    overdue = await api.json("GET", "/tasks", "ivan", params={"overdue": "true"})
    assert [(t["id"], t["overdue"]) for t in overdue["items"]] == [(late, True)]
    assert [t["id"] for t in (await api.json("GET", "/tasks", "ivan", params={"overdue": "false"}))["items"]] == [due]
    assert (await api.call("GET", f"/tasks/{hers}", "ivan")).status == 404
    assert (await api.call("POST", f"/tasks/{hers}/close", "ivan")).status == 404
    closed = await api.json("POST", f"/tasks/{late}/close", "ivan")
    assert closed["status"] == "done" and closed["closed_at"] == "2026-11-23T10:00:00Z" and not closed["overdue"]
    assert (await api.call("PATCH", f"/tasks/{due}", "ivan", json={"manager_id": department.olga})).status == 403
    moved = await api.json("PATCH", f"/tasks/{due}", "rop", json={"manager_id": department.olga})
    assert moved["manager_id"] == department.olga
    assert (await api.call("PATCH", f"/tasks/{due}", "rop", json={"manager_id": 999999})).status == 422
    assert (await api.call("GET", f"/tasks/{due}", "ivan")).status == 404
