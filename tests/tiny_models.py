"""Builders of tiny real models, so tests run the real runtimes with no download.

Tiny translation models: a real sentencepiece tokenizer trained on the
sentences below, a real transformer with random weights (one layer each side,
d_model 32), converted to CTranslate2 int8 as a real checkpoint is. Their
translations are nonsense, but loading, tokenising, streaming, cancelling and
decoding all run for real. Each builds in a few seconds; model.bin is ~50 KB
(each sentencepiece file ~240 KB, most of it the NFKC normalisation table).

Building needs the convert extra (torch, transformers, sentencepiece); the
results load with ctranslate2 and sentencepiece alone.
"""

from __future__ import annotations

import json
import logging
import shutil
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

# A few dozen short sentences in the two languages of the pair, so every
# character the tests feed is in the sentencepiece model.
_CORPUS = (
    "Good morning, how are you today?",
    "The train leaves at nine o'clock.",
    "Where is the nearest station?",
    "I would like a cup of coffee, please.",
    "My sister lives in a small town by the sea.",
    "We are going to the market tomorrow.",
    "Can you help me find my keys?",
    "The weather is very nice this afternoon.",
    "Thank you very much for your help.",
    "It is raining and the streets are wet.",
    "He reads a book every evening before bed.",
    "Please speak more slowly.",
    "How much does this ticket cost?",
    "The children play in the park after school.",
    "Open the window, it is too warm in here.",
    "Buenos días, ¿cómo estás hoy?",
    "El tren sale a las nueve.",
    "¿Dónde está la estación más cercana?",
    "Quisiera una taza de café, por favor.",
    "Mi hermana vive en un pueblo pequeño junto al mar.",
    "Mañana vamos al mercado.",
    "¿Puedes ayudarme a encontrar mis llaves?",
    "Hace muy buen tiempo esta tarde.",
    "Muchas gracias por tu ayuda.",
    "Está lloviendo y las calles están mojadas.",
    "Él lee un libro cada noche antes de dormir.",
    "Por favor, habla más despacio.",
    "¿Cuánto cuesta este billete?",
    "Los niños juegan en el parque después de la escuela.",
    "Abre la ventana, hace demasiado calor aquí.",
    "Zero, one, two, three, four, five, six, seven, eight, nine, ten!",
    "Quick brown foxes jump over lazy dogs; vexing quiz, ja ja.",
)

TINY_MARIAN_PAIR = ("en", "es")
"""Source and target language the tiny Marian model claims, as opus-mt models do."""

TINY_MULTILINGUAL_LANGUAGES = ("en", "es")
"""Languages the tiny M2M100-architecture model has language tokens for."""

# The layer sizes of every tiny model.
_TINY_LAYERS = {
    "d_model": 32,
    "encoder_layers": 1,
    "decoder_layers": 1,
    "encoder_attention_heads": 2,
    "decoder_attention_heads": 2,
    "encoder_ffn_dim": 64,
    "decoder_ffn_dim": 64,
    "max_position_embeddings": 128,
}


def build_tiny_marian(out_dir: Path, work_dir: Path) -> Path:
    """Build a tiny opus-mt-style CTranslate2 model (source.spm, target.spm) in `out_dir`.

    `work_dir` is scratch. As in Marian's vocab.json, </s> is id 0, <unk> id 1,
    and <pad>, the last id, is also the decoder start token.
    """
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    spm_model = _train_sentencepiece(work_dir, eos_id=0, unk_id=1, bos_id=-1, pad_id=-1)
    vocab = _numbered(["</s>", "<unk>", *_pieces(spm_model), "<pad>"])
    vocab_file = work_dir / "vocab.json"
    vocab_file.write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    source, target = TINY_MARIAN_PAIR
    with warnings.catch_warnings():
        # The Marian tokenizer suggests Moses pre-processing, which only
        # matters for real training data.
        warnings.filterwarnings("ignore", message=".*sacremoses")
        tokenizer = MarianTokenizer(
            source_spm=str(spm_model),
            target_spm=str(spm_model),
            vocab=str(vocab_file),
            source_lang=source,
            target_lang=target,
        )
        config = MarianConfig(
            vocab_size=len(vocab),
            pad_token_id=vocab["<pad>"],
            decoder_start_token_id=vocab["<pad>"],
            eos_token_id=vocab["</s>"],
            forced_eos_token_id=vocab["</s>"],
            **_TINY_LAYERS,
        )
        _save_and_convert(lambda: MarianMTModel(config), tokenizer, work_dir, out_dir, ("source.spm", "target.spm"))
    return out_dir


def build_tiny_multilingual(out_dir: Path, work_dir: Path) -> Path:
    """Build a tiny M2M100-architecture CTranslate2 model (sentencepiece.bpe.model) in `out_dir`.

    NLLB-200 checkpoints are the same architecture with FLORES-200 language
    tokens, so the vocabulary holds both kinds (`__en__` and `eng_Latn`) and
    the one model stands in for either family.

    The language tokens are written into vocab.json rather than left for the
    tokenizer to add: with transformers 5 the M2M100 tokenizer no longer
    reports the ones it adds, and the converter would leave them out.
    """
    from transformers import M2M100Config, M2M100ForConditionalGeneration, M2M100Tokenizer

    from voiceslm.engines.mt_languages import NLLB_CODES

    spm_model = _train_sentencepiece(work_dir, bos_id=0, pad_id=1, eos_id=2, unk_id=3)
    language_tokens = [f"__{code}__" for code in TINY_MULTILINGUAL_LANGUAGES]
    language_tokens += [NLLB_CODES[code] for code in TINY_MULTILINGUAL_LANGUAGES]
    vocab = _numbered(["<s>", "<pad>", "</s>", "<unk>", *_pieces(spm_model), *language_tokens])
    vocab_file = work_dir / "vocab.json"
    vocab_file.write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    tokenizer = M2M100Tokenizer(vocab_file=str(vocab_file), spm_file=str(spm_model), num_madeup_words=0)
    config = M2M100Config(
        vocab_size=len(vocab),
        bos_token_id=vocab["<s>"],
        pad_token_id=vocab["<pad>"],
        eos_token_id=vocab["</s>"],
        decoder_start_token_id=vocab["</s>"],
        **_TINY_LAYERS,
    )
    _save_and_convert(
        lambda: M2M100ForConditionalGeneration(config), tokenizer, work_dir, out_dir, ("sentencepiece.bpe.model",)
    )
    return out_dir


def _train_sentencepiece(work_dir: Path, **special_ids: int) -> Path:
    """Train a unigram sentencepiece model on the corpus; `special_ids` as the model's vocab.json numbers them."""
    import sentencepiece

    work_dir.mkdir(parents=True, exist_ok=True)
    prefix = work_dir / "spm"
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(_CORPUS),
        model_prefix=str(prefix),
        vocab_size=64,  # the corpus has ~58 distinct characters, each needs a piece
        hard_vocab_limit=False,
        character_coverage=1.0,
        model_type="unigram",
        minloglevel=2,
        **special_ids,
    )
    return prefix.with_suffix(".model")


def _pieces(spm_model: Path) -> list[str]:
    import sentencepiece

    processor = sentencepiece.SentencePieceProcessor(model_file=str(spm_model))
    return [processor.id_to_piece(i) for i in range(processor.get_piece_size())]


def _numbered(tokens: list[str]) -> dict[str, int]:
    return {token: index for index, token in enumerate(dict.fromkeys(tokens))}


def _save_and_convert(
    make_model: Callable[[], Any], tokenizer: Any, work_dir: Path, out_dir: Path, spm_files: tuple[str, ...]
) -> None:
    """Build and save with random weights, convert to CTranslate2 int8, keep the tokenizer files run time reads."""
    import ctranslate2.converters
    import torch

    hf_dir = work_dir / "hf"
    torch.manual_seed(0)  # the same random weights every build
    make_model().save_pretrained(str(hf_dir))
    tokenizer.save_pretrained(str(hf_dir))
    copy_files = [name for name in (*spm_files, "tokenizer_config.json") if (hf_dir / name).is_file()]
    # The converter logs every skipped optional weight at WARNING.
    logging.getLogger("ctranslate2").setLevel(logging.ERROR)
    converter = ctranslate2.converters.TransformersConverter(str(hf_dir), copy_files=copy_files)
    converter.convert(str(out_dir), quantization="int8", force=True)
    shutil.rmtree(hf_dir, ignore_errors=True)
