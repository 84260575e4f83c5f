"""A trained model, ready to denoise: restore it, then separate recordings of any length.

    denoiser = inference.load("runs/quickstart")          # best checkpoint of a run
    denoiser = inference.load("asteroid_model.pth")       # or an Asteroid ConvTasNet
    denoiser = inference.load("JorisCos/ConvTasNet_Libri1Mix_enhsingle_16k")  # from the Hub
    speech, noise = denoiser(noisy)                        # [samples] at denoiser.sample_rate

`load` reads the model's config saved with the checkpoint, so nothing about
the model has to be repeated. Recordings longer than `chunk_seconds` are
separated in overlapping pieces (`chunking.py`), several pieces or short
recordings per jit-compiled batch, on the default device. The sources come
out at the recording's level (`mixture_gain`), as the training loss does not
fix it.
"""
import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path

import jax
import numpy as np

from tasnet_jax import chunking, hub
from tasnet_jax.checkpoints import Checkpoints, checkpoints_folder
from tasnet_jax.model import ConvTasNet, ConvTasNetConfig


@dataclasses.dataclass
class Denoiser:
    config: ConvTasNetConfig
    variables: dict
    step: int | None  # the checkpoint's training step (None for an imported model)
    source: str = ""  # where it was loaded from
    chunk_seconds: float = 10.0  # longer recordings are split (bounds memory)
    fade_seconds: float = 0.05  # cross-fade between pieces
    batch_size: int = 4  # pieces per model call
    match_level: bool = True  # outputs at the input's level and sign (mixture_gain)
    # Share of the input mixed back into the speech (facebookresearch/denoiser's
    # "dry"): less suppression for less damage to the voice. The noise estimate
    # keeps the rest, so the two still sum to what they summed to.
    dry: float = 0.0

    def __post_init__(self):
        if self.chunk_seconds <= 0 or self.fade_seconds <= 0 or self.batch_size < 1:
            raise ValueError(f"Denoiser needs chunk_seconds > 0, fade_seconds > 0 and "
                             f"batch_size >= 1; got {self.chunk_seconds}, {self.fade_seconds}, "
                             f"{self.batch_size}")
        check_dry("Denoiser", self.dry, self.match_level)
        chunk, fade = self._chunk_and_fade()
        past, future = self.config.context
        if chunk - past - future - fade < self.config.stride:
            shortest = (past + future + fade + 2 * self.config.stride) / self.sample_rate
            raise ValueError(f"Denoiser.chunk_seconds={self.chunk_seconds} is too short for this "
                             f"model: pieces must hold its context ({past} + {future} samples) "
                             f"and the fade; use at least {shortest:.2f} s")
        self._apply = jax.jit(ConvTasNet(self.config).apply)

    def _chunk_and_fade(self) -> tuple[int, int]:
        """Samples per piece (a whole number of frames) and of each cross-fade."""
        cfg = self.config
        chunk = max(1, round(self.chunk_seconds * cfg.sample_rate / cfg.stride)) * cfg.stride
        return chunk, max(1, round(self.fade_seconds * cfg.sample_rate))

    @property
    def sample_rate(self) -> int:
        return self.config.sample_rate

    def __call__(self, wav) -> np.ndarray:
        """[samples] or [batch, samples] at `sample_rate` -> [n_src, samples] or
        [batch, n_src, samples] (source 0 is the speech)."""
        wav = np.asarray(wav, np.float32)
        if wav.ndim not in (1, 2):
            raise ValueError(f"expected [samples] or [batch, samples], got shape {wav.shape}")
        sources = self.separate(list(np.atleast_2d(wav)))
        return sources[0] if wav.ndim == 1 else np.stack(sources)

    def separate(self, recordings: Sequence[np.ndarray],
                 progress: Callable[[int], None] | None = None) -> list[np.ndarray]:
        """[samples] arrays of any lengths -> [n_src, samples] arrays. `progress`
        is called with the number of samples each model call finished."""
        cfg = self.config
        chunk, fade = self._chunk_and_fade()
        pieces_by_size = {}
        for index, wav in enumerate(recordings):
            if wav.ndim != 1 or wav.size < cfg.filter_length:
                raise ValueError(f"recording {index} has shape {wav.shape}; expected [samples] "
                                 f"with at least filter_length={cfg.filter_length} samples")
            for piece in chunking.plan(wav.size, chunk, *cfg.context, fade, cfg.stride):
                pieces_by_size.setdefault(piece.size, []).append((index, piece))
        outputs = [np.zeros((cfg.n_src, wav.size), np.float32) for wav in recordings]
        for size, pieces in pieces_by_size.items():
            for first in range(0, len(pieces), self.batch_size):
                batch = pieces[first:first + self.batch_size]
                # Rows padded to a power of two, so few shapes compile.
                rows = min(self.batch_size, 1 << (len(batch) - 1).bit_length())
                wavs = np.zeros((rows, size), np.float32)
                lengths = np.full(rows, size, np.int32)
                for row, (index, piece) in enumerate(batch):
                    wavs[row, :piece.length] = recordings[index][piece.start:][:piece.length]
                    lengths[row] = piece.length
                separated = np.asarray(self._apply(self.variables, wavs, lengths))
                for row, (index, piece) in enumerate(batch):
                    kept = separated[row, :, :piece.length] * chunking.weights(piece, fade)
                    outputs[index][:, piece.start:piece.start + piece.length] += kept
                if progress is not None:
                    progress(sum(piece.advance for _, piece in batch))
        if self.match_level:
            outputs = [out * mixture_gain(out, wav) for out, wav in zip(outputs, recordings)]
        if self.dry:
            outputs = [mix_dry(out, wav, self.dry) for out, wav in zip(outputs, recordings)]
        return outputs


def check_dry(owner: str, dry: float, match_level: bool) -> None:
    """ValueError naming `owner`.dry unless it is in [0, 1] and, when not 0, the
    outputs are brought to the input's level (the input is mixed in at its own)."""
    if not 0.0 <= dry <= 1.0:
        raise ValueError(f"{owner}.dry must be in [0, 1], got {dry!r}")
    if dry and not match_level:
        raise ValueError(f"{owner}.dry mixes the input into the speech, which needs the "
                         "outputs at the input's level: match_level=True")


def mix_dry(sources: np.ndarray, mixture: np.ndarray, dry: float) -> np.ndarray:
    """Sources [n_src, samples] at the mixture's level with `dry` of the mixture
    mixed into the speech (source 0) and the other sources scaled by 1 - dry.
    The sum moves toward the mixture: (1 - dry) * sum + dry * mixture."""
    mixed = (1.0 - dry) * sources
    mixed[0] += dry * mixture
    return mixed.astype(sources.dtype)


def mixture_gain(sources: np.ndarray, mixture: np.ndarray) -> np.float32:
    """The gain that brings separated sources [n_src, samples] to their mixture's
    level and sign: least squares of the mixture on the sources' sum (on the
    speech alone for a speech-only model, noise being uncorrelated with it).

    Negative SI-SNR leaves a model's output gain and sign free: a decoder that
    scales everything by -4 scores the same, and the models trained here do
    come out 3-5 times too loud, some inverted, which clips once written to a
    file. Sources that sum to silence keep gain 1.
    """
    total = sources.sum(0, dtype=np.float64)
    energy = float(np.dot(total, total))
    if energy <= 0:
        return np.float32(1)
    return np.float32(np.dot(mixture.astype(np.float64), total) / energy)


def load(path, which="best", **options) -> Denoiser:
    """The model of a run's `which` checkpoint: "best" (by validation SI-SNR),
    "latest", or a step number. `path` is the run's workdir or its
    checkpoints/, an Asteroid ConvTasNet file, or a Hugging Face Hub id of one
    (`owner/name[@revision]`; `which` does not apply to these).
    `options` go to the Denoiser (chunk_seconds, fade_seconds, batch_size,
    match_level, dry)."""
    if Path(path).is_file() or hub.is_hub_id(path):
        from tasnet_jax.convert import load_asteroid

        config, variables = load_asteroid(path)
        return Denoiser(config, variables, step=None, source=str(path), **options)
    folder = checkpoints_folder(path)
    checkpoints = Checkpoints(folder, asynchronous=False)
    try:
        step = _pick_step(checkpoints, which, folder)
        record = checkpoints.read_record(step)
        try:
            config = ConvTasNetConfig(**record["config"]["model"])
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f"{folder}/{step} is not a tasnet-jax checkpoint: its record of "
                             f"the model config is missing or unreadable ({err!r})") from err
        restored = checkpoints.restore_variables(step)
    finally:
        checkpoints.close()
    variables = jax.tree.map(np.asarray, restored)
    if not variables["batch_stats"]:
        del variables["batch_stats"]
    return Denoiser(config, variables, step, source=str(folder), **options)


def _pick_step(checkpoints: Checkpoints, which, folder) -> int:
    if which in ("best", "latest"):
        step = checkpoints.best_step() if which == "best" else None
        step = step if step is not None else checkpoints.latest_step()
        if step is None:
            raise FileNotFoundError(f"{folder} holds no checkpoint")
        return step
    if isinstance(which, int) and not isinstance(which, bool):
        if which not in checkpoints.steps():
            raise ValueError(f"{folder} has no checkpoint of step {which}; it keeps steps "
                             f"{checkpoints.steps()}")
        return which
    raise ValueError(f"which={which!r}; use 'best', 'latest' or a step number")
