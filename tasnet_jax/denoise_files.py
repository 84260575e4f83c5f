"""Denoise audio files and folders, writing each output the way its input is stored.

    results = denoise_files(inference.load("runs/quickstart"), ["noisy/"], "denoised/")

Each output keeps its input's sample rate, channels, length, container and
sample encoding (a 24-bit FLAC in, a 24-bit FLAC out); the model runs at its
own rate in between. A folder is searched recursively and its layout is kept
under the output folder. A file that cannot be denoised is reported in its
result and the others go on. Nothing is overwritten that is an input, and an
existing output only with `overwrite`; outputs are written to a temporary name
and renamed when complete, so an interrupted run leaves no half-written file.
"""
import dataclasses
import os
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
from tqdm import tqdm

from data_pipelines.audio import AudioError, FileFormat, read_file, resample
from tasnet_jax.inference import Denoiser

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".aiff", ".aif")
CHANNEL_MODES = ("each", "mix")


@dataclasses.dataclass
class Result:
    input: Path
    outputs: list[Path] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)  # what was converted
    error: str | None = None


def find_inputs(paths) -> list[tuple[Path, Path]]:
    """(file, output name) for each file given and each audio file under each
    folder given; a missing path is kept, to be reported when it is read."""
    found = []
    for path in map(Path, paths):
        if path.is_dir():
            files = sorted(p for p in path.rglob("*")
                           if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES)
            found += [(file, file.relative_to(path)) for file in files]
        else:
            found.append((path, Path(path.name)))
    return found


def noise_name(path: Path) -> Path:
    return path.with_name(f"{path.stem}.noise{path.suffix}")


def denoise_files(denoiser: Denoiser, paths, out_dir, *, channels: str = "each",
                  save_noise: bool = False, overwrite: bool = False,
                  progress: bool = True, files_per_batch: int | None = None) -> list[Result]:
    """Denoise every file in `paths` (files or folders) into `out_dir`.

    channels: "each" denoises every channel of a multi-channel file on its
    own (the output has the input's channels); "mix" denoises their average
    (a mono output). save_noise also writes the noise estimate, as
    NAME.noise.EXT (a speech-only model's is the input minus its speech).
    """
    if channels not in CHANNEL_MODES:
        raise ValueError(f"channels={channels!r}; choose one of {CHANNEL_MODES}")
    out_dir = Path(out_dir)
    check_writable(out_dir)
    inputs = find_inputs(paths)
    protected = {p.resolve() for p, _ in inputs if p.exists()}
    results = [Result(path) for path, _ in inputs]
    files_per_batch = files_per_batch or denoiser.batch_size
    bar = tqdm(total=sum(_seconds(p) for p, _ in inputs), unit="s", disable=not progress,
               desc="denoise", bar_format="{l_bar}{bar}| {n:.1f}/{total:.1f} s audio [{elapsed}]")
    with bar:
        for first in range(0, len(inputs), files_per_batch):
            group = list(zip(inputs[first:first + files_per_batch],
                             results[first:first + files_per_batch]))
            jobs = []  # (result, output paths, per-channel recordings, file format, length)
            for (path, name), result in group:
                try:
                    targets = [out_dir / name] + ([noise_name(out_dir / name)] if save_noise else [])
                    check_targets(targets, protected, overwrite)
                    audio, file_format = read_file(path)
                    jobs.append((result, targets, *_to_model(path, audio, file_format,
                                                             denoiser, channels, result.notes)))
                except (AudioError, FileExistsError, ValueError) as err:
                    result.error = str(err)
            recordings = [r for job in jobs for r in job[2]]
            separated = iter(denoiser.separate(
                recordings, lambda n: bar.update(n / denoiser.sample_rate)))
            for result, targets, channel_recordings, file_format, frames in jobs:
                sources = np.stack([next(separated) for _ in channel_recordings])  # [ch, src, T]
                if sources.shape[1] == 1:  # a speech-only model: the noise is what it leaves
                    sources = np.concatenate(
                        [sources, np.stack(channel_recordings)[:, None] - sources], axis=1)
                try:
                    for source, target in enumerate(targets):
                        audio = resample(sources[:, source].T, denoiser.sample_rate,
                                         file_format.rate)
                        audio = fit_length(audio, frames)
                        write_like(target, audio, file_format, result.notes)
                        result.outputs.append(target)
                except (OSError, sf.LibsndfileError) as err:
                    result.error = f"{result.input}: could not write {target} ({err})"
    return results


def _seconds(path: Path) -> float:
    try:
        info = sf.info(path)
        return info.frames * info.channels / info.samplerate
    except (sf.LibsndfileError, RuntimeError, OSError):
        return 0.0  # reported as an error when read


def check_writable(folder: Path):
    """Create `folder` if needed and write a file there, so that a folder that
    cannot hold the outputs is refused before any audio is processed."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as err:
        raise ValueError(f"output folder {folder} cannot be written: "
                         f"{err.strerror or err}") from err


def check_targets(targets, protected, overwrite):
    """Refuse to write over an input (`protected`: resolved paths) or, unless
    `overwrite`, over an existing file."""
    for target in targets:
        if target.resolve() in protected:
            raise FileExistsError(f"{target} is one of the inputs; choose another output folder")
        if target.exists() and not overwrite:
            raise FileExistsError(f"{target} exists; pass --overwrite (overwrite=True) to "
                                  "replace it")


def _to_model(path, audio, file_format: FileFormat, denoiser: Denoiser, channels: str, notes):
    """The file's recordings at the model's rate, one per channel (or their mix)."""
    frames, n_channels = audio.shape
    if n_channels > 1 and channels == "mix":
        audio = audio.mean(axis=1, keepdims=True)
        notes.append(f"{n_channels} channels mixed down to one")
    if file_format.rate != denoiser.sample_rate:
        audio = resample(audio, file_format.rate, denoiser.sample_rate)
        notes.append(f"resampled {file_format.rate} -> {denoiser.sample_rate} Hz for the model "
                     "and back")
    if audio.shape[0] < denoiser.config.filter_length:
        raise AudioError(f"{path}: too short: {frames} samples; the model needs at least "
                         f"{denoiser.config.filter_length} at {denoiser.sample_rate} Hz")
    return [np.ascontiguousarray(channel) for channel in audio.T], file_format, frames


def fit_length(audio, frames):
    """Resampling there and back can gain or lose a sample; the output has the input's length."""
    if audio.shape[0] >= frames:
        return audio[:frames]
    return np.pad(audio, ((0, frames - audio.shape[0]), (0, 0)))


def write_like(target: Path, audio, file_format: FileFormat, notes):
    """Write [frames, channels] `audio` in `file_format`, atomically (a temporary
    name renamed when complete)."""
    if file_format.subtype.startswith("PCM") or file_format.subtype in ("ULAW", "ALAW"):
        # Integer samples cannot hold |x| >= 1: clip, and say so.
        clipped = int(np.sum(np.abs(audio) > 1))
        if clipped:
            notes.append(f"{target.name}: {clipped} samples clipped to the integer range")
        audio = np.clip(audio, -1, 1)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    try:
        sf.write(partial, audio, file_format.rate, subtype=file_format.subtype,
                 format=file_format.format)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
