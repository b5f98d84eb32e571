"""The web app in a real headless browser (Debian's chromium, Playwright)
against the running backend: logins and what each role sees, a manager kept
out of a colleague's call card, the incoming-call pop-up while the simulated
Asterisk rings, the call card's player, transcript, evidence, lead card and
task, reports, and a training sample kept as a playlist for a manager."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from callcenter.clock import SystemClock
from crm.notifications import OwnerNotifier
from pbx.simulator.scenario import CallSpec
from pbx.tracker.model import CallRecord, Direction, Disposition
from storage.models import Call, CallbackTask, Lead, Notification, Playlist
from tests.web.conftest import RING_SECONDS, SPEED, logged_in, screenshot

pytestmark = pytest.mark.timeout(300)
MOSCOW = ZoneInfo("Europe/Moscow")


async def until(page, expression: str, timeout: float = 10.0) -> None:
    """Wait until ``expression`` is true in the page (page.wait_for_function needs eval, which the app's CSP forbids)."""
    async with asyncio.timeout(timeout):
        while not await page.evaluate(expression):
            await asyncio.sleep(0.05)


async def card_json(page, site, call_id: int) -> dict:
    response = await page.request.get(f"{site.url}/api/calls/{call_id}")
    assert response.ok
    return await response.json()


async def test_a_manager_logs_in_with_the_keyboard_and_sees_only_their_day(browser, site):
    page = await browser.new_page(viewport={"width": 1280, "height": 900}, timezone_id="Europe/Moscow")
    await page.goto(site.url + "/")
    await page.get_by_label("Логин").wait_for()
    assert await page.evaluate("document.activeElement.name") == "username"
    await page.keyboard.type("sergey")
    await page.keyboard.press("Tab")
    await page.keyboard.type(site.passwords["sergey"])
    await page.keyboard.press("Enter")
    await page.get_by_role("heading", name="Сегодня").wait_for()
    calls = page.locator("table.calls tbody tr")
    await calls.first.wait_for()
    hrefs = await page.locator("table.calls a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert f"#/calls/{site.calls['sergey']}" in hrefs and f"#/calls/{site.calls['olga']}" not in hrefs
    leads = page.locator("ul.leads")
    await leads.get_by_text("+79260000001").wait_for()
    assert await leads.get_by_text("+79260000002").count() == 0
    await screenshot(page, "today-manager")


async def test_the_head_of_sales_sees_the_whole_team(browser, site):
    page = await logged_in(browser, site, "rop")
    await page.get_by_role("link", name="Звонки").click()
    await page.get_by_role("heading", name="Звонки отдела").wait_for()
    await page.locator("table.calls tbody tr").nth(1).wait_for()
    hrefs = await page.locator("table.calls a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert {f"#/calls/{site.calls['sergey']}", f"#/calls/{site.calls['olga']}"} <= set(hrefs)
    assert await page.locator("aside.popup").count() == 0  # pop-ups are a manager's, for their own phone
    await screenshot(page, "calls-rop")


async def test_a_wrong_password_is_refused_with_a_message(browser, site):
    page = await browser.new_page()
    await page.goto(site.url + "/")
    await page.get_by_label("Логин").fill("sergey")
    await page.get_by_label("Пароль").fill("not-the-password")
    await page.get_by_role("button", name="Войти").click()
    await page.get_by_role("alert").get_by_text("Неверный логин или пароль").wait_for()


async def test_a_manager_cannot_open_a_colleagues_call_card(browser, site):
    page = await logged_in(browser, site, "sergey")
    olgas = site.calls["olga"]
    await page.goto(f"{site.url}/#/calls/{olgas}")
    await page.get_by_role("alert").get_by_text("Звонок не найден или недоступен вам").wait_for()
    assert await page.locator("ol.transcript").count() == 0
    assert (await page.request.get(f"{site.url}/api/calls/{olgas}")).status == 404
    assert (await page.request.get(f"{site.url}/api/calls/{olgas}/recording")).status == 404


async def test_the_transcript_follows_the_audio_and_evidence_seeks(browser, site):
    page = await logged_in(browser, site, "sergey")
    call_id = site.calls["sergey"]
    card = await card_json(page, site, call_id)
    lines = card["transcript"]["lines"]
    await page.goto(f"{site.url}/#/calls/{call_id}")
    audio = page.locator("audio")
    await until(page, "document.querySelector('audio')?.readyState >= 1")
    highlighted = page.locator("ol.transcript li[aria-current]")

    await audio.evaluate("audio => audio.play()")  # it plays: the highlight moves with it
    await until(page, "document.querySelector('audio').currentTime > 1.5")
    await audio.evaluate("audio => audio.pause()")
    now = await audio.evaluate("audio => audio.currentTime")
    spoken = [index for index, line in enumerate(lines) if line["start"] <= now + 0.05]
    if spoken and now <= lines[spoken[-1]]["end"] + 1.0:
        assert await highlighted.get_attribute("data-start") == str(lines[spoken[-1]]["start"])

    third = page.locator("ol.transcript li").nth(2)  # clicking a line plays from its start
    await third.get_by_role("button").click()
    assert await audio.evaluate("audio => audio.currentTime") == pytest.approx(lines[2]["start"], abs=0.1)
    await highlighted.and_(third).wait_for()

    items = [item for item in card["score"]["items"] if item["evidence"]]
    assert items, "the corpus call meets some script items"
    later = max(items, key=lambda item: item["evidence"]["start"])
    await page.locator(f"li[data-item='{later['id']}'] button.evidence").click()
    second = later["evidence"]["start"]
    assert await audio.evaluate("audio => audio.currentTime") == pytest.approx(second, abs=0.1)
    said = max(index for index, line in enumerate(lines) if line["start"] <= second + 0.05)
    await page.locator(f"ol.transcript li[aria-current][data-start='{lines[said]['start']}']").wait_for()
    await screenshot(page, "call-card")


async def test_a_lead_card_is_corrected_and_a_task_closed_from_the_call_card(browser, site):
    number = "+79260000001"
    now = datetime.now(timezone.utc)
    async with site.services.sessions() as session, session.begin():
        lead = await session.scalar(select(Lead).where(Lead.phone == number))
        task = CallbackTask(phone=number, lead_id=lead.id, manager_id=lead.owner_id, status="open",
                            first_linkedid="web.missed", missed_count=1, first_missed_at=now, last_missed_at=now,
                            deadline_at=now - timedelta(minutes=1), created_at=now)
        session.add(task)
        await session.flush()
        task_id = task.id
    page = await logged_in(browser, site, "sergey")
    await page.goto(f"{site.url}/#/calls/{site.calls['sergey']}")
    row = page.locator(f"li.task[data-task='{task_id}']")
    await row.wait_for()
    assert "overdue" in await row.get_attribute("class")  # the deadline passed: it stands out
    await row.get_by_role("button", name="Закрыть задачу").click()
    await row.get_by_role("status").get_by_text("Задача закрыта").wait_for()
    assert await row.get_attribute("data-status") == "done"
    assert await row.get_by_role("button", name="Перезвонить").count() == 0
    assert (await (await page.request.get(f"{site.url}/api/tasks/{task_id}")).json())["status"] == "done"

    lead_card = page.locator("div.lead")
    await lead_card.get_by_role("button", name="Добавить поле").click()
    await lead_card.get_by_label("Поле").select_option("name")
    await lead_card.get_by_label("Значение").fill("Екатерина")
    await lead_card.get_by_role("button", name="Сохранить").click()
    name = lead_card.locator("div.fact[data-field='name']")
    await name.get_by_text("Екатерина").wait_for()
    await name.get_by_text("исправлено менеджером").wait_for()
    facts = (await (await page.request.get(f"{site.url}/api/leads/{lead.id}")).json())["facts"]
    assert {"field": "name", "value": "Екатерина", "set_by": "manager"}.items() <= next(
        fact for fact in facts if fact["field"] == "name").items()


async def test_the_pop_up_shows_the_callers_card_while_the_phone_rings(browser, site):
    page = await logged_in(browser, site, "sergey")
    await page.wait_for_timeout(500)  # the live stream is open
    linkedid = await site.simulator.place_call(CallSpec(
        did="74951234567", caller_number="79161234567", caller_name="Мария", agent_talk_seconds=3))
    popup = page.locator(f"aside.popup[data-linkedid='{linkedid}']")
    await popup.wait_for(timeout=RING_SECONDS / SPEED * 1000)
    assert await popup.get_by_text("Отвечен").count() == 0  # still ringing
    await popup.get_by_text("ООО «Ромашка»").wait_for()
    await popup.get_by_text("Ответственный: Сергей Орлов").wait_for()
    await screenshot(page, "pop-up")
    await popup.get_by_text("Отвечен").wait_for(timeout=RING_SECONDS / SPEED * 2000)
    await asyncio.wait_for(site.simulator.wait_call(linkedid), 15)
    await popup.get_by_role("button", name="Закрыть").click()
    await popup.wait_for(state="detached")


async def test_the_pages_fit_a_phone_screen(browser, site):
    page = await logged_in(browser, site, "sergey", width=390)
    await page.goto(f"{site.url}/#/calls/{site.calls['sergey']}")
    await page.locator("ol.transcript li").first.wait_for()
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    await screenshot(page, "call-card-phone")


async def test_a_report_chart_shows_the_numbers_of_the_database_and_opens_the_calls_behind_them(browser, site):
    async with site.services.sessions() as session:
        started = list(await session.scalars(select(Call.started_at).where(Call.disposition == "answered")))
    days = sorted({moment.replace(tzinfo=moment.tzinfo or timezone.utc).astimezone(MOSCOW).date() for moment in started})
    page = await logged_in(browser, site, "rop")
    await page.get_by_role("link", name="Отчёты").click()
    await page.get_by_label("С", exact=True).fill((days[0] - timedelta(days=1)).isoformat())
    await page.get_by_label("По", exact=True).fill((days[-1] + timedelta(days=1)).isoformat())
    await page.get_by_role("button", name="Показать").click()
    chart = page.locator("canvas[data-report='calls-by-day']")
    await chart.wait_for()
    await until(page, "window.Chart?.getChart(document.querySelector(\"canvas[data-report='calls-by-day']\"))")
    answered = await chart.evaluate("canvas => window.Chart.getChart(canvas).data.datasets[0].data")
    assert sum(answered) == len(started) == 2  # the site's two calls, as the database has them
    table = page.locator("table.report[data-report='calls-by-day']")
    await table.locator("xpath=..").locator("summary").click()
    row = table.locator("tbody tr", has=page.get_by_role("link", name=days[0].isoformat()))
    assert await row.locator("td[data-key='answered']").inner_text() == str(len(started))
    await screenshot(page, "reports")
    await row.get_by_role("link").click()
    await page.get_by_role("heading", name="Звонки отдела").wait_for()
    await page.locator("table.calls tbody tr").nth(1).wait_for()
    hrefs = await page.locator("table.calls a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert sorted(hrefs) == sorted(f"#/calls/{call_id}" for call_id in site.calls.values())


async def test_a_manager_has_no_reports_nor_settings(browser, site):
    page = await logged_in(browser, site, "sergey")
    assert await page.get_by_role("link", name="Отчёты").count() == 0
    assert await page.get_by_role("link", name="Настройки").count() == 0
    for address in ("reports", "admin/managers"):
        await page.goto(f"{site.url}/#/{address}")
        await page.get_by_text("Такой страницы нет").wait_for()
    assert (await page.request.get(f"{site.url}/api/reports/calls-by-day?from=2026-11-01&to=2026-11-30")).status == 403
    assert (await page.request.get(f"{site.url}/api/managers")).status == 403


async def test_the_head_of_sales_draws_a_sample_and_shares_it_as_a_playlist(browser, site):
    page = await logged_in(browser, site, "rop")
    await page.get_by_role("link", name="Обучение").click()
    await page.get_by_role("heading", name="Выборка звонков для разбора").wait_for()
    await page.get_by_label("Оценка до").fill("100")
    await page.get_by_label("N", exact=True).fill("5")
    await page.get_by_role("button", name="Выбрать звонки").click()
    await page.get_by_role("status").get_by_text("Выбрано звонков: 2 из 2 подходящих").wait_for()
    drawn = await page.locator(".sample-result tbody tr").evaluate_all("rows => rows.map(row => +row.dataset.call)")
    assert sorted(drawn) == sorted(site.calls.values())  # the two scored calls, whoever answered them
    olgas = site.calls["olga"]
    await page.get_by_label(f"Заметка к звонку {olgas}").fill("Послушайте, как она спрашивает имя")
    await page.get_by_label("Название", exact=True).fill("Разбор недели")
    await page.get_by_role("group", name="Показать менеджерам").get_by_label("Сергей Орлов (101)").check()
    await screenshot(page, "training")
    await page.get_by_role("button", name="Сохранить плейлист").click()
    await page.get_by_role("heading", name="Разбор недели").wait_for()
    await page.locator(f"ol.playlist li[data-call='{olgas}']").get_by_text("Послушайте, как она спрашивает имя").wait_for()

    async with site.services.sessions() as session:
        [playlist] = list(await session.scalars(select(Playlist)))
    assert playlist.title == "Разбор недели"

    manager = await logged_in(browser, site, "sergey")
    await manager.get_by_role("link", name="Обучение").click()
    await manager.get_by_role("link", name="Разбор недели").click()
    await manager.locator(f"ol.playlist li[data-call='{olgas}'] a").click()  # a colleague's call, shared with him
    await manager.get_by_role("heading", name=f"Звонок {olgas}").wait_for()
    await manager.locator(".line").first.wait_for()
    assert await manager.get_by_text("Звонок не найден или недоступен вам").count() == 0
    other = await logged_in(browser, site, "olga")
    await other.get_by_role("link", name="Обучение").click()
    await other.get_by_text("Плейлистов пока нет").wait_for()  # not shared with her

    sergeys = site.calls["sergey"]
    await page.get_by_role("button", name="Изменить плейлист").click()
    form = page.get_by_role("form", name="Изменить плейлист")
    await form.get_by_label("Показать всем менеджерам").check()
    await form.locator(f"input[name='keep'][value='{sergeys}']").uncheck()
    await form.get_by_role("button", name="Сохранить").click()
    await page.get_by_text("Показан всем менеджерам").wait_for()
    await page.locator(f"ol.playlist li[data-call='{sergeys}']").wait_for(state="detached")
    await other.reload()
    await other.get_by_role("link", name="Разбор недели").wait_for()  # shared with all now
    async with site.services.sessions() as session:
        playlist = await session.scalar(select(Playlist).options(selectinload(Playlist.entries)))
    assert playlist.shared_with_all and [entry.call_id for entry in playlist.entries] == [olgas]


async def test_the_head_of_sales_marks_a_good_example_and_its_manager_sees_it(browser, site):
    sergeys = site.calls["sergey"]
    page = await logged_in(browser, site, "rop")
    await page.goto(f"{site.url}/#/calls/{sergeys}")
    await page.get_by_label("Почему").fill("Образцовое приветствие")
    await page.get_by_role("button", name="Хороший пример").click()
    await page.locator("[data-mark='good']").get_by_text("Образцовое приветствие").wait_for()
    assert (await card_json(page, site, sergeys))["mark"]["verdict"] == "good"
    manager = await logged_in(browser, site, "sergey")
    await manager.goto(f"{site.url}/#/calls/{sergeys}")
    await manager.locator("[data-mark='good']").get_by_text("Образцовое приветствие").wait_for()
    assert await manager.get_by_role("button", name="Хороший пример").count() == 0  # the head of sales' to give


async def test_a_manager_is_told_at_once_when_a_colleague_answers_their_client(browser, site):
    page = await logged_in(browser, site, "sergey")
    await page.get_by_role("heading", name="Перезвонить").wait_for()
    assert await page.get_by_role("heading", name="Уведомления").count() == 0
    started = datetime.now(timezone.utc)
    taken = CallRecord(linkedid="colleague-1", direction=Direction.INBOUND, started_at=started,
                       caller_raw="79161234567", caller_number="+79161234567", caller_name="Ромашка",
                       answered_at=started, ended_at=started + timedelta(seconds=60), answered_by="102",
                       disposition=Disposition.ANSWERED)  # sergey's client, answered by Anna
    await OwnerNotifier(site.services.sessions, site.services.bus, SystemClock()).record_call(taken)
    notice = page.locator("ul.notices li")
    await notice.get_by_text("Вашему клиенту Ромашка (+79161234567) ответил коллега, внутренний 102").wait_for()
    await notice.get_by_role("button", name="Прочитано").click()
    await page.get_by_role("heading", name="Уведомления").wait_for(state="detached")
    async with site.services.sessions() as session:
        [told] = list(await session.scalars(select(Notification)))
    assert told.read_at is not None
