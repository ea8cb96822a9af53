"""Which voice speaks each language: the `tts.voices` syntax, the measured
preference per language, and the fall-back when a voice is not installed.

A voice is written as one of:
  auto              the most intelligible installed voice for the language (PREFERENCE)
  espeak            espeak-ng, bundled: every language, always installed
  pico              SVOX Pico in the language's default locale (pico:en-GB for another)
  mbrola:NAME       an MBROLA voice through the system espeak-ng (mbrola:br1)
  piper:MODEL       a Piper voice from the model store (piper:piper-en_US-joe-medium)

Pico and MBROLA come from Debian packages that a system may lack: a configured
one that cannot speak falls back to espeak-ng with a one-line warning instead
of failing. A Piper voice lives in the model store, so a missing one fails
fast with the `voiceslm models install` command that fixes it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from pathlib import Path

    from voiceslm.config import TtsConfig

log = logging.getLogger(__name__)

Kind = Literal["auto", "espeak", "pico", "mbrola", "piper"]
SYNTAX = '"auto", "espeak", "pico", "pico:<locale>", "mbrola:<voice>" or "piper:<model name>"'

PREFERENCE: dict[str, tuple[str, ...]] = {
    "en": ("piper:piper-en_US-joe-medium", "pico:en-GB", "pico:en-US", "mbrola:us2", "espeak"),
    "es": ("pico:es-ES", "espeak"),
    "de": ("pico:de-DE", "mbrola:de4", "mbrola:de6", "espeak"),
    "fr": ("pico:fr-FR", "mbrola:fr1", "espeak"),
    "it": ("pico:it-IT", "mbrola:it4", "espeak"),
    "pt": ("mbrola:br4", "mbrola:br1", "espeak"),
}
"""What `auto` tries for each language, most intelligible first, as measured by
`voiceslm eval --compare-voices` (docs/quality.md). Other languages: espeak-ng."""


@dataclass(frozen=True)
class VoiceSpec:
    kind: Kind
    name: str = ""
    """Piper model, Pico locale ("" for the language's default) or MBROLA voice."""

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}" if self.name else self.kind

    @property
    def nonfree(self) -> bool:
        """MBROLA's voices are free only for non-commercial, non-military use."""
        return self.kind == "mbrola"


ESPEAK = VoiceSpec("espeak")

# What the system voices are, kept here (no heavy imports) for the model catalog. ---

PICO_LOCALES = {"en-US": "lh0", "en-GB": "kh0", "de-DE": "gl0", "es-ES": "zl0", "fr-FR": "nk0", "it-IT": "cm0"}
"""Every locale SVOX Pico speaks, with the name of its speaker (signal-generation) file."""
PICO_DEFAULT_LOCALES = {"en": "en-US", "de": "de-DE", "es": "es-ES", "fr": "fr-FR", "it": "it-IT"}
"""The locale plain `pico` means for each language."""
PICO_PACKAGES = ("libttspico0", "libttspico-data")
PICO_LICENSE = "Apache-2.0 (Debian non-free: lingware without sources)"

MBROLA_ENGINE_PACKAGES = ("mbrola", "libespeak-ng1", "espeak-ng-data")
MBROLA_LICENSE = "MBROLA: non-commercial, non-military use only"


@dataclass(frozen=True)
class MbrolaVoice:
    name: str
    """MBROLA's name for the voice, as in `mbrola:br1` and Debian's `mbrola-br1`."""
    language: str
    description: str
    size_mb: int

    @property
    def package(self) -> str:
        return f"mbrola-{self.name}"


MBROLA_VOICES: tuple[MbrolaVoice, ...] = (
    MbrolaVoice("br4", "pt", "MBROLA br4 (Brazilian Portuguese, female)", 5),
    MbrolaVoice("br1", "pt", "MBROLA br1 (Brazilian Portuguese, male)", 5),
    MbrolaVoice("br3", "pt", "MBROLA br3 (Brazilian Portuguese, male)", 10),
    MbrolaVoice("pt1", "pt", "MBROLA pt1 (European Portuguese, female)", 8),
    MbrolaVoice("de4", "de", "MBROLA de4 (German, male)", 22),
    MbrolaVoice("de6", "de", "MBROLA de6 (German, male)", 55),
    MbrolaVoice("de2", "de", "MBROLA de2 (German, male)", 10),
    MbrolaVoice("fr1", "fr", "MBROLA fr1 (French, male)", 5),
    MbrolaVoice("fr4", "fr", "MBROLA fr4 (French, female)", 6),
    MbrolaVoice("it4", "it", "MBROLA it4 (Italian, female)", 6),
    MbrolaVoice("it3", "it", "MBROLA it3 (Italian, male)", 7),
    MbrolaVoice("es2", "es", "MBROLA es2 (Spanish, male)", 6),
    MbrolaVoice("us2", "en", "MBROLA us2 (American English, male)", 7),
    MbrolaVoice("en1", "en", "MBROLA en1 (British English, male)", 7),
    MbrolaVoice("us1", "en", "MBROLA us1 (American English, female)", 7),
)
"""The MBROLA voices offered by name; any other installed one works as `mbrola:NAME` too."""


def parse(spec: str) -> VoiceSpec | None:
    """The voice `spec` names, or None if it is not written in SYNTAX."""
    kind, colon, name = spec.partition(":")
    if kind in ("auto", "espeak") and not colon:
        return VoiceSpec(kind)  # type: ignore[arg-type]
    if kind == "pico" and (not colon or name):
        return VoiceSpec("pico", name)
    if kind in ("mbrola", "piper") and name:
        return VoiceSpec(kind, name)  # type: ignore[arg-type]
    return None


def config_problem(language: str, spec: VoiceSpec) -> str:
    """What is wrong, knowable without looking at the machine, with `spec` speaking `language` ("" if nothing)."""
    if spec.kind == "pico":
        own = [locale for locale in PICO_LOCALES if locale[:2] == language]
        if not own:
            return f"a voice for {language!r}, and SVOX Pico speaks only {', '.join(PICO_DEFAULT_LOCALES)}"
        if spec.name and spec.name not in own:
            return f'"pico" or one of {", ".join("pico:" + locale for locale in own)}'
    if spec.kind == "mbrola":
        known = next((v for v in MBROLA_VOICES if v.name == spec.name), None)
        if known is not None and known.language != language:
            return f"a voice for {language!r}, and MBROLA {spec.name} speaks {known.language!r}"
    return ""


class _Store(Protocol):
    def is_installed(self, name: str) -> bool: ...


def missing_reason(spec: VoiceSpec, language: str, store: _Store | None = None) -> str:
    """Why `spec` cannot speak `language` on this machine ("" when it can)."""
    if spec.kind == "pico":
        from voiceslm.engines import pico
        try:
            return pico.missing_reason(pico.resolve_locale(language, spec.name))
        except Exception as exc:  # a UserError naming the locales: reported, not raised
            return str(exc)
    if spec.kind == "mbrola":
        from voiceslm.engines import mbrola
        spoken = mbrola.voice_language(spec.name)
        if spoken and spoken != language:
            return f"MBROLA voice {spec.name} speaks {spoken!r}, not {language!r}"
        return mbrola.missing_reason(spec.name)
    if spec.kind == "piper" and (store is None or not store.is_installed(spec.name)):
        return f"Piper voice {spec.name} is not installed; run: voiceslm models install {spec.name}"
    return ""


def candidates(tts: TtsConfig, language: str) -> list[VoiceSpec]:
    """The voices to try for `language`, in order; espeak-ng always ends the list."""
    configured = parse(tts.voices.get(language, "auto")) or ESPEAK
    if configured.kind != "auto":
        return list(dict.fromkeys([configured, ESPEAK]))
    chain = [parse(s) or ESPEAK for s in PREFERENCE.get(language, ())]
    chain = [s for s in chain if tts.nonfree_voices or not s.nonfree]
    return list(dict.fromkeys([*chain, ESPEAK]))


@dataclass(frozen=True)
class Choice:
    spec: VoiceSpec
    notice: str = ""
    """One line saying that the configured voice cannot speak and what speaks instead."""


def choose(tts: TtsConfig, language: str, store: _Store | None = None) -> Choice:
    """The first voice of `candidates` that can speak here.

    A configured Piper voice is chosen as is (its load names the install command).
    """
    configured = tts.voices.get(language, "auto")
    explicit = configured != "auto"
    notice = ""
    for spec in candidates(tts, language):
        if explicit and spec.kind == "piper":
            return Choice(spec)
        reason = missing_reason(spec, language, store)
        if not reason:
            return Choice(spec, notice)
        if explicit and not notice:
            notice = f"tts.voices.{language} is {configured}, which cannot speak here ({reason}); using espeak-ng."
        log.info("voice %s for %s is not available: %s", spec, language, reason)
    return Choice(ESPEAK, notice)


def better_missing(tts: TtsConfig, language: str, chosen: VoiceSpec, store: _Store | None = None) -> list[str]:
    """Why each voice that `candidates` ranks above `chosen` cannot speak (each names its fix)."""
    reasons = []
    for spec in candidates(tts, language):
        if spec == chosen:
            break
        reasons.append(f"{spec}: {missing_reason(spec, language, store)}")
    return reasons


def licence(spec: VoiceSpec) -> str:
    if spec.kind == "pico":
        return PICO_LICENSE
    if spec.kind == "mbrola":
        return MBROLA_LICENSE
    from voiceslm.models import catalog

    entry = catalog.find(spec.name if spec.kind == "piper" else "espeak-ng")
    return entry.license if entry is not None else "see its model card"


# Voices from system packages, for `voiceslm models list` and `voiceslm doctor`. ---


@dataclass(frozen=True)
class SystemVoice:
    catalog_name: str
    spec: VoiceSpec
    language: str
    license: str
    packages: tuple[str, ...]
    description: str
    size_mb: int

    def missing_reason(self) -> str:
        return missing_reason(self.spec, self.language)

    def location(self) -> Path | None:
        """Where its voice data is, once installed."""
        from voiceslm.engines import mbrola, pico

        if self.spec.kind == "pico":
            files = pico.locale_files(self.spec.name)
            return files[1] if files else None
        return mbrola.voice_file(self.spec.name)


SYSTEM_VOICES: tuple[SystemVoice, ...] = (
    *(
        SystemVoice(f"pico-{locale}", VoiceSpec("pico", locale), locale[:2], PICO_LICENSE, PICO_PACKAGES,
                    f"SVOX Pico {locale}: clear, natural enough, 16 kHz", 2)
        for locale in PICO_LOCALES
    ),
    *(
        SystemVoice(v.package, VoiceSpec("mbrola", v.name), v.language, MBROLA_LICENSE,
                    (*MBROLA_ENGINE_PACKAGES, v.package), v.description, v.size_mb)
        for v in MBROLA_VOICES
    ),
)  # fmt: skip


def system_voice(catalog_name: str) -> SystemVoice | None:
    return next((v for v in SYSTEM_VOICES if v.catalog_name == catalog_name), None)


def install_command(packages: tuple[str, ...] | list[str]) -> str:
    return f"sudo apt-get install {' '.join(dict.fromkeys(packages))}"
