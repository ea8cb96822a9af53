"""Reading, resampling and writing audio.

Inside voiceslm audio is always a float32 mono numpy array in [-1, 1] plus its
sample rate. Recordings of any rate and channel count are accepted: libsndfile
reads the common formats quickly, and PyAV (FFmpeg, shipped with faster-whisper)
reads everything else.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

import numpy as np

from voiceslm.errors import UserError

log = logging.getLogger(__name__)

STT_SAMPLE_RATE = 16000
"""Hertz: what Whisper and Silero VAD expect."""


def load_audio(
    path: str | os.PathLike[str], sample_rate: int = STT_SAMPLE_RATE, max_seconds: float | None = None
) -> np.ndarray:
    """Decode a recording to float32 mono at `sample_rate`.

    Raises UserError for a missing, unreadable, corrupt, empty or overlong file.
    """
    path = Path(path)
    if not path.exists():
        raise UserError(f"Recording {path} does not exist; check the path.")
    if path.is_dir():
        raise UserError(f"{path} is a directory, not a recording; give an audio file such as a WAV or FLAC.")
    if not os.access(path, os.R_OK):
        raise UserError(f"Recording {path} cannot be read (permission denied); fix its permissions.")
    if path.stat().st_size == 0:
        raise UserError(f"Recording {path} is an empty file; record or choose another file.")

    samples, rate = _read(path)
    if samples.size == 0:
        raise UserError(f"Recording {path} contains no audio samples; record or choose another file.")
    duration = samples.shape[0] / rate
    if max_seconds is not None and duration > max_seconds:
        raise UserError(
            f"Recording {path} is {duration:.0f} s long, over the {max_seconds:.0f} s limit; "
            "cut it shorter or raise limits.max_audio_seconds."
        )
    mono = samples.mean(axis=1) if samples.ndim == 2 else samples
    mono = np.ascontiguousarray(mono, dtype=np.float32)
    if not np.isfinite(mono).all():
        raise UserError(f"Recording {path} holds invalid (non-finite) samples; re-export it as 16-bit PCM.")
    return resample(mono, rate, sample_rate)


# Containers libsndfile reads quietly. Its MP3 decoder (mpg123) prints notes
# straight to stderr on a damaged file, so everything else goes to FFmpeg.
_SNDFILE_MAGIC = (b"RIFF", b"RF64", b"fLaC", b"OggS", b"FORM")


def _read(path: Path) -> tuple[np.ndarray, int]:
    import soundfile

    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic not in _SNDFILE_MAGIC:
        return _read_with_ffmpeg(path), STT_SAMPLE_RATE
    try:
        data, rate = soundfile.read(str(path), dtype="float32", always_2d=False)
        return data, int(rate)
    except (soundfile.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
        log.debug("libsndfile cannot read %s (%s); trying FFmpeg", path, exc)
    return _read_with_ffmpeg(path), STT_SAMPLE_RATE


def _read_with_ffmpeg(path: Path) -> np.ndarray:
    import av
    from faster_whisper.audio import decode_audio

    try:
        return decode_audio(str(path), sampling_rate=STT_SAMPLE_RATE)
    except (av.error.FFmpegError, ValueError, IndexError, StopIteration) as exc:
        raise UserError(
            f"Recording {path} is not a readable audio file ({type(exc).__name__}); "
            "convert it to WAV, FLAC, MP3 or OGG."
        ) from exc


def resample(samples: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """Resample float32 mono audio with soxr (high quality, streaming-capable)."""
    if src_rate == dst_rate or samples.size == 0:
        return samples.astype(np.float32, copy=False)
    import soxr

    return soxr.resample(samples, src_rate, dst_rate).astype(np.float32, copy=False)


def to_int16(samples: np.ndarray) -> np.ndarray:
    return (np.clip(samples, -1.0, 1.0) * 32767.0).astype(np.int16)


def write_wav(path: str | os.PathLike[str], samples: np.ndarray, sample_rate: int) -> Path:
    """Write 16-bit mono WAV atomically: a reader never sees half a file."""
    import soundfile

    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise UserError(f"Cannot write {path}: folder {directory} does not exist; create it or choose another path.")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            soundfile.write(handle, to_int16(samples), sample_rate, format="WAV", subtype="PCM_16")
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise UserError(
            f"Cannot write {path} ({exc.strerror or exc}); check the folder's permissions and free space."
        ) from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def check_output_path(path: str | os.PathLike[str]) -> Path:
    """Fail before any work is done if `path` cannot be written."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise UserError(f"Output {path} is a directory; give a file name such as reply.wav.")
    if not directory.is_dir():
        raise UserError(f"Cannot write {path}: folder {directory} does not exist; create it or choose another path.")
    if not os.access(directory, os.W_OK):
        raise UserError(f"Cannot write {path}: folder {directory} is not writable; choose another path.")
    if path.suffix.lower() != ".wav":
        raise UserError(f"Output {path} must end in .wav; voiceslm writes 16-bit WAV.")
    return path
