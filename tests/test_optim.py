"""The paper's schedule: halve on a plateau, stop after a longer one."""
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from tasnet_jax.optim import (OptimConfig, Plateau, learning_rate, make_optimizer,
                              with_learning_rate)


def test_plateau_halves_after_patience_and_stops_after_early_stop_patience():
    config = OptimConfig(plateau_patience=3, early_stop_patience=7)
    plateau = Plateau()
    scores = [1.0, 2.0, 1.5, 1.9, 1.0,  # three without improvement: halve
              1.2, 1.1, 1.3,  # three more: halve again
              1.8]  # seventh since the best: stop
    factors, stops = zip(*(plateau.update(s, config) for s in scores))
    assert factors == (1, 1, 1, 1, 0.5, 1, 1, 0.5, 1)
    assert stops == (False,) * 8 + (True,)
    assert plateau.best == 2.0


def test_improvement_resets_both_counters():
    config = OptimConfig(plateau_patience=2, early_stop_patience=3)
    plateau = Plateau()
    factors = [plateau.update(s, config)[0] for s in [1.0, 0.5, 2.0, 1.0, 1.0]]
    assert factors == [1, 1, 1, 1, 0.5]


def test_learning_rate_lives_in_the_optimizer_state_and_scales_the_update():
    optimizer = make_optimizer(OptimConfig(learning_rate=1e-2, clip_norm=0))
    params = {"w": jnp.ones(4)}
    state = optimizer.init(params)
    grads = {"w": jnp.full(4, 0.3)}
    first, _ = optimizer.update(grads, state, params)
    halved = with_learning_rate(state, 5e-3)
    assert learning_rate(halved) == pytest.approx(5e-3) and learning_rate(state) == pytest.approx(1e-2)
    second, _ = optimizer.update(grads, halved, params)
    # Adam's first step moves each weight by about the learning rate.
    np.testing.assert_allclose(first["w"], -1e-2, rtol=1e-3)
    np.testing.assert_allclose(second["w"], -5e-3, rtol=1e-3)


def test_clipping_bounds_the_global_norm():
    optimizer = make_optimizer(OptimConfig(name="sgd", learning_rate=1.0, clip_norm=5.0))
    params = {"w": jnp.zeros(2)}
    updates, _ = optimizer.update({"w": jnp.array([30.0, 40.0])}, optimizer.init(params), params)
    np.testing.assert_allclose(optax.tree.norm(updates), 5.0, rtol=1e-6)


def test_final_decay_scales_updates_down_linearly_after_its_start():
    optimizer = make_optimizer(OptimConfig(name="sgd", learning_rate=1.0, clip_norm=0,
                                           decay_begin_step=2, decay_steps=4))
    params = {"w": jnp.zeros(1)}
    state = optimizer.init(params)
    sizes = []
    for _ in range(7):
        updates, state = optimizer.update({"w": jnp.ones(1)}, state, params)
        sizes.append(float(-updates["w"][0]))
    np.testing.assert_allclose(sizes, [1, 1, 1, 0.75, 0.5, 0.25, 0], atol=1e-6)
    # The plateau schedule still halves the rate on top of the decay.
    updates, _ = optimizer.update({"w": jnp.ones(1)}, with_learning_rate(
        optimizer.init(params), 0.5), params)
    assert float(-updates["w"][0]) == pytest.approx(0.5)


@pytest.mark.parametrize("change,message", [
    ({"decay_steps": -1}, "decay_steps"),
    ({"name": "lion"}, "name='lion'"), ({"learning_rate": 0}, "learning_rate"),
    ({"plateau_factor": 1.5}, "plateau_factor"), ({"early_stop_patience": 0}, "early_stop"),
])
def test_bad_values_name_the_field(change, message):
    with pytest.raises(ValueError, match=message):
        OptimConfig(**change)
