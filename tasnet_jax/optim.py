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

OPTIMIZERS = {"adam": optax.adam, "adamw": optax.adamw, "sgd": optax.sgd}


@dataclasses.dataclass(frozen=True)
class OptimConfig:
    name: str = "adam"  # one of OPTIMIZERS
    learning_rate: float = 1e-3
    clip_norm: float = 5.0  # global gradient norm; 0 turns clipping off
    plateau_patience: int = 3  # evaluations without improvement before the rate drops
    plateau_factor: float = 0.5
    min_learning_rate: float = 1e-8
    early_stop_patience: int = 10  # evaluations without improvement before training stops
    # A short run gains from ending at a low rate: after `decay_begin_step`
    # updates, every update is scaled down linearly to 0 over `decay_steps`
    # (0: no decay, the paper's schedule alone).
    decay_begin_step: int = 0
    decay_steps: int = 0

    def __post_init__(self):
        if self.name not in OPTIMIZERS:
            raise ValueError(f"OptimConfig.name={self.name!r}; choose one of {tuple(OPTIMIZERS)}")
        if self.learning_rate <= 0:
            raise ValueError(f"OptimConfig.learning_rate must be > 0, got {self.learning_rate}")
        if self.clip_norm < 0:
            raise ValueError(f"OptimConfig.clip_norm must be >= 0, got {self.clip_norm}")
        if not 0 < self.plateau_factor < 1:
            raise ValueError(f"OptimConfig.plateau_factor must lie in (0, 1), got "
                             f"{self.plateau_factor}")
        for name in ("decay_begin_step", "decay_steps"):
            if getattr(self, name) < 0:
                raise ValueError(f"OptimConfig.{name} must be >= 0, got {getattr(self, name)}")
        for name in ("plateau_patience", "early_stop_patience"):
            if getattr(self, name) < 1:
                raise ValueError(f"OptimConfig.{name} must be >= 1, got {getattr(self, name)}")


def make_optimizer(config: OptimConfig, one_vector: bool = True) -> optax.GradientTransformation:
    """`one_vector=False`: the state per parameter array, as tasnet-jax laid it
    out until 2026-11-27 (for benchmarks/startup.py's comparison)."""
    optimizer = optax.inject_hyperparams(OPTIMIZERS[config.name])(
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
