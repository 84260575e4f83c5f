"""A larger denoiser trained longer on the embedded corpus, for real recordings.

    python experiments/embedded_robust.py --workdir runs/embedded_robust
    python benchmarks/real_recordings.py runs/embedded_robust

The same data and augmentations as the quickstart (tiny_noisy_speech 2.0,
1-3 noises, rooms, microphones, voices, speed, clipping) and the quickstart's
2 ms encoder windows at a 1 ms hop, with a model of 1.73M parameters (N=256,
L=32, S=16, B=128, H=256, Sc=128, P=3, X=8, R=2: receptive field 1.0 s) on 2 s segments, batch
8, 4,000 steps with validation every 250 and the plateau schedule, the rate
decaying over the last 1,200. On the 2-core CPU a step takes 1.7-2 s
(RESULTS.md), about 2 h 10 min in all; a GPU takes minutes (raise
global_batch_size there). Nothing is downloaded.
"""
import dataclasses
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from experiments import quickstart  # noqa: E402
from tasnet_jax.configs import ConvTasNetConfig  # noqa: E402
from tasnet_jax.launch import launch  # noqa: E402


def get_config():
    config = quickstart.get_config()  # its corpus, augmentations and optimizer
    config.loss.teacher = None  # not its teacher: the shipped models were trained without one
    config.model = dataclasses.asdict(ConvTasNetConfig(
        n_filters=256, filter_length=32, stride=16, bottleneck_channels=128,
        hidden_channels=256, skip_channels=128, blocks_per_repeat=8, repeats=2))
    config.mixing.segment_seconds = 2.0
    config.mixing.shuffle_buffer = 1024
    config.global_batch_size = 8
    config.optim.early_stop_patience = 8
    config.optim.decay_begin_step = 2_800
    config.optim.decay_steps = 1_200
    config.num_steps = 4_000
    config.log_every_steps = 25
    config.eval_every_steps = 250
    config.checkpoint_every_steps = 125
    return config


if __name__ == "__main__":
    launch(get_config)
