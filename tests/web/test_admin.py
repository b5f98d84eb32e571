"""The administration pages in a real browser: the head of sales sets a
manager's hours and absence, gives a group its own chain and default manager,
adds a routing rule with its fallback chain,
tries a script on a real call before saving it as a new version; an admin adds
a manager and their login, who can then sign in, and sees no call pages."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from storage.models import Group, Manager, QaScript, RoutingRule, User
from tests.web.conftest import logged_in, screenshot
from tests.web.test_browser import card_json

pytestmark = pytest.mark.timeout(300)
GREETINGS = """\
      - Добрый день, компания Северный парк, меня зовут
      - Добрый день, компания СтройИнвест, меня зовут
      - Здравствуйте, отдел продаж компании, слушаю вас
"""  # the example script's greeting, which the corpus call has


async def settings_tab(page, tab: str) -> None:
    await page.get_by_role("link", name="Настройки").click()
    await page.get_by_role("heading", name="Настройки").wait_for()
    await page.get_by_role("link", name=tab, exact=True).click()
    await page.get_by_role("heading", name=tab, exact=True).wait_for()


async def manager(site, extension: str) -> Manager:
    async with site.services.sessions() as session:
        return await session.scalar(select(Manager).where(Manager.extension == extension))


async def test_the_head_of_sales_sets_a_managers_hours_and_absence(browser, site):
    page = await logged_in(browser, site, "rop")
    await settings_tab(page, "Менеджеры")
    await page.get_by_role("button", name="Изменить: Сергей Орлов").click()
    form = page.get_by_role("form", name="Сергей Орлов")
    await form.get_by_label("Пн").fill("10:00 до обеда")
    await form.get_by_role("button", name="Сохранить").click()
    await form.get_by_role("alert").get_by_text("Пн: «10:00 до обеда» — не смена вида 09:00–18:00").wait_for()
    assert (await manager(site, "101")).working_hours == {}  # nothing was sent

    await form.get_by_label("Пн").fill("10:00–14:00, 15:00-19:00")
    await form.get_by_label("Вт").fill("10:00–19:00")
    await form.get_by_label("Нерабочие дни").fill("2026-12-31, 2027-01-01")
    await form.get_by_label("Отсутствует").check()
    await form.get_by_role("button", name="Сохранить").click()
    row = page.locator("tr[data-manager]", has_text="Сергей Орлов")
    await row.get_by_text("Пн 10:00–14:00, 15:00–19:00; Вт 10:00–19:00").wait_for()
    await row.get_by_text("Отсутствует").wait_for()
    sergey = await manager(site, "101")
    assert sergey.absent and not sergey.do_not_disturb and sergey.active
    assert sergey.working_hours == {"mon": [["10:00", "14:00"], ["15:00", "19:00"]], "tue": [["10:00", "19:00"]],
                                    "holidays": ["2026-12-31", "2027-01-01"]}


async def test_the_head_of_sales_gives_a_group_its_own_chain_and_default_manager(browser, site):
    page = await logged_in(browser, site, "rop")
    await settings_tab(page, "Группы")
    row = page.locator("tr[data-group]", has_text="sales")
    await row.get_by_text("менеджеры группы по кругу").wait_for()  # no chain of its own yet
    await page.get_by_role("button", name="Изменить: sales").click()
    form = page.get_by_role("form", name="sales")
    await form.get_by_label("Пропущенные без владельца получает").select_option(label="Анна Кузнецова")
    await form.get_by_label("Своя цепочка дозвона").check()
    await form.get_by_label("Шаг 1: кому звонить").select_option("group")
    assert await form.get_by_label("Группа шага 1").input_value() == "sales"  # its own group first, not "commercial"
    await form.get_by_label("Порядок шага 1").select_option("least_recent")
    await form.get_by_label("Звонить, с (шаг 1)").fill("25")
    await form.get_by_role("button", name="Сохранить").click()
    await row.get_by_text("группа sales (кто дольше без звонка) 25 с").wait_for()
    await row.get_by_role("cell", name="Анна Кузнецова", exact=True).wait_for()

    async with site.services.sessions() as session:
        sales = await session.scalar(select(Group).where(Group.name == "sales"))
    assert sales.default_manager_id == (await manager(site, "102")).id
    assert sales.chain == {"steps": [{"kind": "group", "group": "sales", "strategy": "least_recent", "ring_seconds": 25}],
                           "queue": None, "voicemail": None}


async def test_the_head_of_sales_adds_a_routing_rule_with_its_chain(browser, site):
    page = await logged_in(browser, site, "rop")
    await settings_tab(page, "Маршрутизация")
    await page.get_by_role("button", name="Добавить правило").click()
    form = page.get_by_role("form", name="Новое правило")
    await form.get_by_label("Набранный номер").fill("74959990011")
    await form.get_by_label("Название", exact=True).fill("Яндекс.Директ")
    await form.get_by_label("Рекламный источник").fill("Яндекс")
    await form.get_by_label("Звонить, с (шаг 1)").fill("15")  # the owner first
    await form.get_by_role("button", name="Добавить шаг").click()
    await form.get_by_label("Шаг 2: кому звонить").select_option("group")
    await form.get_by_label("Группа шага 2").select_option("commercial")
    await form.get_by_label("Порядок шага 2").select_option("ring_all")
    await form.get_by_role("button", name="Добавить шаг").click()
    await form.get_by_label("Шаг 3: кому звонить").select_option("extension")
    await form.get_by_label("Номер шага 3").fill("106")
    await form.get_by_role("button", name="Шаг 3 выше").click()  # the extension before the group
    await form.get_by_label("Затем очередь").fill("sales")
    await screenshot(page, "admin-routing")
    await form.get_by_role("button", name="Сохранить").click()
    row = page.locator("tr[data-rule]", has_text="74959990011")
    await row.get_by_text("ответственный 15 с → номер 106 20 с → группа commercial (все сразу) 20 с → очередь sales").wait_for()

    async with site.services.sessions() as session:
        rule = await session.scalar(select(RoutingRule).where(RoutingRule.did == "74959990011"))
    assert (rule.name, rule.source, rule.active) == ("Яндекс.Директ", "Яндекс", True)
    assert rule.chain == {"steps": [{"kind": "owner", "ring_seconds": 15},
                                    {"kind": "extension", "extension": "106", "ring_seconds": 20},
                                    {"kind": "group", "group": "commercial", "strategy": "ring_all", "ring_seconds": 20}],
                          "queue": "sales", "voicemail": None}


async def test_the_head_of_sales_tries_a_script_on_a_call_before_saving_it(browser, site):
    page = await logged_in(browser, site, "rop")
    await settings_tab(page, "Скрипты продаж")
    await page.get_by_role("button", name="Изменить: realty-inbound").click()
    editor = page.get_by_label("Скрипт (YAML)")
    original = await editor.input_value()
    await editor.fill(original.replace("items:\n", "items:\n  - {id: broken, kind: metric, metric: speech_rate}\n", 1))
    await page.get_by_role("button", name="Проверить и сохранить").click()
    await page.get_by_role("alert").get_by_text("a metric item needs min, max or both").wait_for()

    sergeys = site.calls["sergey"]
    assert GREETINGS in original
    await editor.fill(original.replace(GREETINGS, "      - Доброе утро, агентство Простор, слушаю\n"))
    await page.get_by_label("Номер звонка").fill(str(sergeys))
    await page.get_by_role("button", name="Оценить этот звонок").click()
    trial = page.locator(".trial-result")
    await trial.get_by_text("Оценка по тексту в редакторе (не сохранена)").wait_for()
    verdicts = await trial.locator("[data-item]").evaluate_all(
        "items => Object.fromEntries(items.map(item => [item.dataset.item, item.querySelector('.badge').textContent]))")
    stored = (await card_json(page, site, sergeys))["score"]["items"]
    assert verdicts["greeting"] == "не выполнено"  # the greeting the call has is not the edited one
    assert await trial.locator("[data-item='greeting'] .reason").inner_text() == "не прозвучало в первые 15 с"
    assert {item["id"]: verdicts[item["id"]] for item in stored if item["met"] and item["id"] != "greeting"} == {
        item["id"]: "выполнено" for item in stored if item["met"] and item["id"] != "greeting"}  # the rest as scored
    await screenshot(page, "admin-script")
    async with site.services.sessions() as session:
        assert [row.version for row in await session.scalars(select(QaScript))] == [1]  # a trial stores nothing

    await page.get_by_role("button", name="Проверить и сохранить").click()
    await page.get_by_role("status").get_by_text("Сохранено: realty-inbound, версия 2").wait_for()
    await page.get_by_role("heading", name="(realty-inbound v2)").wait_for()  # the editor now holds version 2
    async with site.services.sessions() as session:
        active = await session.scalar(select(QaScript).where(QaScript.active))
    assert active.version == 2 and "Доброе утро, агентство Простор" in active.source


async def test_the_head_of_sales_calibrates_a_script_and_adopts_a_near_miss_as_an_example(browser, site):
    """Tried on the latest calls, the greeting written one way is missed in every call, the managers'
    own greeting its nearest miss; one click adds it to the examples, and once saved the calls are
    queued to be scored again by the new version."""
    page = await logged_in(browser, site, "rop")
    await settings_tab(page, "Скрипты продаж")
    await page.get_by_role("button", name="Изменить: realty-inbound").click()
    editor = page.get_by_label("Скрипт (YAML)")
    await editor.fill((await editor.input_value()).replace(GREETINGS, "      - Здравствуйте, агентство Простор, отдел аренды\n"))
    await page.get_by_role("button", name="Проверить на 30 последних звонках").click()
    greeting = page.locator(".calibration [data-item='greeting']")
    await greeting.get_by_text("выполнен в 0 из").wait_for()
    nearest = greeting.locator("li").first
    quote = (await nearest.inner_text()).split("»")[0].removeprefix("«")
    await nearest.get_by_role("button", name="добавить как пример").click()
    await page.wait_for_function("quote => document.querySelector('textarea.yaml').value.includes(quote)", arg=quote)
    await page.get_by_role("button", name="Проверить на 30 последних звонках").click()
    await greeting.get_by_text("выполнен в 0 из").wait_for(state="detached")  # met where said so now

    await page.get_by_role("button", name="Проверить и сохранить").click()
    await page.get_by_role("status").get_by_text("Сохранено: realty-inbound, версия 2").wait_for()
    await page.get_by_role("button", name="Проверить на 30 последних звонках").click()
    await page.get_by_role("button", name="Пересчитать эти звонки по версии 2").click()
    await page.get_by_text("Звонков в очереди на пересчёт:").wait_for()
    async with site.services.sessions() as session:
        active = await session.scalar(select(QaScript).where(QaScript.active))
    assert active.version == 2 and quote in active.source


async def test_an_admin_adds_a_manager_and_their_login_who_then_signs_in(browser, site):
    page = await logged_in(browser, site, "admin", landing="Настройки")
    assert await page.get_by_role("link", name="Звонки").count() == 0  # an admin sees no call data
    await page.goto(f"{site.url}/#/calls")
    await page.get_by_text("Такой страницы нет").wait_for()

    await settings_tab(page, "Менеджеры")
    await page.get_by_role("button", name="Добавить менеджера").click()
    form = page.get_by_role("form", name="Новый менеджер")
    await form.get_by_label("Имя").fill("Пётр Новиков")
    await form.get_by_label("Внутренний номер").fill("107")
    await form.get_by_label("sales").check()
    await form.get_by_role("button", name="Сохранить").click()
    await page.locator("tr[data-manager]", has_text="Пётр Новиков").get_by_text("sales").wait_for()

    await settings_tab(page, "Пользователи")
    await page.get_by_role("button", name="Добавить пользователя").click()
    form = page.get_by_role("form", name="Новый пользователь")
    await form.get_by_label("Логин").fill("petr")
    await form.get_by_label("Пароль").fill("short")
    await form.get_by_label("Чьи звонки видит").select_option(label="Пётр Новиков (107)")
    await form.get_by_role("button", name="Сохранить").click()
    assert await page.locator("tr[data-user='petr']").count() == 0  # the browser refused the short password
    await form.get_by_label("Пароль").fill("novikov-2026")
    await form.get_by_role("button", name="Сохранить").click()
    await page.locator("tr[data-user='petr']").get_by_text("Пётр Новиков").wait_for()

    async with site.services.sessions() as session:
        petr = await session.scalar(select(User).where(User.username == "petr"))
    assert petr.role == "manager" and petr.manager_id == (await manager(site, "107")).id
    newcomer = await logged_in(browser, site, "petr", password="novikov-2026")
    await newcomer.get_by_role("heading", name="Перезвонить").wait_for()


async def test_a_rules_ivr_choice_is_added_and_the_rule_deleted(browser, site):
    page = await logged_in(browser, site, "rop")
    await settings_tab(page, "Маршрутизация")
    await page.get_by_role("button", name="Изменить: 74957654321").click()
    form = page.get_by_role("form", name="Номер 74957654321")
    await form.get_by_role("button", name="Добавить выбор").click()
    await form.get_by_label("Цифра").fill("2")
    choice = form.get_by_role("group", name="Цепочка для «2»")
    await choice.get_by_label("Шаг 1: кому звонить").select_option("extension")
    await choice.get_by_label("Номер шага 1").fill("105")
    await form.get_by_role("button", name="Сохранить").click()
    row = page.locator("tr[data-rule]", has_text="74957654321")
    await row.get_by_text("2: номер 105 20 с").wait_for()
    async with site.services.sessions() as session:
        rule = await session.scalar(select(RoutingRule).where(RoutingRule.did == "74957654321"))
    assert rule.ivr == {"2": {"steps": [{"kind": "extension", "extension": "105", "ring_seconds": 20}],
                              "queue": None, "voicemail": None}}

    page.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await page.get_by_role("button", name="Изменить: 74957654321").click()
    await page.get_by_role("button", name="Удалить правило").click()
    await row.wait_for(state="detached")
    async with site.services.sessions() as session:
        assert await session.scalar(select(RoutingRule).where(RoutingRule.did == "74957654321")) is None
