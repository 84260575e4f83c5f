"""Validation during training: SI-SNR of the speech estimate and its improvement.

Evaluation runs on the corpus's own noisy/clean pairs at full length, each
process on its shard, in batches padded in time to a whole number of `bucket`
samples (so a handful of shapes compile, not one per utterance) and in size to
the batch (filler rows have length 0 and are left out). The model takes the
lengths, so padding does not change any example's output.
"""
import jax
import jax.numpy as jnp
import numpy as np
import tensorflow_datasets as tfds
from jax.experimental import multihost_utils

from data_pipelines.pipeline import eval_dataset
from tasnet_jax.losses import best_permutation, si_snr
from tasnet_jax.parallel import batch_sharding, global_batch, replicated


def eval_batches(builder, split: str, batch_size: int, bucket: int, process_index=None,
                 process_count=None):
    """numpy batches of exactly `batch_size` rows, padded in time to a multiple of
    `bucket`, the same shape on every process.

    Processes agree on each batch: the longest utterance across them sets the
    padding, and a process whose shard has run out sends filler rows (length 0)
    until every shard has.
    """
    data = iter(tfds.as_numpy(eval_dataset(builder, split=split, batch_size=batch_size,
                                           process_index=process_index,
                                           process_count=process_count)))
    while True:
        batch = next(data, None)
        local = np.array([0 if batch is None else batch["mixture"].shape[1]])
        longest = int(np.max(multihost_utils.process_allgather(local)))
        if longest == 0:
            return
        if batch is None:
            batch = {"mixture": np.zeros((0, longest), np.float32),
                     "sources": np.zeros((0, 2, longest), np.float32),
                     "length": np.zeros((0,), np.int32)}
        rows, samples = batch["mixture"].shape
        padded = -(-longest // bucket) * bucket
        yield {
            "mixture": np.pad(batch["mixture"], ((0, batch_size - rows), (0, padded - samples))),
            "sources": np.pad(batch["sources"],
                              ((0, batch_size - rows), (0, 0), (0, padded - samples))),
            "length": np.pad(batch["length"], (0, batch_size - rows)).astype(np.int32),
        }


def make_eval_step(model, mesh, pit: bool = False):
    """Per example: the estimate of source 0 (speech; speaker 1 under PIT, after
    the best assignment of estimates to sources), and the SI-SNR of it and of
    the mixture."""
    def step(variables, batch):
        estimates = model.apply(variables, batch["mixture"], batch["length"])
        if pit:
            order = best_permutation(estimates, batch["sources"], batch["length"])
            estimates = jnp.take_along_axis(estimates, order[:, :, None], axis=1)
        clean = batch["sources"][:, 0]
        return {"estimate": estimates[:, 0],
                "si_snr": si_snr(estimates[:, 0], clean, batch["length"]),
                "si_snr_mixture": si_snr(batch["mixture"], clean, batch["length"])}

    return jax.jit(step, in_shardings=(replicated(mesh), batch_sharding(mesh)),
                   out_shardings=batch_sharding(mesh))


def examples(eval_step, variables, batches, mesh):
    """Every real example's results, on every process: dicts of numpy values,
    audio cut to the example's length."""
    for batch in batches:
        inputs = global_batch(batch, mesh)
        # Every process gets every example (one copy each).
        out, inputs = multihost_utils.process_allgather(
            (eval_step(variables, inputs), inputs), tiled=True)
        for row in np.flatnonzero(inputs["length"] > 0):
            n = int(inputs["length"][row])
            yield {"si_snr": float(out["si_snr"][row]),
                   "si_snri": float(out["si_snr"][row] - out["si_snr_mixture"][row]),
                   "estimate": out["estimate"][row, :n], "mixture": inputs["mixture"][row, :n],
                   "clean": inputs["sources"][row, 0, :n]}


def evaluate(eval_step, variables, batches, mesh) -> dict:
    """Mean SI-SNR, SI-SNR improvement (dB) and example count over `batches`.

    Gathers only the scores and lengths across processes, not the audio (see
    `examples` for that): this runs at every validation."""
    si_snr_sum = si_snri_sum = 0.0
    count = 0
    for batch in batches:
        inputs = global_batch(batch, mesh)
        out = eval_step(variables, inputs)
        scores, lengths = multihost_utils.process_allgather(
            ((out["si_snr"], out["si_snr_mixture"]), inputs["length"]), tiled=True)
        real = np.asarray(lengths) > 0
        si_snr_sum += float(np.sum(scores[0][real]))
        si_snri_sum += float(np.sum((scores[0] - scores[1])[real]))
        count += int(real.sum())
    if not count:
        raise ValueError("evaluation saw no examples")
    return {"si_snr": si_snr_sum / count, "si_snri": si_snri_sum / count, "count": count}
