"""Rule-based translation with Apertium (GPL), for the pairs Debian packages.

Apertium translates a close language pair (Spanish-Portuguese, Spanish-Catalan)
well and in milliseconds, and English-Spanish literally but passably. The
`apertium` command starts a pipeline of about a dozen programs for every call,
which costs more than the translation itself; instead each direction keeps one
pipeline running in null-flush mode (`-z`: every program flushes its output
when it reads a NUL byte), fed one sentence at a time. Measured here, a
sentence takes about 1-5 ms this way and about 150 ms through a new `apertium`
process.

The pipeline is the pair's own mode file, rewritten for null-flush by
`apertium-wblank-mode -z`; the text is escaped as `apertium-destxt` would, and
ends in a superblank because lt-proc's bilingual step waits for one character
past each word before it flushes.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from voiceslm.engines.text_model import GenerationStats, LanguageModel, StopReason
from voiceslm.errors import ModelMissingError, UserError
from voiceslm.text import split_sentences

log = logging.getLogger(__name__)

LICENSE = "GPL-2.0-or-later (engine), GPL-2.0/3.0 (language pairs)"

MODES_DIR = Path("/usr/share/apertium/modes")

# Three-letter codes in newer pair names; the older pairs use two-letter codes.
_ISO3 = {"eng": "en", "spa": "es", "por": "pt", "fra": "fr", "ita": "it", "cat": "ca", "glg": "gl",
         "ron": "ro", "deu": "de", "oci": "oc", "arg": "an", "ast": "ast"}  # fmt: skip

# The variant of a mode that matches the rest of voiceslm: Brazilian Portuguese,
# like the Bergamot models and the Portuguese voices.
_PREFERRED_VARIANT = {"pt": "BR"}

# Debian packages per pair, for the one sentence that names the fix.
DEBIAN_PACKAGES = {
    frozenset({"en", "es"}): "apertium-eng-spa",
    frozenset({"es", "pt"}): "apertium-es-pt",
    frozenset({"es", "fr"}): "apertium-fr-es",
    frozenset({"es", "it"}): "apertium-spa-ita",
    frozenset({"es", "ca"}): "apertium-spa-cat",
    frozenset({"es", "gl"}): "apertium-es-gl",
    frozenset({"en", "ca"}): "apertium-eng-cat",
    frozenset({"pt", "ca"}): "apertium-por-cat",
}

_ESCAPE = re.compile(r"([\\^$@/<>\[\]{}])")
_SUPERBLANK = re.compile(r"(?<!\\)\[[^\]]*(?<!\\)\]")
_UNESCAPE = re.compile(r"\\(.)")


def install_hint(source: str, target: str) -> str:
    package = DEBIAN_PACKAGES.get(frozenset({source, target}), f"apertium-{source}-{target}")
    return f"sudo apt-get install apertium {package}"


def no_pair_error(source: str, target: str) -> ModelMissingError:
    if frozenset({source, target}) not in DEBIAN_PACKAGES:
        return ModelMissingError(
            f"Apertium has no {source}-{target} pair that voiceslm knows of; set translate.engines.{source}-{target} "
            "to auto or lm."
        )
    return ModelMissingError(f"Apertium has no {source}-{target} pair installed; run: {install_hint(source, target)}")


def available_modes(modes_dir: Path = MODES_DIR) -> dict[tuple[str, str], Path]:
    """(source, target) -> mode file of every installed pair (empty without the apertium command)."""
    if shutil.which("lt-proc") is None or shutil.which("apertium-wblank-mode") is None:
        return {}
    found: dict[tuple[str, str], tuple[int, Path]] = {}
    for path in sorted(modes_dir.glob("*.mode")) if modes_dir.is_dir() else []:
        parts = path.stem.split("-")
        if len(parts) != 2:  # debugging modes such as eco-es-fr, es-pt-morph
            continue
        codes = []
        for part in parts:
            language, _, variant = part.partition("_")
            codes.append((_ISO3.get(language, language), variant))
        (source, _), (target, variant) = codes
        if missing := missing_programs(path):
            # The pipeline would run and print nothing at all (ita-spa needs cg-proc, from vislcg3).
            log.debug("apertium %s needs %s, which is not installed: left out", path.stem, ", ".join(missing))
            continue
        rank = 2 if variant == _PREFERRED_VARIANT.get(target) else (1 if not variant else 0)
        if rank and rank >= found.get((source, target), (0, path))[0]:
            found[(source, target)] = (rank, path)
    return {pair: path for pair, (_, path) in found.items()}


def missing_programs(mode: Path) -> list[str]:
    """The programs a mode file's pipeline runs that are not on PATH."""
    try:
        script = mode.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    programs = {stage.split()[0] for stage in script.split("|") if stage.split()}
    return sorted(program for program in programs if shutil.which(program) is None)


@dataclass
class _Pipeline:
    process: subprocess.Popen
    lock: threading.Lock


class ApertiumTranslator(LanguageModel):
    """Every installed Apertium direction, each one persistent pipeline started on first use."""

    name = "apertium"

    def __init__(self, modes: dict[tuple[str, str], Path] | None = None) -> None:
        self.modes = available_modes() if modes is None else modes
        self._pipelines: dict[tuple[str, str], _Pipeline] = {}
        self._lock = threading.Lock()
        self.last_stats = None

    def supports(self, source: str, target: str) -> bool:
        return (source, target) in self.modes

    def translate(
        self, text: str, source: str | None, target: str, *, cancel: threading.Event | None = None
    ) -> Iterator[str]:
        if not text or not text.strip():
            raise UserError("Text to translate is empty; give some words to translate.")
        source = (source or "").strip()
        if source in ("", "auto"):
            raise UserError("Apertium needs to know the language it translates from; set translate.source (or --from).")
        if source == target:
            return iter([" ".join(text.split())])
        if not self.supports(source, target):
            raise no_pair_error(source, target)
        pipeline = self._pipeline(source, target)
        return self._stream(pipeline, split_sentences(text), cancel)

    def answer(
        self, question: str, history: Sequence[tuple[str, str]] = (), *, cancel: threading.Event | None = None
    ) -> Iterator[str]:
        raise UserError("Apertium only translates; set lm.assist_model to a language model to answer questions.")

    def warm(self, source: str, target: str) -> None:
        """Start a direction's pipeline now, so the first sentence does not wait for it."""
        self._pipeline(source, target)

    def close(self) -> None:
        with self._lock:
            pipelines, self._pipelines = self._pipelines, {}
        for pipeline in pipelines.values():
            with pipeline.lock:
                _stop(pipeline.process)

    # Internals ------------------------------------------------------------

    def _pipeline(self, source: str, target: str) -> _Pipeline:
        with self._lock:
            pipeline = self._pipelines.get((source, target))
            if pipeline is not None and pipeline.process.poll() is None:
                return pipeline
            mode = self.modes[(source, target)]
            try:
                script = subprocess.run(
                    ["apertium-wblank-mode", "-z", str(mode)], capture_output=True, text=True, check=True
                ).stdout
                # $1: generation without unknown-word marks; $2: no tagger option.
                process = subprocess.Popen(
                    ["bash", "-c", script, "apertium", "-n", ""],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                )
            except (OSError, subprocess.CalledProcessError) as exc:
                raise ModelMissingError(
                    f"Apertium {source}-{target} cannot start ({exc}); reinstall it: {install_hint(source, target)}"
                ) from exc
            pipeline = _Pipeline(process, threading.Lock())
            self._pipelines[(source, target)] = pipeline
            log.debug("started apertium %s (%s)", mode.stem, process.pid)
            return pipeline

    def _stream(self, pipeline: _Pipeline, sentences: list[str], cancel: threading.Event | None) -> Iterator[str]:
        started = time.perf_counter()
        done: list[str] = []
        reason: StopReason = "end"
        for sentence in sentences:
            if cancel is not None and cancel.is_set():
                reason = "cancelled"
                break
            translated = self._one(pipeline, sentence)
            if translated:
                yield (" " if done else "") + translated
                done.append(translated)
        self.last_stats = GenerationStats(
            prompt_tokens=0, generated_tokens=0, first_token_s=None, total_s=time.perf_counter() - started,
            tokens_per_s=None, stop_reason=reason, raw_text=" ".join(done),
        )  # fmt: skip

    def _one(self, pipeline: _Pipeline, sentence: str) -> str:
        # "~" is the wordbound-blank marker in Apertium's stream format.
        escaped = _ESCAPE.sub(r"\\\1", " ".join(sentence.replace("~", " ").split()))
        with pipeline.lock:
            process = pipeline.process
            assert process.stdin is not None and process.stdout is not None, "opened with pipes"
            try:
                process.stdin.write(escaped.encode("utf-8") + b"[\n]\0")
                process.stdin.flush()
                output = bytearray()
                while not output.endswith(b"\0"):
                    block = os.read(process.stdout.fileno(), 1 << 16)
                    if not block:
                        raise BrokenPipeError("the pipeline ended")
                    output += block
            except OSError as exc:
                _stop(process)
                raise UserError(
                    f"Apertium stopped while translating ({exc}); try again, or check `apertium -l` lists the pair."
                ) from exc
        text = _SUPERBLANK.sub(" ", output[:-1].decode("utf-8", errors="replace"))
        return " ".join(_UNESCAPE.sub(r"\1", text).split())


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None and process.stdin is not None:
        process.stdin.close()
        try:
            process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
