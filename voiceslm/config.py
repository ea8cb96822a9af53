"""Typed, frozen configuration loaded from layered YAML files.

Layers, later wins: the packaged default, /etc/voiceslm/config.yaml,
$XDG_CONFIG_HOME/voiceslm/config.yaml, --config FILE, command-line flags.
Every leaf value remembers the layer it came from, so `voiceslm config show`
can say why a value is what it is.
"""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml

from voiceslm import yamlsafe
from voiceslm.engines import voices
from voiceslm.errors import UserError
from voiceslm.models.catalog import WHISPER_LANGUAGES

LANGUAGE_CODE_LENGTH = 2
MAX_THREADS = max(4, 2 * (os.cpu_count() or 1))
"""More threads than this only contend for the cores; thousands would hang the engines' start."""
MAX_SYSTEM_PROMPT_CHARS = 8000

Mode = Literal["translate", "assist", "transcribe", "converse"]
"""translate: source -> target; converse: each utterance into the other language of a pair;
assist: answer; transcribe: show only."""
MODES: tuple[Mode, ...] = typing.get_args(Mode)


@dataclass(frozen=True)
class ModelsConfig:
    store: str = ""
    """Model store directory; empty means $XDG_DATA_HOME/voiceslm/models."""


@dataclass(frozen=True)
class SttConfig:
    model: str = "whisper-base"
    english_model: str = "whisper-tiny.en"
    compute_type: Literal["int8", "int8_float32", "float32", "float16", "int8_float16"] = "int8"
    beam_size: int = 1
    languages: tuple[str, ...] = ("en", "es", "de", "fr", "it", "pt")
    vad_filter: bool = True
    no_speech_threshold: float = 0.6
    log_prob_threshold: float = -1.0
    phantom_phrases: tuple[str, ...] = ()
    threads: int = 2
    window_s: int = 30


@dataclass(frozen=True)
class LmConfig:
    translate_model: str = "gemma3-270m"
    assist_model: str = "qwen2.5-coder-0.5b"
    max_tokens: int = 160
    temperature: float = 0.0
    repetition_penalty: float = 1.1
    threads: int = 2
    system_prompt: str = ""
    history_turns: int = 3


@dataclass(frozen=True)
class TtsConfig:
    voices: Mapping[str, str] = field(default_factory=dict)
    length_scale: float = 1.0
    volume: float = 1.0
    threads: int = 2
    nonfree_voices: bool = True
    """Allow voices under non-free terms (MBROLA: non-commercial, non-military use only)."""


@dataclass(frozen=True)
class TranslateConfig:
    source: str = "auto"
    target: str = "es"
    engine: str = "auto"
    """Route for every direction: auto (best measured installed), bergamot, apertium, lm, or a>xx>b."""
    engines: Mapping[str, str] = field(default_factory=dict)
    """Per-direction routes keyed "en-es", overriding `engine`."""


@dataclass(frozen=True)
class LimitsConfig:
    max_text_chars: int = 2000
    max_audio_seconds: float = 600


@dataclass(frozen=True)
class LogConfig:
    level: Literal["debug", "info", "warning", "error"] = "warning"
    format: Literal["text", "json"] = "text"


@dataclass(frozen=True)
class AudioConfig:
    input_device: str = ""
    """Microphone: empty for the system default, an index or part of a name from
    `voiceslm devices`, or a PulseAudio source name."""
    output_device: str = ""
    """Speaker: empty for the system default, an index, part of a name, or a PulseAudio sink name."""
    input_sample_rate: int = 0
    """Hertz to open the microphone at; 0: the device's own default (resampled inside)."""
    output_sample_rate: int = 0
    """Hertz to open the speaker at; 0: the device's own default (resampled inside)."""
    block_ms: int = 32
    """Milliseconds of audio per capture block."""
    output_latency: float = 0.1
    """Seconds of audio the output device may buffer: lower stops a barge-in sooner, too low crackles."""
    reopen_max_s: float = 5.0
    """Longest wait, in seconds, between attempts to reopen a device that failed."""


@dataclass(frozen=True)
class VadConfig:
    threshold: float = 0.5
    """Silero speech probability at or above which a 32 ms frame is speech."""
    min_silence_ms: int = 500
    """Silence after speech that ends a turn."""
    preroll_ms: int = 300
    """Audio kept from before speech was detected, so the first syllable is not lost."""
    max_utterance_s: float = 20.0
    """A turn longer than this is cut and handled."""
    min_speech_ms: int = 96
    """Voice shorter than this (a click, a cough) is ignored; also how long speech must last to barge in."""
    speculate_ms: int = 200
    """Silence after which transcription and the reply start, before the turn is known to be over; 0: off."""


@dataclass(frozen=True)
class EchoConfig:
    mode: Literal["half-duplex", "pulse-aec", "none"] = "half-duplex"
    """How the microphone is kept from hearing the pipeline's own voice."""
    tail_ms: int = 300
    """half-duplex: the microphone stays off this long after playback ends (room echo, device latency)."""
    aec_source: str = ""
    """pulse-aec: the echo-cancelled source; empty finds the one module-echo-cancel made."""
    aec_sink: str = ""
    """pulse-aec: the sink whose sound is cancelled; empty finds the one module-echo-cancel made."""


@dataclass(frozen=True)
class LiveConfig:
    mode: Mode = "translate"
    """What `voiceslm run` does with each utterance."""
    voice_commands: bool = True
    """Act on spoken commands (stop, repeat, switch to German, assistant mode) before any model."""
    wake_word: str = ""
    """assist mode, hands-free: only utterances that begin with this are answered; empty: all."""
    two_way: bool = False
    """translate: detect which of source and target is spoken and translate into the other."""
    back_translation: bool = False
    """translate and converse: show each reply translated back into the speaker's language."""
    stats: bool = False
    """Print per-utterance latencies and real-time factors."""
    audio_queue_blocks: int = 64
    """Capture blocks that may wait for the detector before the oldest are dropped."""


@dataclass(frozen=True)
class DaemonConfig:
    socket: str = ""
    """Control socket path; empty: control.sock in $RUNTIME_DIRECTORY (systemd) or $XDG_RUNTIME_DIR/voiceslm."""
    control_idle_timeout: float = 60.0
    """Seconds a control connection may stay silent (or take to send one request) before it is closed."""


@dataclass(frozen=True)
class PrivacyConfig:
    save_audio: bool = False
    """Keep each utterance's audio as a WAV file in `audio_dir` (off: audio never touches the disk)."""
    audio_dir: str = ""
    """Where saved audio goes; empty: $STATE_DIRECTORY (systemd) or $XDG_STATE_HOME/voiceslm, then audio/."""
    transcript_log: bool = False
    """Append what was heard and replied (text only) to `transcript_path`."""
    transcript_path: str = ""
    """The transcript log; empty: transcripts.jsonl in the state directory."""
    retention_days: float = 7.0
    """Transcript entries and saved audio older than this are deleted; 0: no age limit."""
    retention_mb: float = 10.0
    """The oldest transcript entries and saved audio beyond this many megabytes (each) are deleted; 0: no limit."""


@dataclass(frozen=True)
class AssistantConfig:
    database: str = ""
    """The assistant's SQLite database (documents index, notes, reminders); empty: assistant.sqlite3 in the state
    directory."""
    documents: str = ""
    """A folder of private documents to index for questions across files; empty: none."""
    max_spoken_sentences: int = 3
    """Sentences of a model's answer that are spoken; the rest waits for "tell me more". 0: no cap."""
    notes_days: float = 0.0
    """Notes older than this many days are deleted; 0: notes are kept until you delete them."""
    max_document_mb: float = 20.0
    """A document file larger than this many megabytes is refused (summarize, ask --doc, the folder)."""
    max_document_chars: int = 1_000_000
    """A document with more text than this many characters is refused."""


@dataclass(frozen=True)
class WyomingConfig:
    uri: str = "tcp://127.0.0.1:10300"
    """Where `voiceslm wyoming` listens: tcp://HOST:PORT (0.0.0.0 for the whole network) or unix://PATH."""
    handle: Literal["translate", "assist"] = "translate"
    """What a `handle` request does with a transcript: translate it into translate.target, or answer it."""
    queue: int = 4
    """Requests that may wait for each engine while it serves another; one more is told the server is busy."""


@dataclass(frozen=True)
class Config:
    models: ModelsConfig = field(default_factory=ModelsConfig)
    stt: SttConfig = field(default_factory=SttConfig)
    lm: LmConfig = field(default_factory=LmConfig)
    tts: TtsConfig = field(default_factory=TtsConfig)
    translate: TranslateConfig = field(default_factory=TranslateConfig)
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    log: LogConfig = field(default_factory=LogConfig)
    audio: AudioConfig = field(default_factory=AudioConfig)
    vad: VadConfig = field(default_factory=VadConfig)
    echo: EchoConfig = field(default_factory=EchoConfig)
    live: LiveConfig = field(default_factory=LiveConfig)
    daemon: DaemonConfig = field(default_factory=DaemonConfig)
    privacy: PrivacyConfig = field(default_factory=PrivacyConfig)
    assistant: AssistantConfig = field(default_factory=AssistantConfig)
    wyoming: WyomingConfig = field(default_factory=WyomingConfig)

    def model_store(self) -> Path:
        if self.models.store:
            return Path(self.models.store).expanduser()
        data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        return Path(data_home) / "voiceslm" / "models"


PACKAGED_LAYER = "packaged default"


@dataclass(frozen=True)
class LoadedConfig:
    """The effective configuration and, per dotted key, the layer it came from."""

    config: Config
    sources: Mapping[str, str]
    layers: tuple[str, ...]


def packaged_default_text() -> str:
    return resources.files("voiceslm").joinpath("default_config.yaml").read_text(encoding="utf-8")


def system_config_path() -> Path:
    return Path(os.environ.get("VOICESLM_SYSTEM_CONFIG", "/etc/voiceslm/config.yaml"))


def user_config_path() -> Path:
    config_home = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config_home) / "voiceslm" / "config.yaml"


def load_config(
    config_file: str | os.PathLike[str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    use_system_layers: bool = True,
) -> LoadedConfig:
    """Merge every layer and validate the result into a frozen `Config`.

    `overrides` maps dotted key paths (``"translate.target"``) to values from
    the command line. Raises `UserError` naming the file and key on bad input.
    """
    merged: dict[str, Any] = {}
    sources: dict[str, str] = {}
    layers: list[str] = []

    _merge_layer(merged, sources, _parse_yaml(packaged_default_text(), PACKAGED_LAYER), PACKAGED_LAYER)
    layers.append(PACKAGED_LAYER)

    paths: list[tuple[Path, bool]] = []
    if use_system_layers:
        paths += [(system_config_path(), False), (user_config_path(), False)]
    if config_file is not None:
        paths.append((Path(config_file), True))
    for path, required in paths:
        try:
            exists = path.exists()
        except OSError as exc:  # a folder on the way that may not be searched
            raise UserError(
                f"Config file {path} cannot be reached ({_reason(exc)}); fix its folder's permissions."
            ) from exc
        if not exists:
            if required:
                raise UserError(f"Config file {path} does not exist; check the path given to --config.")
            continue
        text = _read_config_text(path)
        layer = _parse_yaml(text, str(path))
        _merge_layer(merged, sources, layer, str(path))
        layers.append(str(path))

    # $VOICESLM_MODELS sits between the files and the command line, so a
    # service can point at its store and --models-dir still wins.
    if env_store := os.environ.get("VOICESLM_MODELS"):
        _merge_layer(merged, sources, {"models": {"store": env_store}}, "$VOICESLM_MODELS")
        layers.append("$VOICESLM_MODELS")

    if overrides:
        for dotted, value in overrides.items():
            if value is None:
                continue
            _set_dotted(merged, dotted, value)
            sources[dotted] = "command line"
        layers.append("command line")

    config = _build(Config, merged, "", sources)
    _check_values(config, sources)
    return LoadedConfig(config=config, sources=sources, layers=tuple(layers))


def _read_config_text(path: Path) -> str:
    """The file's text, read no further than a configuration can be long (it may be /dev/zero)."""
    if path.is_dir():
        raise UserError(f"Config file {path} is a folder; give the path of a YAML file.")
    try:
        with path.open("rb") as handle:
            data = handle.read(yamlsafe.MAX_BYTES + 1)
        if len(data) > yamlsafe.MAX_BYTES:
            raise UserError(
                f"Config file {path} is over {yamlsafe.MAX_BYTES:,} bytes, far more than any configuration; "
                "give the right file."
            )
        return data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(
            f"Config file {path} cannot be read ({_reason(exc)}); fix its permissions or encoding."
        ) from exc


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc).splitlines()[0]


def _parse_yaml(text: str, origin: str) -> dict[str, Any]:
    try:
        data = yamlsafe.load(text)
    except yamlsafe.ConfigYamlError as exc:
        raise UserError(f"Config file {origin} is refused: {exc}; fix it there.") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise UserError(f"Config file {origin} is not valid YAML{where}: {problem}; fix the syntax there.") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UserError(
            f"Config file {origin} must be a mapping of sections (like `stt:`), not a {type(data).__name__}."
        )
    return data


def _merge_layer(merged: dict[str, Any], sources: dict[str, str], layer: Mapping[str, Any], origin: str) -> None:
    """Deep-merge `layer` into `merged`, recording `origin` for every leaf."""
    for key, value in layer.items():
        _merge_key(merged, sources, key, value, origin, "")


def _merge_key(target: dict[str, Any], sources: dict[str, str], key: str, value: Any, origin: str, prefix: str) -> None:
    dotted = f"{prefix}{key}"
    # Sections merge key by key; leaves (including mappings such as tts.voices,
    # which are values) replace whatever an earlier layer had.
    if isinstance(value, dict) and dataclasses.is_dataclass(_schema_at(dotted)):
        section = target.setdefault(key, {})
        for sub_key, sub_value in value.items():
            _merge_key(section, sources, sub_key, sub_value, origin, dotted + ".")
        return
    target[key] = value
    for stale in [k for k in sources if k.startswith(dotted + ".")]:
        del sources[stale]
    sources[dotted] = origin


def _schema_at(dotted: str) -> Any:
    """The dataclass or type at a dotted path of `Config`, or None if unknown."""
    current: Any = Config
    for part in dotted.split("."):
        if not dataclasses.is_dataclass(current):
            return None
        hints = typing.get_type_hints(current)
        if part not in hints:
            return None
        current = hints[part]
    return current


def _set_dotted(merged: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    target = merged
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = value


def _origin_of(dotted: str, sources: Mapping[str, str]) -> str:
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        key = ".".join(parts[:end])
        if key in sources:
            return sources[key]
    # A section no layer sets as a whole (an unknown one): whoever set a key in it.
    inner = [origin for key, origin in sources.items() if key.startswith(dotted + ".")]
    return inner[-1] if inner else PACKAGED_LAYER


def _build(cls: type, data: Any, prefix: str, sources: Mapping[str, str]) -> Any:
    section = prefix.rstrip(".") or "the top level"
    if not isinstance(data, dict):
        origin = _origin_of(prefix.rstrip("."), sources)
        raise UserError(f"{origin}: {section} must be a mapping of keys, not {_describe(data)}.")
    hints = typing.get_type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls)}
    for key in data:
        if key not in fields:
            dotted = f"{prefix}{key}"
            origin = _origin_of(dotted, sources)
            raise UserError(
                f"{origin}: unknown key {dotted!r}; expected one of {', '.join(sorted(fields))} in {section}."
            )
    values: dict[str, Any] = {}
    for name in fields:
        if name not in data:
            continue
        hint = hints[name]
        dotted = f"{prefix}{name}"
        if dataclasses.is_dataclass(hint):
            values[name] = _build(typing.cast(type, hint), data[name], dotted + ".", sources)
        else:
            values[name] = _coerce(hint, data[name], dotted, sources)
    return cls(**values)


def _describe(value: Any) -> str:
    if value is None:
        return "an empty value"
    return f"{type(value).__name__} {_short_repr(value)}"


def _short_repr(value: Any, limit: int = 80) -> str:
    """repr() cut to `limit` characters: an error message names the value, it does not reprint a file."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _coerce(hint: Any, value: Any, dotted: str, sources: Mapping[str, str]) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)

    def fail(expected: str) -> UserError:
        return UserError(f"{_origin_of(dotted, sources)}: {dotted} must be {expected}, not {_describe(value)}.")

    if origin is Literal:
        if value not in args:
            raise fail("one of " + ", ".join(repr(a) for a in args))
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise fail("true or false")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise fail("a whole number")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise fail("a number")
        return float(value)
    if hint is str:
        if dotted in _INDEX_OR_NAME and isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str):
            raise fail("a string")
        return value
    if origin is tuple:
        if isinstance(value, str) and dotted in _COMMA_LISTS:
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise fail("a list of strings")
        return tuple(value)
    if origin in (Mapping, dict) or hint is Mapping:
        if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            raise fail("a mapping of strings to strings")
        return types.MappingProxyType(dict(value))
    raise TypeError(f"unsupported config type {hint!r} at {dotted}")


# Keys whose value may be given on the command line as "a,b,c".
_COMMA_LISTS = {"stt.languages"}

# Keys that take a device index (a YAML number) or a name.
_INDEX_OR_NAME = {"audio.input_device", "audio.output_device"}


def _check_values(config: Config, sources: Mapping[str, str]) -> None:
    """Reject values that have the right type but cannot work."""

    def require(ok: bool, dotted: str, expected: str, value: Any) -> None:
        if not ok:
            raise UserError(f"{_origin_of(dotted, sources)}: {dotted} must be {expected}, not {_short_repr(value)}.")

    stt, lm, tts = config.stt, config.lm, config.tts
    require(stt.beam_size >= 1, "stt.beam_size", "at least 1", stt.beam_size)
    require(
        0.0 <= stt.no_speech_threshold <= 1.0, "stt.no_speech_threshold", "between 0 and 1", stt.no_speech_threshold
    )
    require(stt.log_prob_threshold <= 0.0, "stt.log_prob_threshold", "0 or below", stt.log_prob_threshold)
    require(len(stt.languages) > 0, "stt.languages", "a non-empty list of language codes", list(stt.languages))
    for code in stt.languages:
        require(is_language_code(code), "stt.languages", "a list of two-letter language codes", list(stt.languages))
        require(code in WHISPER_LANGUAGES, "stt.languages", "languages whisper knows (such as en, es, ja)", code)
    threads_range = f"between 0 (automatic) and {MAX_THREADS} (this machine has {os.cpu_count() or 1} CPU cores)"
    for key, threads in (("stt.threads", stt.threads), ("lm.threads", lm.threads), ("tts.threads", tts.threads)):
        require(0 <= threads <= MAX_THREADS, key, threads_range, threads)
    require(5 <= stt.window_s <= 30, "stt.window_s", "between 5 and 30 seconds", stt.window_s)
    require(1 <= lm.max_tokens <= 4096, "lm.max_tokens", "between 1 and 4096", lm.max_tokens)
    require(0.0 <= lm.temperature <= 2.0, "lm.temperature", "between 0 and 2", lm.temperature)
    require(1.0 <= lm.repetition_penalty <= 2.0, "lm.repetition_penalty", "between 1 and 2", lm.repetition_penalty)
    require(0 <= lm.history_turns <= 20, "lm.history_turns", "between 0 and 20", lm.history_turns)
    require(0.25 <= tts.length_scale <= 4.0, "tts.length_scale", "between 0.25 and 4", tts.length_scale)
    require(0.0 < tts.volume <= 4.0, "tts.volume", "above 0 and at most 4", tts.volume)
    require(
        len(lm.system_prompt) <= MAX_SYSTEM_PROMPT_CHARS,
        "lm.system_prompt",
        f"at most {MAX_SYSTEM_PROMPT_CHARS:,} characters (a small model reads little more)",
        f"{len(lm.system_prompt):,} characters",
    )
    for language, voice in tts.voices.items():
        require(is_language_code(language), "tts.voices", "keyed by two-letter language codes", language)
        spec = voices.parse(voice)
        require(spec is not None, f"tts.voices.{language}", voices.SYNTAX, voice)
        assert spec is not None
        problem = voices.config_problem(language, spec)
        require(not problem, f"tts.voices.{language}", problem, voice)
        require(
            tts.nonfree_voices or not spec.nonfree,
            f"tts.voices.{language}",
            "a free voice while tts.nonfree_voices is false (MBROLA is for non-commercial use only)",
            voice,
        )
    source, target = config.translate.source, config.translate.target
    require(
        source == "auto" or is_language_code(source), "translate.source", 'a two-letter language code or "auto"', source
    )
    require(is_language_code(target), "translate.target", "a two-letter language code", target)
    assistant = config.assistant
    require(assistant.max_document_mb > 0, "assistant.max_document_mb", "above 0", assistant.max_document_mb)
    require(
        assistant.max_document_chars >= 1, "assistant.max_document_chars", "at least 1", assistant.max_document_chars
    )
    _check_translate_routes(config.translate, require)
    require(config.limits.max_text_chars >= 1, "limits.max_text_chars", "at least 1", config.limits.max_text_chars)
    require(config.limits.max_audio_seconds > 0, "limits.max_audio_seconds", "above 0", config.limits.max_audio_seconds)
    _check_live_values(config, require)
    _check_daemon_values(config, require)
    require(0 <= config.wyoming.queue <= 256, "wyoming.queue", "between 0 and 256", config.wyoming.queue)


def _check_translate_routes(translate: TranslateConfig, require: Any) -> None:
    from voiceslm.engines.routes import route_problem

    expected = route_problem(translate.engine)
    require(expected is None, "translate.engine", expected, translate.engine)
    for direction, route in translate.engines.items():
        source, _, target = str(direction).partition("-")
        require(
            is_language_code(source) and is_language_code(target),
            "translate.engines",
            'keyed by directions such as "en-es"',
            direction,
        )
        expected = route_problem(str(route))
        require(expected is None, f"translate.engines.{direction}", expected, route)


def _check_live_values(config: Config, require: Any) -> None:
    audio, vad, echo, live = config.audio, config.vad, config.echo, config.live
    for key, rate in (
        ("audio.input_sample_rate", audio.input_sample_rate),
        ("audio.output_sample_rate", audio.output_sample_rate),
    ):
        require(rate == 0 or 8000 <= rate <= 192000, key, "0 (device default) or between 8000 and 192000 Hz", rate)
    require(10 <= audio.block_ms <= 200, "audio.block_ms", "between 10 and 200", audio.block_ms)
    require(0.0 <= audio.output_latency <= 2.0, "audio.output_latency", "between 0 and 2 seconds", audio.output_latency)
    require(0.1 <= audio.reopen_max_s <= 300, "audio.reopen_max_s", "between 0.1 and 300 seconds", audio.reopen_max_s)
    require(0.05 <= vad.threshold <= 0.95, "vad.threshold", "between 0.05 and 0.95", vad.threshold)
    require(100 <= vad.min_silence_ms <= 5000, "vad.min_silence_ms", "between 100 and 5000", vad.min_silence_ms)
    require(0 <= vad.preroll_ms <= 2000, "vad.preroll_ms", "between 0 and 2000", vad.preroll_ms)
    require(1.0 <= vad.max_utterance_s <= 120, "vad.max_utterance_s", "between 1 and 120 seconds", vad.max_utterance_s)
    require(30 <= vad.min_speech_ms <= 2000, "vad.min_speech_ms", "between 30 and 2000", vad.min_speech_ms)
    require(
        vad.speculate_ms == 0 or 64 <= vad.speculate_ms < vad.min_silence_ms,
        "vad.speculate_ms",
        "0 (off) or from 64 up to below vad.min_silence_ms",
        vad.speculate_ms,
    )
    require(0 <= echo.tail_ms <= 5000, "echo.tail_ms", "between 0 and 5000", echo.tail_ms)
    require(
        4 <= live.audio_queue_blocks <= 10000, "live.audio_queue_blocks", "between 4 and 10000", live.audio_queue_blocks
    )


def _check_daemon_values(config: Config, require: Any) -> None:
    daemon, privacy = config.daemon, config.privacy
    for key, path in (
        ("daemon.socket", daemon.socket),
        ("privacy.audio_dir", privacy.audio_dir),
        ("privacy.transcript_path", privacy.transcript_path),
    ):
        require(not path or os.path.isabs(os.path.expanduser(path)), key, "an absolute path or empty", path)
    require(len(daemon.socket) <= 100, "daemon.socket", "at most 100 characters (a Unix socket limit)", daemon.socket)
    require(
        1.0 <= daemon.control_idle_timeout <= 3600,
        "daemon.control_idle_timeout",
        "between 1 and 3600 seconds",
        daemon.control_idle_timeout,
    )
    require(0 <= privacy.retention_days <= 3650, "privacy.retention_days", "between 0 and 3650", privacy.retention_days)
    require(0 <= privacy.retention_mb <= 100000, "privacy.retention_mb", "between 0 and 100000", privacy.retention_mb)
    assistant = config.assistant
    require(
        0 <= assistant.max_spoken_sentences <= 50,
        "assistant.max_spoken_sentences",
        "between 0 (no cap) and 50",
        assistant.max_spoken_sentences,
    )
    require(0 <= assistant.notes_days <= 36500, "assistant.notes_days", "between 0 and 36500", assistant.notes_days)


def is_language_code(code: str) -> bool:
    return len(code) == LANGUAGE_CODE_LENGTH and code.isascii() and code.isalpha() and code.islower()


def flatten(config: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Every leaf of a config dataclass as (dotted key, value), in schema order."""
    rows: list[tuple[str, Any]] = []
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        dotted = f"{prefix}{f.name}"
        if dataclasses.is_dataclass(value):
            rows += flatten(value, dotted + ".")
        else:
            rows.append((dotted, value))
    return rows


def to_plain(value: Any) -> Any:
    """A config value as plain YAML/JSON data."""
    if dataclasses.is_dataclass(value):
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple):
        return [to_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: to_plain(v) for k, v in value.items()}
    return value


def source_of(loaded: LoadedConfig, dotted: str) -> str:
    """The layer a leaf's value came from (a parent key set as a whole counts)."""
    return _origin_of(dotted, loaded.sources)
