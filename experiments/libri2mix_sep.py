"""Conv-TasNet (paper size, non-causal, gLN) separating two speakers: Libri2Mix, 8 kHz min.

    python -m data_pipelines.prepare librimix --config sep_clean_8k_min --manual_dir DIR
    python experiments/libri2mix_sep.py --workdir runs/libri2mix --config.data.manual_dir=DIR

The paper's separation setup: 8 kHz, 4 s segments, permutation-invariant
negative SI-SNR. Training remixes random pairs of speakers at -5..5 dB relative
level (dynamic mixing); validation and test use LibriMix's own mixtures and
score speaker 1 after the best assignment of the two estimates.
Not yet run to completion on an accelerator by this project.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tasnet_jax.configs import default_config  # noqa: E402
from tasnet_jax.launch import launch  # noqa: E402


def get_config():
    config = default_config()
    config.model.sample_rate = 8000
    config.data.corpus = "librimix"
    config.data.builder_config = "sep_clean_8k_min"
    config.data.train_split = "train_360"
    config.mixing.snr_db = (-5.0, 5.0)  # relative level of the two speakers
    config.loss.pit = True
    config.num_steps = 400_000
    config.eval_every_steps = 5_000
    return config


if __name__ == "__main__":
    launch(get_config)
