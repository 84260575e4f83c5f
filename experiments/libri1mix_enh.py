"""Conv-TasNet (paper size, non-causal, gLN) on Libri1Mix speech enhancement, 16 kHz min.

    python -m data_pipelines.prepare librimix --manual_dir DIR   # once; DIR holds Libri1Mix/
    python experiments/libri1mix_enh.py --workdir runs/libri1mix --config.data.manual_dir=DIR

Trains on train-360 with the paper's hyper-parameters (as voicebank_demand.py)
and validates on dev. Not yet run to completion on an accelerator by this
project.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tasnet_jax.configs import default_config  # noqa: E402
from tasnet_jax.launch import launch  # noqa: E402


def get_config():
    config = default_config()
    config.data.corpus = "librimix"
    config.data.builder_config = "16k_min"
    config.data.train_split = "train_360"
    config.num_steps = 400_000
    config.eval_every_steps = 5_000
    return config


if __name__ == "__main__":
    launch(get_config)
