"""Translation with dedicated sequence-to-sequence models on CTranslate2.

opus-mt (Marian), NLLB-200 and M2M100 translate better than a small language
model of the same size and cost less per word, but they only translate. They
plug in where a language model does (`lm.translate_model`), behind the same
`LanguageModel` interface, and answering a question with one is a clear error.

Input is split into sentences and translated one at a time, so the first
sentence is spoken while the next is still being translated; within a
sentence the text streams token by token.

How each family marks languages is `voiceslm.engines.mt_languages`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from voiceslm.engines.mt_languages import LanguageTokens, marian_pair, read_vocabulary
from voiceslm.engines.text_model import (
    GenerationStats,
    LanguageModel,
    StopReason,
    read_model_json,
    require_files,
    track_open,
    untrack,
)
from voiceslm.errors import ModelMissingError, UserError
from voiceslm.text import split_sentences

if TYPE_CHECKING:
    import ctranslate2
    import sentencepiece

    from voiceslm.config import LmConfig

log = logging.getLogger(__name__)

FAMILIES = ("marian", "nllb", "m2m100")
"""Catalog families served by this module rather than by a language model."""

ANSWER_REFUSAL = "a translation model and cannot answer questions; set lm.assist_model to a language model"

# Marian models were trained on sentences of at most a few hundred pieces and
# CTranslate2 truncates input past 1024 tokens: longer stretches with no full
# stop (a long transcript) are cut at word boundaries into chunks of this size.
MAX_SOURCE_PIECES = 200


class SeqToSeqTranslator(LanguageModel):
    """A CTranslate2 `Translator` with its sentencepiece tokenizers; thread-safe."""

    def __init__(
        self,
        translator: ctranslate2.Translator,
        source_tokenizer: sentencepiece.SentencePieceProcessor,
        target_tokenizer: sentencepiece.SentencePieceProcessor,
        *,
        family: str,
        name: str,
        config: LmConfig,
        source_vocabulary: frozenset[str],
        target_vocabulary: frozenset[str],
        special_tokens: frozenset[str],
        pair: tuple[str, str] | None = None,
    ) -> None:
        self._translator: ctranslate2.Translator | None = translator
        self._source_tokenizer = source_tokenizer
        self._target_tokenizer = target_tokenizer
        self.family = family
        self.name = name
        self._config = config
        self._special_tokens = special_tokens
        self.pair = pair
        """(source, target) of a one-direction Marian model when its tokenizer config records it."""
        self._languages = LanguageTokens(family, name, source_vocabulary, target_vocabulary, pair)
        # One translation at a time; close() waits for a running one.
        self._lock = threading.Lock()
        self.last_stats = None
        track_open(self)

    @classmethod
    def load(cls, model_dir: Path, family: str, config: LmConfig) -> SeqToSeqTranslator:
        """Load a converted model directory (model.bin, vocabulary, sentencepiece files)."""
        import ctranslate2
        import sentencepiece

        if family not in FAMILIES:
            raise UserError(
                f"Model family {family!r} is not a translation model family; use one of {', '.join(FAMILIES)}."
            )
        model_dir = Path(model_dir)
        name = model_dir.name
        if family == "marian":
            source_spm, target_spm = model_dir / "source.spm", model_dir / "target.spm"
        else:
            source_spm = target_spm = model_dir / "sentencepiece.bpe.model"
        require_files(model_dir, (model_dir / "model.bin", source_spm, target_spm), "Translation model")
        started = time.perf_counter()
        try:
            translator = ctranslate2.Translator(
                str(model_dir), device="cpu", compute_type="int8", intra_threads=config.threads
            )
            source_tokenizer = sentencepiece.SentencePieceProcessor(model_file=str(source_spm))
            target_tokenizer = sentencepiece.SentencePieceProcessor(model_file=str(target_spm))
        except (RuntimeError, OSError, ValueError) as exc:
            raise ModelMissingError(
                f"Translation model {name} in {model_dir} cannot be loaded ({str(exc).splitlines()[0]}); "
                f"reinstall it with `voiceslm models install {name}`."
            ) from exc
        model_config = read_model_json(model_dir / "config.json")
        special_tokens = frozenset(
            str(model_config[key]) for key in ("bos_token", "eos_token", "unk_token") if model_config.get(key)
        ) | {"<pad>", "<s>", "</s>", "<unk>"}
        model = cls(
            translator,
            source_tokenizer,
            target_tokenizer,
            family=family,
            name=name,
            config=config,
            source_vocabulary=read_vocabulary(model_dir, "source"),
            target_vocabulary=read_vocabulary(model_dir, "target"),
            special_tokens=special_tokens,
            pair=marian_pair(model_dir) if family == "marian" else None,
        )
        log.debug("loaded %s translation model %s in %.2f s", family, name, time.perf_counter() - started)
        return model

    # LanguageModel --------------------------------------------------------

    def translate(
        self, text: str, source: str | None, target: str, *, cancel: threading.Event | None = None
    ) -> Iterator[str]:
        """Translate `text` from `source` to `target`, streaming text pieces.

        Sentences are separated by a space. Text already in the target
        language comes back unchanged. Raises UserError (before the first
        piece) for empty text or a language the model does not handle.
        """
        if not text or not text.strip():
            raise UserError("Text to translate is empty; give some words to translate.")
        source = (source or "").strip()
        target = (target or "").strip()
        if source == target:
            return iter([" ".join(text.split())])
        source_prefix, target_prefix = self._languages.prefixes(source, target)
        return self._stream(text, source_prefix, target_prefix, cancel)

    def answer(
        self,
        question: str,
        history: Sequence[tuple[str, str]] = (),
        *,
        cancel: threading.Event | None = None,
    ) -> Iterator[str]:
        raise UserError(f"Model {self.name} is {ANSWER_REFUSAL}.")

    def close(self) -> None:
        """Free the model (waits for a running translation to finish)."""
        with self._lock:
            self._translator = None
        untrack(self)

    # Internals ------------------------------------------------------------

    def _stream(
        self, text: str, source_prefix: list[str], target_prefix: list[str], cancel: threading.Event | None
    ) -> Iterator[str]:
        run = _Run(started=time.perf_counter())
        try:
            for chunk in self._chunks(text):
                if cancel is not None and cancel.is_set():
                    run.reason = "cancelled"
                    return
                separator = " " if run.text else ""
                for piece in self._translate_chunk(chunk, source_prefix, target_prefix, cancel, run):
                    yield separator + piece
                    separator = ""
                if run.reason == "cancelled":
                    return
        finally:
            self.last_stats = run.stats()
            log.debug(
                "%s: %d source tokens, first piece %s, %d tokens, %.2f s in all, stopped: %s",
                self.name, self.last_stats.prompt_tokens,
                "-" if run.first_at is None else f"{(run.first_at - run.started) * 1000:.0f} ms",
                self.last_stats.generated_tokens, self.last_stats.total_s, self.last_stats.stop_reason,
            )  # fmt: skip

    def _chunks(self, text: str) -> Iterator[str]:
        """Sentences, with any sentence too long for the model cut at word boundaries."""
        for sentence in split_sentences(text):
            if len(self._source_tokenizer.encode(sentence)) <= MAX_SOURCE_PIECES:
                yield sentence
                continue
            words: list[str] = []
            for word in sentence.split():
                if words and len(self._source_tokenizer.encode(" ".join([*words, word]))) > MAX_SOURCE_PIECES:
                    yield " ".join(words)
                    words = []
                words.append(word)
            if words:
                yield " ".join(words)

    def _translate_chunk(
        self,
        chunk: str,
        source_prefix: list[str],
        target_prefix: list[str],
        cancel: threading.Event | None,
        run: _Run,
    ) -> Iterator[str]:
        pieces = self._source_tokenizer.encode(chunk, out_type=str)
        source_tokens = [*source_prefix, *pieces, "</s>"]
        run.prompt_tokens += len(source_tokens)
        # Room for a translation somewhat longer than its source, capped by lm.max_tokens.
        max_length = len(target_prefix) + min(self._config.max_tokens, 2 * len(pieces) + 16)
        output: list[str] = []
        emitted = ""
        with self._lock:
            if self._translator is None:
                raise RuntimeError(f"translation model {self.name} has been closed")
            steps = self._translator.generate_tokens(
                source_tokens,
                target_prefix=target_prefix or None,
                max_decoding_length=max_length,
                max_input_length=0,
            )
            # Until the loop ends on its own, an early exit means the reader closed us.
            run.reason = "closed"
            try:
                for step in steps:
                    if cancel is not None and cancel.is_set():
                        run.reason = "cancelled"
                        return
                    if step.is_last:
                        run.reason = "end" if step.token in self._special_tokens else "max_tokens"
                    # The target prefix is reported as steps too; control and
                    # language tokens are not text.
                    if (
                        step.step < len(target_prefix)
                        or step.token in self._special_tokens
                        or self._languages.pattern.match(step.token)
                    ):
                        continue
                    output.append(step.token)
                    run.generated_tokens += 1
                    decoded = self._target_tokenizer.decode_pieces(output)
                    # A character spread over byte pieces decodes to U+FFFD until
                    # its last byte arrives: hold it back until then.
                    if decoded.endswith("\ufffd") or not decoded.startswith(emitted):
                        continue
                    new, emitted = decoded[len(emitted) :], decoded
                    if new:
                        if run.first_at is None:
                            run.first_at = time.perf_counter()
                        run.text += new
                        yield new
            finally:
                if run.reason == "closed" and cancel is not None and cancel.is_set():
                    run.reason = "cancelled"
                # Closing the step stream tells CTranslate2 to stop after the
                # current step and waits for it, so the model is idle when the
                # lock is released.
                steps.close()


@dataclass
class _Run:
    """What one `translate` call has done so far, for `last_stats`."""

    started: float
    first_at: float | None = None
    prompt_tokens: int = 0
    generated_tokens: int = 0
    reason: StopReason = "end"
    text: str = ""

    def stats(self) -> GenerationStats:
        return GenerationStats.measure(
            self.started,
            self.first_at,
            time.perf_counter(),
            self.prompt_tokens,
            self.generated_tokens,
            self.reason,
            self.text,
        )


def load_translator(model_dir: Path, family: str, config: LmConfig) -> SeqToSeqTranslator:
    """Load a dedicated translation model of a catalog family ("marian", "nllb", "m2m100")."""
    return SeqToSeqTranslator.load(model_dir, family, config)
