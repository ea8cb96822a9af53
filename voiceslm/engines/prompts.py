"""Prompts for each model family.

Instruction-tuned models get chat messages rendered later with the model's own
chat template; base models get few-shot completion text. What the models write
back is cleaned by `voiceslm.engines.cleaning`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from voiceslm.errors import UserError

logger = logging.getLogger(__name__)

Message = dict[str, str]


@dataclass(frozen=True)
class Family:
    """How to talk to a family of models."""

    name: str
    chat: bool
    """True: instruction model with a chat template; False: base model, few-shot text."""
    end_tokens: tuple[str, ...]
    """End-of-turn tokens that stop generation besides the model's own EOS (when in its vocabulary)."""


FAMILIES = {
    family.name: family
    for family in (
        Family("smollm-instruct", chat=True, end_tokens=("<|im_end|>", "<|endoftext|>")),
        Family("qwen-instruct", chat=True, end_tokens=("<|im_end|>", "<|endoftext|>")),
        Family("gemma-base", chat=False, end_tokens=("<eos>", "<end_of_turn>")),
        Family("gemma-instruct", chat=True, end_tokens=("<eos>", "<end_of_turn>")),
        Family("phi3-instruct", chat=True, end_tokens=("<|end|>", "<|endoftext|>")),
    )
}


def family(name: str) -> Family:
    try:
        return FAMILIES[name]
    except KeyError:
        raise UserError(
            f"Language model family {name!r} is unknown; use one of {', '.join(sorted(FAMILIES))}."
        ) from None


LANGUAGE_NAMES = {
    "en": "English",
    "es": "Spanish",
    "de": "German",
    "fr": "French",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
    "pl": "Polish",
    "ru": "Russian",
    "uk": "Ukrainian",
    "cs": "Czech",
    "sv": "Swedish",
    "da": "Danish",
    "no": "Norwegian",
    "fi": "Finnish",
    "el": "Greek",
    "tr": "Turkish",
    "ro": "Romanian",
    "hu": "Hungarian",
    "ca": "Catalan",
    "zh": "Chinese",
    "ja": "Japanese",
    "ko": "Korean",
    "ar": "Arabic",
    "he": "Hebrew",
    "hi": "Hindi",
    "id": "Indonesian",
    "vi": "Vietnamese",
    "th": "Thai",
}


def language_name(code: str) -> str:
    """The English name of an ISO 639-1 code; UserError for one voiceslm does not know."""
    try:
        return LANGUAGE_NAMES[code]
    except KeyError:
        raise UserError(
            f"Language code {code!r} is not supported for translation; use one of {', '.join(LANGUAGE_NAMES)}."
        ) from None


# The same five short everyday sentences in every language with examples: the
# few-shot pairs for base models, for any source and target among these.
PARALLEL_EXAMPLES: dict[str, tuple[str, ...]] = {
    "en": (
        "Good morning, how are you?",
        "I would like a cup of coffee, please.",
        "The train leaves at eight o'clock.",
        "Thank you very much for your help.",
        "Where can I buy tickets?",
    ),
    "es": (
        "Buenos días, ¿cómo estás?",
        "Quisiera una taza de café, por favor.",
        "El tren sale a las ocho.",
        "Muchas gracias por tu ayuda.",
        "¿Dónde puedo comprar billetes?",
    ),
    "de": (
        "Guten Morgen, wie geht es dir?",
        "Ich hätte gern eine Tasse Kaffee, bitte.",
        "Der Zug fährt um acht Uhr ab.",
        "Vielen Dank für deine Hilfe.",
        "Wo kann ich Fahrkarten kaufen?",
    ),
    "fr": (
        "Bonjour, comment vas-tu ?",
        "Je voudrais une tasse de café, s'il vous plaît.",
        "Le train part à huit heures.",
        "Merci beaucoup pour ton aide.",
        "Où puis-je acheter des billets ?",
    ),
    "it": (
        "Buongiorno, come stai?",
        "Vorrei una tazza di caffè, per favore.",
        "Il treno parte alle otto.",
        "Grazie mille per il tuo aiuto.",
        "Dove posso comprare i biglietti?",
    ),
    "pt": (
        "Bom dia, como você está?",
        "Eu queria uma xícara de café, por favor.",
        "O trem parte às oito horas.",
        "Muito obrigado pela sua ajuda.",
        "Onde posso comprar passagens?",
    ),
    "nl": (
        "Goedemorgen, hoe gaat het met je?",
        "Ik wil graag een kopje koffie, alstublieft.",
        "De trein vertrekt om acht uur.",
        "Heel erg bedankt voor je hulp.",
        "Waar kan ik kaartjes kopen?",
    ),
    "pl": (
        "Dzień dobry, jak się masz?",
        "Poproszę filiżankę kawy.",
        "Pociąg odjeżdża o ósmej.",
        "Dziękuję bardzo za pomoc.",
        "Gdzie mogę kupić bilety?",
    ),
    "ru": (
        "Доброе утро, как дела?",
        "Я бы хотел чашку кофе, пожалуйста.",
        "Поезд отправляется в восемь часов.",
        "Большое спасибо за помощь.",
        "Где можно купить билеты?",
    ),
    "zh": (
        "早上好，你好吗？",
        "请给我一杯咖啡。",
        "火车八点出发。",
        "非常感谢你的帮助。",
        "我在哪里可以买票？",
    ),
    "ja": (
        "おはようございます、お元気ですか？",
        "コーヒーを一杯ください。",
        "電車は八時に出発します。",
        "手伝ってくれて本当にありがとう。",
        "切符はどこで買えますか？",
    ),
}

# Few-shot question/answer pairs for base models asked to act as an assistant.
ANSWER_EXAMPLES = (
    ("What is the opposite of hot?", "The opposite of hot is cold."),
    ("How many wheels does a bicycle have?", "A bicycle has two wheels."),
    ("Who painted the Mona Lisa?", "Leonardo da Vinci painted the Mona Lisa."),
)


def translation_messages(text: str, source: str | None, target: str) -> list[Message]:
    """Chat messages asking an instruction model for a translation and nothing else."""
    target_name = language_name(target)
    source_name = f"{language_name(source)} " if source else ""
    instruction = (
        f"Translate the following {source_name}text into {target_name}. "
        "Reply with the translation only, with no notes or explanations."
    )
    return [
        {"role": "system", "content": f"You are a translator. You translate text into {target_name}."},
        {"role": "user", "content": f"{instruction}\n\n{text.strip()}"},
    ]


def translation_completion(text: str, source: str | None, target: str) -> str:
    """Few-shot completion text for a base model; the model continues after "<Target>:".

    With no known source language the examples are English and the label is "Text".
    """
    target_name = language_name(target)
    source_code = source if source in PARALLEL_EXAMPLES else "en"
    source_label = language_name(source) if source else "Text"
    blocks = []
    if target in PARALLEL_EXAMPLES and source_code != target:
        for original, translated in zip(PARALLEL_EXAMPLES[source_code], PARALLEL_EXAMPLES[target], strict=True):
            blocks.append(f"{source_label}: {original}\n{target_name}: {translated}")
    blocks.append(f"{source_label}: {one_line(text)}\n{target_name}:")
    return "\n\n".join(blocks)


def answer_messages(
    question: str, history: Sequence[tuple[str, str]], system_prompt: str, history_turns: int
) -> list[Message]:
    """Chat messages for the assistant: system prompt, recent Q/A pairs, the question."""
    messages: list[Message] = []
    if system_prompt.strip():
        messages.append({"role": "system", "content": system_prompt.strip()})
    for asked, answered in _recent(history, history_turns):
        messages.append({"role": "user", "content": asked})
        messages.append({"role": "assistant", "content": answered})
    messages.append({"role": "user", "content": question.strip()})
    return messages


def answer_completion(question: str, history: Sequence[tuple[str, str]], system_prompt: str, history_turns: int) -> str:
    """Few-shot completion text for a base model answering a question."""
    lines = [system_prompt.strip()] if system_prompt.strip() else []
    pairs = [*ANSWER_EXAMPLES, *_recent(history, history_turns)]
    lines += [f"Question: {one_line(asked)}\nAnswer: {one_line(answered)}" for asked, answered in pairs]
    lines.append(f"Question: {one_line(question)}\nAnswer:")
    return "\n\n".join(lines)


def _recent(history: Sequence[tuple[str, str]], turns: int) -> list[tuple[str, str]]:
    return list(history)[-turns:] if turns > 0 else []


def one_line(text: str) -> str:
    return " ".join(text.split())
