"""Forward-pass speed: tasnet-jax against Asteroid's ConvTasNet, side by side.

    python benchmarks/forward_speed.py [--seconds 10] [--repeats 5] [--cases paper small]

Both models get the same weights (Asteroid's random init, converted), the same
input (batch 1, 16 kHz), and the same thread count on a CPU or the same GPU
when JAX runs on one (Asteroid then runs on CUDA, synchronized before the
clock stops); each is warmed up (JAX
compiles) and then timed `--repeats` times. Prints the median time of each,
the real-time factor (time / audio duration), the speed-up (Asteroid time /
JAX time), the largest output difference, and JAX's achieved GFLOP/s (the
model's multiply-adds, counted from its config, / time; XLA's own count
differs between backends and precisions, so it is not used). Needs the `torch` extra and Asteroid (`make test` sets
up .venv with both).
"""
import argparse
import os

import jax
import numpy as np
import torch
from asteroid.models import ConvTasNet as AsteroidConvTasNet

from tasnet_jax.convert import from_asteroid
from tasnet_jax.model import ConvTasNet
from timing import median_seconds

SMALL = dict(n_filters=128, bn_chan=64, hid_chan=128, skip_chan=64, n_blocks=6, n_repeats=2)
CASES = {
    "paper": dict(),
    "paper-causal": dict(causal=True, norm_type="cgLN"),
    "small": SMALL,
    "small-causal": dict(SMALL, causal=True, norm_type="cgLN"),
}


def model_flops(config, samples):
    """2 x multiply-adds of the forward pass's matmuls and convolutions."""
    frames = (samples - config.filter_length) // config.stride + 1
    N, B, H, Sc = (config.n_filters, config.bottleneck_channels, config.hidden_channels,
                   config.skip_channels)
    block = B * H + config.kernel_size * H + H * B + H * Sc
    per_frame = (N * config.filter_length  # encoder
                 + N * B  # bottleneck
                 + config.repeats * config.blocks_per_repeat * block
                 + (Sc or B) * config.n_src * N  # mask
                 + config.n_src * N * config.filter_length)  # decoder
    return 2 * per_frame * frames


def bench(case, seconds, repeats, torch_device):
    torch.manual_seed(0)
    reference = AsteroidConvTasNet(n_src=2, sample_rate=16000, **CASES[case]).eval()
    config, variables = from_asteroid(dict(
        model_name="ConvTasNet", model_args=reference.get_model_args(),
        state_dict=reference.state_dict()))
    reference.to(torch_device)
    wav = np.random.RandomState(0).randn(1, seconds * 16000).astype(np.float32) * 0.1
    wav_torch = torch.from_numpy(wav).to(torch_device)

    apply = jax.jit(ConvTasNet(config).apply)
    flops = model_flops(config, wav.shape[-1])

    def run_torch():
        with torch.inference_mode():
            out = reference(wav_torch)
        if torch_device == "cuda":
            torch.cuda.synchronize()
        return out

    def run_jax():
        return apply(variables, wav).block_until_ready()

    t_torch = median_seconds(run_torch, repeats)
    t_jax = median_seconds(run_jax, repeats)
    diff = np.abs(np.asarray(run_jax()) - run_torch().cpu().numpy()).max()
    return dict(case=case, asteroid=t_torch, jax=t_jax, rtf_asteroid=t_torch / seconds,
                rtf_jax=t_jax / seconds, speedup=t_torch / t_jax, gflops=flops / t_jax / 1e9,
                diff=diff)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="audio length at 16 kHz")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--cases", nargs="+", choices=CASES, default=list(CASES))
    args = parser.parse_args()
    torch.set_num_threads(os.cpu_count())  # XLA's CPU client uses every core too
    gpu = jax.default_backend() == "gpu" and torch.cuda.is_available()
    torch_device = "cuda" if gpu else "cpu"
    where = torch.cuda.get_device_name() if gpu else f"{torch.get_num_threads()} CPU threads"
    print(f"jax {jax.__version__} on {jax.devices()[0].device_kind}, torch {torch.__version__} "
          f"on {where}; {args.seconds} s of 16 kHz audio, batch 1, median of {args.repeats}")
    print(f"{'case':14} {'asteroid s':>10} {'jax s':>8} {'RTF ast':>8} {'RTF jax':>8} "
          f"{'speed-up':>8} {'jax GFLOP/s':>11} {'max |diff|':>10}")
    for case in args.cases:
        r = bench(case, args.seconds, args.repeats, torch_device)
        print(f"{r['case']:14} {r['asteroid']:10.3f} {r['jax']:8.3f} {r['rtf_asteroid']:8.4f} "
              f"{r['rtf_jax']:8.4f} {r['speedup']:7.2f}x {r['gflops']:11.1f} {r['diff']:10.2e}",
              flush=True)


if __name__ == "__main__":
    main()
