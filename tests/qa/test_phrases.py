"""Phrase matching survives speech recognition: inflections, word order, a misheard letter, fillers and
small paraphrases match; other phrases and too little of one do not; the evidence says when."""

import pytest

from qa.phrases import PhraseMatcher
from qa.script import Tolerance
from tests.qa.support import client, dialogue, manager

LOOSE = Tolerance(threshold=0.7, fuzz=80)
ASK_NAME = "Как я могу к вам обращаться?"


def heard(example: str, *lines, tolerance: Tolerance = LOOSE, speaker: str = "manager", **window):
    return PhraseMatcher([example]).listen(dialogue(*lines)).find(speaker, [example], tolerance, **window)


@pytest.mark.parametrize("said", [
    "Как я могу к вам обращаться?",  # as written
    "как я могу к Вам обратиться",  # another form of the verb is another word: 5 of 6
    "А как мне к вам обращаться?",  # a paraphrase: 5 of 6 words ("мне" is "я"), from "как" on
    "обращаться к вам как я могу",  # any order
    "Как я, э-э, могу к вам, ну, обращаться?",  # fillers in between
    "Как я могу к вам обращатся?",  # a misheard letter
])
def test_the_manager_asking_the_name_in_many_ways_is_heard(said):
    found = heard(ASK_NAME, manager(3.0, said))
    assert found is not None and found.similarity >= 0.8 and 3.0 <= found.start <= 3.5  # its first matched word


def test_inflected_forms_meet_in_their_dictionary_form():
    found = heard("Вы хотели двухкомнатную квартиру", manager(0, "хочу двухкомнатные квартиры"))
    assert found is not None and found.similarity == 0.75  # хотеть, двухкомнатный, квартира: not вы


def test_numbers_and_their_words_are_one():
    assert heard("двухкомнатная квартира", manager(0, "Есть 2-комнатная квартира")) is not None
    assert heard("три комнаты", manager(0, "Нужно 3 комнаты")) is not None


@pytest.mark.parametrize("said", [
    "Меня зовут Анна, слушаю вас.",  # shares only "зовут"/"вас" with "как вас зовут"
    "Как вам наш дом?",
    "",
])
def test_too_little_of_a_phrase_is_not_heard(said):
    assert heard("Как вас зовут?", manager(0, said)) is None


def test_words_spread_over_a_long_turn_are_not_a_phrase():
    said = "Как видите, у нас всё есть, и я думаю, что могу предложить вам вариант, к которому стоит обращаться"
    assert heard(ASK_NAME, manager(0, said)) is None


def test_the_client_saying_it_is_not_the_manager_saying_it():
    lines = (client(0, ASK_NAME), manager(3, "Добрый день"))
    assert heard(ASK_NAME, *lines) is None
    assert heard(ASK_NAME, *lines, speaker="client") is not None


def test_a_phrase_split_over_two_lines_of_the_manager_is_heard_at_its_first_word():
    found = heard("Предлагаю встретиться в нашем офисе продаж",
                  manager(10, "Предлагаю встретиться"), client(11.5, "Угу"), manager(12, "в нашем офисе продаж"))
    assert found is not None and found.similarity == 1.0 and found.start == 10.0
    assert (found.first_turn, found.last_turn) == (0, 2)


@pytest.mark.parametrize("between, heard_it", [("Угу", True), ("Нет, я пока не готов смотреть", False)])
def test_a_phrase_spans_lines_only_across_a_backchannel(between, heard_it):
    """Two lines of the manager are one utterance when the client only said "угу" between them; after a
    real answer they are two, and the words of one never complete the other."""
    found = heard("Давайте я запишу вас на просмотр квартиры",
                  manager(0, "Давайте я запишу вас"), client(2.2, between), manager(3, "на просмотр квартиры"))
    assert (found is not None) is heard_it


def test_the_evidence_is_the_tightest_place_not_a_stray_earlier_word():
    found = heard("Сколько комнат вам нужно?",
                  manager(0, "Слушаю вас"), manager(1.5, "Сколько комнат вам нужно?", seconds=2))
    assert found.start == 1.5 and found.first_turn == 1


def test_word_timings_give_the_second_of_the_first_matched_word():
    line = manager(20, "Хорошо. Как вас зовут?", seconds=3)
    line["words"] = [["Хорошо.", 20.0, 20.6, 0.9], ["Как", 21.0, 21.2, 0.9], ["вас", 21.2, 21.4, 0.9],
                     ["зовут?", 21.4, 21.9, 0.9]]
    assert heard("Как вас зовут?", line).start == 21.0


def test_a_time_window_limits_where_a_phrase_counts():
    lines = (manager(30, "Добрый день, компания СтройИнвест"),)
    assert heard("Добрый день, компания СтройИнвест", *lines, until=10) is None
    assert heard("Добрый день, компания СтройИнвест", *lines, since=25, until=35) is not None


def test_fuzz_decides_how_far_a_misheard_word_may_be():
    lines = (manager(0, "доступна расрочка"),)  # рассрочка, one letter short
    assert heard("рассрочка", *lines, tolerance=Tolerance(threshold=1.0, fuzz=80)) is not None
    assert heard("рассрочка", *lines, tolerance=Tolerance(threshold=1.0, fuzz=100)) is None


@pytest.mark.parametrize("said, example, found", [
    ("менеджердмитрий на связи", "менеджер", True),  # the model glued the next word on
    ("отдел продажком по", "продаж", True),  # two letters glued on ("продаж ком…")
    ("отдел продаж", "продажа", True),  # not glued: the dictionary form
    ("садовод", "сад", False),  # a short script word is no part of a longer one
    ("продавец", "продажа", False),  # alike at the start only: another word
])
def test_a_long_script_word_is_found_inside_a_word_the_model_glued(said, example, found):
    assert (heard(example, manager(0, said), tolerance=Tolerance(threshold=1.0, fuzz=80)) is not None) is found


def test_the_best_of_several_examples_wins():
    matcher = PhraseMatcher(["Откуда вы о нас узнали?", "Где вы увидели нашу рекламу?"])
    conversation = dialogue(manager(5, "Где вы увидели нашу рекламу?"))
    found = matcher.listen(conversation).find("manager", list(matcher.phrases), LOOSE)
    assert found.phrase.text == "Где вы увидели нашу рекламу?" and found.similarity == 1.0
