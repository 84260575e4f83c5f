"""Reading corpus audio, and the example layout every builder writes.

Each error names the file at fault. Conversions (another sample rate,
several channels) are done, not refused: corpora come in many forms.
"""
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

INT16_SCALE = 32768.0


class AudioError(ValueError):
    """A corpus file that cannot be used; the message names it and says why."""


def read_audio(path, rate: int) -> np.ndarray:
    """Mono float32 samples of `path` at `rate` Hz: channels averaged, resampled with soxr."""
    path = Path(path)
    if not path.is_file():
        raise AudioError(f"{path}: no such file")
    try:
        audio, file_rate = sf.read(path, dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as err:
        raise AudioError(f"{path}: not readable audio ({err})") from err
    if audio.shape[0] == 0:
        raise AudioError(f"{path}: holds no samples")
    if not np.all(np.isfinite(audio)):
        raise AudioError(f"{path}: holds NaN or infinite samples")
    audio = audio.mean(axis=1)
    if file_rate != rate:
        audio = soxr.resample(audio, file_rate, rate, quality="HQ").astype(np.float32)
    return audio


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
