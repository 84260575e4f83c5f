"""tf.data pipelines over any noisy-speech builder (see features.py for its examples).

Training remixes: the speech of one example meets the noise of another at an
SNR and a gain drawn per example, cropped to a segment. Evaluation keeps the
corpus's own noisy/clean pairs at full length. Both yield numpy-ready dicts:

    mixture  float32 [batch, samples]
    sources  float32 [batch, 2, samples]   speech, noise; mixture = their sum
    length   int32   [batch]               real samples; the rest is zero padding

Training data is a pure function of (seed, step): every random choice comes
from stateless ops keyed by the example's position in the stream, and the
shuffles have fixed seeds, so a run resumed at step k sees what an unbroken
run would have seen from step k on. Each process reads its own disjoint slice
of the split (tfds.split_for_jax_process).
"""
import dataclasses

import jax
import tensorflow as tf
import tensorflow_datasets as tfds

from data_pipelines.audio import INT16_SCALE


@dataclasses.dataclass(frozen=True)
class MixingConfig:
    segment_seconds: float = 4.0  # training crop; shorter utterances are zero-padded
    snr_db: tuple[float, float] = (-5.0, 15.0)  # speech-to-noise ratio, drawn uniformly
    gain_db: tuple[float, float] = (-6.0, 6.0)  # level of the whole mixture, drawn uniformly
    shuffle_buffer: int = 1024

    def __post_init__(self):
        if self.segment_seconds <= 0:
            raise ValueError(f"MixingConfig.segment_seconds must be > 0, got {self.segment_seconds}")
        for name in ("snr_db", "gain_db"):
            low, high = getattr(self, name)
            if low > high:
                raise ValueError(f"MixingConfig.{name}={getattr(self, name)}: low above high")
        if self.shuffle_buffer < 1:
            raise ValueError(f"MixingConfig.shuffle_buffer must be >= 1, got {self.shuffle_buffer}")


def _to_float(samples):
    return tf.cast(samples, tf.float32) / INT16_SCALE


def _power(x, length):
    return tf.reduce_sum(tf.square(x)) / tf.cast(tf.maximum(length, 1), tf.float32)


def _crop_or_pad(audio, size, seed):
    """A random window of `size` samples, or the whole of a shorter clip zero-padded."""
    n = tf.shape(audio)[0]
    start = tf.random.stateless_uniform([], seed, 0, tf.maximum(n - size, 0) + 1, tf.int32)
    window = audio[start:start + size]
    real = tf.shape(window)[0]
    return tf.pad(window, [[0, size - real]]), real


def _mix(index, speech, noise, seed, segment, mixing):
    keys = tf.random.experimental.stateless_split(tf.stack([seed, index]), 4)
    speech, length = _crop_or_pad(_to_float(speech), segment, keys[0])
    # Noise fills the speech's length: a short noise clip is looped first.
    noise = _to_float(noise)
    noise = tf.tile(noise, [segment // tf.maximum(tf.shape(noise)[0], 1) + 1])
    noise, _ = _crop_or_pad(noise, segment, keys[1])
    noise *= tf.cast(tf.range(segment) < length, tf.float32)

    snr = tf.random.stateless_uniform([], keys[2], *mixing.snr_db)
    speech_power, noise_power = _power(speech, length), _power(noise, length)
    # Silent speech or silent noise has no SNR to set: leave the noise as it is.
    audible = (speech_power > 1e-10) & (noise_power > 1e-10)
    scale = tf.where(audible, tf.sqrt(speech_power / (noise_power * 10 ** (snr / 10))), 1.0)
    gain = 10 ** (tf.random.stateless_uniform([], keys[3], *mixing.gain_db) / 20)
    speech, noise = gain * speech, gain * scale * noise
    return dict(mixture=speech + noise, sources=tf.stack([speech, noise]), length=length)


def _process_split(split, process_index, process_count):
    return tfds.split_for_jax_process(split, process_index=process_index,
                                      process_count=process_count)


def train_dataset(builder, *, global_batch_size: int, seed: int, mixing=MixingConfig(),
                  split="train", start_step=0, process_index=None, process_count=None):
    """Endless batches of remixed training segments for this process.

    `global_batch_size` is split evenly across processes; `start_step` resumes
    the stream where a run that had taken `start_step` batches left it.
    `process_index`/`process_count` default to JAX's.
    """
    process_split = _process_split(split, process_index, process_count)
    count = process_count if process_count is not None else jax.process_count()
    if global_batch_size % count:
        raise ValueError(f"global_batch_size={global_batch_size} does not divide among "
                         f"{count} processes")
    batch = global_batch_size // count
    segment = int(round(mixing.segment_seconds * builder.info.metadata["sample_rate"]))
    examples = builder.as_dataset(split=process_split, shuffle_files=False)

    def stream(field, stream_seed):
        return (examples.map(lambda ex: ex[field])
                .shuffle(mixing.shuffle_buffer, seed=stream_seed, reshuffle_each_iteration=True)
                .repeat())

    pairs = tf.data.Dataset.zip(stream("clean", seed), stream("noise", seed + 1))
    pairs = tf.data.Dataset.zip(tf.data.Dataset.counter(), pairs).skip(start_step * batch)
    data = pairs.map(lambda i, p: _mix(i, p[0], p[1], seed, segment, mixing),
                     num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return data.batch(batch, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def eval_dataset(builder, split="test", batch_size=1, process_index=None, process_count=None):
    """The corpus's own noisy/clean pairs at full length, once, in a fixed order."""
    examples = builder.as_dataset(
        split=_process_split(split, process_index, process_count), shuffle_files=False)

    def pair(ex):
        clean, noise = _to_float(ex["clean"]), _to_float(ex["noise"])
        return dict(mixture=_to_float(ex["noisy"]), sources=tf.stack([clean, noise]),
                    length=tf.shape(clean)[0], file_id=ex["file_id"])

    return examples.map(pair).padded_batch(batch_size).prefetch(tf.data.AUTOTUNE)
