"""Sentence splitting, scoring normalisation, prompts and output cleaning (pure functions).

The raw model outputs below were written by the three offline models (SmolLM2-135M,
Gemma 3 270M, Qwen2.5-Coder-0.5B) with voiceslm's own prompts.
"""

from __future__ import annotations

import random

import pytest

from voiceslm.errors import UserError
from voiceslm.prompts import (
    PARALLEL_EXAMPLES,
    StreamCleaner,
    answer_completion,
    answer_messages,
    clean_answer,
    clean_translation,
    language_name,
    translation_completion,
    translation_messages,
)
from voiceslm.text import SentenceSplitter, normalize_for_scoring, split_sentences

# ------------------------------------------------------------ sentences


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("Hello there. How are you? Fine!", ["Hello there.", "How are you?", "Fine!"]),
        (
            "Mr. Smith met Dr. Jones on St. Mark's Road. They talked.",
            ["Mr. Smith met Dr. Jones on St. Mark's Road.", "They talked."],
        ),
        (
            "Bring fruit, e.g. apples, i.e. something sweet. Thanks.",
            ["Bring fruit, e.g. apples, i.e. something sweet.", "Thanks."],
        ),
        ("Pens, paper etc. Are all here. Go.", ["Pens, paper etc. Are all here.", "Go."]),
        ("It costs 3.5 euros. Or 4.25 dollars.", ["It costs 3.5 euros.", "Or 4.25 dollars."]),
        ("Wait...what? No way.", ["Wait...what?", "No way."]),
        ("Well... I think so. Maybe.", ["Well...", "I think so.", "Maybe."]),
        ("Hmm… Let me see.", ["Hmm…", "Let me see."]),
        ('He said "Stop." Then he left.', ['He said "Stop."', "Then he left."]),
        ("¿Dónde está? Aquí está.", ["¿Dónde está?", "Aquí está."]),
        ("J. R. R. Tolkien wrote it. Really.", ["J. R. R. Tolkien wrote it.", "Really."]),
        ("Line one\nLine two without stop\n\nLine three.", ["Line one", "Line two without stop", "Line three."]),
        ("你好。我很好！你呢？", ["你好。", "我很好！", "你呢？"]),
        ("Visit www.example.com today. Bye.", ["Visit www.example.com today.", "Bye."]),
        ("It is 5 p.m. now.", ["It is 5 p.m. now."]),
        ("No end punctuation", ["No end punctuation"]),
        ("   ", []),
    ],
)
def test_split_sentences(text: str, sentences: list[str]) -> None:
    assert split_sentences(text) == sentences


def test_splitter_releases_a_sentence_as_soon_as_the_next_one_starts() -> None:
    splitter = SentenceSplitter()
    assert splitter.feed("The capital of France") == []
    assert splitter.feed(" is Paris.") == []  # could still be "Paris.5" or an abbreviation
    assert splitter.feed(" ") == []
    assert splitter.feed("It") == ["The capital of France is Paris."]
    assert splitter.feed(" has many museums") == []
    assert splitter.flush() == ["It has many museums"]
    assert splitter.flush() == []


def test_splitter_gives_the_same_sentences_whatever_the_chunking() -> None:
    text = 'Dr. Who said "Hi." Then, e.g. at 3.5 km... it rained! Mr. X left.\nNew line here. 终于。好！'
    rng = random.Random(7)
    expected = split_sentences(text)
    for _ in range(50):
        splitter, out, at = SentenceSplitter(), [], 0
        while at < len(text):
            step = rng.randint(1, 6)
            out += splitter.feed(text[at : at + step])
            at += step
        assert out + splitter.flush() == expected


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        ("¿Dónde está la ESTACIÓN, señor?", "dónde está la estación señor"),
        ("I don't know—really…  50%!", "i dont know really 50"),
        ("AND SO MY FELLOW AMERICANS", "and so my fellow americans"),
        ("Grüße aus Köln: «Straße»", "grüße aus köln straße"),
        ("你好，世界！", "你好 世界"),
        ("l’homme  d'affaires", "lhomme daffaires"),
        ("Ｆｕｌｌ　ｗｉｄｔｈ", "full width"),
        ("", ""),
    ],
)
def test_normalize_for_scoring(text: str, normalized: str) -> None:
    assert normalize_for_scoring(text) == normalized


# ------------------------------------------------------------ prompts


def test_language_names() -> None:
    for code in ("en", "es", "de", "fr", "it", "pt", "nl", "pl", "ru", "zh", "ja"):
        assert language_name(code)[0].isupper()
        assert code in PARALLEL_EXAMPLES
    with pytest.raises(UserError, match=r"Language code 'xx' is not supported.*use one of en, es"):
        language_name("xx")


def test_parallel_examples_line_up() -> None:
    sizes = {len(sentences) for sentences in PARALLEL_EXAMPLES.values()}
    assert sizes == {5}


def test_translation_messages_name_the_languages() -> None:
    messages = translation_messages("  Where is the station?\n", "en", "es")
    assert [m["role"] for m in messages] == ["system", "user"]
    user = messages[1]["content"]
    assert "Translate the following English text into Spanish." in user
    assert "translation only" in user
    assert user.endswith("\n\nWhere is the station?")
    assert "English" not in translation_messages("Hola", None, "de")[1]["content"]


def test_translation_completion_is_few_shot() -> None:
    prompt = translation_completion("Where is the\nstation?", "en", "de")
    blocks = prompt.split("\n\n")
    assert blocks[0] == "English: Good morning, how are you?\nGerman: Guten Morgen, wie geht es dir?"
    assert len(blocks) == 6
    assert blocks[-1] == "English: Where is the station?\nGerman:"
    # A pair with no examples in one of its languages gets the bare prompt.
    assert translation_completion("Hello", "en", "ko") == "English: Hello\nKorean:"
    assert translation_completion("Hallo", "de", "fr").startswith("German: Guten Morgen")
    assert translation_completion("Hola", None, "en").endswith("Text: Hola\nEnglish:")


def test_answer_messages_keep_recent_history() -> None:
    history = [(f"q{i}", f"a{i}") for i in range(5)]
    messages = answer_messages("Now?", history, "Be brief.", history_turns=2)
    assert messages[0] == {"role": "system", "content": "Be brief."}
    assert [m["content"] for m in messages[1:]] == ["q3", "a3", "q4", "a4", "Now?"]
    assert [m["role"] for m in answer_messages("Now?", history, "", 0)] == ["user"]
    completion = answer_completion("Why?", history, "Be brief.", history_turns=1)
    assert completion.startswith("Be brief.\n\nQuestion: ")
    assert completion.endswith("Question: q4\nAnswer: a4\n\nQuestion: Why?\nAnswer:")


# ------------------------------------------------------------ cleaning

SOURCE = "Where is the train station?"

# (raw model output, source text, expected cleaned translation)
TRANSLATIONS = [
    # Gemma, few-shot: a leading space, ended by the newline stop.
    (" ¿Dónde está la estación de tren?", SOURCE, "¿Dónde está la estación de tren?"),
    (' "Bien", gracias.', 'I\'m "fine", thanks.', "Bien, gracias."),
    (' "Fine" ist meine "gute" Sprache.', 'I\'m "fine", thanks.', 'Fine ist meine "gute" Sprache.'),
    # SmolLM2: an explanation in parentheses, a label sentence with quotes.
    ("Cámara de la Vida (Blood Circulation)\n", "Blood circulates through blood vessels.", "Cámara de la Vida"),
    (
        'El que estoy leyendo la tarea de esta traducción es: "La tuya de este tipo de errores".\n',
        "Did you remember to send my letter?",
        "La tuya de este tipo de errores.",
    ),
    # A line about "the translation" ending in a colon is a label; here nothing follows it.
    (
        "Please find the translation available on our website: [Your Domain Name]\n",
        "Can you help me with my homework?",
        "",
    ),
    ("Das ist das Train Station.\n", SOURCE, "Das ist das Train Station."),
    # Qwen: a label, a blank line, a quoted translation.
    (
        'Hier ist die Übersetzung in Deutsch:\n\n"Die Übersetzung des Textes ist hier.',
        "Translate this into German please.",
        "Die Übersetzung des Textes ist hier.",
    ),
    ('"Ja?" "Ja."', '"Yes?" "Yes."', '"Ja?" "Ja."'),
    ('"Pourquoi c\'est une journée ?"', "Why is it a day?", "Pourquoi c'est une journée ?"),
    # Shapes instruction models are known for.
    ("Spanish: ¿Dónde está la estación de tren?", SOURCE, "¿Dónde está la estación de tren?"),
    ("Translation: ¿Dónde está la estación?", SOURCE, "¿Dónde está la estación?"),
    (
        'Here is the translation:\n\n"¿Dónde está la estación de tren?"\n\nNote: "estación" means station.',
        SOURCE,
        "¿Dónde está la estación de tren?",
    ),
    (
        'Sure! Here\'s the Spanish translation of "Where is the train station?": ¿Dónde está la estación?',
        SOURCE,
        "¿Dónde está la estación?",
    ),
    ("¿Dónde está la estación de tren? (Note: this is the formal form.)", SOURCE, "¿Dónde está la estación de tren?"),
    ("¿Dónde está la estación? (Where is the station?)", SOURCE, "¿Dónde está la estación?"),
    ("Where is the train station? - ¿Dónde está la estación de tren?", SOURCE, "¿Dónde está la estación de tren?"),
    ("English: Where is the train station?\nSpanish: ¿Dónde está la estación?", SOURCE, "¿Dónde está la estación?"),
    ("¿Dónde está la estación? Note: informal.", SOURCE, "¿Dónde está la estación?"),
    # Left alone: an untranslated copy, and a parenthesis that is part of the text.
    ("Where is the train station?", SOURCE, "Where is the train station?"),
    ("La reunión (la de ayer) fue larga.", "The meeting (yesterday's) was long.", "La reunión (la de ayer) fue larga."),
    ('"Hola", dijo él.', '"Hello," he said.', '"Hola", dijo él.'),
    (
        "Son las 3:30 de la tarde y hace calor.",
        "It is 3:30 pm and it is hot.",
        "Son las 3:30 de la tarde y hace calor.",
    ),
    ("", SOURCE, ""),
]


@pytest.mark.parametrize(("raw", "source", "expected"), TRANSLATIONS)
def test_clean_translation(raw: str, source: str, expected: str) -> None:
    assert clean_translation(raw, source) == expected


@pytest.mark.parametrize(("raw", "source", "expected"), TRANSLATIONS)
def test_streamed_translation_cleaning_matches_whatever_the_chunking(raw: str, source: str, expected: str) -> None:
    rng = random.Random(raw)
    for chunking in ("chars", "random", "whole"):
        cleaner, out, at = StreamCleaner.for_translation(source), [], 0
        while at < len(raw):
            step = {"chars": 1, "random": rng.randint(1, 5), "whole": len(raw)}[chunking]
            out.append(cleaner.feed(raw[at : at + step]))
            at += step
        out.append(cleaner.finish())
        assert "".join(out) == expected


def test_translation_cleaner_says_when_the_line_is_done() -> None:
    cleaner = StreamCleaner.for_translation(SOURCE)
    assert cleaner.feed(" ¿Dónde está la estación de tren?") == ""
    assert not cleaner.done
    assert cleaner.feed("\n\nEnglish: Thank") == "¿Dónde está la estación de tren?"
    assert cleaner.done
    assert cleaner.feed(" you.") == ""
    assert cleaner.finish() == ""


def test_long_translation_streams_before_it_ends() -> None:
    raw = "Hoy llueve mucho en la ciudad y las calles están mojadas. Lleva un paraguas cuando salgas."
    cleaner = StreamCleaner.for_translation("It rains a lot in the city today...")
    first = cleaner.feed(raw[:70])
    assert first.startswith("Hoy llueve mucho en la ciudad y las calles están mojadas.")
    assert first + cleaner.feed(raw[70:]) + cleaner.finish() == raw


# (raw answer, expected spoken text)
ANSWERS = [
    ("The capital of France is Paris.", "The capital of France is Paris."),
    ("1. Bananas\n2. Oranges", "Bananas\nOranges"),
    (
        "1.  **Avoiding Caffeine and Alcohol Before Bed**\n2.  **Creating a Restful Sleep Environment**",
        "Avoiding Caffeine and Alcohol Before Bed\nCreating a Restful Sleep Environment",
    ),
    (
        "To boil an egg:\n\n1. **Add Water**: Cover the egg.\n\n2. **Cook for 8-10 minutes**: Then cool it.",
        "To boil an egg:\nAdd Water: Cover the egg.\nCook for 8-10 minutes: Then cool it.",
    ),
    (
        "```python\ndef add_numbers(num1, num2):\n    return num1 + num2\n```\n\nIt takes `num1` and `num2`.",
        "def add_numbers(num1, num2):\nreturn num1 + num2\nIt takes num1 and num2.",
    ),
    ("## Answer\n\n- Paris is lovely 🇫🇷!\n* So is Lyon ✨ 😊", "Answer\nParis is lovely!\nSo is Lyon"),
    ("12 - 5 = 7, and 3 * 4 = 12.", "12 - 5 = 7, and 3 4 = 12."),
    ("", ""),
]


@pytest.mark.parametrize(("raw", "expected"), ANSWERS)
def test_clean_answer(raw: str, expected: str) -> None:
    assert clean_answer(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), ANSWERS)
def test_streamed_answer_cleaning_matches_whatever_the_chunking(raw: str, expected: str) -> None:
    rng = random.Random(raw)
    for _ in range(20):
        cleaner, out, at = StreamCleaner.for_answer(), [], 0
        while at < len(raw):
            step = rng.randint(1, 4)
            out.append(cleaner.feed(raw[at : at + step]))
            at += step
        out.append(cleaner.finish())
        assert "".join(out) == expected


def test_control_characters_and_terminal_escapes_are_stripped() -> None:
    from voiceslm.text import strip_control

    raw = "Hi\x1b[31m red\x1b[0m\x00 there\x07\x1b]0;pwned\x07 ok\ttab\nline"
    assert strip_control(raw) == "Hi red there ok tab line"
    assert strip_control("Señor, ¿qué tal? 你好") == "Señor, ¿qué tal? 你好"
