"""Normalization layers of Conv-TasNet, on [batch, time, channels] inputs.

Names follow the paper, not Asteroid: Asteroid calls the channel-wise norm
"cLN" and the paper's cumulative norm "cgLN" (see `convert.py`).

    global      gLN: statistics over all frames and channels (non-causal)
    cumulative  cLN: statistics over channels and all frames up to t (causal)
    channel     statistics over the channels of each frame (causal)
    batch       batch norm over batch and time, running averages at eval

Each takes an optional `mask` ([batch, time, 1], True on real frames): the
statistics then ignore padded frames. Only the global and batch norms need it;
the others never look past a frame's own time.

Streaming (`streaming.py`) applies a causal model block by block with the
STREAM collection mutable; the cumulative norm then carries its running sums
from one block to the next in that collection.
"""
import flax.linen as nn
import jax
import jax.numpy as jnp

from tasnet_jax.configs import NORMS

EPS = 1e-8  # Asteroid's epsilon; matching it keeps converted models exact.

STREAM = "stream"  # the variable collection of a streaming model's state


def is_streaming(module: nn.Module) -> bool:
    """True when `module` runs in a streaming step: STREAM is mutable (and this
    is not `init`, where every collection is)."""
    return module.is_mutable_collection(STREAM) and not module.is_initializing()


def _gain(module: nn.Module, channels: int):
    """The norm's per-channel scale and bias parameters."""
    return (module.param("scale", nn.initializers.ones, (channels,)),
            module.param("bias", nn.initializers.zeros, (channels,)))


def _global_statistics(x, weight):
    """Per-example mean, 1/std and element count over time and channels; `weight`
    ([batch, time], 1 on real frames) or None. Channels are summed first: a
    reduction along the contiguous axis, then a small one over time."""
    if weight is None:
        count = x.shape[1] * x.shape[2]
        mean = jnp.sum(x, axis=(1, 2), keepdims=True) / count
        var = jnp.sum(jnp.square(x - mean), axis=(1, 2), keepdims=True) / count
    else:
        count = jnp.maximum(jnp.sum(weight, axis=1), 1)[:, None, None] * x.shape[-1]
        mean = jnp.sum(jnp.sum(x, axis=2) * weight, axis=1)[:, None, None] / count
        var = jnp.sum(jnp.sum(jnp.square(x - mean), axis=2) * weight, axis=1)[:, None, None] / count
    return mean, jax.lax.rsqrt(var + EPS), count


@jax.custom_vjp
def global_norm(x, scale, bias, weight):
    """gLN of float32 `x` [batch, time, channels]: statistics over the frames
    where `weight` ([batch, time]) is 1, or all frames if it is None.

    The gradient is written out (`_global_norm_backward`): with the one
    automatic differentiation gives, XLA:CPU took 34 ms (49 ms padded) for the
    forward and backward pass of a [4, 8000, 128] input, 8 ms with this one
    (benchmarks/norm_gradients.py)."""
    return _global_norm_forward(x, scale, bias, weight)[0]


def _global_norm_forward(x, scale, bias, weight):
    mean, inv_std, count = _global_statistics(x, weight)
    return (x - mean) * inv_std * scale + bias, (x, scale, weight, mean, inv_std, count)


def _global_norm_backward(saved, grad):
    """With n = (x - mean) / std and g = grad * scale, per example:
    dx = (g - w (sum(g) + n sum(g n)) / count) / std, the sums over every
    element (padded ones' outputs depend on the statistics too) and w the
    element's weight. Both sums, and the scale and bias gradients, come from
    per-(example, channel) sums over time of grad and grad * n: one pass."""
    x, scale, weight, mean, inv_std, count = saved
    normalized = (x - mean) * inv_std
    grad_sum = jnp.sum(grad, axis=1)
    grad_normalized_sum = jnp.sum(grad * normalized, axis=1)
    total = jnp.sum(grad_sum * scale, axis=1)[:, None, None]
    total_normalized = jnp.sum(grad_normalized_sum * scale, axis=1)[:, None, None]
    share = (total + normalized * total_normalized) / count
    if weight is not None:
        share = share * weight[..., None]
    grad_x = inv_std * (grad * scale - share)
    return grad_x, jnp.sum(grad_normalized_sum, axis=0), jnp.sum(grad_sum, axis=0), None


global_norm.defvjp(_global_norm_forward, _global_norm_backward)


def _prelu(h, bias, slope):
    """PReLU(h + bias) and h + bias; bias may be None."""
    z = h if bias is None else h + bias
    return jnp.where(z >= 0, z, slope * z), z


@jax.custom_vjp
def prelu_global_norm(h, bias, slope, scale, shift, weight):
    """gLN(PReLU(h + bias)) of float32 `h` [batch, time, channels], as
    nn.PReLU then `global_norm` compute it; `bias` ([channels]) may be None.

    One op with a written-out gradient because the chain is memory-bound: left
    to XLA:CPU, the bias, the PReLU, the centred copy for the variance and the
    normalized output each went through memory, and as many passes again in
    the backward pass. Here the bias goes in with the PReLU, the statistics
    come from per-example sums of y and y^2 (no centred copy), and the
    backward pass needs only sums of grad and grad * y before its one
    elementwise pass (benchmarks/RESULTS.md, session 7).
    """
    return _prelu_global_norm_forward(h, bias, slope, scale, shift, weight)[0]


def _prelu_global_norm_forward(h, bias, slope, scale, shift, weight):
    y, _ = _prelu(h, bias, slope)
    channels = y.shape[-1]
    sums = jnp.sum(y, axis=2)
    square_sums = jnp.sum(y * y, axis=2)
    if weight is None:
        count = jnp.full((y.shape[0], 1, 1), y.shape[1] * channels, y.dtype)
    else:
        count = jnp.maximum(jnp.sum(weight, axis=1), 1)[:, None, None] * channels
        sums, square_sums = sums * weight, square_sums * weight
    mean = jnp.sum(sums, axis=1)[:, None, None] / count
    # E[y^2] - E[y]^2 can round below zero in float32; a variance cannot.
    var = jnp.maximum(jnp.sum(square_sums, axis=1)[:, None, None] / count - jnp.square(mean), 0.0)
    inv_std = jax.lax.rsqrt(var + EPS)
    out = (y - mean) * inv_std * scale + shift
    return out, (h, y, bias, slope, scale, weight, mean, inv_std, count)


def _prelu_global_norm_backward(saved, grad):
    """`_global_norm_backward` with respect to y, then through the PReLU:
    dz = dy where z >= 0, else slope * dy. y is kept from the forward pass
    (it was written there anyway): XLA:CPU's reductions fuse a product of two
    arrays but not a select or a broadcast, so sum(grad * y) costs no pass of
    its own and sum(grad * normalized) would."""
    h, y, bias, slope, scale, weight, mean, inv_std, count = saved
    z = h if bias is None else h + bias
    grad_sum = jnp.sum(grad, axis=1)
    # sum(grad * normalized) over time, from sum(grad * y) and sum(grad).
    grad_normalized_sum = (jnp.sum(grad * y, axis=1) - mean[:, 0] * grad_sum) * inv_std[:, 0]
    total = jnp.sum(grad_sum * scale, axis=1)[:, None, None]
    total_normalized = jnp.sum(grad_normalized_sum * scale, axis=1)[:, None, None]
    share = (total + (y - mean) * inv_std * total_normalized) / count
    if weight is not None:
        share = share * weight[..., None]
    grad_y = inv_std * (grad * scale - share)
    negative = z < 0
    grad_z = jnp.where(negative, slope * grad_y, grad_y)
    grad_slope = jnp.sum(jnp.where(negative, grad_y * z, 0.0)).astype(jnp.asarray(slope).dtype)
    grad_bias = None if bias is None else jnp.sum(grad_z, axis=(0, 1))
    return (grad_z, grad_bias, grad_slope, jnp.sum(grad_normalized_sum, axis=0),
            jnp.sum(grad_sum, axis=0), None)


prelu_global_norm.defvjp(_prelu_global_norm_forward, _prelu_global_norm_backward)


class NormGain(nn.Module):
    """A layer norm's scale and bias parameters (same names), for a fused op."""

    @nn.compact
    def __call__(self, channels):
        return _gain(self, channels)


class GlobalLayerNorm(nn.Module):
    """gLN: one mean and variance per example, over time and channels."""

    @nn.compact
    def __call__(self, x, mask=None):
        if is_streaming(self):
            raise ValueError("the global norm (gLN) needs the whole recording and cannot "
                             "stream; use a causal model with a causal norm")
        scale, bias = _gain(self, x.shape[-1])
        weight = None if mask is None else mask[..., 0].astype(jnp.float32)
        return global_norm(x.astype(jnp.float32), scale, bias, weight).astype(x.dtype)


class ChannelLayerNorm(nn.Module):
    """Per-frame layer norm over channels; causal because frames are independent."""

    @nn.compact
    def __call__(self, x, mask=None):
        scale, bias = _gain(self, x.shape[-1])
        dtype, x = x.dtype, x.astype(jnp.float32)
        mean = jnp.mean(x, axis=-1, keepdims=True)
        var = jnp.mean(jnp.square(x - mean), axis=-1, keepdims=True)
        return ((x - mean) / jnp.sqrt(var + EPS) * scale + bias).astype(dtype)


class CumulativeLayerNorm(nn.Module):
    """The paper's cLN: frame t is normalized with statistics of frames 0..t."""

    @nn.compact
    def __call__(self, x, mask=None):
        scale, bias = _gain(self, x.shape[-1])
        dtype, x = x.dtype, x.astype(jnp.float32)
        frames = jnp.arange(1, x.shape[1] + 1, dtype=x.dtype)[None, :, None]
        total = jnp.cumsum(jnp.sum(x, axis=-1, keepdims=True), axis=1)
        total_power = jnp.cumsum(jnp.sum(jnp.square(x), axis=-1, keepdims=True), axis=1)
        if is_streaming(self):  # continue the sums of the blocks before this one
            batch = (x.shape[0], 1, 1)
            seen = self.variable(STREAM, "frames", jnp.zeros, batch, jnp.float32)
            before = self.variable(STREAM, "total", jnp.zeros, batch, jnp.float32)
            before_power = self.variable(STREAM, "total_power", jnp.zeros, batch, jnp.float32)
            frames, total, total_power = (frames + seen.value, total + before.value,
                                          total_power + before_power.value)
            seen.value, before.value, before_power.value = (
                frames[:, -1:], total[:, -1:], total_power[:, -1:])
        count = x.shape[-1] * frames
        mean, power = total / count, total_power / count
        # E[x^2] - E[x]^2 can round below zero in float32; a variance cannot.
        var = jnp.maximum(power - jnp.square(mean), 0.0)
        return ((x - mean) / jnp.sqrt(var + EPS) * scale + bias).astype(dtype)


_LAYER_NORMS = {
    "global": GlobalLayerNorm,
    "cumulative": CumulativeLayerNorm,
    "channel": ChannelLayerNorm,
}


def make_norm(kind: str, train: bool, name: str) -> nn.Module:
    """The norm layer called `kind`; `train` only matters for batch norm."""
    if kind == "batch":
        # torch.nn.BatchNorm1d's defaults, so Asteroid checkpoints convert exactly.
        return nn.BatchNorm(
            use_running_average=not train,
            momentum=0.9,
            epsilon=1e-5,
            use_fast_variance=False,
            name=name,
        )
    if kind not in _LAYER_NORMS:
        raise ValueError(f"unknown norm {kind!r}; choose one of {NORMS}")
    return _LAYER_NORMS[kind](name=name)
