"""Causal Conv-TasNet (paper size, cumulative layer norm) on the DNS Challenge 2020 data.

    python -m data_pipelines.prepare dns_challenge --manual_dir DNS-Challenge/datasets   # once
    python experiments/dns_causal.py --workdir runs/dns --config.data.manual_dir=...

A real-time denoiser: every depthwise convolution sees only the past and the
norm is the paper's cumulative LN, so the look-ahead is one encoder window
(L - 1 = 15 samples, under 1 ms at 16 kHz). Speech and noise are remixed at
-5..20 dB SNR from the clean and noise folders. Not yet run to completion on
an accelerator by this project.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tasnet_jax.configs import default_config  # noqa: E402
from tasnet_jax.launch import launch  # noqa: E402


def get_config():
    config = default_config()
    config.model.causal = True
    config.model.norm = "cumulative"
    config.data.corpus = "dns_challenge"
    config.mixing.snr_db = (-5.0, 20.0)
    config.num_steps = 500_000
    config.eval_every_steps = 5_000
    return config


if __name__ == "__main__":
    launch(get_config)
