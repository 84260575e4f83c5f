"""The training step and one TCN block against the device's memory bandwidth.

    python benchmarks/roofline.py [--config paper|small] [--batch 16] [--seconds 4]
        [--dtypes float32 bfloat16] [--repeats 10]

The TCN is bound by memory traffic, not by its matmuls (benchmarks/RESULTS.md),
so its yardstick is bytes per second. Printed:

- the device's bandwidth, measured: y = 2x + 1 over a large array (one read,
  one write), the best a memory-bound elementwise kernel gets here;
- per compute dtype, the whole training step and one TCN block (forward and
  backward, H = hidden channels wide) as the model writes it ("fused":
  `prelu_global_norm`, `depthwise_conv`) and as plain ops left to XLA's
  autodiff and fusion ("plain": PReLU, gLN, `lax.conv_general_dilated`):
  seconds; the bytes XLA's cost analysis says the compiled program accesses,
  and what fraction of the bandwidth that is at the measured time;
- `BLOCK_PASSES`: the bytes a block must move at least, counted below, and
  the fraction of the bandwidth that is: the share of the roofline reached.

What a gLN block must move, counted in passes over [batch, frames, H] in the
compute dtype (each global norm needs its statistics before it can
normalize, so it costs a read of its input before the pass that uses them):

    forward    in_conv writes h; statistics of PReLU(h) read h; norm,
               depthwise conv read h, write d; statistics read d; norm and
               the residual and skip matmuls read d                 6 passes
    backward   the matmuls' input gradient writes g; its sums with d read
               g, d; the norm's and depthwise's gradient read g, d, h and
               write g'; its sums with h read g', h; the norm's gradient
               reads g', h, writes g''; in_conv's weight and input
               gradients read g''; the residual and skip weight
               gradients read d                                     15 passes

plus the block's input and outputs, six passes over [batch, frames, B]. A
float32 paper step of 16 x 4 s moves 5.9 GB a block by this count; XLA's own count is
the program it made, fusions as they came out.
"""
import argparse
import sys
from pathlib import Path

from timing import median_seconds

BLOCK_PASSES = 21  # of [batch, frames, hidden channels]
NARROW_PASSES = 6  # of [batch, frames, bottleneck channels]


def block_bytes(config, batch: int, frames: int, itemsize: int) -> int:
    """The bytes one TCN block must move in a training step (counted above)."""
    wide = batch * frames * config.hidden_channels * itemsize
    narrow = batch * frames * config.bottleneck_channels * itemsize
    return BLOCK_PASSES * wide + NARROW_PASSES * narrow


def xla_bytes(compiled) -> float:
    """Bytes accessed by a compiled program, by XLA's cost analysis."""
    analysis = compiled.cost_analysis()
    if isinstance(analysis, list):  # older jax: one dict per program
        analysis = analysis[0]
    return float(analysis.get("bytes accessed", float("nan")))


def measure_bandwidth(megabytes: int, repeats: int) -> float:
    """Bytes per second of y = 2x + 1 over a float32 array of `megabytes`."""
    import jax
    import jax.numpy as jnp

    x = jnp.ones(megabytes * 2**20 // 4, jnp.float32)
    double = jax.jit(lambda a: 2 * a + 1)
    seconds = median_seconds(lambda: double(x).block_until_ready(), repeats)
    return 2 * x.nbytes / seconds


def plain_block(params, x, config, dilation):
    """The TCN block as plain ops (gLN and PReLU written as nn.PReLU and the
    norm compute them, the depthwise convolution as a grouped convolution):
    what XLA makes of the block by itself. Returns (residual, skip)."""
    import jax
    import jax.numpy as jnp

    from tasnet_jax.norms import EPS

    dtype = jnp.dtype(config.compute_dtype)

    def prelu_norm(h, slope, norm):
        h = jnp.where(h >= 0, h, slope.astype(h.dtype) * h)
        # Statistics in float32, as the model keeps them.
        mean = jnp.mean(h, axis=(1, 2), keepdims=True, dtype=jnp.float32)
        var = jnp.mean(jnp.square(h.astype(jnp.float32) - mean), axis=(1, 2), keepdims=True)
        normalized = (h - mean.astype(dtype)) * jax.lax.rsqrt(var + EPS).astype(dtype)
        return normalized * norm["scale"].astype(dtype) + norm["bias"].astype(dtype)

    p = params
    h = x.astype(dtype) @ p["in_conv"]["kernel"].astype(dtype) + p["in_conv"]["bias"].astype(dtype)
    h = prelu_norm(h, p["prelu_in"]["negative_slope"], p["norm_in"])
    taps = config.kernel_size
    span = (taps - 1) * dilation
    left = span if config.causal else span // 2
    h = jax.lax.conv_general_dilated(
        h, p["depthwise"]["kernel"].astype(dtype)[:, None, :], window_strides=(1,),
        padding=[(left, span - left)], rhs_dilation=(dilation,),
        dimension_numbers=("NWC", "WIO", "NWC"), feature_group_count=h.shape[-1])
    h = prelu_norm(h + p["depthwise"]["bias"].astype(dtype), p["prelu_out"]["negative_slope"],
                   p["norm_out"])
    residual = h @ p["residual"]["kernel"].astype(dtype) + p["residual"]["bias"].astype(dtype)
    skip = h @ p["skip"]["kernel"].astype(dtype) + p["skip"]["bias"].astype(dtype)
    return residual, skip


def block_gradient(config, variant: str):
    """jit of (params, x, cotangents) -> (outputs, input and parameter
    gradients) for one block at dilation 4, the model's or the plain one."""
    import jax

    from tasnet_jax.model import TCNBlock

    if config.norm != "global":
        raise ValueError(f"the plain block is written for gLN, not norm={config.norm!r}")
    if variant == "fused":
        module = TCNBlock(config, 4)

        def forward(params, x):
            return module.apply({"params": params}, x, None, True)
    else:
        def forward(params, x):
            return plain_block(params, x, config, 4)

    def run(params, x, cotangents):
        outputs, pullback = jax.vjp(forward, params, x)
        return outputs, pullback(cotangents)

    return jax.jit(run)


def block_inputs(config, batch: int, frames: int):
    import jax
    import jax.numpy as jnp

    from tasnet_jax.model import TCNBlock

    keys = jax.random.split(jax.random.key(0), 4)
    x = jax.random.normal(keys[0], (batch, frames, config.bottleneck_channels))
    params = TCNBlock(config, 4).init(keys[1], x[:1, :16], None, True)["params"]
    # Norm gains away from 1 and 0 so that a wrong gradient shows.
    params = jax.tree.map(lambda a: a + 0.1 * jax.random.normal(keys[2], a.shape), params)
    dtype = jnp.dtype(config.compute_dtype)
    cotangents = tuple(jax.random.normal(k, (batch, frames, c)).astype(dtype) for k, c in zip(
        jax.random.split(keys[3]), (config.bottleneck_channels, config.skip_channels)))
    return params, x, cotangents


def measure_step(config, batch: int, samples: int, repeats: int) -> dict:
    import jax
    import jax.numpy as jnp
    import numpy as np

    from tasnet_jax.losses import neg_si_snr
    from tasnet_jax.model import ConvTasNet
    from tasnet_jax.optim import OptimConfig, make_optimizer
    from tasnet_jax.parallel import make_mesh
    from tasnet_jax.step import create_train_state, jit_train_step

    model, mesh = ConvTasNet(config), make_mesh()
    optimizer = make_optimizer(OptimConfig())
    state = create_train_state(model, optimizer, jax.random.key(0),
                               jnp.zeros((1, config.filter_length)), mesh)
    rng = np.random.default_rng(0)
    sources = (0.1 * rng.standard_normal((batch, 2, samples))).astype(np.float32)
    data = dict(mixture=sources.sum(1), sources=sources,
                length=np.full(batch, samples, np.int32))
    step = jit_train_step(model, optimizer, neg_si_snr, mesh).lower(state, data).compile()
    holder = [state]

    def run():
        holder[0], metrics = step(holder[0], data)
        jax.block_until_ready(metrics["loss"])

    return dict(seconds=median_seconds(run, repeats), xla_bytes=xla_bytes(step))


def measure_block(config, variant: str, batch: int, frames: int, repeats: int) -> dict:
    import jax

    params, x, cotangents = block_inputs(config, batch, frames)
    compiled = block_gradient(config, variant).lower(params, x, cotangents).compile()
    seconds = median_seconds(
        lambda: jax.block_until_ready(compiled(params, x, cotangents)), repeats)
    return dict(seconds=seconds, xla_bytes=xla_bytes(compiled))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", choices=("paper", "small"), default="paper")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--dtypes", nargs="+", default=["float32", "bfloat16"])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--bandwidth-mb", type=int, default=2048,
                        help="size of the array the bandwidth is measured on")
    args = parser.parse_args()

    import dataclasses

    import jax
    import jax.numpy as jnp

    from tasnet_jax.model import ConvTasNetConfig, small_config

    base = ConvTasNetConfig() if args.config == "paper" else small_config()
    samples = int(args.seconds * base.sample_rate)
    frames = (samples - base.filter_length) // base.stride + 1
    blocks = base.repeats * base.blocks_per_repeat
    bandwidth = measure_bandwidth(args.bandwidth_mb, args.repeats)
    print(f"{jax.devices()[0].device_kind}, jax {jax.__version__}; {args.config} config, "
          f"batch {args.batch} x {args.seconds} s ({frames} frames), {blocks} blocks; "
          f"median of {args.repeats}")
    print(f"measured bandwidth (2x + 1 over {args.bandwidth_mb} MB of float32): "
          f"{bandwidth / 1e9:.0f} GB/s\n")
    print("| dtype | what | seconds | XLA's bytes (GB) | at that time, % of bandwidth | "
          "bytes a block must move (GB) | % of roofline |")
    print("|---|---|---|---|---|---|---|")
    for dtype in args.dtypes:
        config = dataclasses.replace(base, compute_dtype=dtype)
        must = block_bytes(config, args.batch, frames, jnp.dtype(dtype).itemsize)
        rows = [("training step", measure_step(config, args.batch, samples, args.repeats),
                 blocks * must, f" ({blocks} blocks)")]
        rows += [(f"one block, {variant}", measure_block(config, variant, args.batch, frames,
                                                         args.repeats), must, "")
                 for variant in ("fused", "plain")]
        for what, r, needed, counted in rows:
            print(f"| {dtype} | {what} | {r['seconds']:.4f} | {r['xla_bytes'] / 1e9:.2f} | "
                  f"{100 * r['xla_bytes'] / r['seconds'] / bandwidth:.0f}% | "
                  f"{needed / 1e9:.2f}{counted} | "
                  f"{100 * needed / r['seconds'] / bandwidth:.0f}% |", flush=True)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
