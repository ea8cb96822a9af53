"""MBROLA voices, spoken through the system's espeak-ng.

espeak-ng turns text into phonemes and hands them to MBROLA, which joins
recorded diphones: far clearer than espeak-ng's own formant voices for German
and Portuguese. The espeak-ng that the espeakng-loader wheel ships is built
without MBROLA support and without the `mb/` voice definitions, so this
module loads the distribution's libespeak-ng (Debian `libespeak-ng1` +
`espeak-ng-data`) as a second, independent engine, beside the wheel's. That
library runs the `mbrola` program (Debian `mbrola`, contrib) as one long-lived
child process per voice choice, fed through pipes, never one per sentence.

The voices (Debian `mbrola-XX`, non-free) are free only for non-commercial,
non-military use: `tts.nonfree_voices: false` keeps voiceslm from using them.
"""

from __future__ import annotations

import glob
import logging
import shutil
import sysconfig
import threading
from pathlib import Path

import numpy as np

from voiceslm.engines import espeak
from voiceslm.engines.tts import TextToSpeech
from voiceslm.engines.voices import MBROLA_ENGINE_PACKAGES as ENGINE_PACKAGES
from voiceslm.engines.voices import MBROLA_LICENSE as LICENSE
from voiceslm.engines.voices import MBROLA_VOICES as VOICES
from voiceslm.engines.voices import MbrolaVoice
from voiceslm.errors import UserError

log = logging.getLogger(__name__)
__all__ = ["ENGINE_PACKAGES", "LICENSE", "VOICES", "MbrolaTTS", "engine", "missing_reason"]

VOICE_DIRS = (Path("/usr/share/mbrola"), Path("/usr/local/share/mbrola"))
PACE = 1.3
"""How much slower than espeak-ng's normal rate MBROLA voices speak at tts.length_scale 1: at
espeak-ng's own pace Brazilian Portuguese diphones run together (tune half of the dev set, br4:
CER 0.27 at 1.0, 0.13 at 1.2, 0.11 at 1.3; docs/quality.md)."""


def _library_dirs() -> list[Path]:
    multiarch = sysconfig.get_config_var("MULTIARCH") or ""
    dirs = [Path("/usr/lib") / multiarch] if multiarch else []
    dirs += [Path(p).parent for p in sorted(glob.glob("/usr/lib/*/libespeak-ng.so.1"))]
    return [*dict.fromkeys([*dirs, Path("/usr/lib64"), Path("/usr/lib")])]


def system_espeak() -> tuple[Path, Path] | None:
    """The distribution's espeak-ng library and its data directory holding `voices/mb`, or None."""
    for directory in _library_dirs():
        library = directory / "libespeak-ng.so.1"
        if not library.is_file():
            continue
        for data in (directory / "espeak-ng-data", Path("/usr/share/espeak-ng-data")):
            if (data / "voices" / "mb").is_dir():
                return library, data
    return None


def voice_file(name: str) -> Path | None:
    """MBROLA's diphone database for voice `name`, or None if it is not installed."""
    for root in VOICE_DIRS:
        for path in (root / name / name, root / name):
            if path.is_file():
                return path
    return None


def find(name: str) -> MbrolaVoice | None:
    return next((v for v in VOICES if v.name == name), None)


def install_command(name: str) -> str:
    """The command that installs MBROLA voice `name` (Debian contrib and non-free; scripts/setup.sh enables them)."""
    return f"sudo apt-get install {' '.join((*ENGINE_PACKAGES, f'mbrola-{name}'))}"


def voice_language(name: str) -> str:
    """The two-letter language of MBROLA voice `name`, from espeak-ng's definition ("" if unknown)."""
    known = find(name)
    if known is not None:
        return known.language
    found = system_espeak()
    definition = found[1] / "voices" / "mb" / f"mb-{name}" if found else None
    if definition is None or not definition.is_file():
        return ""
    for line in definition.read_text(encoding="utf-8", errors="replace").splitlines():
        key, _, value = line.strip().partition(" ")
        if key == "language" and value:
            return value.split()[0].split("-")[0].lower()
    return ""


def missing_reason(name: str) -> str:
    """Why MBROLA voice `name` cannot speak here ("" when it can)."""
    found = system_espeak()
    if found is None:
        what = "the system's espeak-ng (with MBROLA support) is not installed"
    elif not (found[1] / "voices" / "mb" / f"mb-{name}").is_file():
        what = f"espeak-ng has no MBROLA voice {name!r}"
    elif shutil.which("mbrola") is None:
        what = "the mbrola program is not installed"
    elif voice_file(name) is None:
        what = f"MBROLA voice {name} is not installed"
    else:
        return ""
    return f"{what}; run: {install_command(name)}"


_engine: espeak.EspeakEngine | None = None
_engine_lock = threading.Lock()


def engine() -> espeak.EspeakEngine:
    """The process-wide system espeak-ng engine that drives MBROLA, started on first use."""
    global _engine
    with _engine_lock:
        if _engine is None:
            found = system_espeak()
            if found is None:
                packages = " ".join(ENGINE_PACKAGES)
                raise UserError(f"The system's espeak-ng is not installed; run: sudo apt-get install {packages}")
            _engine = espeak.EspeakEngine(str(found[0]), str(found[1]), package=" ".join(ENGINE_PACKAGES))
        return _engine


class MbrolaTTS(TextToSpeech):
    """An MBROLA voice: diphone speech, clearer than espeak-ng's own for some languages.

    Free for non-commercial, non-military use only.
    """

    def __init__(self, language: str, name: str, *, length_scale: float = 1.0, volume: float = 1.0) -> None:
        self._language = language.lower()
        spoken = voice_language(name)
        if spoken and spoken != self._language:
            raise UserError(
                f"MBROLA voice {name} speaks {spoken!r}, not {self._language!r}; "
                f"set tts.voices.{self._language} to a voice for {self._language!r}."
            )
        reason = missing_reason(name)
        if reason:
            raise UserError(f"MBROLA voice {name} cannot speak: {reason}")
        self.name = name
        self._engine = engine()
        self._voice = f"mb-{name}"
        self._rate = round(espeak.RATE_NORMAL / (length_scale * PACE))
        self._volume = volume
        # MBROLA's diphones set the rate (16 or 22.05 kHz): learnt from a first word.
        self._sample_rate = self._engine.synthesize_voice("a", self._voice, self._rate)[1]

    @property
    def sample_rate(self) -> int:
        return self._sample_rate

    @property
    def language(self) -> str:
        return self._language

    def _speak(self, sentence: str) -> np.ndarray:
        samples, rate = self._engine.synthesize_voice(sentence, self._voice, self._rate)
        if rate != self._sample_rate:
            raise RuntimeError(f"MBROLA voice {self.name} changed its sample rate from {self._sample_rate} to {rate}")
        if self._volume != 1.0:
            samples = np.clip(samples * self._volume, -1.0, 1.0)
        return samples
