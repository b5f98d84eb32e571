"""Whisper's inventions on silence are caught whole-segment only, so what
people really say on a sales call ("спасибо", "до встречи") is kept, and a
loop after a real utterance is cut down instead of dropping the utterance."""

import pytest

from transcription.hallucinations import hallucination_reason, strip_loops

KNOWN = {
    "credits": [
        "Субтитры сделал DimaTorzok",
        "Субтитры делал DimaTorzok.",
        "Субтитры создавал DimaTorzok",
        "субтитры СОЗДАВАЛ dimatorzok!",
        "Субтитры подогнал «Симон»",
        "Субтитры подготовил Игорь Негода",
        "Редактор субтитров А.Семкин Корректор А.Егорова",
        "Редактор субтитров И.Иванова",
        "Корректор А.Кулакова",
    ],
    "continued": ["Продолжение следует...", "ПРОДОЛЖЕНИЕ СЛЕДУЕТ", "продолжение следует…"],
    "thanks for watching": [
        "Спасибо за просмотр!",
        "Спасибо за просмотр.",
        "Всем спасибо за просмотр!",
        "Спасибо большое за просмотр",
        "Thank you for watching!",
    ],
    "subscribe": [
        "Подписывайтесь на канал",
        "Подписывайтесь на наш канал!",
        "Подписывайтесь!",
        "ПОДПИШИСЬ!",
        "Подпишитесь на канал.",
    ],
    "like": ["Ставьте лайки", "Ставьте лайки и подписывайтесь на канал!", "Не забудьте поставить лайк."],
    "outro": ["До новых встреч!", "Всем до новых встреч."],
    "music": ["Музыка", "[музыка]", "[МУЗЫКА]", "(Музыка)", "Динамичная музыка", "♪ Спокойная музыка ♪", "*музыка*"],
    "applause": ["Аплодисменты", "[Аплодисменты]"],
    "laughter": ["Смех", "(смех)", "[СМЕХ]"],
    "caption tag": ["[Звонок телефона]", "(неразборчиво)", "♪ Ля-ля-ля ♪"],
}

SALES_CALL = [
    "Алло, здравствуйте!",
    "Добрый день, компания «Альфа-Строй», меня зовут Иван.",
    "Меня зовут Иван, чем могу помочь?",
    "Здравствуйте, я по объявлению.",
    "Да, да, конечно.",
    "Нет-нет, всё в порядке.",
    "Алло, алло.",
    "Алло, алло, алло, вы меня слышите?",
    "Спасибо.",
    "Спасибо!",
    "Спасибо, до свидания.",
    "Спасибо большое за звонок.",
    "Спасибо за информацию.",
    "До встречи!",
    "До встречи в офисе в субботу.",
    "Хорошо, до встречи завтра в 10:30.",
    "До свидания.",
    "Всего доброго!",
    "Да.",
    "Угу.",
    "Да-да-да, я понял.",
    "Интересует 2-комнатная квартира в новостройке.",
    "Сколько стоит трёхкомнатная?",
    "Цена 7 500 000 рублей.",
    "Первый взнос 15%.",
    "Мой номер +7 (900) 123-45-67.",
    "Запишите: восемь девятьсот двенадцать.",
    "Можно ипотеку на 20 лет?",
    "Подпишите договор, пожалуйста.",
    "Я подпишусь под этим.",
    "Продолжаем разговор.",
    "Перезвоните мне, пожалуйста, после обеда.",
    "У вас есть парковка?",
    "Музыкальная школа рядом есть?",
    "Какая музыка у вас играет на линии?",
    "Ставки по ипотеке какие?",
    "Смешно, конечно.",
    "Давайте я вам перезвоню.",
    "Подождите минутку, я уточню.",
    "Ну да, ну да.",
]

LOOPS = [
    "да да да да да да да да",
    "Да, да, да, да, да, да, да, да, да, да.",
    "я хотел бы я хотел бы я хотел бы я хотел бы",
    "Я хотел бы, я хотел бы, я хотел бы, я хотел бы, я хотел",
    "хотел бы я хотел бы я хотел бы я хотел бы я хотел бы",
    "До свидания. До свидания. До свидания. До свидания. До свидания.",
    "Спасибо. Спасибо. Спасибо. Спасибо. Спасибо. Спасибо. Спасибо.",
    "раз два три четыре раз два три четыре раз два три четыре раз два три четыре",
]


@pytest.mark.parametrize(
    ("reason", "text"), [(reason, text) for reason, texts in KNOWN.items() for text in texts]
)
def test_known_phrases_are_caught(reason, text):
    assert hallucination_reason(text) == f"known phrase: {reason}"


def test_known_phrases_one_after_another_are_caught():
    assert hallucination_reason("Продолжение следует... Спасибо за просмотр!") == "known phrase: continued"
    assert hallucination_reason("Субтитры сделал DimaTorzok. Подписывайтесь на канал") == "known phrase: credits"


@pytest.mark.parametrize("text", SALES_CALL)
def test_sales_call_speech_is_kept(text):
    assert hallucination_reason(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "Продолжение следует, а пока давайте обсудим цену.",
        "Субтитры сделал DimaTorzok. Здравствуйте, меня зовут Иван, компания Альфа.",
        "Музыка? Нет, я не слышу музыку.",
        "[музыка] Алло, здравствуйте!",
        "До новых встреч в нашем офисе на Ленина, 5.",
    ],
)
def test_a_known_phrase_inside_real_speech_keeps_the_segment(text):
    assert hallucination_reason(text) is None


@pytest.mark.parametrize("text", LOOPS)
def test_repetition_loops_are_caught(text):
    assert hallucination_reason(text) == "repetition loop"


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "...", "?!", "— …", "♪", "♪ ♪ ♪", "«»"])
def test_no_words(text):
    assert hallucination_reason(text) == "no words"


def test_a_loop_after_real_speech_is_not_a_hallucination_but_is_stripped():
    text = "Спасибо, до свидания. До свидания. До свидания. До свидания. До свидания."
    assert hallucination_reason(text) is None
    assert strip_loops(text) == "Спасибо, до свидания. До свидания."
    assert strip_loops(text, keep=1) == "Спасибо, до свидания."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Да, да, да, да, да, хорошо.", "Да, да, хорошо."),
        ("я хотел бы я хотел бы я хотел бы я хотел бы", "я хотел бы я хотел бы"),
        ("Алло, алло, алло.", "Алло, алло."),
        ("Ну ДА да Да да да, а что?", "Ну ДА да, а что?"),
        (
            "Ну да да да да да, а вы меня слышите вы меня слышите вы меня слышите?",
            "Ну да да, а вы меня слышите вы меня слышите?",
        ),
        ("Ёлки ёлки елки, вот это цена!", "Ёлки ёлки, вот это цена!"),
    ],
)
def test_strip_loops_collapses_to_two(text, expected):
    assert strip_loops(text) == expected


@pytest.mark.parametrize("text", ["Да, да, конечно.", "Алло, алло.", "Нет-нет.", "Спасибо, до свидания.", "", "…"])
def test_strip_loops_leaves_short_repeats(text):
    assert strip_loops(text) == text


def test_strip_loops_keep_is_honoured():
    assert strip_loops("да да да да да", keep=3) == "да да да"
    assert strip_loops("да да да", keep=3) == "да да да"
    with pytest.raises(ValueError):
        strip_loops("да да да", keep=0)


def test_stripped_loop_no_longer_counts_as_one():
    assert strip_loops("да да да да да да да да") == "да да"
    assert hallucination_reason("да да") is None
