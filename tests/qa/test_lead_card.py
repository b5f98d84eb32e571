"""The lead card from the client's words: name (asked or introduced), source, interests, with quotes."""

from qa.lead_card import Fact, extract
from qa.scoring import Scorer
from tests.qa.support import client, dialogue, manager, script

RULES = """
lead_card:
  name_questions: ["Как вас зовут?", "Как я могу к вам обращаться?"]
  source_questions: ["Откуда вы о нас узнали?"]
  sources:
    Авито: [авито]
    Знакомые: [от знакомых, посоветовали]
  interests:
    rooms:
      однокомнатная: [однокомнатная, однушка]
      двухкомнатная: [двухкомнатная, две комнаты]
    payment:
      ипотека: [ипотека]
"""


def facts(*lines) -> dict[str, Fact]:
    scorer = Scorer(script("  - {id: any, kind: phrase, examples: [здравствуйте]}", RULES))
    return {fact.field: fact for fact in extract(scorer.script.lead_card, scorer.matcher.listen(dialogue(*lines)))}


def test_the_name_given_after_the_question_with_quote_and_second():
    found = facts(manager(5, "Как я могу к вам обращаться?"), client(8, "Марией.", seconds=1))
    assert found["name"] == Fact("name", "Мария", "Марией.", 8.0)


def test_a_name_the_client_introduces_unasked():
    found = facts(client(1, "Здравствуйте, меня зовут Алексей, я по поводу квартиры", seconds=4))
    assert found["name"].value == "Алексей" and found["name"].start == 2.5


def test_a_name_said_neither_as_an_answer_nor_an_introduction_is_not_the_clients():
    found = facts(manager(0, "Добрый день, меня зовут Анна"), client(3, "Анна, скажите, а дом сдан?"))
    assert "name" not in found
    late = facts(manager(0, "Как вас зовут?"), client(2, "Неважно"), client(40, "Передайте Ивану привет"))
    assert "name" not in late  # too long after the question


def test_source_and_interests_in_the_clients_words_in_any_form():
    found = facts(
        manager(0, "Откуда вы о нас узнали?"), client(3, "Нам вас посоветовали знакомые"),
        manager(6, "Что ищете?"), client(8, "Нужна двухкомнатная, или даже две комнаты, в ипотеку"),
    )
    assert (found["source"].value, found["source"].quote) == ("Знакомые", "Нам вас посоветовали знакомые")
    assert found["rooms"] == Fact("rooms", "двухкомнатная", "Нужна двухкомнатная, или даже две комнаты, в ипотеку", 8.5)
    assert found["payment"].value == "ипотека"


def test_the_earliest_mention_wins_and_the_managers_words_never_count():
    found = facts(manager(0, "Есть однушки и двухкомнатные, что на Авито смотрели?"),
                  client(4, "Хочу однушку"), client(10, "Хотя двухкомнатная тоже подойдёт"))
    assert found["rooms"].value == "однокомнатная"
    assert "source" not in found


def test_nothing_said_gives_no_facts():
    assert facts() == {}
    assert facts(client(0, "Алло? Говорите!"), manager(2, "Слушаю вас")) == {}


def test_a_mixed_recording_gives_no_facts():
    assert facts({**client(0, "Меня зовут Иван, хочу однушку"), "speaker": "unknown"}) == {}


def test_a_client_who_says_this_is_them_is_named_and_the_managers_own_name_never_is():
    found = facts(manager(0, "Добрый день, меня зовут Сергей"), client(3, "Сергей, здравствуйте, это Ольга", seconds=3))
    assert found["name"].value == "Ольга" and found["name"].start > 4.5  # the last of her four words
    asked = facts(manager(0, "Меня зовут Анна. Как вас зовут?", seconds=3), client(4, "Анна"))
    assert "name" not in asked  # the manager's own name: the client repeating it, not giving theirs


def test_a_source_the_script_does_not_list_is_kept_as_other_with_the_reply():
    found = facts(manager(0, "Откуда вы о нас узнали?"), client(3, "В телеграм-канале видел пост", seconds=2))
    assert found["source"] == Fact("source", "другое: В телеграм-канале видел пост", "В телеграм-канале видел пост", 3.0)
    listed = facts(manager(0, "Откуда вы о нас узнали?"), client(3, "Друзья посоветовали", seconds=2))
    assert listed["source"].value == "Знакомые"
    unasked = facts(client(3, "В телеграм-канале видел пост", seconds=2))
    assert "source" not in unasked
