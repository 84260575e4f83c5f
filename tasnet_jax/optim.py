"""Optimizer and the paper's learning-rate schedule.

Conv-TasNet trains with Adam at 1e-3, halving the rate when the validation
score has not improved for 3 evaluations in a row, and stops early after a
longer stall; gradients are clipped by global norm (5 in Asteroid's recipe).
The rate lives in the optimizer state (optax.inject_hyperparams), so the
plateau logic changes it between steps without recompiling, and a checkpoint
of the state carries it.
"""
import dataclasses

import jax.numpy as jnp
import optax

from tasnet_jax.configs import OptimConfig

OPTIMIZER_FUNCTIONS = {"adam": optax.adam, "adamw": optax.adamw, "sgd": optax.sgd}



def make_optimizer(config: OptimConfig, one_vector: bool = True) -> optax.GradientTransformation:
    """`one_vector=False`: the state per parameter array, as tasnet-jax laid it
    out until 2026-11-27 (for benchmarks/startup.py's comparison)."""
    optimizer = optax.inject_hyperparams(OPTIMIZER_FUNCTIONS[config.name])(
        learning_rate=config.learning_rate)
    if config.decay_steps:
        # Its own step count (in the optimizer state, so checkpoints carry it);
        # the plateau schedule keeps changing the injected rate on top.
        decay = optax.linear_schedule(1.0, 0.0, config.decay_steps, config.decay_begin_step)
        optimizer = optax.chain(optimizer, optax.scale_by_schedule(decay))
    if config.clip_norm:
        optimizer = optax.chain(optax.clip_by_global_norm(config.clip_norm), optimizer)
    # On one raveled vector of every parameter: the same updates (Adam is
    # elementwise, the clip global), but a few ops to trace and compile instead
    # of a few per parameter array: the paper step compiles 2 s faster cold and
    # loads from the cache 1.8 s faster (benchmarks/startup.py, RESULTS.md).
    return optax.flatten(optimizer) if one_vector else optimizer


def learning_rate(opt_state) -> float:
    return float(optax.tree_utils.tree_get(opt_state, "learning_rate"))


def with_learning_rate(opt_state, value: float):
    """A copy of the optimizer state with another learning rate."""
    old = optax.tree_utils.tree_get(opt_state, "learning_rate")
    return optax.tree_utils.tree_set(opt_state, learning_rate=jnp.asarray(value, old.dtype))


@dataclasses.dataclass
class Plateau:
    """Tracks the validation score (higher is better) across evaluations.

    `update(score)` returns the factor to apply to the learning rate (1 or
    config.plateau_factor) and whether to stop. Plain numbers, so it is saved
    and restored with a checkpoint as a dict.
    """

    best: float = float("-inf")
    since_best: int = 0  # evaluations since the best one
    since_drop: int = 0  # evaluations since the best one or the last rate drop

    def update(self, score: float, config: OptimConfig) -> tuple[float, bool]:
        if score > self.best:
            self.best, self.since_best, self.since_drop = score, 0, 0
            return 1.0, False
        self.since_best += 1
        self.since_drop += 1
        factor = 1.0
        if self.since_drop >= config.plateau_patience:
            factor, self.since_drop = config.plateau_factor, 0
        return factor, self.since_best >= config.early_stop_patience
