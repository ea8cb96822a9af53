"""SVOX Pico speech synthesis through ctypes on Debian's `libttspico.so.0`.

Pico (Apache-2.0) is small and very intelligible for six locales; its lingware
(`/usr/share/pico/lang/*_ta.bin` text analysis + `*_sg.bin` signal generation)
comes in Debian's `libttspico-data`, in the non-free component because the
lingware ships without its sources. A Pico system has one engine, so each
locale gets its own system and engine, loaded once per process (a few ms,
about 3 MB each). Whether the library is re-entrant is not documented: one lock
serialises every call into it, which costs little as it speaks about a hundred
times faster than real time.
"""

from __future__ import annotations

import ctypes
import logging
import re
import threading
import time
from pathlib import Path

import numpy as np

from voiceslm.engines.tts import TextToSpeech
from voiceslm.engines.voices import PICO_DEFAULT_LOCALES as DEFAULT_LOCALES
from voiceslm.engines.voices import PICO_LICENSE as LICENSE
from voiceslm.engines.voices import PICO_LOCALES as LOCALES
from voiceslm.engines.voices import PICO_PACKAGES as PACKAGES
from voiceslm.errors import UserError

log = logging.getLogger(__name__)

LIBRARY = "libttspico.so.0"
LANG_DIRS = (Path("/usr/share/pico/lang"), Path("/usr/local/share/pico/lang"))
SAMPLE_RATE = 16000
__all__ = ["DEFAULT_LOCALES", "LICENSE", "LOCALES", "PACKAGES", "PicoTTS", "engine", "missing_reason"]

_MEMORY_BYTES = 3_000_000  # pico2wave gives one locale 2.5 MB; the largest (en-US) needs 1.4 MB of it for lingware
_OUT_BYTES = 1024  # audio per pico_getData call; each call does a few ms of work at most
_CANCEL_EVERY = 16  # pico_getData calls between cancel checks, about 0.5 s of audio
_STEP_BUSY = 201
_STEP_IDLE = 200
_RESET_SOFT = 0x10
_MAX_PUT = 32767  # pico_putTextUtf8 takes an int16 length
# Pico reads markup inside text: <genfile file=...> writes a file and <play file=...>
# reads one. A "<" before anything but a number ("3 < 5") is dropped so no text can open a tag.
_MARKUP = re.compile(r"<(?!\s*\d)")

_P = ctypes.c_void_p


def lang_dir() -> Path | None:
    """The directory with Pico's lingware, or None if it is not installed."""
    return next((d for d in LANG_DIRS if any(d.glob("*_ta.bin"))), None)


def locale_files(locale: str) -> tuple[Path, Path] | None:
    """The text-analysis and signal-generation files of `locale`, or None if absent."""
    directory = lang_dir()
    speaker = LOCALES.get(locale)
    if directory is None or speaker is None:
        return None
    files = (directory / f"{locale}_ta.bin", directory / f"{locale}_{speaker}_sg.bin")
    return files if all(f.is_file() for f in files) else None


def install_command() -> str:
    """The command that installs Pico (Debian non-free; scripts/setup.sh enables it)."""
    return f"sudo apt-get install {' '.join(PACKAGES)}"


def missing_reason(locale: str) -> str:
    """Why Pico cannot speak `locale` here ("" when it can)."""
    if locale not in LOCALES:
        return f"Pico has no locale {locale!r} (it has {', '.join(LOCALES)})"
    try:
        _library()
    except UserError as exc:
        return str(exc)
    if locale_files(locale) is None:
        return f"Pico's lingware for {locale} is not installed; run: {install_command()}"
    return ""


_lib: ctypes.CDLL | None = None
_lock = threading.Lock()  # every call into the library, and the registry of engines
_engines: dict[str, PicoEngine] = {}


def _library() -> ctypes.CDLL:
    global _lib
    if _lib is not None:
        return _lib
    try:
        lib = ctypes.CDLL(LIBRARY)
    except OSError as exc:
        raise UserError(f"SVOX Pico is not installed ({LIBRARY}); run: {install_command()}") from exc
    sig = {
        "pico_initialize": [_P, ctypes.c_uint32, ctypes.POINTER(_P)],
        "pico_terminate": [ctypes.POINTER(_P)],
        "pico_loadResource": [_P, ctypes.c_char_p, ctypes.POINTER(_P)],
        "pico_getResourceName": [_P, _P, ctypes.c_char_p],
        "pico_createVoiceDefinition": [_P, ctypes.c_char_p],
        "pico_addResourceToVoiceDefinition": [_P, ctypes.c_char_p, ctypes.c_char_p],
        "pico_newEngine": [_P, ctypes.c_char_p, ctypes.POINTER(_P)],
        "pico_putTextUtf8": [_P, ctypes.c_char_p, ctypes.c_int16, ctypes.POINTER(ctypes.c_int16)],
        "pico_getData": [_P, _P, ctypes.c_int16, ctypes.POINTER(ctypes.c_int16), ctypes.POINTER(ctypes.c_int16)],
        "pico_resetEngine": [_P, ctypes.c_int32],
        "pico_getSystemStatusMessage": [_P, ctypes.c_int, ctypes.c_char_p],
        "pico_getEngineStatusMessage": [_P, ctypes.c_int, ctypes.c_char_p],
    }
    for name, argtypes in sig.items():
        function = getattr(lib, name)
        function.argtypes = argtypes
        function.restype = ctypes.c_int
    _lib = lib
    return lib


class PicoEngine:
    """One Pico system and engine for one locale. Use `engine(locale)`; call only with `_lock` held."""

    def __init__(self, locale: str) -> None:
        reason = missing_reason(locale)
        if reason:
            raise UserError(reason)
        files = locale_files(locale)
        assert files is not None
        self.locale = locale
        self._lib = _library()
        # Pico allocates nothing itself: this buffer is all its memory, kept as long as the engine.
        self._memory = ctypes.create_string_buffer(_MEMORY_BYTES)
        self._system = _P()
        self._check(self._lib.pico_initialize(self._memory, _MEMORY_BYTES, ctypes.byref(self._system)), "start")
        voice = locale.encode()
        names = []
        for path in files:
            resource = _P()
            self._check(self._lib.pico_loadResource(self._system, str(path).encode(), ctypes.byref(resource)), path)
            name = ctypes.create_string_buffer(200)
            self._check(self._lib.pico_getResourceName(self._system, resource, name), path)
            names.append(name.value)
        self._check(self._lib.pico_createVoiceDefinition(self._system, voice), "define the voice")
        for resource_name in names:
            self._check(
                self._lib.pico_addResourceToVoiceDefinition(self._system, voice, resource_name), "define the voice"
            )
        self._engine = _P()
        self._check(self._lib.pico_newEngine(self._system, voice, ctypes.byref(self._engine)), "start the engine")
        self._out = ctypes.create_string_buffer(_OUT_BYTES)

    def _check(self, status: int, what: object) -> None:
        if status != 0:
            message = ctypes.create_string_buffer(200)
            self._lib.pico_getSystemStatusMessage(self._system, status, message)
            text = message.value.decode(errors="replace")
            raise UserError(
                f"SVOX Pico cannot load {self.locale} ({what}: {text or status}); "
                f"reinstall it: sudo apt-get install --reinstall {' '.join(PACKAGES)}"
            )

    def synthesize(self, text: str, cancel: threading.Event | None = None) -> bytes:
        """16-bit PCM at 16 kHz for `text`; stops early (returning b"") when `cancel` is set."""
        data = text.encode("utf-8") + b"\0"
        put, got, kind = ctypes.c_int16(), ctypes.c_int16(), ctypes.c_int16()
        pieces: list[bytes] = []
        offset = calls = 0
        while offset < len(data):
            chunk = data[offset : offset + _MAX_PUT]
            status = self._lib.pico_putTextUtf8(self._engine, chunk, len(chunk), ctypes.byref(put))
            if status != 0:
                self._fail(status)
            offset += put.value
            while True:
                status = self._lib.pico_getData(
                    self._engine, self._out, _OUT_BYTES, ctypes.byref(got), ctypes.byref(kind)
                )
                if got.value > 0:
                    pieces.append(self._out.raw[: got.value])
                if status != _STEP_BUSY:
                    break
                calls += 1
                if cancel is not None and calls % _CANCEL_EVERY == 0 and cancel.is_set():
                    # Flush what Pico still holds, so the next sentence starts clean.
                    self._lib.pico_resetEngine(self._engine, _RESET_SOFT)
                    return b""
            if status != _STEP_IDLE:
                self._fail(status)
        return b"".join(pieces)

    def _fail(self, status: int) -> None:
        message = ctypes.create_string_buffer(200)
        self._lib.pico_getEngineStatusMessage(self._engine, status, message)
        self._lib.pico_resetEngine(self._engine, 0)
        raise RuntimeError(f"SVOX Pico failed with status {status}: {message.value.decode(errors='replace')}")


def engine(locale: str) -> PicoEngine:
    """The process-wide Pico engine for `locale`, started on first use."""
    with _lock:
        found = _engines.get(locale)
        if found is None:
            started = time.perf_counter()
            found = _engines[locale] = PicoEngine(locale)
            log.info("Loaded SVOX Pico %s in %.3f s", locale, time.perf_counter() - started)
        return found


def resolve_locale(language: str, locale: str = "") -> str:
    """The Pico locale for `language` ("" for its default); UserError if Pico has none."""
    own = [name for name in LOCALES if name[:2] == language]
    if not own:
        raise UserError(
            f"SVOX Pico has no voice for language {language!r} (it speaks {', '.join(DEFAULT_LOCALES)}); "
            f'set tts.voices.{language} to "auto" or "espeak".'
        )
    if locale and locale not in own:
        raise UserError(
            f"SVOX Pico has no locale {locale!r} for language {language!r}; use plain pico or pico:{own[0]}."
        )
    return locale or DEFAULT_LOCALES[language]


class PicoTTS(TextToSpeech):
    """An SVOX Pico voice: clear, natural enough, 16 kHz, about 100x faster than real time."""

    def __init__(self, language: str, locale: str = "", *, length_scale: float = 1.0, volume: float = 1.0) -> None:
        self._language = language.lower()
        self.locale = resolve_locale(self._language, locale)
        self._engine = engine(self.locale)
        # Pico's speed markup, in percent of normal; it accepts 20-500.
        self._speed = max(20, min(500, round(100 / length_scale)))
        self._volume = volume

    @property
    def sample_rate(self) -> int:
        return SAMPLE_RATE

    @property
    def language(self) -> str:
        return self._language

    def _speak(self, sentence: str) -> np.ndarray:
        return self._speak_until(sentence, None)

    def _speak_until(self, sentence: str, cancel: threading.Event | None) -> np.ndarray:
        text = _MARKUP.sub(" ", sentence)
        if self._speed != 100:
            text = f'<speed level="{self._speed}">{text}</speed>'
        with _lock:
            pcm = self._engine.synthesize(text, cancel)
        samples = np.frombuffer(pcm, dtype=np.int16).astype(np.float32) / 32768.0
        if self._volume != 1.0:
            samples = np.clip(samples * self._volume, -1.0, 1.0)
        return samples
