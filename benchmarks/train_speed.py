"""Training-step speed: tasnet-jax against Asteroid's ConvTasNet, side by side.

    python benchmarks/train_speed.py [--cases small paper] [--batch 4] [--seconds 4]
        [--steps 5] [--dtypes float32 bfloat16] [--no-asteroid]

One step = forward, negative SI-SNR (speech and noise, fixed order), backward,
gradient clipping at norm 5 and an Adam update, on a random batch of
`--batch` x `--seconds` s at 16 kHz, the same for both. Asteroid runs on CUDA
when JAX runs on a GPU (synchronized before the clock stops), else with as
many CPU threads as XLA uses. Prints the median step time, the throughput in
seconds of audio per second, and the speed-up over Asteroid (float32).
"""
import argparse
import os
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tasnet_jax.losses import neg_si_snr  # noqa: E402
from tasnet_jax.model import ConvTasNet, SIZES  # noqa: E402
from tasnet_jax.optim import OptimConfig, make_optimizer  # noqa: E402
from tasnet_jax.parallel import global_batch, make_mesh  # noqa: E402
from tasnet_jax.step import create_train_state, jit_train_step  # noqa: E402
from timing import median_seconds  # noqa: E402

ASTEROID_SIZES = {"paper": {}, "small": dict(n_filters=128, bn_chan=64, hid_chan=128,
                                             skip_chan=64, n_blocks=6, n_repeats=2)}


def jax_step_time(case, dtype, batch, steps):
    config = SIZES[case](compute_dtype=dtype)
    model, optimizer = ConvTasNet(config), make_optimizer(OptimConfig())
    mesh = make_mesh()
    state = create_train_state(model, optimizer, jax.random.key(0), jnp.zeros((1, 16)), mesh)
    step = jit_train_step(model, optimizer, neg_si_snr, mesh)
    batch = global_batch(batch, mesh)
    holder = [state]

    def run():
        holder[0], metrics = step(holder[0], batch)
        jax.block_until_ready(metrics["loss"])

    return median_seconds(run, steps)


def asteroid_step_time(case, batch, steps, device):
    import torch
    from asteroid.losses.sdr import SingleSrcNegSDR
    from asteroid.models import ConvTasNet as AsteroidConvTasNet

    torch.manual_seed(0)
    model = AsteroidConvTasNet(n_src=2, sample_rate=16000, **ASTEROID_SIZES[case]).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = SingleSrcNegSDR("sisdr")
    mixture = torch.from_numpy(batch["mixture"]).to(device)
    sources = torch.from_numpy(batch["sources"]).to(device)

    def run():
        optimizer.zero_grad()
        estimates = model(mixture)
        loss = sum(loss_fn(estimates[:, s], sources[:, s]).mean() for s in range(2)) / 2
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
        if device == "cuda":
            torch.cuda.synchronize()

    return median_seconds(run, steps)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", nargs="+", choices=SIZES, default=["small", "paper"])
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--dtypes", nargs="+", default=["float32", "bfloat16"])
    parser.add_argument("--no-asteroid", action="store_true")
    args = parser.parse_args()

    samples = int(args.seconds * 16000)
    rng = np.random.default_rng(0)
    speech = rng.standard_normal((args.batch, samples)).astype(np.float32) * 0.1
    noise = rng.standard_normal((args.batch, samples)).astype(np.float32) * 0.05
    batch = {"mixture": speech + noise, "sources": np.stack([speech, noise], 1),
             "length": np.full(args.batch, samples, np.int32)}
    audio = args.batch * args.seconds
    gpu = jax.default_backend() == "gpu"
    print(f"jax {jax.__version__} on {jax.devices()[0].device_kind} x {jax.device_count()}; "
          f"batch {args.batch} x {args.seconds} s at 16 kHz; median of {args.steps} steps")
    print(f"{'case':8} {'impl':18} {'step s':>8} {'audio s/s':>10} {'vs Asteroid':>11}")
    for case in args.cases:
        reference = None
        if not args.no_asteroid:
            import torch

            torch.set_num_threads(os.cpu_count())
            reference = asteroid_step_time(case, batch, args.steps, "cuda" if gpu else "cpu")
            print(f"{case:8} {'asteroid float32':18} {reference:8.3f} {audio / reference:10.1f}",
                  flush=True)
        for dtype in args.dtypes:
            seconds = jax_step_time(case, dtype, batch, args.steps)
            ratio = f"{reference / seconds:10.2f}x" if reference else ""
            print(f"{case:8} {'tasnet-jax ' + dtype:18} {seconds:8.3f} {audio / seconds:10.1f} "
                  f"{ratio}", flush=True)


if __name__ == "__main__":
    main()
