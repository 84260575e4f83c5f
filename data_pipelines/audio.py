"""Reading corpus audio, and the example layout every builder writes.

Each error names the file at fault. Conversions (another sample rate,
several channels) are done, not refused: corpora come in many forms.
"""
import dataclasses
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

INT16_SCALE = 32768.0


class AudioError(ValueError):
    """A corpus file that cannot be used; the message names it and says why."""


@dataclasses.dataclass(frozen=True)
class FileFormat:
    """How a file stores its audio, so that an output can be written the same way."""

    rate: int
    format: str  # soundfile's container name: "WAV", "FLAC", ...
    subtype: str  # sample encoding: "PCM_16", "FLOAT", ...


def read_file(path) -> tuple[np.ndarray, FileFormat]:
    """[frames, channels] float32 samples of `path` and its format, checked: the
    file exists, is audio, holds samples, and all of them are finite."""
    path = Path(path)
    if not path.is_file():
        raise AudioError(f"{path}: no such file")
    try:
        with sf.SoundFile(path) as file:
            audio = file.read(dtype="float32", always_2d=True)
            file_format = FileFormat(file.samplerate, file.format, file.subtype)
    except (sf.LibsndfileError, RuntimeError) as err:
        raise AudioError(f"{path}: not readable audio ({err})") from err
    if audio.shape[0] == 0:
        raise AudioError(f"{path}: holds no samples")
    if not np.all(np.isfinite(audio)):
        raise AudioError(f"{path}: holds NaN or infinite samples")
    return audio, file_format


def resample(audio: np.ndarray, rate: int, new_rate: int) -> np.ndarray:
    """[frames] or [frames, channels] float32 at `new_rate` (soxr, high quality)."""
    if rate == new_rate:
        return audio
    return soxr.resample(audio, rate, new_rate, quality="HQ").astype(np.float32)


def read_audio(path, rate: int) -> np.ndarray:
    """Mono float32 samples of `path` at `rate` Hz: channels averaged, resampled with soxr."""
    audio, file_format = read_file(path)
    return resample(audio.mean(axis=1), file_format.rate, rate)


def to_int16(audio: np.ndarray) -> np.ndarray:
    """Float samples in [-1, 1) to int16, clipping what lies outside."""
    return np.clip(np.round(audio * INT16_SCALE), -32768, 32767).astype(np.int16)


def example(noisy: np.ndarray, clean: np.ndarray, speaker: str, file_id: str) -> dict:
    """The stored example: int16 noisy and clean, int32 noise = noisy - clean exactly
    (the difference of two int16 signals can leave the int16 range)."""
    if noisy.shape != clean.shape:
        raise AudioError(f"{file_id}: noisy has {noisy.shape[0]} samples, clean "
                         f"{clean.shape[0]}; a pair must have the same length")
    noisy, clean = to_int16(noisy), to_int16(clean)
    return dict(noisy=noisy, clean=clean, noise=noisy.astype(np.int32) - clean,
                speaker=speaker, file_id=file_id)
