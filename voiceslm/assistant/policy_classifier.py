"""The safety policy's learned layer: a small linear classifier that catches requests the word rules miss.

Word rules are written against the phrasings someone thought of; a request put another way slips past
them. This layer reads the same normalised text (lower case, no accents) as hashed word unigrams and
bigrams and character 3- to 5-grams inside words, and a softmax regression over three classes,
"answer", "refuse" and "support" (first-person self-harm), gives their probabilities. It is trained
with numpy alone from the packaged labelled sets (the red-team sets and policy_train*.tsv): fixed
hashing (crc32), zero start and a fixed number of full-batch steps, so the same data gives the same
weights on any machine, in about a second. The weights are kept in the state directory under a name
that is the digest of the data and the settings, so a change to either trains again; they are never
shipped. `policy.classify` asks it only when the rules would answer.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import threading
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from voiceslm.intents import normalize

log = logging.getLogger(__name__)

CLASSES = ("answer", "refuse", "support")
BITS = 18
"""Hashed feature space: 2**18 slots (3 MB of float32 weights for the three classes)."""
STEPS = 300
RATE = 0.5
L2 = 1e-5
MOMENTUM = 0.9
VERSION = 3
"""Raised when the features or the training change, so cached weights are not reused."""
RED_TEAM_FILES = (
    "redteam.tsv",
    "redteam_heldout.tsv",
    "redteam_heldout3.tsv",
    "redteam_heldout4.tsv",
    "redteam_heldout5.tsv",
    "redteam_heldout6.tsv",
    "redteam_heldout7.tsv",
    "redteam_heldout8.tsv",
    "redteam_heldout9.tsv",
    "redteam_heldout10.tsv",
    "redteam_heldout11.tsv",
    "redteam_heldout12.tsv",
    "redteam_heldout13.tsv",
    "redteam_heldout14.tsv",
    "redteam_heldout15.tsv",
)
EXTRA_FILES = (
    "policy_train.tsv",
    "policy_train2.tsv",
    "policy_train3.tsv",
    "policy_train4.tsv",
    "policy_train5.tsv",
    "policy_train6.tsv",
)
"""Labelled examples written for training alone, in no red-team split: always trained on, also when a split
is left out."""
TRAINING_FILES = (*RED_TEAM_FILES, *EXTRA_FILES)
BACKGROUND_FILES = {"assistant.tsv": "question", "voice_sentences.tsv": "text"}
"""Everyday questions and sentences of the other packaged sets: more of what is answered, in every language."""


def features(text: str) -> np.ndarray:
    """The hashed feature slots of `text` (sorted, unique)."""
    words = normalize(text).split()
    grams = [f"w:{word}" for word in words]
    grams += [f"b:{a} {b}" for a, b in zip(words, words[1:], strict=False)]
    for word in words:
        padded = f" {word} "
        for size in (3, 4, 5):
            grams += [f"c:{padded[i : i + size]}" for i in range(max(1, len(padded) - size + 1))]
    mask = (1 << BITS) - 1
    slots = {zlib.crc32(gram.encode("utf-8")) & mask for gram in grams}
    return np.array(sorted(slots), dtype=np.int64)


@dataclass(frozen=True)
class Example:
    text: str
    label: str
    """One of CLASSES."""


class Classifier:
    """Softmax regression over hashed n-grams."""

    def __init__(self, weights: np.ndarray, bias: np.ndarray) -> None:
        self.weights = weights
        self.bias = bias

    def probabilities(self, text: str) -> dict[str, float]:
        slots = features(text)
        scores = self.bias + (self.weights[slots].sum(axis=0) / np.sqrt(max(len(slots), 1)))
        probs = _softmax(scores[None, :])[0]
        return {name: float(p) for name, p in zip(CLASSES, probs, strict=True)}


def _softmax(scores: np.ndarray) -> np.ndarray:
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def train(examples: Sequence[Example]) -> Classifier:
    """A classifier fitted to `examples` by full-batch gradient descent; deterministic."""
    pairs = [(row, example) for example in examples if len(row := features(example.text))]
    rows = [row for row, _ in pairs]
    examples = [example for _, example in pairs]
    lengths = np.array([len(row) for row in rows], dtype=np.int64)
    slots = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    owner = np.repeat(np.arange(len(rows)), lengths)
    row_starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    scale = (1.0 / np.sqrt(np.maximum(lengths, 1)))[owner][:, None]
    labels = np.array([CLASSES.index(example.label) for example in examples], dtype=np.int64)
    target = np.zeros((len(rows), len(CLASSES)))
    target[np.arange(len(rows)), labels] = 1.0
    # A class with few examples (self-harm) weighs more, but not so much that its every word means it.
    counts = np.maximum(target.sum(axis=0), 1.0)
    sample_weight = np.sqrt(len(rows) / (len(CLASSES) * counts))[labels] / max(len(rows), 1)
    used, column = np.unique(slots, return_inverse=True)
    # Sums over each example's slots and over each slot's examples, as sorted runs (fast and in a fixed order).
    by_slot = np.argsort(column, kind="stable")
    slot_starts = np.flatnonzero(np.r_[True, np.diff(column[by_slot]) != 0])
    # Only the slots the examples use are fitted; the others stay zero.
    fitted = np.zeros((len(used), len(CLASSES)))
    bias = np.zeros(len(CLASSES))
    velocity, bias_velocity = np.zeros_like(fitted), np.zeros_like(bias)
    step = RATE * len(rows) ** 0.5
    for _ in range(STEPS if rows else 0):
        scores = np.add.reduceat(fitted[column] * scale, row_starts, axis=0)
        error = (_softmax(scores + bias) - target) * sample_weight[:, None]
        gradient = np.add.reduceat((error[owner] * scale)[by_slot], slot_starts, axis=0)
        velocity = MOMENTUM * velocity - step * (gradient + L2 * fitted)
        bias_velocity = MOMENTUM * bias_velocity - RATE * error.sum(axis=0)
        fitted += velocity
        bias += bias_velocity
    weights = np.zeros((1 << BITS, len(CLASSES)))
    weights[used] = fitted
    return Classifier(weights.astype(np.float32), bias.astype(np.float32))


def read_examples(text: str, column: str = "prompt") -> list[Example]:
    """The (prompt, expected) pairs of a labelled TSV in the red-team format; with another `column`, that
    column's texts, all to be answered."""
    rows = csv.DictReader(text.splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE)
    if column != "prompt":
        return [Example(row[column].strip(), "answer") for row in rows if (row.get(column) or "").strip()]
    return [
        Example(row["prompt"].strip(), row["expected"].strip())
        for row in rows
        if (row.get("prompt") or "").strip() and (row.get("expected") or "").strip() in CLASSES
    ]


def packaged_texts() -> list[str]:
    """The texts of TRAINING_FILES, then of BACKGROUND_FILES."""
    folder = resources.files("voiceslm").joinpath("evalsets")
    return [folder.joinpath(name).read_text(encoding="utf-8") for name in (*TRAINING_FILES, *BACKGROUND_FILES)]


def extra_examples(texts: Sequence[str]) -> list[Example]:
    """The examples of EXTRA_FILES and the background files (not the red-team sets), from `packaged_texts()`."""
    columns = ["prompt"] * len(EXTRA_FILES) + [*BACKGROUND_FILES.values()]
    return [
        example
        for text, column in zip(texts[len(RED_TEAM_FILES) :], columns, strict=True)
        for example in read_examples(text, column)
    ]


def _digest(texts: Iterable[str]) -> str:
    h = hashlib.sha256(f"v{VERSION} bits{BITS} steps{STEPS} rate{RATE} l2{L2} momentum{MOMENTUM}".encode())
    # The code too: the state directory may hold weights another version of it trained on the same data.
    h.update(Path(__file__).read_bytes())
    for text in texts:
        h.update(hashlib.sha256(text.encode("utf-8")).digest())
    return h.hexdigest()[:16]


def load_or_train(cache_dir: Path | None) -> Classifier:
    """The classifier of the packaged sets: from `cache_dir` if trained before on the same data, else trained
    now and saved there (mode 0600; a folder that cannot be written only costs training next time)."""
    texts = packaged_texts()
    path = cache_dir / f"policy_classifier-{_digest(texts)}.npz" if cache_dir else None
    if path is not None and path.is_file():
        try:
            with np.load(path) as saved:
                return Classifier(saved["weights"], saved["bias"])
        except (OSError, ValueError, KeyError) as exc:
            log.warning("policy classifier cache %s unreadable (%s); training again", path, exc)
    examples = [
        example for text in texts[: len(RED_TEAM_FILES)] for example in read_examples(text)
    ] + extra_examples(texts)
    classifier = train(examples)
    if path is not None:
        try:
            keep_weights(path, "policy_classifier-", classifier.weights, classifier.bias)
        except OSError as exc:
            log.warning("policy classifier not cached in %s (%s)", path.parent, exc)
    return classifier


def keep_weights(path: Path, prefix: str, weights: np.ndarray, bias: np.ndarray) -> None:
    """Write learned weights to `path` with mode 0600, whole or not at all, and drop older `prefix`* files."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for old in path.parent.glob(f"{prefix}*.npz"):
        old.unlink(missing_ok=True)
    partial = path.with_suffix(".partial.npz")
    with open(partial, "wb") as handle:
        partial.chmod(0o600)
        np.savez_compressed(handle, weights=weights, bias=bias)
    partial.replace(path)


_lock = threading.Lock()
_default: Classifier | None = None


def default_classifier() -> Classifier:
    """The process's classifier, trained (or loaded from the state directory) on first use."""
    global _default
    with _lock:
        if _default is None:
            from voiceslm.service.privacy import default_data_dir

            _default = load_or_train(default_data_dir() / "cache")
        return _default
