"""Quickstart: a small Conv-TasNet on the embedded tiny_noisy_speech, on a CPU.

    python experiments/quickstart.py --workdir runs/quickstart

A small model (N=128, B=64, H=128, Sc=64, P=3, X=7, R=2; 395k parameters)
with 32-sample encoder windows at a 16-sample hop (2 ms frames: half the
frames of L=16, so twice the audio per CPU second, and a receptive field of
0.5 s), on 1 s segments remixed at -5..15 dB SNR with every augmentation on
(1-3 noises, rooms, microphones, voices' balance, speed, clipping:
data_pipelines/augment.py). Batch 4 (more updates per second than 8 and as
many examples), Adam at 2e-3, 4,000 steps, the last 1,000 decaying to 0
(about 9 minutes on the 2-core CPU machine); validation every 200 steps
with the paper's plateau schedule, then the best checkpoint on the test
split. Half the loss matches, on the same mixtures, the estimates of
pretrained/robust_recorded (tasnet_jax/teacher.py), which learned from
recorded voices and sounds: that carries the small model 0.7 dB further on
real recordings (`--config.loss.teacher=` trains without it). Nothing is
downloaded: the corpus and the teacher ship with the repository. Results on
that machine, on the synthetic test split and on real recordings
(benchmarks/real_recordings.py): see README.
"""
import dataclasses
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tasnet_jax.configs import default_config, small_config  # noqa: E402
from tasnet_jax.launch import launch  # noqa: E402


# Augmentations that carry a model from synthetic speech to real recordings.
ROBUST_MIXING = dict(max_noises=3, speed_prob=0.5, speech_eq_prob=0.5, reverb_prob=0.5,
                     noise_reverb_prob=0.3,
                     channel_prob=0.5, lowpass_prob=0.3, clip_prob=0.1)


def get_config():
    config = default_config()
    config.model = dataclasses.asdict(small_config(filter_length=32, stride=16,
                                                   blocks_per_repeat=7))
    config.mixing.segment_seconds = 1.0
    config.mixing.shuffle_buffer = 256
    config.mixing.update(ROBUST_MIXING)
    config.loss.teacher = str(ROOT / "pretrained" / "robust_recorded")
    config.global_batch_size = 4
    config.optim.learning_rate = 2e-3
    config.optim.early_stop_patience = 6
    config.optim.decay_begin_step = 3_000
    config.optim.decay_steps = 1_000
    config.num_steps = 4_000
    config.log_every_steps = 10
    config.eval_every_steps = 200
    config.checkpoint_every_steps = 100
    config.keep_best = 2
    return config


if __name__ == "__main__":
    launch(get_config)
