"""Routing rules per dialled number and group chains: configuration, validated
as the router reads them, announced so every routing cache reloads."""

from datetime import timedelta

from sqlalchemy import select

from storage.models import Group
from tests.api.conftest import NOW, add_task

SITE = {"steps": [{"kind": "group", "group": "sales", "ring_seconds": 15}], "queue": "sales"}


async def add_group(sessions, name: str) -> int:
    async with sessions() as session, session.begin():
        group = Group(name=name)
        session.add(group)
        await session.flush()
        return group.id


async def test_rules_are_configuration_with_full_validation(api, department, sessions):
    await add_group(sessions, "sales")
    assert (await api.call("GET", "/routing-rules", "ivan")).status == 403
    assert (await api.call("GET", "/routing-rules")).status == 401
    created = await api.json("POST", "/routing-rules", "rop", 201,
                             json={"did": "74951234567", "name": "Сайт", "source": "сайт", "chain": SITE,
                                   "ivr": {"1": {"steps": [{"kind": "extension", "extension": "101"}]}}})
    assert created["chain"]["steps"][0] == {"kind": "group", "group": "sales", "strategy": "round_robin",
                                             "ring_seconds": 15}
    assert created["ivr"]["1"]["steps"][0]["extension"] == "101" and created["active"]
    assert department.events[-1].name == "routing.changed"
    assert (await api.call("POST", "/routing-rules", "admin", json={"did": "74951234567", "chain": {}})).status == 409
    for bad in (
        {"did": "7495 123", "chain": {}},  # not a number
        {"did": "1", "chain": {"steps": [{"kind": "owner", "ring_seconds": 0}]}},
        {"did": "1", "chain": {"steps": [{"kind": "extension", "extension": "101&102"}]}},
        {"did": "1", "chain": {}, "ivr": {"12345": {}}},
        {"did": "1", "chain": {}, "priority": 1},
    ):
        assert (await api.call("POST", "/routing-rules", "rop", json=bad)).status == 422, bad
    unknown_group = await api.call("POST", "/routing-rules", "rop",
                                   json={"did": "*", "chain": {"steps": [{"kind": "group", "group": "vip"}]}})
    assert unknown_group.status == 422 and "vip" in (await unknown_group.json())["message"]

    changed = await api.json("PATCH", f"/routing-rules/{created['id']}", "admin", json={"source": None, "active": False})
    assert (changed["source"], changed["active"], changed["name"]) == (None, False, "Сайт")
    assert [rule["did"] for rule in (await api.json("GET", "/routing-rules", "rop"))["items"]] == ["74951234567"]
    assert (await api.call("DELETE", f"/routing-rules/{created['id']}", "rop")).status == 204
    assert (await api.call("GET", f"/routing-rules/{created['id']}", "rop")).status == 404


async def test_a_group_gets_its_own_chain_or_none(api, department, sessions):
    sales = await add_group(sessions, "sales")
    assert (await api.json("GET", f"/groups/{sales}/chain", "rop"))["chain"] is None
    chain = {"steps": [{"kind": "owner"}, {"kind": "group", "group": "sales", "strategy": "ring_all"}],
             "voicemail": "100@default"}
    saved = await api.json("PUT", f"/groups/{sales}/chain", "rop", json={"chain": chain})
    assert saved["chain"]["steps"][1]["strategy"] == "ring_all" and saved["chain"]["voicemail"] == "100@default"
    async with sessions() as session:
        assert (await session.scalar(select(Group.chain).where(Group.id == sales)))["steps"][0]["kind"] == "owner"
    assert (await api.json("PUT", f"/groups/{sales}/chain", "admin", json={"chain": None}))["chain"] is None
    assert (await api.call("PUT", "/groups/999999/chain", "rop", json={"chain": None})).status == 404
    assert (await api.call("PUT", f"/groups/{sales}/chain", "ivan", json={"chain": None})).status == 403


async def test_click_to_call_rings_my_phone_then_the_client(api, department, sessions):
    mine = await add_task(sessions, "+79161112233", department.ivan, NOW + timedelta(minutes=15), "t.1")
    theirs = await api.json("POST", f"/tasks/{mine}/call", "ivan", 202)
    assert (theirs["extension"], theirs["number"]) == ("101", "79161112233")
    [action] = department.pbx.actions
    assert (action["Action"], action["Channel"], action["Exten"]) == ("Originate", "Local/101@agents", "79161112233")
    assert (await api.call("POST", f"/tasks/{mine}/call", "olga")).status == 404  # not her task
    assert (await api.call("POST", f"/tasks/{mine}/call", "rop")).status == 409  # the ROP's login has no phone
    department.pbx.answer = "Error"
    refused = await api.call("POST", f"/tasks/{mine}/call", "ivan")
    assert refused.status == 409 and "Originate failed" in (await refused.json())["message"]
    department.pbx.answer = "down"
    assert (await api.call("POST", f"/tasks/{mine}/call", "ivan")).status == 503
    await api.json("POST", f"/tasks/{mine}/close", "ivan")
    department.pbx.answer = "Success"
    closed = await api.call("POST", f"/tasks/{mine}/call", "ivan")
    assert closed.status == 409 and "not open" in (await closed.json())["message"]
    assert len(department.pbx.actions) == 2  # the one Asterisk refused, and nothing for a closed task
