"""The language model stage: translate or answer, streamed token by token.

`CT2LanguageModel` runs a CTranslate2 Generator directory (converted from the
model's original weights, with its tokenizer.json and chat template beside
it). Tokenising uses the `tokenizers` package and the chat template is rendered
with jinja2, so transformers (and torch) are never imported at run time.

Generation is synchronous and yields cleaned text pieces as they are decoded;
the async pipeline runs it in a worker thread and stops it through a
`threading.Event`.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voiceslm.config import LmConfig
from voiceslm.engines import mt, prompts
from voiceslm.engines.chat_template import ChatTemplate, special_tokens
from voiceslm.engines.cleaning import StreamCleaner
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

logger = logging.getLogger(__name__)

_TRANSLATION_TOKENS_PER_SOURCE_TOKEN = 3

def load_language_model(model_dir: str | Path, family: str, config: LmConfig) -> LanguageModel:
    """Load an installed CTranslate2 language model (slow: call it off the event loop).

    Dedicated translation models (Marian, NLLB, M2M100) load as a sequence-to-
    sequence translator behind the same interface.
    """
    if family in mt.FAMILIES:
        return mt.load_translator(Path(model_dir), family, config)
    return CT2LanguageModel(Path(model_dir), prompts.family(family), config)


class CT2LanguageModel(LanguageModel):
    """A CTranslate2 Generator with its tokenizer and chat template; one generation at a time."""

    def __init__(self, model_dir: Path, family: prompts.Family, config: LmConfig) -> None:
        require_files(model_dir, (model_dir / "model.bin", model_dir / "tokenizer.json"), "Language model")
        import ctranslate2
        from tokenizers import Tokenizer

        self.model_dir = model_dir
        self.family = family
        self._config = config
        try:
            self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
            self._template = ChatTemplate.from_model_dir(model_dir) if family.chat else None
        except Exception as exc:  # tokenizers raises a bare Exception on a malformed file
            raise ModelMissingError(
                f"The tokenizer or chat template in {model_dir} cannot be read ({str(exc).splitlines()[0]}); "
                f"reinstall it with `voiceslm models install {model_dir.name}`."
            ) from exc
        if family.chat and self._template is None:
            raise UserError(
                f"The language model in {model_dir} has no chat template, so it cannot be used as family "
                f"{family.name!r}; pick a base-model family for it in the model catalog."
            )
        model_config = read_model_json(model_dir / "config.json")
        tokenizer_config = read_model_json(model_dir / "tokenizer_config.json")
        eos = model_config.get("eos_token") or special_tokens(tokenizer_config, {}).get("eos_token")
        end_tokens = [
            t for t in dict.fromkeys((eos, *family.end_tokens)) if t and self._tokenizer.token_to_id(t) is not None
        ]
        self._end_tokens = end_tokens
        self._end_ids = {self._tokenizer.token_to_id(t) for t in end_tokens}
        started = time.perf_counter()
        try:
            self._generator: Any = ctranslate2.Generator(
                str(model_dir),
                device="cpu",
                compute_type="int8",
                inter_threads=1,
                intra_threads=config.threads,
            )
        except (RuntimeError, ValueError) as exc:
            raise ModelMissingError(
                f"The language model in {model_dir} cannot be loaded ({exc}); "
                f"reinstall it with `voiceslm models install {model_dir.name}`."
            ) from exc
        logger.debug("loaded %s (%s) in %.2f s", model_dir.name, family.name, time.perf_counter() - started)
        self._lock = threading.Lock()
        self.last_stats = None
        track_open(self)

    # ------------------------------------------------------------ public API

    def translate(
        self, text: str, source: str | None, target: str, *, cancel: threading.Event | None = None
    ) -> Iterator[str]:
        source = None if source in (None, "", "auto") else source
        if source is not None:
            prompts.language_name(source)
        prompts.language_name(target)
        text = text.strip()
        if not text:
            return iter(())
        if source == target:
            return iter((text,))
        # A small model can fall into a loop ("No, no, no, ..."); a translation
        # rarely needs three times as many tokens as its source, so cap it there.
        source_tokens = len(self._tokenizer.encode(text, add_special_tokens=False).ids)
        max_tokens = min(self._config.max_tokens, _TRANSLATION_TOKENS_PER_SOURCE_TOKEN * source_tokens + 16)
        if self._template is not None:
            prompt = self._template.render(prompts.translation_messages(text, source, target))
            request = _Request(prompt, add_special_tokens=False, stop=(), max_tokens=max_tokens, dynamic=text)
        else:
            prompt = prompts.translation_completion(text, source, target)
            one_line = " ".join(text.split())
            request = _Request(prompt, add_special_tokens=True, stop=("\n",), max_tokens=max_tokens, dynamic=one_line)
        return self._stream_cleaned(request, StreamCleaner.for_translation(text), cancel)

    def answer(
        self,
        question: str,
        history: Sequence[tuple[str, str]] = (),
        *,
        cancel: threading.Event | None = None,
    ) -> Iterator[str]:
        question = question.strip()
        if not question:
            return iter(())
        config = self._config
        recent = list(history)[-config.history_turns :] if config.history_turns > 0 else []
        first_asked = recent[0][0].strip() if recent else question
        if self._template is not None:
            messages = prompts.answer_messages(question, recent, config.system_prompt, config.history_turns)
            prompt = self._template.render(messages)
            request = _Request(prompt, add_special_tokens=False, stop=(), max_tokens=config.max_tokens)
        else:
            prompt = prompts.answer_completion(question, recent, config.system_prompt, config.history_turns)
            request = _Request(prompt, add_special_tokens=True, stop=("\n",), max_tokens=config.max_tokens)
        request = dataclasses.replace(request, dynamic=" ".join(first_asked.split()))
        return self._stream_cleaned(request, StreamCleaner.for_answer(), cancel)

    def generate(
        self,
        prompt: str,
        *,
        add_special_tokens: bool,
        stop: Sequence[str] = (),
        cancel: threading.Event | None = None,
    ) -> Iterator[str]:
        """Stream raw decoded text for a prompt already in the model's format.

        `add_special_tokens` adds the tokenizer's own prefix (such as <bos>): True
        for plain completion text, False for a rendered chat template, which
        carries its own. Generation ends at an end token, at `stop` (not
        included), at `max_tokens`, or when `cancel` is set.
        """
        request = _Request(prompt, add_special_tokens, tuple(stop), self._config.max_tokens)
        return self._generate(request, cancel)

    def render_chat(self, messages: Sequence[Mapping[str, str]]) -> str:
        """The prompt text for chat messages, ending with the assistant's turn."""
        if self._template is None:
            raise UserError(f"The language model in {self.model_dir} has no chat template.")
        return self._template.render(messages)

    def close(self) -> None:
        """Free the generator (waits for a running generation to finish)."""
        with self._lock:
            if self._generator is not None:
                generator, self._generator = self._generator, None
                del generator
                logger.debug("closed %s", self.model_dir.name)
        untrack(self)

    # ------------------------------------------------------------ internals

    def _stream_cleaned(
        self, request: _Request, cleaner: StreamCleaner, cancel: threading.Event | None
    ) -> Iterator[str]:
        raw = self._generate(request, cancel)
        try:
            for piece in raw:
                if cancel is not None and cancel.is_set():
                    return
                cleaned = cleaner.feed(piece)
                if cleaned:
                    yield cleaned
                if cleaner.done:
                    break
        finally:
            raw.close()
        if cancel is not None and cancel.is_set():
            return
        rest = cleaner.finish()
        if rest:
            yield rest

    def _tokens(self, request: _Request) -> tuple[list[str], list[str]]:
        """(static prefix, the rest) of the prompt's tokens.

        The lines before the first text that changes between calls (few-shot
        examples, instructions, the system prompt) are passed as CTranslate2's
        static prompt, whose processed state it caches: the next call starts
        decoding sooner. The split is used only when it tokenises exactly as the
        whole prompt does.
        """
        prompt, special = request.prompt, request.add_special_tokens
        tokens = self._tokenizer.encode(prompt, add_special_tokens=special).tokens
        at = prompt.find(request.dynamic) if request.dynamic else -1
        cut = prompt.rfind("\n", 0, at) + 1 if at > 0 else 0
        if cut > 0:
            static = self._tokenizer.encode(prompt[:cut], add_special_tokens=special).tokens
            if 0 < len(static) < len(tokens) and tokens[: len(static)] == static:
                return static, tokens[len(static) :]
        return [], tokens

    def _generate(self, request: _Request, cancel: threading.Event | None) -> Generator[str, None, None]:
        stop = request.stop
        with self._lock:
            if self._generator is None:
                raise RuntimeError("the language model has been closed")
            started = time.perf_counter()
            static, tokens = self._tokens(request)
            steps = self._generator.generate_tokens(
                tokens,
                static_prompt=static or None,
                max_length=request.max_tokens,
                end_token=self._end_tokens,
                repetition_penalty=self._config.repetition_penalty,
                # Lets the decoding loop itself stop on cancel, even between reads.
                callback=lambda _step: cancel is not None and cancel.is_set(),
                **self._sampling(),
            )
            ids: list[int] = []
            text = ""
            released = 0
            first_at: float | None = None
            last_at = started
            # Until the loop ends on its own, an early exit means the reader closed us.
            reason: StopReason = "closed"
            try:
                for step in steps:
                    last_at = time.perf_counter()
                    if first_at is None:
                        first_at = last_at
                    if cancel is not None and cancel.is_set():
                        reason = "cancelled"
                        break
                    if step.token_id in self._end_ids:
                        reason = "end"
                        break
                    ids.append(step.token_id)
                    decoded = self._tokenizer.decode(ids, skip_special_tokens=True)
                    # An incomplete UTF-8 sequence decodes to U+FFFD: wait for the
                    # token that completes it. Bytes that never form a character
                    # are dropped rather than spoken as a replacement character.
                    if decoded.endswith("\ufffd"):
                        continue
                    text = decoded.replace("\ufffd", "")
                    cut = _find_stop(text, stop, released)
                    if cut is not None:
                        text = text[:cut]
                        reason = "stop_string"
                    end = len(text) if cut is not None else len(text) - _partial_stop(text, stop)
                    if end > released:
                        piece, released = text[released:end], end
                        yield piece
                    if cut is not None:
                        break
                else:
                    reason = "max_tokens"
                if reason in ("end", "max_tokens"):
                    # What is left: a held-back partial stop string, or a last
                    # token that never completed its character.
                    text = self._tokenizer.decode(ids, skip_special_tokens=True).replace("\ufffd", "")
                    cut = _find_stop(text, stop, released)
                    if cut is not None:
                        text, reason = text[:cut], "stop_string"
                    if len(text) > released:
                        piece, released = text[released:], len(text)
                        yield piece
            finally:
                if reason == "closed" and cancel is not None and cancel.is_set():
                    reason = "cancelled"
                # Closing the stream tells CTranslate2 to stop and waits for its
                # decoding thread, so the generator is idle when the lock is released.
                steps.close()
                self._record(started, first_at, last_at, len(static) + len(tokens), len(ids), reason, text)

    def _record(
        self,
        started: float,
        first_at: float | None,
        last_at: float,
        prompt_tokens: int,
        generated: int,
        reason: StopReason,
        text: str,
    ) -> None:
        stats = GenerationStats.measure(started, first_at, last_at, prompt_tokens, generated, reason, text)
        self.last_stats = stats
        logger.debug(
            "%s: %d prompt tokens, first token %s, %d tokens at %s, %.2f s in all, stopped: %s",
            self.model_dir.name,
            prompt_tokens,
            "-" if stats.first_token_s is None else f"{stats.first_token_s * 1000:.0f} ms",
            generated,
            "-" if stats.tokens_per_s is None else f"{stats.tokens_per_s:.1f} tok/s",
            stats.total_s,
            reason,
        )

    def _sampling(self) -> dict[str, Any]:
        if self._config.temperature <= 0:
            return {"sampling_topk": 1}
        return {"sampling_topk": 50, "sampling_topp": 0.95, "sampling_temperature": self._config.temperature}


@dataclass(frozen=True)
class _Request:
    prompt: str
    add_special_tokens: bool
    stop: tuple[str, ...]
    max_tokens: int
    dynamic: str = ""
    """The first text in `prompt` that changes from call to call; the lines before it are cached."""


def _find_stop(text: str, stop: tuple[str, ...], released: int) -> int | None:
    """Where the first stop string starts in the not yet released part of `text`."""
    found = [i for s in stop if (i := text.find(s, max(0, released - len(s) + 1))) >= 0]
    return min(found) if found else None


def _partial_stop(text: str, stop: tuple[str, ...]) -> int:
    """Length of the end of `text` that could be the start of a stop string."""
    longest = 0
    for s in stop:
        for size in range(min(len(s) - 1, len(text)), longest, -1):
            if text.endswith(s[:size]):
                longest = size
                break
    return longest
