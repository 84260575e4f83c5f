"""Does the tf.data pipeline keep the CPU's model fed? Throughput alone and together.

    python benchmarks/pipeline_speed.py [--batches 30] [--batch_size 4] [--segment_seconds 4]

Measures, on tiny_noisy_speech (built in a temporary folder unless --data_dir
is given), examples per second of: (1) the training pipeline alone, without
augmentation, with every stage on for every example (speed, 3 noises,
rooms for speech and noise, microphone and low-pass, clipping), and with the
quickstart's own augmentations (each stage at its probability); (2) a jitted
forward + backward pass of the quickstart's Conv-TasNet on a fixed batch, the work a
training step will do (no optimizer yet); (3) the augmented pipeline feeding
the model. If (3) is close to (2), input is not the bottleneck.
"""
import argparse
import dataclasses
import sys
import tempfile
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import tensorflow_datasets as tfds

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batches", type=int, default=30)
    parser.add_argument("--batch_size", type=int, default=4)
    parser.add_argument("--segment_seconds", type=float, default=4.0)
    parser.add_argument("--data_dir")
    args = parser.parse_args()
    data_dir = args.data_dir or tempfile.mkdtemp()
    builder = prepare("tiny_noisy_speech", data_dir)
    plain = MixingConfig(segment_seconds=args.segment_seconds)
    augmented = dataclasses.replace(plain, max_noises=3, speed_prob=1.0, reverb_prob=1.0,
                                    noise_reverb_prob=1.0, channel_prob=1.0, lowpass_prob=1.0,
                                    clip_prob=1.0)
    quickstart = dataclasses.replace(MixingConfig(**get_config().mixing),
                                     segment_seconds=args.segment_seconds)

    def stream(mixing):
        return iter(tfds.as_numpy(train_dataset(builder, global_batch_size=args.batch_size,
                                                seed=0, mixing=mixing)))

    plain_batches, batches = stream(plain), stream(augmented)

    model = ConvTasNet(ConvTasNetConfig(**get_config().model))
    first = next(batches)
    params = model.init(jax.random.key(0), first["mixture"])

    @jax.jit
    def grads(params, batch):
        def loss(p):
            estimates = model.apply(p, batch["mixture"])
            return jnp.mean(neg_si_snr(estimates, batch["sources"], batch["length"]))
        return jax.grad(loss)(params)

    def model_only():
        jax.block_until_ready(grads(params, first))

    def together():
        jax.block_until_ready(grads(params, next(batches)))

    pipeline = rate(lambda: next(plain_batches), args.batches * 10, args.batch_size)
    augmented_rate = rate(lambda: next(batches), args.batches * 10, args.batch_size)
    quickstart_batches = stream(quickstart)
    quickstart_rate = rate(lambda: next(quickstart_batches), args.batches * 10, args.batch_size)
    model_rate = rate(model_only, args.batches, args.batch_size)
    fed = rate(together, args.batches, args.batch_size)
    print(f"jax {jax.__version__} on {jax.devices()[0].device_kind}; batch {args.batch_size} x "
          f"{args.segment_seconds} s at 16 kHz; the quickstart's Conv-TasNet")
    print(f"pipeline alone            {pipeline:9.1f} examples/s")
    print(f"pipeline, all augmented   {augmented_rate:9.1f} examples/s")
    print(f"pipeline, as quickstart   {quickstart_rate:9.1f} examples/s (its own augmentations)")
    print(f"model fwd+bwd alone       {model_rate:9.1f} examples/s")
    print(f"augmented feeding model   {fed:9.1f} examples/s ({fed / model_rate:.0%} of the model alone)")


if __name__ == "__main__":
    main()
