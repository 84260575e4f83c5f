"""gLN's hand-written backward pass against automatic differentiation.

    python benchmarks/norm_gradients.py [--shape 4 7999 128] [--repeats 20]

Times forward + backward (jax.vjp, then the pullback of a random upstream
gradient) of `tasnet_jax.norms.global_norm` (with and without a padding
weight) against the same formula written plainly and differentiated by JAX,
on one [batch, frames, channels] float32 input (the default is a TCN block's
hidden activations at batch 4 x 4 s for the small config). Also prints the largest difference between the two gradients,
relative to the largest entry.
"""
import argparse

import jax
import jax.numpy as jnp
import numpy as np
from timing import median_seconds

from tasnet_jax.norms import EPS, global_norm


def plain_global_norm(x, scale, bias, weight):
    w = jnp.ones(x.shape[:2]) if weight is None else weight
    count = jnp.sum(w, axis=1)[:, None, None] * x.shape[-1]
    mean = jnp.sum(x * w[..., None], axis=(1, 2), keepdims=True) / count
    var = jnp.sum(jnp.square(x - mean) * w[..., None], axis=(1, 2), keepdims=True) / count
    return (x - mean) / jnp.sqrt(var + EPS) * scale + bias


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shape", type=int, nargs=3, default=[4, 7999, 128])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    batch, frames, channels = args.shape
    rng = np.random.default_rng(0)
    x, upstream = (jnp.asarray(rng.standard_normal(args.shape).astype(np.float32))
                   for _ in range(2))
    scale, bias = (jnp.asarray(rng.standard_normal(channels).astype(np.float32))
                   for _ in range(2))
    real = rng.integers(frames // 2, frames + 1, batch)
    weight = jnp.asarray((np.arange(frames)[None] < real[:, None]).astype(np.float32))
    cases = {
        "gLN": (lambda *a: global_norm(*a, None), lambda *a: plain_global_norm(*a, None)),
        "gLN, padded": (lambda *a: global_norm(*a, weight),
                        lambda *a: plain_global_norm(*a, weight)),
    }
    print(f"jax {jax.__version__} on {jax.devices()[0].device_kind}; input {args.shape}; "
          f"forward + backward, median of {args.repeats}\n")
    print("| norm | automatic gradient ms | hand-written ms | speed-up | max difference |")
    print("|---|---|---|---|---|")
    for name, (written, plain) in cases.items():
        seconds, grads = [], []
        for norm in (plain, written):
            step = jax.jit(lambda *a, norm=norm: jax.vjp(norm, *a)[1](upstream))
            grads.append(step(x, scale, bias))
            seconds.append(median_seconds(
                lambda: jax.block_until_ready(step(x, scale, bias)), args.repeats))
        difference = max(float(jnp.max(jnp.abs(a - b)) / jnp.max(jnp.abs(a)))
                         for a, b in zip(*grads))
        print(f"| {name} | {1e3 * seconds[0]:.2f} | {1e3 * seconds[1]:.2f} | "
              f"{seconds[0] / seconds[1]:.2f}x | {difference:.1e} |")


if __name__ == "__main__":
    main()
