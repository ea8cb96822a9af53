"""Typed, frozen configuration loaded from layered YAML files.

Layers, later wins: the packaged default, /etc/voiceslm/config.yaml,
$XDG_CONFIG_HOME/voiceslm/config.yaml, --config FILE, command-line flags.
Every leaf value remembers the layer it came from, so `voiceslm config show`
can say why a value is what it is.
"""

from __future__ import annotations

import dataclasses
import os
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from voiceslm.config_build import (
    PACKAGED_LAYER,
    build,
    merge_layer,
    origin_of,
    parse_yaml,
    read_config_text,
    reason,
    set_dotted,
)
from voiceslm.config_checks import MAX_SYSTEM_PROMPT_CHARS, MAX_THREADS, check_values, is_language_code
from voiceslm.errors import UserError

__all__ = ["MAX_SYSTEM_PROMPT_CHARS", "MAX_THREADS", "PACKAGED_LAYER", "is_language_code"]


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
    window_s: int = 10


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
    turn_model: str = "smart-turn-v3.2"
    """Model asked at the `speculate_ms` pause whether the turn is finished; empty: silence alone ends a turn."""
    turn_threshold: float = 0.5
    """The turn model's probability at or above which the turn ends at that pause."""
    max_silence_ms: int = 1200
    """Silence that ends a turn the turn model heard as unfinished (a list, a hesitation)."""


@dataclass(frozen=True)
class EchoConfig:
    mode: Literal["half-duplex", "aec", "pulse-aec", "none"] = "half-duplex"
    """How the microphone is kept from hearing the pipeline's own voice."""
    adapt_s: float = 2.5
    """aec: seconds of reply audio the canceller adapts on (after start or a device change) while the
    microphone is still guarded as in half-duplex."""
    noise_suppression: bool = False
    """aec: also WebRTC's noise suppressor on the microphone (measured in docs/quality.md before trusting it)."""
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
    policy_classifier: bool = True
    """After the safety rules, a learned classifier also declines requests whose chance of harm is above
    policy_threshold (trained on first use from the packaged labelled sets, kept in the state directory)."""
    policy_threshold: float = 0.95
    """The classifier's chance of harm above which a request is declined: higher answers more look-alikes."""
    policy_encoder: str = "use-multilingual-v3"
    """The sentence encoder (a model of the store, role "policy") whose head also declines requests by their
    meaning, whatever their words; "" turns that layer off. Missing: one warning, the other layers go on."""
    policy_encoder_threshold: float = 0.97
    """The encoder head's chance of harm above which a request is declined: higher answers more look-alikes."""
    policy_combined_threshold: float = 0.75
    """With both learned layers, the mean of their chances of harm above which a request is declined."""


@dataclass(frozen=True)
class WyomingConfig:
    uri: str = "tcp://127.0.0.1:10300"
    """Where `voiceslm wyoming` listens: tcp://HOST:PORT (0.0.0.0 for the whole network) or unix://PATH."""
    handle: Literal["translate", "assist"] = "translate"
    """What a `handle` request does with a transcript: translate it into translate.target, or answer it."""
    queue: int = 4
    """Requests that may wait for each engine while it serves another; one more is told the server is busy."""


@dataclass(frozen=True)
class SatelliteConfig:
    uri: str = ""
    """The Wyoming server `voiceslm satellite` sends speech to and takes voices from: tcp://HOST:PORT or unix://PATH."""
    asr_uri: str = ""
    """The speech-to-text server (e.g. wyoming-faster-whisper); empty: `uri`."""
    tts_uri: str = ""
    """The text-to-speech server (e.g. wyoming-piper); empty: `uri`."""
    voices: dict[str, str] = field(default_factory=dict)
    """Voice name on the text-to-speech server per language; an unlisted language is asked for by language."""
    timeout_s: float = 30.0
    """Seconds to wait for a server to connect or to send its next event."""
    listen: str = ""
    """Be a Home Assistant satellite instead: listen here (tcp://HOST:PORT) for Home Assistant to connect."""


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
    satellite: SatelliteConfig = field(default_factory=SatelliteConfig)

    def model_store(self) -> Path:
        if self.models.store:
            return Path(self.models.store).expanduser()
        data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        return Path(data_home) / "voiceslm" / "models"


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

    merge_layer(Config, merged, sources, parse_yaml(packaged_default_text(), PACKAGED_LAYER), PACKAGED_LAYER)
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
                f"Config file {path} cannot be reached ({reason(exc)}); fix its folder's permissions."
            ) from exc
        if not exists:
            if required:
                raise UserError(f"Config file {path} does not exist; check the path given to --config.")
            continue
        text = read_config_text(path)
        layer = parse_yaml(text, str(path))
        merge_layer(Config, merged, sources, layer, str(path))
        layers.append(str(path))

    # $VOICESLM_MODELS sits between the files and the command line, so a
    # service can point at its store and --models-dir still wins.
    if env_store := os.environ.get("VOICESLM_MODELS"):
        merge_layer(Config, merged, sources, {"models": {"store": env_store}}, "$VOICESLM_MODELS")
        layers.append("$VOICESLM_MODELS")

    if overrides:
        for dotted, value in overrides.items():
            if value is None:
                continue
            set_dotted(merged, dotted, value)
            sources[dotted] = "command line"
        layers.append("command line")

    config = build(Config, merged, "", sources)
    check_values(config, sources)
    return LoadedConfig(config=config, sources=sources, layers=tuple(layers))


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
    return origin_of(dotted, loaded.sources)
