"""The train step: it learns, it survives bad batches, and 8 devices equal 1."""
import json
import os
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from tasnet_jax.losses import neg_si_snr
from tasnet_jax.model import ConvTasNet, small_config
from tasnet_jax.optim import OptimConfig, make_optimizer
from tasnet_jax.parallel import global_batch, make_mesh
from tasnet_jax.step import create_train_state, jit_train_step

TINY = small_config(n_filters=32, bottleneck_channels=16, hidden_channels=32, skip_channels=16,
                    blocks_per_repeat=3, repeats=1)


def _batch(seed, size=4, samples=1600):
    rng = np.random.default_rng(seed)
    speech = (rng.standard_normal((size, samples)) * np.sin(np.arange(samples) / 30)).astype(
        np.float32)
    noise = rng.standard_normal((size, samples)).astype(np.float32) * 0.5
    return {"mixture": speech + noise, "sources": np.stack([speech, noise], 1),
            "length": np.full(size, samples, np.int32)}


@pytest.fixture(scope="module")
def setup():
    mesh = make_mesh(jax.devices()[:1])
    model = ConvTasNet(TINY)
    optimizer = make_optimizer(OptimConfig(learning_rate=3e-3))
    step = jit_train_step(model, optimizer, neg_si_snr, mesh)

    def fresh_state():
        return create_train_state(model, optimizer, jax.random.key(0), jnp.zeros((1, 1600)), mesh)

    return mesh, step, fresh_state


def test_loss_falls_on_a_repeated_batch(setup):
    mesh, step, fresh_state = setup
    state, batch = fresh_state(), global_batch(_batch(0), mesh)
    losses = []
    for _ in range(15):
        state, metrics = step(state, batch)
        losses.append(float(metrics["loss"]))
    assert losses[-1] < losses[0] - 1.0  # at least 1 dB of SI-SNR gained
    assert int(state.step) == 15 and int(state.skipped) == 0


def test_a_non_finite_batch_is_skipped_and_counted(setup):
    mesh, step, fresh_state = setup
    state = fresh_state()
    state, _ = step(state, global_batch(_batch(1), mesh))
    before = jax.tree.map(np.asarray, (state.params, state.opt_state))
    bad = _batch(2)
    bad["mixture"][1, 100] = np.nan
    for _ in range(2):
        state, metrics = step(state, global_batch(bad, mesh))
        assert not bool(metrics["finite"])
    after = jax.tree.map(np.asarray, (state.params, state.opt_state))
    jax.tree.map(np.testing.assert_array_equal, before, after)  # bitwise unchanged
    assert (int(state.skipped), int(state.skipped_in_a_row), int(state.step)) == (2, 2, 3)
    state, metrics = step(state, global_batch(_batch(3), mesh))
    assert bool(metrics["finite"]) and int(state.skipped_in_a_row) == 0 and int(state.skipped) == 2


EIGHT_DEVICES = textwrap.dedent("""
    import json, sys
    import jax, jax.numpy as jnp, numpy as np
    sys.path.insert(0, "tests")
    from test_step import TINY, _batch
    from tasnet_jax.losses import neg_si_snr
    from tasnet_jax.model import ConvTasNet
    from tasnet_jax.optim import OptimConfig, make_optimizer
    from tasnet_jax.parallel import global_batch, make_mesh
    from tasnet_jax.step import create_train_state, jit_train_step

    model, optimizer = ConvTasNet(TINY), make_optimizer(OptimConfig(learning_rate=3e-3))
    results = {}
    for n in (1, 8):
        mesh = make_mesh(jax.devices()[:n])
        step = jit_train_step(model, optimizer, neg_si_snr, mesh)
        state = create_train_state(model, optimizer, jax.random.key(0), jnp.zeros((1, 1600)), mesh)
        losses = []
        for seed in range(3):
            batch = global_batch(_batch(seed, size=8), mesh)
            state, metrics = step(state, batch)
            losses.append(float(metrics["loss"]))
        results[n] = dict(losses=losses, params=[np.asarray(x).ravel().tolist()
                                                 for x in jax.tree.leaves(state.params)],
                          batch_devices=len(batch["mixture"].sharding.device_set),
                          param_devices=len(jax.tree.leaves(state.params)[0].sharding.device_set))
    print(json.dumps(results))
""")


def test_eight_devices_give_the_updates_of_one():
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=8",
               JAX_PLATFORMS="cpu")
    out = subprocess.run([sys.executable, "-c", EIGHT_DEVICES], env=env, capture_output=True,
                         text=True, check=True, cwd=os.path.dirname(os.path.dirname(__file__)))
    results = json.loads(out.stdout.strip().splitlines()[-1])
    one, eight = results["1"], results["8"]
    assert eight["batch_devices"] == 8 and eight["param_devices"] == 8  # split / replicated
    np.testing.assert_allclose(eight["losses"], one["losses"], atol=1e-5)
    for a, b in zip(eight["params"], one["params"]):
        np.testing.assert_allclose(a, b, atol=1e-5)
