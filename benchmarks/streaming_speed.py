"""Streaming speed: per-block compute, latency and real-time factor of causal models.

    python benchmarks/streaming_speed.py [--seconds 10] [--block-ms 5 10 20] [--sizes small paper]

Each causal model (cumulative layer norm, random weights: speed does not
depend on them) streams `--seconds` of noise-like audio at 16 kHz through
`tasnet_jax.streaming.StreamingDenoiser` in blocks of each `--block-ms`, after
`warm_up` has compiled its steps. Prints the same report as `tasnet-jax
stream`: algorithmic latency (the block plus L - 1 samples), compute per block
(median, 99th percentile, max) and the real-time factor (compute / audio).
A block is real time when its compute is below its duration.
"""
import argparse

import jax
import numpy as np

from tasnet_jax.model import SIZES, ConvTasNet
from tasnet_jax.streaming import StreamingDenoiser, latency_report, run_stream


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--block-ms", type=float, nargs="+", default=[5.0, 10.0, 20.0])
    parser.add_argument("--sizes", nargs="+", default=["small", "paper"], choices=SIZES)
    args = parser.parse_args()
    print(f"jax {jax.__version__} on {jax.devices()[0].device_kind}")
    wav = 0.1 * np.random.default_rng(0).standard_normal(int(args.seconds * 16000))
    for size in args.sizes:
        config = SIZES[size](causal=True, norm="cumulative")
        variables = ConvTasNet(config).init(jax.random.key(0), np.zeros((1, 400), np.float32))
        stream = StreamingDenoiser(config, variables)
        for block_ms in args.block_ms:
            block = round(block_ms * 16)
            stream.warm_up(block)
            seconds, samples = run_stream(
                stream, (wav[i:i + block] for i in range(0, wav.size, block)), lambda _: None)
            print(f"\n{size} causal (cumulative LN), {args.seconds:g} s of audio")
            print(latency_report(stream, block, seconds, samples))


if __name__ == "__main__":
    main()
