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
    """The prompt's terms, lower case (it is written as text: names, then the things talked of)."""
    return [term.strip().lower() for term in prompt.rstrip(".").replace(". ", ", ").split(",")]


def test_a_scripts_names_come_first_then_the_things_it_talks_of():
    prompt = vocabulary([REALTY])
    assert prompt.startswith("Северный парк, СтройИнвест") and prompt.endswith(".")  # names with their noun
    said = terms(prompt)
    assert {"авито", "двухкомнатная", "комнат", "студия"} <= set(said)  # the dictionary does not know it; things
    assert not {"вы", "как", "какая", "нашем", "меня", "откуда", "зовут", "узнали"} & set(said)  # no little words, no verbs
    assert "avito" not in said  # the calls are Russian: a Latin spelling only misleads the model


def test_another_business_gets_its_own_words():
    said = terms(vocabulary([parse_script(CARS)]))
    assert {"лада центр", "ленинском", "газель сервис", "веста", "тест-драйв"} <= set(said)
    assert "вас" not in said and "приглашаю" not in said


def test_the_configured_words_lead_and_nothing_is_said_twice():
    prompt = vocabulary([REALTY], configured="Отдел продаж компании Северный парк.")
    assert prompt.startswith("Отдел продаж компании Северный парк. СтройИнвест")
    said = terms(prompt)
    assert "северный парк" not in said and "продаж" not in said and "компания" not in said


@pytest.mark.parametrize("limit", [0, 30, MAX_CHARS])
def test_the_prompt_never_passes_its_limit(limit):
    assert len(vocabulary([REALTY, parse_script(CARS)], limit=limit)) <= limit


def test_no_scripts_leave_the_configured_words_alone():
    assert vocabulary([], configured="Северный парк") == "Северный парк."
    assert vocabulary([]) == ""


async def test_the_prompt_follows_the_active_scripts(sessions):
    library = ScriptLibrary(sessions)
    prompt = ScriptVocabulary(sessions, "Компания Север")
    assert await prompt() == "Компания Север."
    await library.save(CARS)
    assert "Лада Центр" in await prompt()
    await library.retire("cars")
    assert await prompt() == "Компания Север."
