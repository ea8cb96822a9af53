"""The language model engine: real models, real tokenizers, real CTranslate2.

The default translate and assist models (from the model store) check that the
prompts work; a tiny Llama with random weights and a real byte-level tokenizer
runs every line of loading, templating, streaming, decoding and cancelling in
milliseconds.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from voiceslm.config import LmConfig, load_config
from voiceslm.engines.chat_template import ChatTemplate
from voiceslm.engines.cleaning import clean_answer, clean_translation
from voiceslm.engines.lm import CT2LanguageModel, load_language_model
from voiceslm.errors import ModelMissingError, UserError
from voiceslm.text import normalize_for_scoring

# ChatML, as SmolLM2 and Qwen use it.
_TINY_CHAT_TEMPLATE = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
_TINY_CORPUS = [
    "Where is the train station? ¿Dónde está la estación de tren?",
    "Good morning, how are you? Guten Morgen, wie geht es dir? Bonjour, ça va ?",
    "The capital of France is Paris. 12 plus 30 is 42.",
    "Привет, как дела? 你好，你好吗？ こんにちは。",
]


def _build_tiny_llama(out_dir: Path, work_dir: Path) -> Path:
    """A one-layer Llama (random weights) with a real byte-level BPE tokenizer, converted to CTranslate2."""
    import ctranslate2.converters
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tokenizer.train_from_iterator(_TINY_CORPUS, trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, bos_token="<|im_start|>", eos_token="<|im_end|>", unk_token="<|endoftext|>"
    )
    fast.chat_template = _TINY_CHAT_TEMPLATE
    hf_dir = work_dir / "hf"
    fast.save_pretrained(hf_dir)
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=tokenizer.get_vocab_size(),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=512,
        bos_token_id=tokenizer.token_to_id("<|im_start|>"),
        eos_token_id=tokenizer.token_to_id("<|im_end|>"),
    )
    LlamaForCausalLM(config).save_pretrained(hf_dir)
    copy = [
        name for name in ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja") if (hf_dir / name).exists()
    ]
    ctranslate2.converters.TransformersConverter(str(hf_dir), copy_files=copy).convert(
        str(out_dir), quantization="int8"
    )
    return out_dir


@pytest.fixture(scope="session")
def tiny_llama_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    for package in ("torch", "transformers"):
        pytest.importorskip(package, reason="building the tiny language model needs the convert extra")
    root = tmp_path_factory.mktemp("tiny-llama")
    return _build_tiny_llama(root / "tiny-llama", root / "work")


@pytest.fixture(scope="session")
def tiny_lm(tiny_llama_dir: Path):
    model = load_language_model(tiny_llama_dir, "smollm-instruct", LmConfig(threads=1, max_tokens=24))
    yield model
    model.close()


def _mentions(text: str, word: str) -> bool:
    return f" {normalize_for_scoring(word)} " in f" {normalize_for_scoring(text)} "


# ------------------------------------------------------------ real models


@pytest.mark.parametrize(
    ("source", "target", "text", "expected"),
    [
        ("en", "es", "Where is the station?", ("dónde", "estación")),
        ("en", "es", "I have two brothers and a sister.", ("hermanos", "hermana")),
        ("en", "es", "The water is cold.", ("agua",)),
        ("en", "de", "Where is the train station?", ("bahnhof",)),
    ],
)
def test_default_translate_model_translates(lm_translate, source, target, text, expected) -> None:
    translation = "".join(lm_translate.translate(text, source, target))
    assert all(_mentions(translation, word) for word in expected), translation
    assert "\n" not in translation and ":" not in translation


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What is the capital of France?", ("paris",)),
        ("What is 12 plus 30?", ("42", "forty-two")),
        ("How many days are in a week?", ("7", "seven")),
        ("What is the capital of Japan?", ("tokyo",)),
    ],
)
def test_default_assist_model_answers(lm_assist, question, expected) -> None:
    reply = "".join(lm_assist.answer(question))
    assert any(_mentions(reply, word) for word in expected), reply
    assert not any(mark in reply for mark in ("**", "`", "#")), reply


def test_answer_uses_history(lm_assist) -> None:
    history = [("My name is Alice and I live in Madrid.", "Nice to meet you, Alice!")]
    reply = "".join(lm_assist.answer("What is my name?", history))
    assert _mentions(reply, "alice"), reply


def test_streamed_answer_joins_to_the_cleaned_whole(lm_assist) -> None:
    pieces = list(lm_assist.answer("Explain in three short sentences why the sky is blue."))
    stats = lm_assist.last_stats
    assert len(pieces) >= 3
    assert "".join(pieces) == clean_answer(stats.raw_text)
    assert stats.generated_tokens > 3 and stats.first_token_s is not None and stats.tokens_per_s is not None


def test_streamed_translation_joins_to_the_cleaned_whole(lm_translate) -> None:
    text = "It is raining today. Take an umbrella and your coat when you go out, because it is cold."
    pieces = list(lm_translate.translate(text, "en", "es"))
    stats = lm_translate.last_stats
    assert pieces
    assert "".join(pieces) == clean_translation(stats.raw_text, text)


def test_cancel_after_first_piece_stops_generation(lm_assist) -> None:
    cancel = threading.Event()
    pieces = []
    for piece in lm_assist.answer("Tell me a long story about a dragon who learns to bake bread.", cancel=cancel):
        pieces.append(piece)
        cancel.set()
    assert 1 <= len(pieces) <= 3
    stats = lm_assist.last_stats
    assert stats.stop_reason == "cancelled"
    assert stats.generated_tokens <= 4
    # The generator is free again at once.
    assert "paris" in "".join(lm_assist.answer("What is the capital of France?")).lower()


@pytest.mark.parametrize("name", ["qwen2.5-coder-0.5b", "smollm2-135m"])
def test_chat_template_renders_like_transformers(model_store, name) -> None:
    transformers = pytest.importorskip("transformers")
    model_dir = model_store.require(name)
    messages = [
        {"role": "system", "content": "You are brief."},
        {"role": "user", "content": "Hi! ¿Qué tal?"},
        {"role": "assistant", "content": "Fine, thanks."},
        {"role": "user", "content": "What is 2 + 2?"},
    ]
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(model_dir))
    reference = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    template = ChatTemplate.from_model_dir(model_dir)
    assert template is not None
    assert template.render(messages) == reference
    assert template.render(messages[1:2]) == tokenizer.apply_chat_template(
        messages[1:2], tokenize=False, add_generation_prompt=True
    )


def test_gemma_exits_cleanly_without_close(model_store) -> None:
    """A Gemma generator left to interpreter teardown aborted the process about 1 time in 3."""
    name = load_config(use_system_layers=False).config.lm.translate_model
    model_dir = model_store.require(name)
    family = model_store.store.entry(name).family
    script = (
        "import sys\nfrom voiceslm.config import LmConfig\nfrom voiceslm.engines.lm import load_language_model\n"
        f"lm = load_language_model({str(model_dir)!r}, {family!r}, LmConfig(max_tokens=8))\n"
        "print(''.join(lm.translate('Hello.', 'en', 'es')))\n"
    )
    for _ in range(3):
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]


# ------------------------------------------------------------ tiny model


def test_tiny_model_streams_decoded_text_without_replacement_characters(tiny_lm) -> None:
    for prompt in _TINY_CORPUS:
        rendered = tiny_lm.render_chat([{"role": "user", "content": prompt}])
        pieces = list(tiny_lm.generate(rendered, add_special_tokens=False))
        stats = tiny_lm.last_stats
        assert "".join(pieces) == stats.raw_text
        assert "\ufffd" not in stats.raw_text
        assert stats.stop_reason in ("end", "max_tokens")
        assert stats.generated_tokens <= 24
        assert stats.prompt_tokens > 5


def test_tiny_model_stops_at_stop_string(tiny_lm) -> None:
    prompt = tiny_lm.render_chat([{"role": "user", "content": "Where is the train station?"}])
    free = "".join(tiny_lm.generate(prompt, add_special_tokens=False))
    assert len(free) > 4
    stop = free[2:4]
    stopped = "".join(tiny_lm.generate(prompt, add_special_tokens=False, stop=[stop]))
    assert stopped == free[: free.index(stop)]
    assert tiny_lm.last_stats.stop_reason == "stop_string"


def test_tiny_model_cancel_before_start_yields_nothing(tiny_lm) -> None:
    cancel = threading.Event()
    cancel.set()
    assert list(tiny_lm.answer("What is the capital of France?", cancel=cancel)) == []
    assert tiny_lm.last_stats.stop_reason == "cancelled"
    assert list(tiny_lm.translate("Where is the train station?", "en", "es"))  # still usable


def test_tiny_model_abandoned_stream_frees_the_model(tiny_lm) -> None:
    stream = tiny_lm.answer("Tell me a story.")
    next(stream, None)
    stream.close()
    assert tiny_lm.last_stats.stop_reason == "closed"
    # A second thread can generate now: the lock was released.
    result: list[str] = []
    worker = threading.Thread(target=lambda: result.extend(tiny_lm.answer("Hi")))
    worker.start()
    worker.join(timeout=60)
    assert not worker.is_alive()


def test_static_prompt_split_keeps_the_exact_tokens(tiny_lm) -> None:
    """The few-shot/system part is cached as a static prompt only when it tokenises identically."""
    from voiceslm.engines.lm import _Request

    prompt = tiny_lm.render_chat([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "¿Dónde?"}])
    request = _Request(prompt, add_special_tokens=False, stop=(), max_tokens=4, dynamic="¿Dónde?")
    static, rest = tiny_lm._tokens(request)
    whole = tiny_lm._tokenizer.encode(prompt, add_special_tokens=False).tokens
    assert static and static + rest == whole
    assert tiny_lm._tokenizer.decode([tiny_lm._tokenizer.token_to_id(t) for t in static]).endswith("user\n")


def test_translate_into_the_same_language_returns_the_text(tiny_lm) -> None:
    assert list(tiny_lm.translate("  Hola amigo.  ", "es", "es")) == ["Hola amigo."]
    assert list(tiny_lm.translate("   ", "en", "es")) == []
    assert list(tiny_lm.answer("  ")) == []


def test_unknown_language_is_a_user_error(tiny_lm) -> None:
    with pytest.raises(UserError, match="Language code 'xx' is not supported.*use one of"):
        tiny_lm.translate("Hello", "en", "xx")
    with pytest.raises(UserError, match="'klingon'"):
        tiny_lm.translate("Hello", "klingon", "es")


def test_missing_model_names_the_install_command(tmp_path: Path) -> None:
    with pytest.raises(ModelMissingError, match=r"voiceslm models install gemma3-270m"):
        load_language_model(tmp_path / "gemma3-270m", "gemma-base", LmConfig())


def test_unknown_family_is_a_user_error(tiny_llama_dir: Path) -> None:
    with pytest.raises(UserError, match="family 'mystery' is unknown; use one of"):
        load_language_model(tiny_llama_dir, "mystery", LmConfig())


def test_chat_family_without_template_is_a_user_error(tiny_llama_dir: Path, tmp_path: Path) -> None:
    bare = tmp_path / "bare"
    bare.mkdir()
    for item in tiny_llama_dir.iterdir():
        if item.name != "chat_template.jinja":
            (bare / item.name).symlink_to(item)
    config = json.loads((tiny_llama_dir / "tokenizer_config.json").read_text())
    assert "chat_template" not in config
    with pytest.raises(UserError, match="no chat template"):
        load_language_model(bare, "qwen-instruct", LmConfig())
    base = load_language_model(bare, "gemma-base", LmConfig(max_tokens=4))
    try:
        assert isinstance(base, CT2LanguageModel)
        list(base.translate("Where is the train station?", "en", "es"))
        assert base.last_stats is not None and base.last_stats.prompt_tokens > 50  # the few-shot prompt
    finally:
        base.close()


def test_corrupt_model_is_a_model_missing_error(tiny_llama_dir: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    for item in tiny_llama_dir.iterdir():
        if item.name != "model.bin":
            (broken / item.name).symlink_to(item)
    data = (tiny_llama_dir / "model.bin").read_bytes()
    (broken / "model.bin").write_bytes(data[: len(data) // 3])
    with pytest.raises(ModelMissingError, match="cannot be loaded.*voiceslm models install broken"):
        load_language_model(broken, "smollm-instruct", LmConfig())


def test_closed_model_refuses_work(tiny_llama_dir: Path) -> None:
    model = load_language_model(tiny_llama_dir, "smollm-instruct", LmConfig(max_tokens=4))
    model.close()
    model.close()  # twice is fine
    with pytest.raises(RuntimeError, match="closed"):
        list(model.answer("Hi"))


def test_concurrent_calls_run_one_at_a_time(tiny_lm) -> None:
    results: list[list[str]] = [[] for _ in range(4)]
    rng = random.Random(1)
    prompts = [rng.choice(_TINY_CORPUS) for _ in results]

    def work(index: int) -> None:
        results[index] = list(tiny_lm.answer(prompts[index]))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(results))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    # Greedy decoding: the same prompt gives the same answer whatever ran alongside.
    for index, prompt in enumerate(prompts):
        assert "".join(results[index]) == "".join(tiny_lm.answer(prompt))


def test_corrupt_tokenizer_is_a_model_missing_error(tiny_llama_dir: Path, tmp_path: Path) -> None:
    broken = tmp_path / "tiny-broken-tokenizer"
    broken.mkdir()
    for item in tiny_llama_dir.iterdir():
        if item.name != "tokenizer.json":
            (broken / item.name).symlink_to(item)
    (broken / "tokenizer.json").write_text('{"version": "1.0", "model": ', encoding="utf-8")
    with pytest.raises(ModelMissingError, match="tokenizer or chat template.*voiceslm models install tiny-broken"):
        load_language_model(broken, "smollm-instruct", LmConfig())


def test_end_tokens_include_every_end_of_turn_token(tiny_lm) -> None:
    # <|endoftext|> has id 0 in this vocabulary, as in SmolLM2's.
    assert tiny_lm._tokenizer.token_to_id("<|endoftext|>") == 0
    assert set(tiny_lm._end_tokens) == {"<|im_end|>", "<|endoftext|>"}
