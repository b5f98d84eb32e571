"""``/api/reports/{name}`` on both databases: the head of sales' figures for
a period of Moscow days, as JSON and CSV; managers are refused, bad periods
and unknown reports answered clearly."""

from datetime import timedelta

from storage.models import CallbackTask
from tests.api.conftest import NOW, add_call, add_lead, add_score, add_task

DAY = NOW.date().isoformat()  # NOW is 13:00 in Moscow


async def test_the_head_of_sales_gets_calls_by_day_and_by_manager(api, department, sessions):
    await add_call(sessions, "r.1", answered_by=department.ivan, wait=4.0)
    await add_call(sessions, "r.2", answered_by=department.olga, rang=(department.ivan,), wait=8.0)
    await add_call(sessions, "r.3", rang=(department.ivan,), disposition="missed", wait=None)
    await add_call(sessions, "r.4", started_at=NOW - timedelta(days=1), answered_by=department.ivan)
    days = await api.json("GET", "/reports/calls-by-day", "rop", params={"from": DAY, "to": DAY})
    assert days["columns"][0] == "day" and days["first"] == days["last"] == DAY
    assert days["rows"] == [{"day": DAY, "calls": 3, "inbound": 3, "answered": 2, "missed": 1, "missed_rate": 0.333,
                             "average_wait": 6.0}]
    managers = {row["extension"]: row for row in
                (await api.json("GET", "/reports/calls-by-manager", "rop", params={"from": DAY, "to": DAY}))["rows"]}
    assert (managers["101"]["answered"], managers["101"]["missed"]) == (1, 1)
    assert (managers["102"]["answered"], managers["102"]["manager"]) == (1, "Ольга Смирнова")


async def test_callbacks_scores_items_and_leads(api, department, sessions):
    early = await add_call(sessions, "s.1", answered_by=department.ivan)
    late = await add_call(sessions, "s.2", answered_by=department.ivan)
    await add_score(sessions, early, 60.0, [{"id": "greeting", "title": "Приветствие", "met": False}])
    await add_score(sessions, late, 80.0, [{"id": "greeting", "title": "Приветствие", "met": True}])
    await add_lead(sessions, "+79160000001", department.ivan, "l.1")
    task = await add_task(sessions, "+79160000002", department.ivan, NOW + timedelta(minutes=15), "t.1")
    async with sessions() as session, session.begin():
        (await session.get(CallbackTask, task)).closed_at = NOW + timedelta(minutes=5)
    period = {"from": DAY, "to": DAY}
    [weekly] = (await api.json("GET", "/reports/scores-by-week", "rop", params=period))["rows"]
    assert (weekly["extension"], weekly["average_score"], weekly["week"]) == ("101", 70.0, "2026-11-23")
    [greeting] = (await api.json("GET", "/reports/missed-items", "rop", params=period))["rows"]
    assert (greeting["title"], greeting["missed"], greeting["applied"]) == ("Приветствие", 1, 2)
    [callbacks] = (await api.json("GET", "/reports/callbacks", "rop", params=period))["rows"]
    assert (callbacks["tasks"], callbacks["in_time"], callbacks["in_time_rate"]) == (1, 1, 1.0)
    sources = (await api.json("GET", "/reports/leads-by-source", "rop", params=period))["rows"]
    assert sources == [{"source": "", "leads": 1}]


async def test_a_report_downloads_as_csv(api, department, sessions):
    await add_call(sessions, "c.1", answered_by=department.ivan, wait=4.0)
    response = await api.call("GET", "/reports/calls-by-day", "rop", params={"from": DAY, "to": DAY, "format": "csv"})
    assert response.status == 200 and response.content_type == "text/csv"
    assert "calls-by-day_2026-11-23_2026-11-23.csv" in response.headers["Content-Disposition"]
    assert (await response.text()).splitlines() == [
        "day,calls,inbound,answered,missed,missed_rate,average_wait", f"{DAY},1,1,1,0,0.0,4.0"]


async def test_managers_are_refused_and_bad_requests_say_why(api):
    assert (await api.call("GET", "/reports/calls-by-day", "ivan", params={"from": DAY, "to": DAY})).status == 403
    assert (await api.call("GET", "/reports/calls-by-day", None, params={"from": DAY, "to": DAY})).status == 401
    backwards = await api.json("GET", "/reports/calls-by-day", "rop", 422, params={"from": DAY, "to": "2026-11-01"})
    assert "before" in str(backwards)
    too_long = await api.json("GET", "/reports/calls-by-day", "rop", 422, params={"from": "2024-01-01", "to": DAY})
    assert "366 days" in str(too_long)
    assert (await api.json("GET", "/reports/calls-by-day", "rop", 422, params={"from": "yesterday", "to": DAY}))
    unknown = await api.json("GET", "/reports/churn", "rop", 404, params={"from": DAY, "to": DAY})
    assert "calls-by-day" in unknown["message"]
