"""Training on both databases: the head of sales draws samples of scored calls,
keeps them as playlists shared with managers (who may then open those calls,
and no others), and marks good and bad examples; managers and admins are refused."""

from datetime import timedelta

import pytest

from tests.api.conftest import NOW, add_call, add_score

PERIOD = {"from": (NOW - timedelta(days=1)).isoformat(), "to": (NOW + timedelta(days=1)).isoformat()}


def item(item_id: str, met: bool | None) -> dict:
    """A scored script item, as qa.scoring stores it."""
    return {"id": item_id, "title": item_id, "kind": "phrase", "weight": 10.0, "critical": False, "met": met,
            "found": bool(met), "reason": "", "evidence": None, "value": None}


@pytest.fixture
async def scored(sessions, department):
    """Ivan's calls scored 20, 50, 80, 95 and Olga's 30, 60, 90 (Olga's 60 is outbound and short);
    a missed call and an unscored answered call that no sample may draw."""
    ids: dict[str, int] = {}
    for name, manager, score, extra in (
        ("i20", department.ivan, 20, {}), ("i50", department.ivan, 50, {}), ("i80", department.ivan, 80, {}),
        ("i95", department.ivan, 95, {}), ("o30", department.olga, 30, {}),
        ("o60", department.olga, 60, {"direction": "outbound", "talk": 15.0}), ("o90", department.olga, 90, {}),
    ):
        ids[name] = await add_call(sessions, name, answered_by=manager, **extra)
        await add_score(sessions, ids[name], score, [item("greeting", score >= 50), item("next_step", score >= 80)])
    ids["missed"] = await add_call(sessions, "missed", rang=(department.ivan,), disposition="missed")
    ids["unscored"] = await add_call(sessions, "unscored", answered_by=department.ivan)
    return ids


async def sample(api, **body) -> dict:
    return await api.json("POST", "/training/samples", "rop", json={**PERIOD, **body})


def drawn(result: dict, ids: dict[str, int]) -> list[tuple[str, str]]:
    names = {call_id: name for name, call_id in ids.items()}
    return [(names[entry["call"]["id"]], entry["pick"]) for entry in result["items"]]


async def test_a_random_sample_draws_only_scored_answered_calls_that_fit(api, scored):
    everything = await sample(api, size=50)
    assert everything["matched"] == 7
    assert sorted(name for name, _ in drawn(everything, scored)) == ["i20", "i50", "i80", "i95", "o30", "o60", "o90"]
    assert {pick for _, pick in drawn(everything, scored)} == {"random"}
    some = await sample(api, size=3, seed=11)
    assert len(some["items"]) == 3 and some["matched"] == 7
    assert drawn(some, scored) == drawn(await sample(api, size=3, seed=11), scored)  # the seed repeats the draw
    entry = some["items"][0]["call"]
    assert entry["score"] is not None and entry["answered_by_id"] is not None  # a call summary, as the list has


async def test_every_criterion_narrows_the_sample(api, scored, department):
    async def names(**criteria) -> set[str]:
        return {name for name, _ in drawn(await sample(api, size=50, **criteria), scored)}

    assert await names(managers=[department.olga]) == {"o30", "o60", "o90"}
    assert await names(score_min=50, score_max=80) == {"i50", "i80", "o60"}
    assert await names(missed_items=["greeting"]) == {"i20", "o30"}
    assert await names(missed_items=["next_step"]) == {"i20", "i50", "o30", "o60"}
    assert await names(direction="outbound") == {"o60"}
    assert await names(min_seconds=30) == {"i20", "i50", "i80", "i95", "o30", "o90"}
    assert await names(max_seconds=30) == {"o60"}
    period = {"from": (NOW + timedelta(hours=1)).isoformat(), "to": (NOW + timedelta(hours=2)).isoformat()}
    assert (await api.json("POST", "/training/samples", "rop", json={**period}))["items"] == []


async def test_best_and_worst_per_manager(api, scored):
    result = await sample(api, method="best_and_worst", size=1)
    assert drawn(result, scored) == [("i95", "best"), ("i20", "worst"), ("o90", "best"), ("o30", "worst")]


async def test_sampling_is_the_head_of_sales_and_the_request_must_make_sense(api, scored):
    assert (await api.call("POST", "/training/samples", "ivan", json=PERIOD)).status == 403
    assert (await api.call("POST", "/training/samples", "admin", json=PERIOD)).status == 403
    assert (await api.call("POST", "/training/samples", json=PERIOD)).status == 401
    for bad in ({"from": PERIOD["to"], "to": PERIOD["from"]}, {**PERIOD, "score_min": 80, "score_max": 20},
                {**PERIOD, "size": 0}, {**PERIOD, "size": 10_000}, {**PERIOD, "method": "luck"},
                {**PERIOD, "missed_items": ["Greeting; DROP"]}, {**PERIOD, "min_seconds": 60, "max_seconds": 10},
                {"to": PERIOD["to"]}, {**PERIOD, "surprise": 1}):
        response = await api.call("POST", "/training/samples", "rop", json=bad)
        assert response.status == 422, bad
        assert (await response.json())["error"] == "validation_error"


async def test_a_playlist_is_shared_with_chosen_managers_who_may_open_its_calls(api, scored, department):
    olgas, ivans = scored["o90"], scored["i20"]
    assert (await api.call("GET", f"/calls/{olgas}", "ivan")).status == 404
    playlist = await api.json("POST", "/playlists", "rop", status=201, json={
        "title": "  Как закрывать на встречу ", "notes": "Слушать конец звонка",
        "calls": [{"call_id": olgas, "note": "образец"}, {"call_id": ivans}], "manager_ids": [department.ivan],
    })
    assert (playlist["title"], playlist["call_count"], playlist["manager_ids"]) == (
        "Как закрывать на встречу", 2, [department.ivan])
    assert [(entry["call"]["id"], entry["note"]) for entry in playlist["calls"]] == [(olgas, "образец"), (ivans, "")]
    url = f"/playlists/{playlist['id']}"

    assert [p["id"] for p in (await api.json("GET", "/playlists", "ivan"))["items"]] == [playlist["id"]]
    assert (await api.json("GET", url, "ivan"))["calls"][0]["call"]["id"] == olgas
    assert (await api.json("GET", f"/calls/{olgas}", "ivan"))["id"] == olgas  # opened through the playlist
    assert olgas not in {c["id"] for c in (await api.json("GET", "/calls", "ivan"))["items"]}  # not among his calls
    assert (await api.call("GET", f"/calls/{scored['o30']}", "ivan")).status == 404  # not in the playlist
    assert (await api.json("GET", "/playlists", "olga"))["items"] == []
    assert (await api.call("GET", url, "olga")).status == 404

    await api.json("PATCH", url, "rop", json={"manager_ids": [department.olga]})
    assert (await api.call("GET", f"/calls/{olgas}", "ivan")).status == 404  # no longer shared with him
    assert (await api.call("GET", url, "ivan")).status == 404
    await api.json("PATCH", url, "rop", json={"manager_ids": [], "shared_with_all": True})
    assert (await api.json("GET", url, "ivan"))["shared_with_all"] is True
    reordered = await api.json("PATCH", url, "rop", json={"calls": [{"call_id": ivans, "note": "так не надо"}]})
    assert [(e["call"]["id"], e["note"]) for e in reordered["calls"]] == [(ivans, "так не надо")]
    assert (await api.call("GET", f"/calls/{olgas}", "ivan")).status == 404  # taken out of the playlist

    assert (await api.call("DELETE", url, "rop")).status == 204
    assert (await api.call("GET", url, "rop")).status == 404
    assert (await api.json("GET", f"/calls/{ivans}", "rop"))["id"] == ivans  # the calls stay


async def test_playlists_are_kept_by_the_head_of_sales_from_real_calls_and_managers(api, scored, department):
    body = {"title": "Разбор", "calls": [{"call_id": scored["i20"]}]}
    assert (await api.call("POST", "/playlists", "ivan", json=body)).status == 403
    assert (await api.call("POST", "/playlists", "admin", json=body)).status == 403
    for bad, field in (({"title": "x", "calls": [{"call_id": 999_999}]}, "calls"),
                       ({"title": "x", "manager_ids": [999_999]}, "manager_ids")):
        response = await api.call("POST", "/playlists", "rop", json=bad)
        assert response.status == 422 and (await response.json())["details"][0]["loc"] == ["body", field]
    for bad in ({"title": "   "}, {"title": "x", "calls": [{"call_id": 1}, {"call_id": 1}]},
                {"title": "x", "manager_ids": [department.ivan, department.ivan]}, {"calls": []}):
        assert (await api.call("POST", "/playlists", "rop", json=bad)).status == 422, bad
    assert (await api.call("PATCH", "/playlists/999999", "rop", json={"title": "x"})).status == 404
    assert (await api.call("GET", "/playlists", "rop")).status == 200


async def test_a_call_is_marked_as_a_good_or_bad_example(api, scored, department):
    good, bad = scored["i95"], scored["i20"]
    mark = await api.json("PUT", f"/calls/{good}/mark", "rop", json={"verdict": "good", "note": "эталон"})
    assert (mark["verdict"], mark["note"]) == ("good", "эталон")
    await api.json("PUT", f"/calls/{bad}/mark", "rop", json={"verdict": "good"})
    await api.json("PUT", f"/calls/{bad}/mark", "rop", json={"verdict": "bad", "note": "груб"})  # replaces
    assert (await api.json("GET", f"/calls/{good}", "ivan"))["mark"]["note"] == "эталон"  # his own call's mark
    marked = {c["id"]: c["mark"]["verdict"] for c in (await api.json("GET", "/calls", "rop", params={"mark": "bad"}))["items"]}
    assert marked == {bad: "bad"}
    assert (await api.call("DELETE", f"/calls/{bad}/mark", "rop")).status == 204
    assert (await api.json("GET", f"/calls/{bad}", "rop"))["mark"] is None
    assert (await api.call("DELETE", f"/calls/{bad}/mark", "rop")).status == 404
    assert (await api.call("PUT", f"/calls/{good}/mark", "ivan", json={"verdict": "bad"})).status == 403
    assert (await api.call("PUT", "/calls/999999/mark", "rop", json={"verdict": "bad"})).status == 404
    assert (await api.call("PUT", f"/calls/{good}/mark", "rop", json={"verdict": "meh"})).status == 422


async def test_calls_are_found_by_a_missed_script_item_and_by_source(api, scored):
    async def ids(**params) -> set[int]:
        return {c["id"] for c in (await api.json("GET", "/calls", "rop", params=params))["items"]}

    assert await ids(missed_item="greeting") == {scored["i20"], scored["o30"]}
    assert await ids(missed_item="greet") == set()  # a whole item id, not a prefix
    assert (await api.call("GET", "/calls", "rop", params={"missed_item": "x%"})).status == 422
    assert await ids(source="сайт") == set()
