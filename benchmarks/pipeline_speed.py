"""Does the tf.data pipeline keep the CPU's model fed? Throughput alone and together.

    python benchmarks/pipeline_speed.py [--batches 30] [--batch_size 4] [--segment_seconds 4]
                                        [--rounds 5]

Measures, on tiny_noisy_speech (built in a temporary folder unless --data_dir
is given), examples per second of: (1) the training pipeline alone, without
augmentation, with every stage on for every example (speed, 3 noises,
rooms for speech and noise, microphone and low-pass, clipping), and with the
quickstart's own augmentations (each stage at its probability); (2) a jitted
forward + backward pass of the quickstart's Conv-TasNet on a fixed batch, the work a
training step will do (no optimizer yet); (3) the pipeline feeding the model,
plain, with the quickstart's augmentations and with every stage on. (2) and (3)
take turns in one process (--rounds), and each prints its median: if (3) is
close to (2), input is not the bottleneck, and (3) as quickstart against (3)
plain is what the augmentations cost the quickstart's step; (3) also feeds
the quickstart's pipeline as training does, its threads at idle priority
(data_pipelines/idle_input.py). The turns block on every step where
training dispatches ahead: benchmarks/input_priority.py measures the cost
in training itself. (1) also gives
the CPU time each example costs (all threads): on a machine whose speed
drifts, the steadier measure of what the augmentations take from the model
(their CPU ms per example, times the examples the model takes per second,
over the cores).
"""
import argparse
import dataclasses
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import tensorflow_datasets as tfds

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from data_pipelines.idle_input import IdleBatches  # noqa: E402
from data_pipelines.pipeline import MixingConfig, train_dataset  # noqa: E402
from data_pipelines.prepare import prepare  # noqa: E402
from experiments.quickstart import get_config  # noqa: E402
from tasnet_jax.losses import neg_si_snr  # noqa: E402
from tasnet_jax.model import ConvTasNet, ConvTasNetConfig  # noqa: E402


def rate(step, batches, batch_size):
    step()  # warm-up
    start = time.perf_counter()
    for _ in range(batches):
        step()
    return batches * batch_size / (time.perf_counter() - start)


def cpu_seconds():
    """CPU time this process has used, all threads (tf.data's included)."""
    times = os.times()
    return times.user + times.system


def rate_and_cpu(step, batches, batch_size):
    """(examples/s, CPU ms the process spent per example) of `step` alone."""
    step()  # a pipeline's first batch also starts its threads and fills its shuffle buffers
    began = cpu_seconds()  # from here: `rate`'s own warm-up call and the timed ones
    examples_per_second = rate(step, batches, batch_size)
    return examples_per_second, (cpu_seconds() - began) * 1e3 / ((batches + 1) * batch_size)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batches", type=int, default=30)
    parser.add_argument("--batch_size", type=int, default=4)
    parser.add_argument("--segment_seconds", type=float, default=4.0)
    parser.add_argument("--data_dir")
    parser.add_argument("--rounds", type=int, default=5, help="turns of each way of feeding")
    parser.add_argument("--pause", type=float, default=1.0,
                        help="seconds before each turn, for the pipelines to refill")
    args = parser.parse_args()
    data_dir = args.data_dir or tempfile.mkdtemp()
    builder = prepare("tiny_noisy_speech", data_dir)
    plain = MixingConfig(segment_seconds=args.segment_seconds)
    augmented = dataclasses.replace(plain, max_noises=3, speed_prob=1.0, reverb_prob=1.0,
                                    noise_reverb_prob=1.0, channel_prob=1.0, lowpass_prob=1.0,
                                    clip_prob=1.0)
    quickstart = dataclasses.replace(MixingConfig(**get_config().mixing),
                                     segment_seconds=args.segment_seconds)

    def stream(mixing, start_step=0):
        return iter(tfds.as_numpy(train_dataset(builder, global_batch_size=args.batch_size,
                                                seed=0, mixing=mixing, start_step=start_step)))

    plain_batches, batches = stream(plain), stream(augmented)
    quickstart_batches = stream(quickstart)
    # As training takes them: its threads at idle priority (data_pipelines/idle_input.py).
    quickstart_idle = IdleBatches(lambda step: stream(quickstart, step))

    model = ConvTasNet(ConvTasNetConfig(**get_config().model))
    first = next(batches)
    params = model.init(jax.random.key(0), first["mixture"])

    @jax.jit
    def grads(params, batch):
        def loss(p):
            estimates = model.apply(p, batch["mixture"])
            return jnp.mean(neg_si_snr(estimates, batch["sources"], batch["length"]))
        return jax.grad(loss)(params)

    def feeding(batches):
        return lambda: jax.block_until_ready(grads(params, next(batches)))

    # Each pipeline alone, after a pause in which the others refill their buffers.
    alone = {}
    for name, pipeline in (("pipeline alone", plain_batches),
                           ("pipeline, all augmented", batches),
                           ("pipeline, as quickstart", quickstart_batches)):
        time.sleep(args.pause)
        alone[name] = rate_and_cpu(lambda: next(pipeline), args.batches * 10, args.batch_size)
    # The model's rate moves from process to process by more than the augmentations
    # cost, so every way of feeding it is timed in the same process, in turns. Each
    # turn starts after a pause in which the pipelines refill what the last turn took
    # from their buffers, so that no pipeline works during another's turn.
    feeds = {"model fwd+bwd alone": lambda: jax.block_until_ready(grads(params, first)),
             "plain pipeline feeding": feeding(plain_batches),
             "as quickstart feeding": feeding(quickstart_batches),
             "as quickstart, idle": feeding(quickstart_idle),
             "all augmented feeding": feeding(batches)}
    # The order turns each round, so that no way of feeding always follows the same one.
    names = list(feeds)
    rates = {name: [] for name in feeds}
    for round_ in range(args.rounds):
        for name in names[round_ % len(names):] + names[:round_ % len(names)]:
            time.sleep(args.pause)
            rates[name].append(rate(feeds[name], args.batches, args.batch_size))
    print(f"jax {jax.__version__} on {jax.devices()[0].device_kind}; batch {args.batch_size} x "
          f"{args.segment_seconds} s at 16 kHz; the quickstart's Conv-TasNet")
    for name, (examples, cpu_ms) in alone.items():
        print(f"{name:25s} {examples:9.1f} examples/s, {cpu_ms:.2f} CPU ms per example"
              + (" (its own augmentations)" if "quickstart" in name else ""))
    alone_turns = rates["model fwd+bwd alone"]
    model_alone = statistics.median(alone_turns)
    for name, values in rates.items():
        median = statistics.median(values)
        # The machine drifts between rounds more than within one: each turn against
        # the model alone in its own round is the steadier comparison.
        in_round = statistics.median(v / a for v, a in zip(values, alone_turns))
        print(f"{name:25s} {median:9.1f} examples/s ({median / model_alone:.1%} of the model "
              f"alone; {in_round:.1%} as the median of the rounds' ratios; turns "
              f"{' '.join(f'{v:.1f}' for v in values)})")
    if not quickstart_idle.idle:
        print("(the idle pipeline fell back to normal priority during the run)")
    quickstart_idle.close()
    extra_ms = alone["pipeline, as quickstart"][1] - alone["pipeline alone"][1]
    print(f"the quickstart's augmentations: {extra_ms:.2f} CPU ms per example over the plain "
          f"pipeline's; at the model's {model_alone:.1f} examples/s, "
          f"{extra_ms * model_alone / 1e3 / os.cpu_count():.1%} of this machine's "
          f"{os.cpu_count()} cores")


if __name__ == "__main__":
    main()
