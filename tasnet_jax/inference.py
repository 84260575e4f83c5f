"""A trained model, ready to denoise: restore it from a run's checkpoints.

    denoiser = inference.load("runs/quickstart")          # best checkpoint
    speech, noise = denoiser(noisy)                        # [samples] at denoiser.sample_rate

`load` reads the config saved with the checkpoint, so nothing about the model
has to be repeated. The separation runs jit-compiled on the default device.
"""
import dataclasses
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from tasnet_jax.checkpoints import Checkpoints
from tasnet_jax.evaluate import variables_of
from tasnet_jax.model import ConvTasNet, ConvTasNetConfig
from tasnet_jax.optim import OptimConfig, make_optimizer
from tasnet_jax.parallel import make_mesh
from tasnet_jax.step import create_train_state


@dataclasses.dataclass
class Denoiser:
    config: ConvTasNetConfig
    variables: dict
    step: int  # the checkpoint's training step

    def __post_init__(self):
        self._apply = jax.jit(ConvTasNet(self.config).apply)

    @property
    def sample_rate(self) -> int:
        return self.config.sample_rate

    def __call__(self, wav) -> np.ndarray:
        """[samples] or [batch, samples] at `sample_rate` -> [n_src, samples] or
        [batch, n_src, samples] (source 0 is the speech)."""
        wav = np.asarray(wav, np.float32)
        if wav.ndim not in (1, 2):
            raise ValueError(f"expected [samples] or [batch, samples], got shape {wav.shape}")
        sources = np.asarray(self._apply(self.variables, jnp.atleast_2d(wav)))
        return sources[0] if wav.ndim == 1 else sources


def load(path, which="best") -> Denoiser:
    """The model of a run's `which` checkpoint: "best" (by validation SI-SNR),
    "latest", or a step number. `path` is the run's workdir or its checkpoints/."""
    path = Path(path)
    folder = path / "checkpoints" if (path / "checkpoints").is_dir() else path
    if not folder.is_dir():
        raise FileNotFoundError(f"no checkpoints at {path}")
    checkpoints = Checkpoints(folder, asynchronous=False)
    try:
        steps = {"best": checkpoints.best_step, "latest": checkpoints.latest_step}
        if which in steps:
            step = steps[which]() or checkpoints.latest_step()
        elif isinstance(which, int):
            if which not in checkpoints.steps():
                raise ValueError(f"{folder} has no checkpoint of step {which}; it keeps steps "
                                 f"{checkpoints.steps()}")
            step = which
        else:
            raise ValueError(f"which={which!r}; use 'best', 'latest' or a step number")
        if step is None:
            raise FileNotFoundError(f"{folder} holds no checkpoint")
        record = checkpoints.read_record(step)
        config = ConvTasNetConfig(**record["config"]["model"])
        optim = record["config"]["optim"]
        model, optimizer = ConvTasNet(config), make_optimizer(OptimConfig(**optim))
        # The saved state's structure; its values are replaced by the restore.
        like = create_train_state(model, optimizer, jax.random.key(0),
                                  jnp.zeros((1, config.filter_length)),
                                  make_mesh(jax.local_devices()[:1]))
        state, _ = checkpoints.restore(step, like)
    finally:
        checkpoints.close()
    variables = jax.tree.map(np.asarray, variables_of(state))
    return Denoiser(config, variables, step)
