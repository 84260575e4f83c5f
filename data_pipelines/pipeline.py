"""tf.data pipelines over any noisy-speech builder (see features.py for its examples).

Training remixes: the speech of one example meets the noise of one to a few
others at an SNR and a gain drawn per example, cropped to a segment, and
augmented on the host (augment.py: speed, voices, rooms, microphones,
clipping). Evaluation keeps the corpus's own noisy/clean pairs at full
length. Both yield numpy-ready dicts:

    mixture  float32 [batch, samples]
    sources  float32 [batch, 2, samples]   speech, noise; mixture = their sum
    length   int32   [batch]               real samples; the rest is zero padding

Training data is a pure function of (seed, step): every random choice comes
from a numpy Generator seeded by (seed, the example's position in the
stream), and the shuffles have fixed seeds, so a run resumed at step k sees
what an unbroken run would have seen from step k on. Each process reads its
own disjoint slice of the split (tfds.split_for_jax_process).

Training may draw on several corpora at once (`extra`): each keeps its own
shuffled, endless streams, and every speech clip and every noise clip comes
from one of them at random, in proportion to the corpora's speech weights
and noise weights (a corpus of speech alone takes noise weight 0).
"""
import jax
import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

from data_pipelines import augment
from data_pipelines.audio import INT16_SCALE
from data_pipelines.mixing_config import MixingConfig


def _to_float(samples):
    return tf.cast(samples, tf.float32) / INT16_SCALE


def _process_split(split, process_index, process_count):
    return tfds.split_for_jax_process(split, process_index=process_index,
                                      process_count=process_count)


def train_dataset(builder, *, global_batch_size: int, seed: int, mixing=MixingConfig(),
                  split="train", start_step=0, process_index=None, process_count=None,
                  extra=()):
    """Endless batches of remixed training segments for this process.

    `global_batch_size` is split evenly across processes; `start_step` resumes
    the stream where a run that had taken `start_step` batches left it.
    `process_index`/`process_count` default to JAX's. `extra` holds
    (builder, split, speech_weight, noise_weight) of more corpora at the same
    sample rate to draw from; `builder`'s split has weight 1 for both.
    """
    count = process_count if process_count is not None else jax.process_count()
    if global_batch_size % count:
        raise ValueError(f"global_batch_size={global_batch_size} does not divide among "
                         f"{count} processes")
    batch = global_batch_size // count
    rate = builder.info.metadata["sample_rate"]
    segment = int(round(mixing.segment_seconds * rate))
    corpora = [(builder, split, 1.0, 1.0), *extra]
    for other, other_split, *weights in extra:
        other_rate = other.info.metadata["sample_rate"]
        if other_rate != rate:
            raise ValueError(f"{other.info.full_name} is at {other_rate} Hz, "
                             f"{builder.info.full_name} at {rate} Hz: corpora trained on "
                             "together must share one sample rate")
        if min(weights) < 0 or max(weights) <= 0:
            raise ValueError(f"{other.info.full_name}/{other_split}: weights {weights} must be "
                             ">= 0 and one of them > 0")

    def stream(field, stream_seed, which):
        """Shuffled endless `field`s of every corpus whose weight `which` is > 0."""
        streams, weights = [], []
        for i, (corpus, part, *corpus_weights) in enumerate(corpora):
            if corpus_weights[which] > 0:
                weights.append(corpus_weights[which])
                # Only `field` is parsed and decoded: each record also holds the noisy
                # mixture and the other source, several times the bytes kept.
                streams.append(
                    corpus.as_dataset(split=_process_split(part, process_index, process_count),
                                      shuffle_files=False,
                                      decoders=tfds.decode.PartialDecoding({field: True}))
                    .map(lambda ex: ex[field])
                    .shuffle(mixing.shuffle_buffer, seed=stream_seed + 7919 * i,
                             reshuffle_each_iteration=True)
                    .repeat())
        if len(streams) == 1:
            return streams[0]
        return tf.data.Dataset.sample_from_datasets(
            streams, weights=[w / sum(weights) for w in weights], seed=stream_seed + 2)

    # Each example takes `max_noises` noise clips, padded to one tensor with their lengths.
    noises = (stream("noise", seed + 1, 1).map(lambda x: (_to_float(x), tf.shape(x)[0]))
              .padded_batch(mixing.max_noises))
    pairs = tf.data.Dataset.zip(stream("clean", seed, 0), noises)
    pairs = tf.data.Dataset.zip(tf.data.Dataset.counter(), pairs).skip(start_step * batch)

    def mix(index, speech, noises, lengths):
        rng = np.random.default_rng([seed, index])
        clips = [clip[:n] for clip, n in zip(noises, lengths)]
        return augment.make_example(rng, speech, clips, segment, rate, mixing)

    def tf_mix(index, pair):
        speech, (noise, lengths) = pair
        mixture, sources, length = tf.numpy_function(
            mix, [index, _to_float(speech), noise, lengths], [tf.float32, tf.float32, tf.int32],
            stateful=False)
        mixture.set_shape([segment])
        sources.set_shape([2, segment])
        length.set_shape([])
        return dict(mixture=mixture, sources=sources, length=length)

    data = pairs.map(tf_mix, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
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
