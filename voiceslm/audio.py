"""Reading, resampling and writing audio.

Inside voiceslm audio is always a float32 mono numpy array in [-1, 1] plus its
sample rate. Recordings of any rate and channel count are accepted: libsndfile
reads the common formats quickly, and PyAV (FFmpeg, shipped with faster-whisper)
reads everything else.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import stat
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
    if not stat.S_ISREG(path.stat().st_mode):
        # A pipe or a device (/dev/zero) has no size and may never end.
        raise UserError(f"{path} is not a regular file (a pipe or a device); save the recording to a file first.")
    if path.stat().st_size == 0:
        raise UserError(f"Recording {path} is an empty file; record or choose another file.")

    samples, rate = _read(path)
    _warn_if_truncated(path, samples.shape[0], rate)
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


def _warn_if_truncated(path: Path, frames: int, rate: int) -> None:
    """Say so when a WAV's header promises more audio than the file holds (a recording cut short)."""
    import soundfile

    with path.open("rb") as handle:
        head = handle.read(12)
        if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return
        block_align = 0
        while header := handle.read(8):
            if len(header) < 8:
                return
            size = int.from_bytes(header[4:], "little")
            if header[:4] == b"fmt ":
                fmt = handle.read(size)
                block_align = int.from_bytes(fmt[12:14], "little")
                handle.seek(size % 2, os.SEEK_CUR)
            elif header[:4] == b"data":
                # 0 and 0xFFFFFFFF mark a stream whose writer never filled the size in.
                if block_align and size not in (0, 0xFFFFFFFF) and size // block_align > frames:
                    with contextlib.suppress(RuntimeError, soundfile.LibsndfileError):
                        rate = soundfile.info(str(path)).samplerate
                    log.warning(
                        "Recording %s is cut short: its header promises %.1f s but it holds %.1f s; "
                        "using what is there.",
                        path,
                        size / block_align / rate,
                        frames / rate,
                    )
                return
            else:
                handle.seek(size + size % 2, os.SEEK_CUR)


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
    # Encoded in memory first: libsndfile turns a failed write (a full disk)
    # into an AssertionError, while a plain write raises OSError with the reason.
    encoded = io.BytesIO()
    soundfile.write(encoded, to_int16(samples), sample_rate, format="WAV", subtype="PCM_16")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(encoded.getbuffer())
            handle.flush()
            os.fsync(handle.fileno())
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


def check_output_path(path: str | os.PathLike[str], inputs: tuple[str | os.PathLike[str], ...] = ()) -> Path:
    """Fail before any work is done if `path` cannot be written, or would replace one of `inputs`."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise UserError(f"Output {path} is a directory; give a file name such as reply.wav.")
    for source in inputs:
        if _same_file(path, Path(source)):
            raise UserError(
                f"Output {path} is the input recording itself and would replace it; give another name with -o."
            )
    if not directory.is_dir():
        raise UserError(f"Cannot write {path}: folder {directory} does not exist; create it or choose another path.")
    if not os.access(directory, os.W_OK):
        raise UserError(f"Cannot write {path}: folder {directory} is not writable; choose another path.")
    if path.suffix.lower() != ".wav":
        raise UserError(f"Output {path} must end in .wav; voiceslm writes 16-bit WAV.")
    return path


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()
