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
"""
import flax.linen as nn
import jax.numpy as jnp

EPS = 1e-8  # Asteroid's epsilon; matching it keeps converted models exact.

CAUSAL_NORMS = ("cumulative", "channel", "batch")


def _scale_and_shift(module: nn.Module, normalized, dtype) -> jnp.ndarray:
    """Gain and bias on float32 statistics, returned in the input's `dtype`."""
    channels = normalized.shape[-1]
    scale = module.param("scale", nn.initializers.ones, (channels,))
    bias = module.param("bias", nn.initializers.zeros, (channels,))
    return (normalized * scale + bias).astype(dtype)


class GlobalLayerNorm(nn.Module):
    """gLN: one mean and variance per example, over time and channels."""

    @nn.compact
    def __call__(self, x, mask=None):
        dtype, x = x.dtype, x.astype(jnp.float32)
        if mask is None:
            mean = jnp.mean(x, axis=(1, 2), keepdims=True)
            var = jnp.mean(jnp.square(x - mean), axis=(1, 2), keepdims=True)
        else:
            weight = mask.astype(x.dtype)
            count = jnp.maximum(jnp.sum(weight, axis=(1, 2), keepdims=True), 1) * x.shape[-1]
            mean = jnp.sum(x * weight, axis=(1, 2), keepdims=True) / count
            var = jnp.sum(jnp.square(x - mean) * weight, axis=(1, 2), keepdims=True) / count
        return _scale_and_shift(self, (x - mean) / jnp.sqrt(var + EPS), dtype)


class ChannelLayerNorm(nn.Module):
    """Per-frame layer norm over channels; causal because frames are independent."""

    @nn.compact
    def __call__(self, x, mask=None):
        dtype, x = x.dtype, x.astype(jnp.float32)
        mean = jnp.mean(x, axis=-1, keepdims=True)
        var = jnp.mean(jnp.square(x - mean), axis=-1, keepdims=True)
        return _scale_and_shift(self, (x - mean) / jnp.sqrt(var + EPS), dtype)


class CumulativeLayerNorm(nn.Module):
    """The paper's cLN: frame t is normalized with statistics of frames 0..t."""

    @nn.compact
    def __call__(self, x, mask=None):
        dtype, x = x.dtype, x.astype(jnp.float32)
        channels = x.shape[-1]
        count = channels * jnp.arange(1, x.shape[1] + 1, dtype=x.dtype)[None, :, None]
        mean = jnp.cumsum(jnp.sum(x, axis=-1, keepdims=True), axis=1) / count
        power = jnp.cumsum(jnp.sum(jnp.square(x), axis=-1, keepdims=True), axis=1) / count
        # E[x^2] - E[x]^2 can round below zero in float32; a variance cannot.
        var = jnp.maximum(power - jnp.square(mean), 0.0)
        return _scale_and_shift(self, (x - mean) / jnp.sqrt(var + EPS), dtype)


_LAYER_NORMS = {
    "global": GlobalLayerNorm,
    "cumulative": CumulativeLayerNorm,
    "channel": ChannelLayerNorm,
}
NORMS = (*_LAYER_NORMS, "batch")


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
