"""One model from the mean of several checkpoints of a run.

    tasnet-jax average runs/robust runs/robust_mean               # every scored checkpoint kept
    tasnet-jax average runs/robust runs/robust_mean --best 3      # the three best by validation
    tasnet-jax average runs/robust runs/robust_mean --steps 2500 2750 3000

The checkpoints a run keeps near its end lie in one basin of the loss, and
the mean of their parameters tends to sit nearer its floor than any one of
them (what ESPnet's and SpeechBrain's averaged checkpoints and stochastic
weight averaging use). The mean is written as a new run with one checkpoint,
as `tasnet-jax pack` writes one: `inference.load`, `denoise` and fine-tuning
read it like any run. Its step is the newest averaged step; its record names
the steps it is the mean of. Only checkpoints of one model config average:
another config's parameters do not line up, and that is an error naming the
step.
"""
from pathlib import Path

import numpy as np

from tasnet_jax.checkpoints import Checkpoints, checkpoints_folder


def choose_steps(checkpoints: Checkpoints, best: int | None = None,
                 steps: list[int] | None = None) -> list[int]:
    """The steps to average, oldest first: `steps` as given (each must be kept),
    else the `best` highest by validation SI-SNR, else every scored one."""
    if best is not None and best < 1:
        raise ValueError(f"best must be at least 1, got {best}")
    kept = checkpoints.steps()
    if steps:
        missing = sorted(set(steps) - set(kept))
        if missing:
            raise ValueError(f"{checkpoints.directory} has no checkpoint of step(s) {missing}; "
                             f"it keeps steps {kept}")
        chosen = sorted(set(steps))
    else:
        scores = checkpoints.scores()
        scored = sorted(scores, key=scores.get, reverse=True)
        if best is not None and best > len(scored):
            raise ValueError(f"{checkpoints.directory} keeps {len(scored)} checkpoint(s) with a "
                             f"validation score (steps {sorted(scored)}), fewer than best={best}")
        chosen = sorted(scored[:best])
    if len(chosen) < 2:
        raise ValueError(f"averaging needs at least two checkpoints; {checkpoints.directory} "
                         f"offers {chosen} (kept: {kept})")
    return chosen


def mean_variables(variables: list[dict]) -> dict:
    """The elementwise mean of models' variables, summed in float64, in each leaf's dtype."""
    import jax

    return jax.tree.map(
        lambda *leaves: (sum(np.asarray(leaf, np.float64) for leaf in leaves)
                         / len(leaves)).astype(np.asarray(leaves[0]).dtype),
        *variables)


def average_run(source, out, best: int | None = None,
                steps: list[int] | None = None) -> tuple[Path, list[int]]:
    """Write the mean of run `source`'s chosen checkpoints (choose_steps) as a
    new run in `out`; returns its checkpoints folder and the averaged steps."""
    from tasnet_jax.convert import save_as_run
    from tasnet_jax.model import ConvTasNetConfig

    folder = checkpoints_folder(source)
    checkpoints = Checkpoints(folder, asynchronous=False)
    try:
        chosen = choose_steps(checkpoints, best, steps)
        configs = {step: checkpoints.read_record(step)["config"] for step in chosen}
        newest = configs[chosen[-1]]
        for step, config in configs.items():
            if config["model"] != newest["model"]:
                raise ValueError(f"{folder}/{step} holds a model of another config than step "
                                 f"{chosen[-1]}; only one model's checkpoints average")
        variables = mean_variables([checkpoints.restore_variables(step) for step in chosen])
    finally:
        checkpoints.close()
    written = save_as_run(ConvTasNetConfig(**newest["model"]), variables, out,
                          f"{folder} mean of steps {chosen}", newest, chosen[-1])
    return written, chosen
