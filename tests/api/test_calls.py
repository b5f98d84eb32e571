"""Calls: who sees which, pagination, filters, sorts, the card, recordings."""

import os
from datetime import timedelta

import pytest

from tests.api.conftest import NOW, add_call, add_client

PBX = "/var/spool/asterisk/monitor"


async def test_roles_and_visibility(api, sessions, department):
    d = department
    client_of_ivan = await add_client(sessions, "Клиент Ивана", d.ivan, "+79160000001")
    answered = await add_call(sessions, "a", answered_by=d.ivan)
    rang = await add_call(sessions, "b", rang=(d.ivan,), answered_by=d.olga)
    of_client = await add_call(sessions, "c", answered_by=d.olga, client_id=client_of_ivan)
    olgas = await add_call(sessions, "d", answered_by=d.olga)
    ivan_sees = {c["id"] for c in (await api.json("GET", "/calls", "ivan"))["items"]}
    assert ivan_sees == {answered, rang, of_client}
    assert {c["id"] for c in (await api.json("GET", "/calls", "rop"))["items"]} == {answered, rang, of_client, olgas}
    assert (await api.call("GET", f"/calls/{olgas}", "ivan")).status == 404
    assert (await api.call("GET", "/calls", "admin")).status == 403
    assert (await api.call("GET", "/calls")).status == 401


async def test_the_card_has_the_routing_path_and_placeholders(api, sessions, department):
    call_id = await add_call(sessions, "a", rang=(department.olga,), answered_by=department.ivan,
                             recording=f"{PBX}/a.wav")
    card = await api.json("GET", f"/calls/{call_id}", "ivan")
    assert [(leg["manager"]["name"], leg["result"], leg["ring_seconds"]) for leg in card["legs"]] == [
        ("Ольга Смирнова", "noanswer", 10.0), ("Иван Петров", "answered", 4.0)]
    assert card["answered_by"]["extension"] == "101"
    assert card["recording"] == {"url": f"/api/calls/{call_id}/recording", "status": "ok", "error": "",
                                 "size_bytes": None, "duration_seconds": None, "channels": None, "sha256": None,
                                 "layout": None}
    assert card["transcript"] is None and card["score"] is None
    assert card["started_at"] == "2026-11-23T10:00:00Z"


async def test_pages_are_stable_with_ties_and_have_no_gaps(api, sessions, department):
    ids = [await add_call(sessions, f"c{i}", answered_by=department.ivan, talk=float(i % 3),
                          started_at=NOW + timedelta(minutes=i // 2)) for i in range(11)]
    for sort in ("started_at", "-started_at", "talk_seconds", "-talk_seconds", "wait_seconds"):
        seen, cursor = [], None
        while True:
            params = {"limit": "3", "sort": sort, **({"cursor": cursor} if cursor else {})}
            page = await api.json("GET", "/calls", "rop", params=params)
            seen += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert sorted(call["id"] for call in seen) == sorted(ids), sort
        key = sort.lstrip("-")
        keys = [(call[key], call["id"]) for call in seen]
        assert keys == sorted(keys, reverse=sort.startswith("-")), sort


async def test_bad_cursors_are_400_and_bad_parameters_422(api, sessions, department):
    for i in range(3):
        await add_call(sessions, f"c{i}", answered_by=department.ivan)
    page = await api.json("GET", "/calls", "rop", params={"limit": "1"})
    for cursor in ("garbage!", "W10", page["next_cursor"] + "x", "WyJzdGFydGVkX2F0IiwxLDJd"):
        response = await api.call("GET", "/calls", "rop", params={"cursor": cursor})
        assert response.status == 400 and (await response.json())["error"] == "bad_cursor", cursor
    other_sort = await api.call("GET", "/calls", "rop", params={"cursor": page["next_cursor"], "sort": "talk_seconds"})
    assert other_sort.status == 400
    for params in ({"sort": "linkedid"}, {"limit": "0"}, {"direction": "sideways"}, {"phone": "anonymous"},
                   {"from": "yesterday"}, {"colour": "red"}):
        response = await api.call("GET", "/calls", "rop", params=params)
        body = await response.json()
        assert response.status == 422 and body["error"] == "validation_error", params
        assert body["details"][0]["loc"][0] == "query"
    capped = await api.json("GET", "/calls", "rop", params={"limit": "100000"})
    assert len(capped["items"]) == 3


async def test_filters(api, sessions, department):
    d = department
    client = await add_client(sessions, "Клиент", d.ivan, "+79123456789")
    early = await add_call(sessions, "a", answered_by=d.ivan, started_at=NOW - timedelta(days=1))
    missed = await add_call(sessions, "b", rang=(d.olga,), disposition="missed", caller="+79123456789", client_id=client)
    outbound = await add_call(sessions, "c", answered_by=d.olga, direction="outbound")

    async def ids(**params) -> set[int]:
        return {c["id"] for c in (await api.json("GET", "/calls", "rop", params=params))["items"]}

    assert await ids(**{"from": "2026-11-23T00:00:00+03:00"}) == {missed, outbound}
    assert await ids(to="2026-11-23T09:00:00Z") == {early}
    assert await ids(direction="outbound") == {outbound}
    assert await ids(disposition="missed") == {missed}
    assert await ids(manager=str(d.olga)) == {missed, outbound}
    assert await ids(phone="8 (912) 345-67-89") == {missed}
    assert await ids(client=str(client)) == {missed}


@pytest.fixture
def recording_file(settings):
    root = settings.effective_recordings_dir
    root.mkdir(parents=True, exist_ok=True)
    (root / "a.wav").write_bytes(bytes(range(256)) * 4)
    return root / "a.wav"


async def test_recording_supports_range_requests(api, sessions, department, recording_file):
    call_id = await add_call(sessions, "a", answered_by=department.ivan, recording=f"{PBX}/a.wav")
    whole = await api.call("GET", f"/calls/{call_id}/recording", "ivan")
    assert whole.status == 200 and await whole.read() == recording_file.read_bytes()
    part = await api.call("GET", f"/calls/{call_id}/recording", "ivan", headers={"Range": "bytes=10-19"})
    assert part.status == 206 and part.headers["Content-Range"] == "bytes 10-19/1024"
    assert await part.read() == bytes(range(10, 20))
    beyond = await api.call("GET", f"/calls/{call_id}/recording", "ivan", headers={"Range": "bytes=5000-"})
    assert beyond.status == 416
    assert (await api.call("GET", f"/calls/{call_id}/recording", "olga")).status == 404


@pytest.mark.parametrize("reported", [
    "/etc/passwd", f"{PBX}/../../../../etc/passwd", "../outside.wav", f"{PBX}/missing.wav", f"{PBX}/link.wav", f"{PBX}/",
])
async def test_recording_paths_stay_inside_the_recordings_dir(api, sessions, department, settings, recording_file, reported):
    outside = settings.data_dir / "outside.wav"
    outside.write_bytes(b"secret")
    os.symlink(outside, settings.effective_recordings_dir / "link.wav")
    call_id = await add_call(sessions, "a", answered_by=department.ivan, recording=reported)
    assert (await api.call("GET", f"/calls/{call_id}/recording", "rop")).status == 404
