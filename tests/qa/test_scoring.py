"""Scoring each item kind on hand-made dialogues: phrases in time windows and after triggers, stop
words (the client's never count), critical items, metrics, and the total."""

import pytest

from qa.scoring import Scorer
from tests.qa.support import client, dialogue, manager, script

GREETING = """
  - id: greeting
    kind: phrase
    weight: 20
    within_first: 10
    examples: ["Добрый день, компания СтройИнвест"]"""
FAREWELL = """
  - id: farewell
    kind: phrase
    weight: 10
    within_last: 15
    examples: ["Спасибо за звонок, до свидания"]"""
OBJECTION = """
  - id: objection
    kind: phrase
    weight: 30
    trigger: {speaker: client, examples: [это дорого, мне нужно подумать]}
    examples: [понимаю вас, могу предложить рассрочку]"""
RUDENESS = """
  - id: rudeness
    kind: stop_words
    weight: 40
    critical: true
    phrases: [не мои проблемы, не знаю]"""


def result(items: str, *lines, **options):
    return Scorer(script(items)).score(dialogue(*lines, **options))


def item(score, item_id):
    return next(found for found in score.items if found.id == item_id)


def test_a_greeting_in_its_window_is_met_with_its_quote_and_second():
    score = result(GREETING, manager(1.2, "Добрый день! Компания СтройИнвест, меня зовут Анна."))
    greeting = item(score, "greeting")
    assert greeting.met is True and score.total == 100.0 and score.passed
    assert greeting.evidence.quote == "Добрый день! Компания СтройИнвест, меня зовут Анна."
    assert greeting.evidence.start == 1.2 and greeting.evidence.speaker == "manager"
    assert greeting.evidence.example == "Добрый день, компания СтройИнвест"


def test_a_greeting_after_its_window_is_missed_and_says_when_it_was_heard():
    score = result(GREETING, manager(0, "Алло"), client(2, "Алло, здравствуйте"),
                   manager(12, "Добрый день, компания СтройИнвест"))
    greeting = item(score, "greeting")
    assert (greeting.met, greeting.evidence, greeting.reason) == (False, None, "heard at 12.0 s, outside its window")
    assert (greeting.reason_code, greeting.reason_args) == ("heard_outside", {"seconds": 12.0})  # for the web app's language
    assert (greeting.closest.quote, greeting.closest.start) == ("Добрый день, компания СтройИнвест", 12.0)
    assert score.total == 0.0 and not score.passed


def test_a_greeting_not_said_well_enough_shows_what_came_nearest():
    """Said in time but too little of it: "not heard in the first 10 s", with the candidate a head of sales
    may take for a new example."""
    score = result(GREETING, manager(0.5, "Алло, добрый вечер, компания на связи"), client(3, "Здравствуйте"))
    greeting = item(score, "greeting")
    assert (greeting.met, greeting.reason_code) == (False, "not_heard_first")
    assert (greeting.closest.quote, greeting.closest.start) == ("Алло, добрый вечер, компания на связи", 1.0)
    assert greeting.closest.similarity == pytest.approx(0.5)  # 2 of the example's 4 words
    assert greeting.closest.example == "Добрый день, компания СтройИнвест"


def test_too_little_alike_has_no_candidate():
    greeting = item(result(GREETING, manager(0.5, "Алло, компания на связи"), client(3, "Здравствуйте")), "greeting")
    assert (greeting.met, greeting.closest) == (False, None)  # 1 of 4 words: under NEAREST


def test_a_farewell_counts_only_near_the_end():
    early = result(FAREWELL, manager(1, "Спасибо за звонок, до свидания"), client(5, "Подождите, ещё вопрос"),
                   duration=60)
    late = result(FAREWELL, manager(50, "Спасибо за звонок, до свидания"), duration=60)
    assert item(early, "farewell").met is False and item(late, "farewell").met is True


def test_objection_handling_is_required_only_after_the_client_objects():
    no_objection = result(OBJECTION, client(0, "Хорошо, беру"), manager(2, "Отлично"))
    assert item(no_objection, "objection").met is None
    assert item(no_objection, "objection").reason == "not required: its trigger was not heard"
    assert no_objection.total == 100.0  # nothing applied, nothing missed
    misheard = result(OBJECTION, client(0, "Ну, дороговато мне"), manager(2, "Отлично"))  # the trigger's nearest
    assert (item(misheard, "objection").met, item(misheard, "objection").trigger.quote) == (None, "Ну, дороговато мне")

    handled = result(OBJECTION, client(10, "Честно говоря, это дорого."), manager(12, "Понимаю вас. Могу предложить рассрочку."))
    assert item(handled, "objection").met is True and item(handled, "objection").evidence.start == 12.0
    assert item(handled, "objection").trigger.quote == "Честно говоря, это дорого."

    ignored = result(OBJECTION, client(10, "Мне нужно подумать."), manager(12, "Ну думайте."))
    assert item(ignored, "objection").met is False
    assert item(ignored, "objection").reason == "not heard after the trigger at 10.0 s"
    assert item(ignored, "objection").reason_args == {"seconds": 10.0}


def test_handling_said_before_the_objection_does_not_count():
    early = result(OBJECTION, manager(2, "Понимаю вас, могу предложить рассрочку"), client(10, "Это дорого"))
    assert (item(early, "objection").met, item(early, "objection").reason) == (False, "heard at 2.0 s, outside its window")


def test_a_critical_stop_word_fails_the_call_whatever_the_total():
    score = result(GREETING + RUDENESS, manager(0, "Добрый день, компания СтройИнвест"),
                   client(3, "Почему дом не сдан?"), manager(5, "Это не мои проблемы."))
    rudeness = item(score, "rudeness")
    assert (rudeness.met, rudeness.found, rudeness.reason) == (False, True, "said: не мои проблемы")
    assert rudeness.evidence.quote == "Это не мои проблемы." and rudeness.evidence.start == 5.5  # "не", word 2
    assert score.total == pytest.approx(33.3) and not score.passed and score.critical_failed == ["rudeness"]


def test_the_clients_own_rude_words_never_count_against_the_manager():
    score = result(RUDENESS, client(0, "Я не знаю, это не мои проблемы!"), manager(3, "Давайте разберёмся вместе."))
    assert item(score, "rudeness").met is True and score.passed


def test_a_near_stop_phrase_is_not_a_stop_phrase():
    score = result(RUDENESS, manager(0, "Это не проблема, я всё узнаю и перезвоню."))
    assert item(score, "rudeness").met is True


def test_the_total_weighs_the_items_met_and_the_pass_score_decides():
    items = GREETING + FAREWELL + OBJECTION
    score = Scorer(script(items, "pass_score: 60")).score(dialogue(
        manager(0, "Добрый день, компания СтройИнвест"), client(3, "Это дорого"), manager(5, "Ясно"),
        manager(20, "Спасибо за звонок, до свидания"),
    ))
    assert [(found.id, found.met) for found in score.items] == [
        ("greeting", True), ("farewell", True), ("objection", False)]
    assert score.total == 50.0 and not score.passed  # 30 of 60
    assert Scorer(script(items, "pass_score: 50")).score(dialogue(
        manager(0, "Добрый день, компания СтройИнвест"), client(3, "Это дорого"), manager(5, "Ясно"),
        manager(20, "Спасибо за звонок, до свидания"))).passed


def test_metric_items_check_their_range():
    items = """
  - {id: ratio, kind: metric, metric: talk_listen_ratio, max: 2}
  - {id: silence, kind: metric, metric: longest_silence, max: 5}
  - {id: pace, kind: metric, metric: speech_rate, min: 60, max: 200}"""
    score = result(items, manager(0, "раз два три четыре", seconds=2), client(10, "да нет", seconds=1))
    ratio, silence, pace = score.items
    assert (ratio.met, ratio.value, ratio.reason) == (True, 2.0, "talk_listen_ratio 2 is in range")
    assert (silence.met, silence.value, silence.evidence.start) == (False, 8.0, 2.0)
    assert silence.reason == "longest_silence 8 is above 5"
    assert (silence.reason_code, silence.reason_args) == ("above", {"metric": "longest_silence", "value": 8.0, "limit": 5})
    assert (pace.met, pace.value) == (True, 120.0)


def test_a_metric_that_cannot_be_measured_is_not_met():
    score = result("  - {id: ratio, kind: metric, metric: talk_listen_ratio, max: 2}", manager(0, "Алло? Алло?"))
    assert (score.items[0].met, score.items[0].found, score.items[0].value) == (False, False, None)
    assert score.items[0].reason == "talk_listen_ratio cannot be measured in this call"


def test_an_empty_transcript_meets_only_what_it_cannot_break():
    score = result(GREETING + RUDENESS, duration=30)
    assert [(found.id, found.met) for found in score.items] == [("greeting", False), ("rudeness", True)]
    assert score.total == pytest.approx(66.7) and not score.passed


def test_a_mixed_recording_finds_phrases_said_by_anyone_but_never_blames_stop_words():
    lines = [{**line, "speaker": "unknown"} for line in (
        manager(0, "Добрый день, компания СтройИнвест"), client(3, "Это не мои проблемы"))]
    score = result(GREETING + RUDENESS, *lines)
    greeting, rudeness = score.items
    assert (greeting.met, greeting.evidence.speaker) == (True, "unknown")
    assert (rudeness.met, rudeness.found) == (None, False) and rudeness.reason.startswith("not checked")
    assert score.total == 100.0
