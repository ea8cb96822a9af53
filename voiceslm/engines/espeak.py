"""espeak-ng speech synthesis through ctypes.

The library and its voice data come from the `espeakng-loader` wheel, so nothing
is needed from the system package manager. espeak-ng keeps its voice, its
parameters and its audio callback in global state: there is one engine per
process (`engine()`), and every synthesis holds its lock from choosing the voice
to collecting the last sample.

Piper has its own statically linked copy of espeak-ng (in `piper.espeakbridge`,
for phonemes only); it shares no state with this one.
"""

from __future__ import annotations

import ctypes
import logging
import threading
import time

import numpy as np

from voiceslm.errors import UserError

log = logging.getLogger(__name__)

# Constants from espeak-ng's speak_lib.h.
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000  # report missing data with -1 instead of exit()
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_ENDPAUSE = 0x1000  # a sentence pause after the text, so sentences played back to back do not run together
_EE_OK = 0
_PARAM_RATE = 1
_BUFFER_MS = 200  # audio handed to the callback per call; larger means fewer Python calls

RATE_NORMAL = 175
"""Words per minute espeak-ng speaks at by default."""
RATE_MIN = 80
RATE_MAX = 450

_SynthCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


class _Voice(ctypes.Structure):
    """The leading fields of espeak_VOICE; the list is only read, never allocated here."""

    _fields_ = [
        ("name", ctypes.c_char_p),
        # Pairs of (priority byte, NUL-terminated language tag), ended by a zero priority:
        # kept as a raw address because c_char_p would stop at the first NUL.
        ("languages", ctypes.c_void_p),
        ("identifier", ctypes.c_char_p),
    ]


class EspeakEngine:
    """espeak-ng loaded from `library_path`, reading voices from `data_path`."""

    def __init__(self, library_path: str, data_path: str, package: str = "the espeakng-loader package") -> None:
        self._lock = threading.Lock()
        self.package = package
        """What to reinstall when this engine's files are broken, for messages."""
        self._voice: str | None = None
        try:
            lib = ctypes.CDLL(library_path)
        except OSError as exc:
            raise UserError(
                f"The espeak-ng library {library_path} cannot be loaded ({exc}); reinstall {package}."
            ) from exc
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_ListVoices.argtypes = [ctypes.c_void_p]
        lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_Voice))
        lib.espeak_Synth.argtypes = [
            ctypes.c_char_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_ng_GetSampleRate.argtypes = []
        lib.espeak_ng_GetSampleRate.restype = ctypes.c_int
        self._lib = lib

        sample_rate = lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, _BUFFER_MS, data_path.encode(), _INITIALIZE_DONT_EXIT
        )
        if sample_rate <= 0:
            raise UserError(f"espeak-ng cannot start with the voice data in {data_path}; reinstall {package}.")
        self.sample_rate: int = sample_rate
        """Hertz of espeak-ng's own voices (22050); an MBROLA voice has its own."""
        self._voice_rate = sample_rate

        self._pieces: list[bytes] = []
        # ctypes does not keep the trampoline alive: espeak-ng would call freed memory
        # once this object were collected, so it lives as long as the engine.
        self._callback = _SynthCallback(self._on_audio)
        lib.espeak_SetSynthCallback(self._callback)
        self._data_path = data_path
        self._voice_of: dict[str, str] = self._list_languages()
        self.languages: frozenset[str] = frozenset(self._voice_of)
        """Every language tag espeak-ng has a speakable voice for ("es", "pt-br", "zh", ...)."""

    def _on_audio(self, wav: ctypes._Pointer[ctypes.c_short], count: int, _events: int | None) -> int:
        # A NULL buffer marks the end of synthesis; zero-length buffers also occur mid-text.
        if wav and count > 0:
            self._pieces.append(ctypes.string_at(wav, count * 2))
        return 0

    def _list_languages(self) -> dict[str, str]:
        """Each language tag with the identifier of its preferred voice ("zh" -> "sit/cmn"): a tag is not
        always a voice name espeak-ng can load, and a voice whose dictionary is missing is left out."""
        voices = self._lib.espeak_ListVoices(None)
        best: dict[str, tuple[int, str]] = {}
        index = 0
        while voices[index]:
            voice = voices[index].contents
            identifier = (voice.identifier or b"").decode("utf-8", errors="replace")
            address = voice.languages
            speakable = self._has_dictionary(identifier)
            while address and (priority := ctypes.c_ubyte.from_address(address).value):
                tag = ctypes.string_at(address + 1)
                name = tag.decode("ascii", errors="replace").lower()
                if speakable and (name not in best or priority < best[name][0]):
                    best[name] = (priority, identifier)
                address += len(tag) + 2
            index += 1
        return {name: identifier for name, (_, identifier) in best.items()}

    def _has_dictionary(self, identifier: str) -> bool:
        """Whether the voice's pronunciation dictionary is in the data (the wheel lacks a few: fo, kaa)."""
        from pathlib import Path

        data = Path(self._data_path)
        try:
            lines = (data / "lang" / identifier).read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return True  # not a language file of this layout (an MBROLA voice): espeak-ng decides
        fields = [line.split() for line in lines if line.split()]
        named = [f[1] for f in fields if f[0] == "dictionary" and len(f) > 1]
        languages = [f[1] for f in fields if f[0] == "language" and len(f) > 1]
        dictionary = named[0] if named else (languages[0].split("-")[0] if languages else "")
        return not dictionary or (data / f"{dictionary}_dict").is_file()

    def supports(self, language: str) -> bool:
        return language.lower() in self.languages

    def synthesize(self, text: str, language: str, rate: int = RATE_NORMAL) -> np.ndarray:
        """Speak `text` with the voice for `language`: float32 mono samples in [-1, 1].

        Raises UserError if espeak-ng has no voice for `language`.
        """
        language = language.lower()
        if language not in self.languages:
            raise UserError(f"espeak-ng has no voice for language {language!r}; use one of {self.language_list()}.")
        return self.synthesize_voice(text, self._voice_of[language], rate)[0]

    def synthesize_voice(self, text: str, voice: str, rate: int = RATE_NORMAL) -> tuple[np.ndarray, int]:
        """Speak `text` with the voice named `voice` (a language tag, or "mb-de6" for an MBROLA
        voice): float32 mono samples in [-1, 1] and their rate in Hertz (MBROLA voices have their own).
        """
        encoded = text.encode("utf-8") + b"\0"
        rate = max(RATE_MIN, min(RATE_MAX, rate))
        with self._lock:
            started = time.perf_counter()
            # The voice is global state, so it is chosen here under the lock; it is set
            # again only when it changes, as setting an MBROLA voice restarts its process.
            if voice != self._voice:
                self._voice = None
                if self._lib.espeak_SetVoiceByName(voice.encode("ascii")) != _EE_OK:
                    raise UserError(f"espeak-ng cannot load its voice {voice!r}; reinstall {self.package}.")
                self._voice = voice
                self._voice_rate = self._lib.espeak_ng_GetSampleRate()
            self._lib.espeak_SetParameter(_PARAM_RATE, rate, 0)
            self._pieces = []
            status = self._lib.espeak_Synth(
                encoded, len(encoded), 0, _POS_CHARACTER, 0, _CHARS_UTF8 | _ENDPAUSE, None, None
            )
            pieces, self._pieces = self._pieces, []
            sample_rate = self._voice_rate
            elapsed = time.perf_counter() - started
        if status != _EE_OK:
            raise RuntimeError(f"espeak_Synth failed with status {status}")
        samples = np.frombuffer(b"".join(pieces), dtype=np.int16).astype(np.float32) / 32768.0
        log.debug("espeak %s: %.2f s of audio in %.3f s", voice, samples.size / sample_rate, elapsed)
        return samples, sample_rate

    def language_list(self) -> str:
        """The two-letter languages espeak-ng speaks, for messages."""
        return ", ".join(sorted(tag for tag in self.languages if len(tag) == 2))


_engine: EspeakEngine | None = None
_engine_lock = threading.Lock()


def engine() -> EspeakEngine:
    """The process-wide espeak-ng engine, started on first use (a few milliseconds)."""
    global _engine
    with _engine_lock:
        if _engine is None:
            try:
                import espeakng_loader
            except ImportError as exc:
                raise UserError(
                    "espeak-ng is not installed; install the espeakng-loader package (pip install espeakng-loader)."
                ) from exc
            _engine = EspeakEngine(espeakng_loader.get_library_path(), espeakng_loader.get_data_path())
        return _engine
