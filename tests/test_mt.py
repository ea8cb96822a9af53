"""The dedicated translation model backend, on a tiny real Marian model.

The tiny model has random weights, so its output is nonsense: these tests check
what the backend guarantees (real decoded target-vocabulary text, streamed per
sentence, deterministic, cancellable, clear errors), not translation quality.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from tiny_models import TINY_MARIAN_PAIR, TINY_MULTILINGUAL_LANGUAGES

from voiceslm.config import LmConfig
from voiceslm.engines.mt import FAMILIES, MAX_SOURCE_PIECES, load_translator
from voiceslm.engines.mt_languages import NLLB_CODES
from voiceslm.engines.text_model import LanguageModel
from voiceslm.errors import ModelMissingError, UserError
from voiceslm.models import catalog
from voiceslm.text import split_sentences

SOURCE, TARGET = TINY_MARIAN_PAIR
ONE_SENTENCE = "Where is the nearest station?"
THREE_SENTENCES = "Good morning, how are you today? The train leaves at nine. Thank you very much for your help."


@pytest.fixture(scope="module", params=["nllb", "m2m100"])
def tiny_multilingual(request: pytest.FixtureRequest, tiny_multilingual_dir: Path):
    """The tiny M2M100-architecture model, loaded as each family that uses that architecture."""
    translator = load_translator(tiny_multilingual_dir, request.param, LmConfig(threads=1))
    yield translator
    translator.close()


def _batch_translation(model_dir: Path, spm_file: str, source_prefix: list[str], target_prefix: list[str]) -> str:
    """What CTranslate2's documented batch recipe gives for one sentence, greedy, decoded text pieces only."""
    import ctranslate2
    import sentencepiece

    tokenizer = sentencepiece.SentencePieceProcessor(model_file=str(model_dir / spm_file))
    source = [*source_prefix, *tokenizer.encode(ONE_SENTENCE, out_type=str), "</s>"]
    translator = ctranslate2.Translator(str(model_dir), device="cpu", compute_type="int8", intra_threads=1)
    try:
        result = translator.translate_batch(
            [source], target_prefix=[target_prefix] if target_prefix else None, beam_size=1, max_decoding_length=120
        )
    finally:
        del translator
    generated = result[0].hypotheses[0][len(target_prefix) :]
    text_pieces = [
        piece
        for piece in generated
        if tokenizer.piece_to_id(piece) != tokenizer.unk_id() and not tokenizer.is_control(tokenizer.piece_to_id(piece))
    ]
    return tokenizer.decode_pieces(text_pieces)


def _target_characters(model_dir: Path) -> set[str]:
    """Every character the model's target vocabulary can produce, plus the space between words."""
    import sentencepiece

    target = sentencepiece.SentencePieceProcessor(model_file=str(model_dir / "target.spm"))
    vocabulary = json.loads((model_dir / "shared_vocabulary.json").read_text(encoding="utf-8"))
    characters = {" "}
    for token in vocabulary:
        characters |= set(target.decode_pieces([token]))
    return characters


def test_translates_into_streamed_target_vocabulary_text(tiny_marian, tiny_marian_dir: Path) -> None:
    assert isinstance(tiny_marian, LanguageModel)
    pieces = list(tiny_marian.translate(ONE_SENTENCE, SOURCE, TARGET))

    assert len(pieces) > 1, "a sentence streams in several pieces"
    assert all(pieces), "no empty pieces"
    text = "".join(pieces)
    assert text.strip()
    assert set(text) <= _target_characters(tiny_marian_dir)
    assert not {"</s>", "<unk>", "<pad>", "\ufffd"} & {*pieces, *text}
    stats = tiny_marian.last_stats
    assert stats is not None and stats.raw_text == text and stats.generated_tokens >= len(pieces)


def test_marian_stream_matches_the_batch_translation(tiny_marian, tiny_marian_dir: Path) -> None:
    streamed = "".join(tiny_marian.translate(ONE_SENTENCE, SOURCE, TARGET))
    batch = _batch_translation(tiny_marian_dir, "source.spm", [], [])
    # The stream stops at its length cap; the batch reference runs longer.
    assert streamed and batch.startswith(streamed)


def test_multilingual_stream_matches_the_batch_translation(tiny_multilingual, tiny_multilingual_dir: Path) -> None:
    source, target = TINY_MULTILINGUAL_LANGUAGES
    if tiny_multilingual.family == "nllb":
        tokens = [NLLB_CODES[source]], [NLLB_CODES[target]]
    else:
        tokens = [f"__{source}__"], [f"__{target}__"]
    pieces = list(tiny_multilingual.translate(ONE_SENTENCE, source, target))
    streamed = "".join(pieces)
    batch = _batch_translation(tiny_multilingual_dir, "sentencepiece.bpe.model", *tokens)

    assert len(pieces) > 1
    assert streamed and batch.startswith(streamed)
    assert not any(token in streamed for token in (*tokens[0], *tokens[1], "</s>"))


@pytest.mark.parametrize("source", [None, "auto"])
def test_multilingual_model_needs_the_source_language(tiny_multilingual, source: str | None) -> None:
    with pytest.raises(UserError, match="needs to know the language it translates from; set translate.source"):
        tiny_multilingual.translate(ONE_SENTENCE, source, "es")


def test_a_language_the_multilingual_model_lacks_is_a_user_error(tiny_multilingual) -> None:
    with pytest.raises(UserError, match="does not know language 'fr'"):
        tiny_multilingual.translate(ONE_SENTENCE, "en", "fr")


def test_same_input_gives_the_same_translation(tiny_marian) -> None:
    first = list(tiny_marian.translate("Please speak more slowly.", SOURCE, TARGET))
    second = list(tiny_marian.translate("Please speak more slowly.", SOURCE, TARGET))
    assert first == second


def test_cancel_after_the_first_piece_stops_the_translation(tiny_marian) -> None:
    uncancelled = list(tiny_marian.translate(THREE_SENTENCES, SOURCE, TARGET))
    cancel = threading.Event()
    received = []
    for piece in tiny_marian.translate(THREE_SENTENCES, SOURCE, TARGET, cancel=cancel):
        received.append(piece)
        cancel.set()

    assert received == uncancelled[:1]
    assert tiny_marian.last_stats.stop_reason == "cancelled"


def test_long_input_is_translated_sentence_by_sentence(tiny_marian) -> None:
    sentences = split_sentences(THREE_SENTENCES)
    assert len(sentences) == 3
    each = ["".join(tiny_marian.translate(sentence, SOURCE, TARGET)) for sentence in sentences]

    stream = tiny_marian.translate(THREE_SENTENCES, SOURCE, TARGET)
    first = next(stream)
    # Only the first sentence has been read when its first piece arrives.
    stream.close()
    first_sentence_tokens = tiny_marian.last_stats.prompt_tokens

    whole = "".join(tiny_marian.translate(THREE_SENTENCES, SOURCE, TARGET))
    assert whole == " ".join(each)
    assert each[0].startswith(first)
    assert tiny_marian.last_stats.prompt_tokens > first_sentence_tokens


def test_a_sentence_too_long_for_the_model_is_cut_at_words(tiny_marian) -> None:
    run_on = " ".join(["the children play in the park after school and"] * 20)
    chunks = list(tiny_marian._chunks(run_on))

    assert len(chunks) > 1
    assert " ".join(chunks) == run_on
    assert all(len(tiny_marian._source_tokenizer.encode(chunk)) <= MAX_SOURCE_PIECES for chunk in chunks)


def test_text_already_in_the_target_language_comes_back_unchanged(tiny_marian) -> None:
    assert list(tiny_marian.translate("Hola,  amigos.", TARGET, TARGET)) == ["Hola, amigos."]


@pytest.mark.parametrize("text", ["", "   \n "])
def test_empty_text_is_a_user_error(tiny_marian, text: str) -> None:
    with pytest.raises(UserError, match="empty"):
        tiny_marian.translate(text, SOURCE, TARGET)


def test_a_direction_the_model_does_not_translate_is_a_user_error(tiny_marian) -> None:
    with pytest.raises(UserError, match=f"only {SOURCE} to {TARGET}.*opus-mt-{TARGET}-{SOURCE}"):
        tiny_marian.translate("Hola.", TARGET, SOURCE)


def test_answering_is_a_user_error_naming_the_assist_model(tiny_marian) -> None:
    with pytest.raises(UserError, match="cannot answer questions; set lm.assist_model to a language model"):
        tiny_marian.answer("What time is it?")


def test_an_incomplete_model_directory_names_the_install_command(tiny_marian_dir: Path, tmp_path: Path) -> None:
    broken = tmp_path / "opus-mt-en-es"
    broken.mkdir()
    for name in ("model.bin", "config.json", "shared_vocabulary.json", "source.spm"):
        (broken / name).symlink_to(tiny_marian_dir / name)
    with pytest.raises(ModelMissingError, match="target.spm.*voiceslm models install opus-mt-en-es"):
        load_translator(broken, "marian", LmConfig())


def test_catalog_lists_translation_models_of_every_family() -> None:
    translation_models = [entry for entry in catalog.CATALOG if entry.role == "mt"]
    # The CTranslate2 families of this backend, and Bergamot's own engine.
    assert {entry.family for entry in translation_models} == {*FAMILIES, "bergamot"}
    names = [entry.name for entry in translation_models]
    assert any(name.startswith("opus-mt-") for name in names)
    assert any(name.startswith("nllb-") for name in names)
    assert any(name.startswith("m2m100-") for name in names)


def test_installing_a_translation_model_offline_fails_with_one_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from voiceslm.models.install import install
    from voiceslm.models.store import ModelStore

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    entry = catalog.find("opus-mt-en-es")
    assert entry is not None
    with pytest.raises(UserError) as raised:
        install(ModelStore(tmp_path / "models"), entry)

    message = str(raised.value)
    assert "opus-mt-en-es needs internet" in message
    assert "install offline instead" in message
    assert "\n" not in message
    assert not (tmp_path / "models" / "opus-mt-en-es").exists()
