"""Builders of tiny real models, so tests run the real runtimes with no download.

A tiny Marian translation model: a real sentencepiece tokenizer trained on the
sentences below, a real transformer with random weights (one layer each side,
d_model 32), converted to CTranslate2 int8 exactly as an opus-mt checkpoint is.
Its translations are nonsense, but loading, tokenising, streaming, cancelling
and decoding all run for real. Building it takes a few seconds; model.bin is
~46 KB (each sentencepiece file ~240 KB, most of it the NFKC normalisation table).
"""

from __future__ import annotations

import json
import logging
import shutil
import warnings
from pathlib import Path

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

# Marian's conventions: </s> is id 0 (eos), <unk> id 1, <pad> the last id and
# also the decoder start token.
_EOS, _UNK, _PAD = "</s>", "<unk>", "<pad>"


def build_tiny_marian(out_dir: Path, work_dir: Path) -> Path:
    """Build a tiny opus-mt-style CTranslate2 model in `out_dir`; `work_dir` is scratch.

    Needs the convert extra (torch, transformers, sentencepiece) at build time
    only; the result loads with ctranslate2 and sentencepiece alone.
    """
    with warnings.catch_warnings():
        # Every load of the Marian tokenizer suggests Moses pre-processing,
        # which only matters for real training data.
        warnings.filterwarnings("ignore", message=".*sacremoses")
        _build_tiny_marian(out_dir, work_dir)
    return out_dir


def _build_tiny_marian(out_dir: Path, work_dir: Path) -> None:
    import ctranslate2.converters
    import sentencepiece
    import torch
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    work_dir.mkdir(parents=True, exist_ok=True)
    spm_prefix = work_dir / "spm"
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(_CORPUS),
        model_prefix=str(spm_prefix),
        vocab_size=64,  # the corpus has ~58 distinct characters, each needs a piece
        hard_vocab_limit=False,
        character_coverage=1.0,
        model_type="unigram",
        # Same ids as Marian's vocab.json, so pieces and ids agree everywhere.
        eos_id=0,
        unk_id=1,
        bos_id=-1,
        pad_id=-1,
        minloglevel=2,
    )
    processor = sentencepiece.SentencePieceProcessor(model_file=f"{spm_prefix}.model")
    pieces = [processor.id_to_piece(i) for i in range(processor.get_piece_size())]
    vocab = {_EOS: 0, _UNK: 1}
    for piece in pieces:
        vocab.setdefault(piece, len(vocab))
    vocab[_PAD] = len(vocab)
    vocab_file = work_dir / "vocab.json"
    vocab_file.write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")

    hf_dir = work_dir / "hf"
    source, target = TINY_MARIAN_PAIR
    tokenizer = MarianTokenizer(
        source_spm=f"{spm_prefix}.model",
        target_spm=f"{spm_prefix}.model",
        vocab=str(vocab_file),
        source_lang=source,
        target_lang=target,
    )
    pad_id = vocab[_PAD]
    config = MarianConfig(
        vocab_size=len(vocab),
        d_model=32,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        max_position_embeddings=128,
        pad_token_id=pad_id,
        decoder_start_token_id=pad_id,
        eos_token_id=vocab[_EOS],
        forced_eos_token_id=vocab[_EOS],
    )
    torch.manual_seed(0)
    MarianMTModel(config).save_pretrained(str(hf_dir))
    tokenizer.save_pretrained(str(hf_dir))

    copy_files = [name for name in ("source.spm", "target.spm", "tokenizer_config.json") if (hf_dir / name).is_file()]
    # The converter logs every skipped optional weight at WARNING.
    logging.getLogger("ctranslate2").setLevel(logging.ERROR)
    converter = ctranslate2.converters.TransformersConverter(str(hf_dir), copy_files=copy_files)
    converter.convert(str(out_dir), quantization="int8", force=True)
    shutil.rmtree(hf_dir, ignore_errors=True)
