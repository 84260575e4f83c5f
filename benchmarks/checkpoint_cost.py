"""What a checkpoint costs a training run: the save call, the background write, the steps.

    .venv/bin/python benchmarks/checkpoint_cost.py [--config paper] [--batch 2] [--steps 4]

For the model's full train state (parameters, Adam's moments, counters) and
a JSON record, as the training loop saves them (tasnet_jax/checkpoints.py,
asynchronous): the time the save call blocks the loop, the time until the
write is on disk (save + wait), the size on disk, and the mean step time of
`--steps` steps run back to back against the same steps each followed by an
asynchronous save (what a run saving every step would see).
"""
import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import jax
import jax.numpy as jnp

from tasnet_jax.checkpoints import Checkpoints
from tasnet_jax.losses import neg_si_snr
from tasnet_jax.model import ConvTasNet, ConvTasNetConfig, small_config
from tasnet_jax.optim import OptimConfig, make_optimizer
from tasnet_jax.parallel import make_mesh
from tasnet_jax.step import create_train_state, jit_train_step

CONFIGS = {"paper": ConvTasNetConfig, "small": small_config}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", choices=list(CONFIGS), default="paper")
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--steps", type=int, default=4)
    args = parser.parse_args()
    config = CONFIGS[args.config]()
    model, optimizer, mesh = ConvTasNet(config), make_optimizer(OptimConfig()), make_mesh()
    state = create_train_state(model, optimizer, jax.random.key(0),
                               jnp.zeros((1, config.filter_length)), mesh)
    samples = int(args.seconds * config.sample_rate)
    key = jax.random.key(1)
    batch = dict(mixture=jax.random.normal(key, (args.batch, samples)),
                 sources=jax.random.normal(key, (args.batch, 2, samples)),
                 length=jnp.full((args.batch,), samples, jnp.int32))
    step = jit_train_step(model, optimizer, neg_si_snr, mesh)
    state, _ = step(state, batch)  # compile
    jax.block_until_ready(state)

    def steps(save_each):
        nonlocal state
        times, blocked = [], []
        for i in range(args.steps):
            tick = time.perf_counter()
            state, metrics = step(state, batch)
            jax.block_until_ready(metrics)
            if save_each:
                before = time.perf_counter()
                save_each(int(state.step), state)
                blocked.append(time.perf_counter() - before)
            times.append(time.perf_counter() - tick)
        return times, blocked

    with tempfile.TemporaryDirectory() as folder:
        checkpoints = Checkpoints(Path(folder) / "checkpoints", keep_best=1)
        record = {"config": {}, "plateau": {}, "stopped": False}
        tick = time.perf_counter()
        checkpoints.save(int(state.step), state, record)
        call = time.perf_counter() - tick
        checkpoints.wait()
        written = time.perf_counter() - tick
        size = subprocess.run(["du", "-sm", folder], capture_output=True, text=True).stdout
        plain, _ = steps(None)
        saving, blocked = steps(lambda s, st: checkpoints.save(s, st, record))
        checkpoints.wait()
        checkpoints.close()

    print(f"{jax.devices()[0].device_kind}, jax {jax.__version__}; {args.config} config, "
          f"batch {args.batch} x {args.seconds} s")
    print(f"one checkpoint: {size.split()[0]} MB on disk; the save call blocked {call:.3f} s, "
          f"on disk after {written:.3f} s")
    print(f"step time, {args.steps} steps: {statistics.mean(plain):.3f} s without saves, "
          f"{statistics.mean(saving):.3f} s with an asynchronous save after each "
          f"(the call blocking {statistics.mean(blocked):.3f} s of it)")


if __name__ == "__main__":
    main()
