"""Denoise a live stream with a causal model: blocks of any size in, as many samples out.

    stream = StreamingDenoiser(config, variables)
    for block in microphone_blocks:          # e.g. 160 samples (10 ms at 16 kHz)
        speech, noise = stream(block)        # as many samples as the block
    speech, noise = stream.flush()           # the last `stream.delay` samples

The output is the offline causal model's output delayed by `delay` = L - 1
samples: sample t of `model.apply(variables, whole_signal)` comes out as sample
t + delay of the stream. That delay is what the encoder's frame overlap costs
for a block of any size; a model step runs whenever whole frames are
available. Everything the model carries between steps (the depthwise
convolutions' past inputs, the cumulative norms' running sums and the
decoder's pending overlap) is a pytree, `StreamingDenoiser.state`; the step
is jit-compiled once per number of frames it receives, so a fixed block size
compiles at most twice (the first block gives fewer frames).

As offline (inference.mixture_gain), the sources are brought to the input's
level and sign, here with the least-squares gain over the stream so far: it
settles within the first blocks, and by the last block it is the offline
gain. `match_level=False` gives the model's own output. `dry` mixes that
share of the input back into the speech, as offline (inference.mix_dry).
"""
import time
from collections.abc import Callable, Iterable

import jax
import jax.numpy as jnp
import numpy as np

from tasnet_jax.inference import check_dry, mix_dry
from tasnet_jax.model import ConvTasNet, ConvTasNetConfig
from tasnet_jax.norms import STREAM


class StreamingDenoiser:
    def __init__(self, config: ConvTasNetConfig, variables: dict, match_level: bool = True,
                 dry: float = 0.0):
        if not config.causal:
            raise ValueError("streaming needs a causal model (config.causal=True); this one "
                             "looks ahead over its whole receptive field")
        check_dry("StreamingDenoiser", dry, match_level)
        self.config, self.variables, self.match_level = config, variables, match_level
        self.dry = dry
        self.delay = config.filter_length - 1
        model = ConvTasNet(config)

        def step(variables, state, samples):
            out, new = model.apply({**variables, STREAM: state}, samples, mutable=[STREAM])
            return out, new[STREAM]

        self._step = jax.jit(step)
        # The state at the start of a stream is all zeros: no past inputs (the
        # offline model pads with zeros), empty sums, nothing pending.
        shapes = jax.eval_shape(step, variables, {}, jnp.zeros((1, config.filter_length)))[1]
        self._initial_state = jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), shapes)
        self.reset()

    @property
    def sample_rate(self) -> int:
        return self.config.sample_rate

    def reset(self):
        """Start a new stream."""
        self.state = self._initial_state
        self._unframed = np.zeros(0, np.float32)  # input not yet in a finished frame
        # Output owed to the caller, led by the delay's zeros.
        self._owed = np.zeros((self.config.n_src, self.delay), np.float32)
        # The input that output owed lines up with, and the sums of the level fit.
        self._aligned = np.zeros(self.delay, np.float32)
        self._fit = np.zeros(2)  # sum(input * sources' sum), sum(sources' sum ** 2)

    def _at_input_level(self, out):
        """`out` [n_src, n] times the gain that fits the sources' sum to the input
        over the whole stream so far (inference.mixture_gain, kept up to date),
        with `dry` of the input mixed into the speech."""
        if not self.match_level:
            return out
        mixture, self._aligned = self._aligned[:out.shape[1]], self._aligned[out.shape[1]:]
        total = out.sum(0, dtype=np.float64)
        self._fit += (np.dot(mixture, total), np.dot(total, total))
        out = out * np.float32(self._fit[0] / self._fit[1] if self._fit[1] > 0 else 1)
        return mix_dry(out, mixture, self.dry) if self.dry else out

    def __call__(self, block) -> np.ndarray:
        """[samples] in -> [n_src, samples] out (source 0 is the speech)."""
        block = np.asarray(block, np.float32)
        if block.ndim != 1:
            raise ValueError(f"a stream takes mono blocks of shape [samples], got {block.shape}")
        length, stride = self.config.filter_length, self.config.stride
        self._unframed = np.concatenate([self._unframed, block])
        self._aligned = np.concatenate([self._aligned, block])
        frames = (self._unframed.size - length) // stride + 1
        if frames > 0:
            used = (frames - 1) * stride + length
            out, self.state = self._step(self.variables, self.state,
                                         jnp.asarray(self._unframed[None, :used]))
            self._owed = np.concatenate([self._owed, np.asarray(out[0])], axis=1)
            self._unframed = self._unframed[frames * stride:]
        out, self._owed = self._owed[:, :block.size], self._owed[:, block.size:]
        return self._at_input_level(out)

    def flush(self) -> np.ndarray:
        """[n_src, delay]: the rest of the offline output, then `reset`. Past the
        last whole frame that output is zeros, as the offline model's is."""
        pending = np.asarray(self.state["decoder"]["pending"][0])
        rest = np.concatenate([self._owed, pending], axis=1)[:, :self.delay]
        out = self._at_input_level(np.pad(rest, ((0, 0), (0, self.delay - rest.shape[1]))))
        self.reset()
        return out

    def warm_up(self, block_size: int):
        """Compile the steps that blocks of `block_size` samples lead to, so that
        no block of the stream waits for a compilation."""
        length, stride = self.config.filter_length, self.config.stride
        # Before a block arrives, fewer than L samples are waiting to be framed.
        for frames in {(waiting + block_size - length) // stride + 1 for waiting in range(length)}:
            if frames > 0:
                samples = jnp.zeros((1, (frames - 1) * stride + length))
                jax.block_until_ready(self._step(self.variables, self._initial_state, samples))


def run_stream(stream: StreamingDenoiser, blocks: Iterable[np.ndarray],
               emit: Callable[[np.ndarray], None]) -> tuple[list[float], int]:
    """Pass `blocks` through `stream` and `emit` the speech estimate as it comes,
    aligned with the input: the delay's leading zeros are dropped and the flush
    is emitted at the end, so everything emitted is the offline output. Returns
    the seconds each block took and the samples fed."""
    skip, seconds, samples = stream.delay, [], 0
    for block in blocks:
        samples += len(block)
        start = time.perf_counter()
        speech = stream(block)[0]
        seconds.append(time.perf_counter() - start)
        dropped = min(skip, speech.size)
        skip -= dropped
        if speech.size > dropped:
            emit(speech[dropped:])
    emit(stream.flush()[0][skip:])
    return seconds, samples


def latency_report(stream: StreamingDenoiser, block_size: int, seconds: list[float],
                   samples: int) -> str:
    """Algorithmic latency, measured compute per block and real-time factor
    (compute time over the duration of the `samples` streamed)."""
    rate, delay = stream.sample_rate, stream.delay
    block_ms = 1000 * block_size / rate
    ms = 1000 * np.asarray(seconds)
    late = int(np.sum(ms > block_ms))
    return (f"block {block_size} samples ({block_ms:.1f} ms); algorithmic latency "
            f"{1000 * (block_size + delay) / rate:.2f} ms (the block and {delay} samples of "
            f"encoder frame overlap)\n"
            f"compute per block: median {np.median(ms):.3f} ms, 99th percentile "
            f"{np.percentile(ms, 99):.3f} ms, max {ms.max():.3f} ms over {ms.size} blocks "
            f"({late} slower than real time); real-time factor "
            f"{ms.sum() / 1000 / (samples / rate):.3f}")
