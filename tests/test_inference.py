"""Restoring a trained model from a run's checkpoints."""
import dataclasses
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from tasnet_jax import inference
from tasnet_jax.checkpoints import Checkpoints
from tasnet_jax.model import ConvTasNet, small_config
from tasnet_jax.optim import OptimConfig, Plateau, make_optimizer
from tasnet_jax.parallel import make_mesh
from tasnet_jax.step import create_train_state

ROOT = Path(__file__).resolve().parent.parent
TINY = dict(n_filters=32, bottleneck_channels=16, hidden_channels=32, skip_channels=16,
            blocks_per_repeat=3, repeats=1)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A workdir with checkpoints at steps 3 (best) and 6 (latest), saved as the
    training loop saves them, with different parameters in each."""
    sys.path.insert(0, str(ROOT / "experiments"))
    from quickstart import get_config

    config = get_config()
    config.model.update(TINY)
    model = ConvTasNet(small_config(**TINY))
    optimizer = make_optimizer(OptimConfig(**config.optim))
    workdir = tmp_path_factory.mktemp("run")
    checkpoints = Checkpoints(workdir / "checkpoints", asynchronous=False)
    states = {}
    for step, score in ((3, 5.0), (6, 2.0)):
        state = create_train_state(model, optimizer, jax.random.key(step), jnp.zeros((1, 16)),
                                   make_mesh(jax.devices()[:1]))
        state = state.replace(step=jnp.int32(step))
        record = {"config": config.to_dict(), "plateau": dataclasses.asdict(Plateau()),
                  "stopped": False}
        checkpoints.save(step, state, record, {"val_si_snr": score})
        states[step] = state
    checkpoints.close()
    return workdir, model, states


@pytest.mark.parametrize("which,step", [("best", 3), ("latest", 6), (6, 6)])
def test_loads_the_asked_checkpoint_and_separates_like_the_model(run, which, step):
    workdir, model, states = run
    denoiser = inference.load(workdir, which)
    assert denoiser.step == step and denoiser.sample_rate == 16000
    wav = np.random.default_rng(0).standard_normal(3000).astype(np.float32)
    want = np.asarray(model.apply({"params": states[step].params}, wav[None]))[0]
    np.testing.assert_allclose(denoiser(wav), want, atol=1e-6)
    assert denoiser(np.stack([wav, wav])).shape == (2, 2, 3000)


def test_bad_requests_are_named(run, tmp_path):
    workdir, _, _ = run
    with pytest.raises(ValueError, match=r"no checkpoint of step 4; it keeps steps \[3, 6\]"):
        inference.load(workdir, 4)
    with pytest.raises(ValueError, match="which='first'"):
        inference.load(workdir, "first")
    with pytest.raises(FileNotFoundError, match="no checkpoints at"):
        inference.load(tmp_path / "nothing")
    with pytest.raises(ValueError, match=r"\[samples\] or \[batch, samples\]"):
        inference.load(workdir)(np.zeros((1, 1, 100)))
