"""The speech model's prompt from the department's scripts: their names and content words, the lead
card's words first among those, no function words, never over the limit; kept fresh from the database."""

import pytest

from qa.library import ScriptLibrary, ScriptVocabulary
from qa.script import load_script, parse_script
from qa.vocabulary import MAX_CHARS, vocabulary

REALTY = load_script("qa/scripts/realty-inbound.yaml")
CARS = """
name: cars
items:
  - id: greeting
    kind: phrase
    examples: [Автосалон Лада Центр на Ленинском, здравствуйте!, Добрый день, дилерский центр ГАЗель Сервис]
  - id: test_drive
    kind: phrase
    examples: [Приглашаю вас на тест-драйв кроссовера, Запишу вас на тест-драйв в субботу]
lead_card:
  interests:
    model: {vesta: [веста, vesta], niva: [нива, нива тревел]}
"""


def terms(prompt: str) -> list[str]:
    return [term.strip() for term in prompt.split(",")]


def test_a_scripts_names_come_first_then_its_content_words():
    said = terms(vocabulary([REALTY]))
    assert said[:2] == ["Северный", "СтройИнвест"]  # capitalised inside an example
    assert {"авито", "двухкомнатная", "комнат"} <= set(said)  # the dictionary does not know it; content words
    assert not {"вы", "как", "какая", "нашем", "меня", "откуда"} & set(said)  # no function words


def test_another_business_gets_its_own_words():
    said = terms(vocabulary([parse_script(CARS)]))
    assert {"Лада Центр", "Ленинском", "ГАЗель Сервис", "веста", "vesta"} <= set(said)
    assert "тест-драйв" in said and "вас" not in said


def test_the_configured_words_lead_and_nothing_is_said_twice():
    prompt = vocabulary([REALTY], configured="Отдел продаж компании Северный парк.")
    said = terms(prompt)
    assert said[0] == "Отдел продаж компании Северный парк"
    assert "Северный" not in said[1:] and "продаж" not in said[1:]


@pytest.mark.parametrize("limit", [0, 30, MAX_CHARS])
def test_the_prompt_never_passes_its_limit(limit):
    assert len(vocabulary([REALTY, parse_script(CARS)], limit=limit)) <= limit


def test_no_scripts_leave_the_configured_words_alone():
    assert vocabulary([], configured="Северный парк") == "Северный парк"
    assert vocabulary([]) == ""


async def test_the_prompt_follows_the_active_scripts(sessions):
    library = ScriptLibrary(sessions)
    prompt = ScriptVocabulary(sessions, "Компания Север")
    assert await prompt() == "Компания Север"
    await library.save(CARS)
    assert "Лада Центр" in await prompt()
    await library.retire("cars")
    assert await prompt() == "Компания Север"
