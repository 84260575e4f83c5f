"""Conv-TasNet (Luo & Mesgarani, arXiv 1809.07454) as Flax Linen modules.

    encoder    frames of L samples, hop S, times N learned filters
    separator  temporal convolutional network (TCN) -> one mask per source
    decoder    masked frames times N learned filters, overlap-added

Waveforms are [batch, samples] in and [batch, n_src, samples] out; inside, the
layout is [batch, frames, channels]. Like Asteroid, the encoder takes every
whole frame and the output is zero-padded back to the input length, so the
last (samples - L) % S samples of the output are zero.

A batch of zero-padded waveforms comes with `length` (real samples per
example): frames past the end are then zeroed where a convolution or the
decoder would see them and left out of the norms' statistics, so each example
gets the output it would get alone, unpadded.

Applied with the `norms.STREAM` collection mutable, the model is one step of
a stream (`streaming.py`): it takes the samples of the next k whole frames
(those of the frame overlapping the previous block included) and returns the
k * S output samples that no later frame changes. The depthwise convolutions'
past inputs, the cumulative norms' running sums and the decoder's pending
overlap are carried over in that collection.
"""
import functools
import math

import flax.linen as nn
import jax
import jax.numpy as jnp

# Re-exported: the configs live in configs.py, cheap to import.
from tasnet_jax.configs import SIZES, ConvTasNetConfig, paper_config, small_config  # noqa: F401
from tasnet_jax.norms import STREAM, NormGain, is_streaming, make_norm, prelu_global_norm

ENCODER_FUNCTIONS = {"linear": lambda x: x, "relu": nn.relu}
# Softmax normalizes across sources: scores are [batch, frames, n_src, N].
MASK_FUNCTIONS = {
    "sigmoid": nn.sigmoid,
    "relu": nn.relu,
    "softmax": lambda scores: nn.softmax(scores, axis=2),
    "linear": lambda x: x,
}


def frame(wav: jnp.ndarray, length: int, stride: int) -> jnp.ndarray:
    """[batch, samples] -> [batch, frames, length], every whole frame (no padding)."""
    n_frames = (wav.shape[-1] - length) // stride + 1
    chunks_per_frame = math.ceil(length / stride)
    needed = (n_frames + chunks_per_frame - 1) * stride
    # Slices of a reshape, not a gather: one cheap copy per chunk of the frame.
    wav = jnp.pad(wav[:, :needed], ((0, 0), (0, max(0, needed - wav.shape[-1]))))
    chunks = wav.reshape(wav.shape[0], -1, stride)
    frames = jnp.concatenate(
        [chunks[:, j:j + n_frames] for j in range(chunks_per_frame)], axis=-1)
    return frames[..., :length]


def overlap_add(frames: jnp.ndarray, stride: int) -> jnp.ndarray:
    """[..., frames, length] -> [..., (frames - 1) * stride + length]; inverse of `frame`."""
    n_frames, length = frames.shape[-2:]
    chunks_per_frame = math.ceil(length / stride)
    pad = [(0, 0)] * (frames.ndim - 1) + [(0, chunks_per_frame * stride - length)]
    chunks = jnp.pad(frames, pad).reshape(*frames.shape[:-1], chunks_per_frame, stride)
    out = jnp.zeros((*frames.shape[:-2], n_frames + chunks_per_frame - 1, stride), frames.dtype)
    for j in range(chunks_per_frame):
        out = out.at[..., j:j + n_frames, :].add(chunks[..., j, :])
    out = out.reshape(*out.shape[:-2], -1)
    return out[..., :(n_frames - 1) * stride + length]


def pointwise(dense, x):
    """A 1x1 convolution (`dense`, or a kernel matrix) on [..., channels], as one
    2-D matmul: given 3-D activations, XLA:CPU transposes them to form the
    weight gradient, and the backward pass is 3x slower (DESIGN.md)."""
    rows = x.reshape(-1, x.shape[-1])
    out = dense(rows) if callable(dense) else rows @ dense
    return out.reshape(*x.shape[:-1], out.shape[-1])


def _xavier_normal():
    # Asteroid's filterbank initialization.
    return nn.initializers.variance_scaling(1.0, "fan_avg", "normal")


class Encoder(nn.Module):
    """[batch, samples] -> [batch, frames, N]: a strided Conv1D without bias."""

    n_filters: int
    filter_length: int
    stride: int

    @nn.compact
    def __call__(self, wav):
        kernel = self.param("kernel", _xavier_normal(), (self.filter_length, self.n_filters))
        return pointwise(kernel, frame(wav, self.filter_length, self.stride))


class Decoder(nn.Module):
    """[..., frames, N] -> [..., samples]: a transposed strided Conv1D."""

    n_filters: int
    filter_length: int
    stride: int

    @nn.compact
    def __call__(self, frames):
        kernel = self.param("kernel", _xavier_normal(), (self.n_filters, self.filter_length))
        out = overlap_add(pointwise(kernel, frames), self.stride)
        if is_streaming(self):  # the last L - S samples still await the next frame
            overlap = self.filter_length - self.stride
            pending = self.variable(STREAM, "pending", jnp.zeros,
                                    (*out.shape[:-1], overlap), out.dtype)
            out = out.at[..., :overlap].add(pending.value)
            pending.value = out[..., out.shape[-1] - overlap:]
            out = out[..., :out.shape[-1] - overlap]
        return out


class DepthwiseConv(nn.Module):
    """Dilated depthwise Conv1D over [batch, time, channels], same length out.

    Written as kernel_size shifted multiply-adds: XLA's CPU grouped convolution
    is several times slower (DESIGN.md) and the sum is the same.
    """

    kernel_size: int
    dilation: int
    causal: bool

    @nn.compact
    def __call__(self, x):
        channels = x.shape[-1]
        kernel = self.param("kernel", nn.initializers.lecun_normal(), (self.kernel_size, channels))
        bias = self.param("bias", nn.initializers.zeros, (channels,))
        kernel, bias = kernel.astype(x.dtype), bias.astype(x.dtype)  # compute in x's dtype
        span = (self.kernel_size - 1) * self.dilation
        if is_streaming(self):
            if not self.causal:
                raise ValueError("a non-causal model looks ahead and cannot stream")
            past = self.variable(STREAM, "past", jnp.zeros, (x.shape[0], span, channels), x.dtype)
            padded = jnp.concatenate([past.value, x], axis=1)
            past.value = padded[:, padded.shape[1] - span:]
            return _taps(padded, kernel, bias, self.dilation, x.shape[1])
        # Causal: all padding in the past, so frame t sees frames t - span .. t.
        left = span if self.causal else span // 2
        return depthwise_conv(x, kernel, bias, self.dilation, left)


def _taps(padded, kernel, bias, dilation, steps):
    """bias + sum over taps k of kernel[k] * padded[:, k * dilation:][:steps]."""
    out = bias
    for tap in range(kernel.shape[0]):
        out = out + padded[:, tap * dilation:tap * dilation + steps] * kernel[tap]
    return out


def _shift(x, offset):
    """x[:, t + offset] for every t, zeros where that falls outside x."""
    steps = x.shape[1]
    if offset == 0:
        return x
    if abs(offset) >= steps:
        return jnp.zeros_like(x)
    pad = ((0, 0), (max(0, -offset), max(0, offset)), (0, 0))
    return jnp.pad(x, pad)[:, max(0, offset):max(0, offset) + steps]


@functools.partial(jax.custom_vjp, nondiff_argnums=(3, 4))
def depthwise_conv(x, kernel, bias, dilation, left):
    """out[t] = bias + sum_k kernel[k] * x[t + k * dilation - left], zero
    outside x: the dilated depthwise convolution on [batch, time, channels].

    The gradient is written out so that only x is kept for the backward
    pass. Left to autodiff, XLA:CPU kept a padded copy and a shifted copy per
    tap of every block's input (64 instead of 16 MB a block for the small
    model's 4 x 4 s step), and every byte of that is a fresh page to fault in
    on each step under glibc's malloc."""
    return _depthwise_forward(x, kernel, bias, dilation, left)[0]


def _depthwise_forward(x, kernel, bias, dilation, left):
    span = (kernel.shape[0] - 1) * dilation
    padded = jnp.pad(x, ((0, 0), (left, span - left), (0, 0)))
    return _taps(padded, kernel, bias, dilation, x.shape[1]), (x, kernel)


def _depthwise_backward(dilation, left, saved, grad):
    x, kernel = saved
    taps = kernel.shape[0]
    # x[s] feeds out[s - k * dilation + left] through tap k.
    grad_x = sum(_shift(grad, left - k * dilation) * kernel[k] for k in range(taps))
    grad_kernel = jnp.stack([jnp.sum(grad * _shift(x, k * dilation - left), axis=(0, 1))
                             for k in range(taps)])
    return grad_x, grad_kernel, jnp.sum(grad, axis=(0, 1))


depthwise_conv.defvjp(_depthwise_forward, _depthwise_backward)


class DenseParams(nn.Module):
    """An nn.Dense's parameters (same names, shapes and initializers), returned
    for the caller to apply: the bias then goes into the fused op that follows."""

    features: int

    @nn.compact
    def __call__(self, in_features):
        kernel = self.param("kernel", nn.initializers.lecun_normal(),
                            (in_features, self.features))
        return kernel, self.param("bias", nn.initializers.zeros, (self.features,))


class PReLUSlope(nn.Module):
    """nn.PReLU's parameter (same name and initial value), for a fused op."""

    @nn.compact
    def __call__(self):
        return self.param("negative_slope", nn.initializers.constant(0.25), ())


class TCNBlock(nn.Module):
    """1x1 conv B->H, PReLU, norm, depthwise conv, PReLU, norm; 1x1 residual and skip."""

    config: ConvTasNetConfig
    dilation: int

    @nn.compact
    def __call__(self, x, mask, train: bool):
        cfg = self.config
        kernel, bias = DenseParams(cfg.hidden_channels, name="in_conv")(x.shape[-1])
        h = pointwise(kernel.astype(cfg.compute_dtype), x.astype(cfg.compute_dtype))
        h = self._prelu_norm(h, bias, "prelu_in", "norm_in", mask, train)
        if mask is not None:  # padded frames read as the zeros an unpadded input has there
            h = jnp.where(mask, h, 0.0)
        h = DepthwiseConv(cfg.kernel_size, self.dilation, cfg.causal, name="depthwise")(h)
        h = self._prelu_norm(h, None, "prelu_out", "norm_out", mask, train)
        # The last block's residual feeds nothing when skips exist; it is kept
        # so parameters match the paper and Asteroid, and XLA drops the work.
        dense = functools.partial(nn.Dense, dtype=cfg.compute_dtype)
        residual = pointwise(dense(cfg.bottleneck_channels, name="residual"), h)
        skip = pointwise(dense(cfg.skip_channels, name="skip"), h) if cfg.skip_channels else None
        return residual, skip

    def _prelu_norm(self, h, bias, prelu_name, norm_name, mask, train):
        """norm(PReLU(h + bias)), with the parameters of nn.PReLU and the norm
        layer under the given names; gLN as one fused op (`prelu_global_norm`)."""
        if self.config.norm == "global" and not is_streaming(self):
            slope = PReLUSlope(name=prelu_name)()
            scale, shift = NormGain(name=norm_name)(h.shape[-1])
            weight = None if mask is None else mask[..., 0].astype(jnp.float32)
            return prelu_global_norm(h.astype(jnp.float32), bias, slope, scale, shift,
                                     weight).astype(h.dtype)
        if bias is not None:
            h = h + bias.astype(h.dtype)
        h = nn.PReLU(negative_slope_init=0.25, name=prelu_name)(h)
        return make_norm(self.config.norm, train, name=norm_name)(h, mask=mask)


class Separator(nn.Module):
    """TCN mask estimator: [batch, frames, N] -> masks [batch, n_src, frames, N].

    `mask` ([batch, frames, 1], True on real frames) or None for no padding.
    """

    config: ConvTasNetConfig

    @nn.compact
    def __call__(self, features, mask, train: bool):
        cfg = self.config
        x = make_norm(cfg.norm, train, name="bottleneck_norm")(features, mask=mask)
        x = pointwise(nn.Dense(cfg.bottleneck_channels, dtype=cfg.compute_dtype,
                               name="bottleneck"), x)
        skip_sum = 0.0
        # `train` (argument 3, after self, x and mask) decides the graph: static.
        block = nn.remat(TCNBlock, static_argnums=(3,)) if cfg.remat else TCNBlock
        for i in range(cfg.repeats * cfg.blocks_per_repeat):
            dilation = 2 ** (i % cfg.blocks_per_repeat)
            residual, skip = block(cfg, dilation, name=f"block_{i}")(x, mask, train)
            x = x + residual
            if skip is not None:
                skip_sum = skip_sum + skip
        h = skip_sum if cfg.skip_channels else x
        h = nn.PReLU(negative_slope_init=0.25, name="mask_prelu")(h)
        scores = pointwise(nn.Dense(cfg.n_src * cfg.n_filters, dtype=cfg.compute_dtype,
                                    name="mask"), h)
        scores = scores.reshape(*scores.shape[:2], cfg.n_src, cfg.n_filters)
        masks = MASK_FUNCTIONS[cfg.mask_activation](scores)
        return jnp.moveaxis(masks, 2, 1)


class ConvTasNet(nn.Module):
    """Waveforms [batch, samples] -> estimated sources [batch, n_src, samples].

    `length` ([batch] ints, optional): real samples of each zero-padded
    example. `train` only changes batch norm (batch statistics, and
    `batch_stats` must then be mutable).
    """

    config: ConvTasNetConfig

    @nn.compact
    def __call__(self, wav, length=None, train: bool = False):
        cfg = self.config
        if wav.ndim != 2:
            raise ValueError(f"ConvTasNet takes waveforms of shape [batch, samples], got {wav.shape}")
        if wav.shape[-1] < cfg.filter_length:
            raise ValueError(f"input has {wav.shape[-1]} samples; the model needs at least "
                             f"filter_length={cfg.filter_length}")
        features = Encoder(cfg.n_filters, cfg.filter_length, cfg.stride, name="encoder")(wav)
        features = ENCODER_FUNCTIONS[cfg.encoder_activation](features)
        mask = None
        if length is not None:  # a frame is real if it ends within the example
            ends = jnp.arange(features.shape[1]) * cfg.stride + cfg.filter_length
            mask = (ends[None, :] <= jnp.asarray(length)[:, None])[..., None]
            features = jnp.where(mask, features, 0.0)
        masks = Separator(cfg, name="separator")(features.astype(cfg.compute_dtype), mask, train)
        masks = masks.astype(features.dtype)
        sources = Decoder(cfg.n_filters, cfg.filter_length, cfg.stride, name="decoder")(
            masks * features[:, None])
        if is_streaming(self):
            return sources
        return jnp.pad(sources, ((0, 0), (0, 0), (0, wav.shape[-1] - sources.shape[-1])))
