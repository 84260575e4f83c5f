"""Conv-TasNet (paper size, non-causal, gLN) on VoiceBank-DEMAND at 16 kHz.

    python -m data_pipelines.prepare voicebank_demand --manual_dir DIR   # once
    python experiments/voicebank_demand.py --workdir runs/vbd --config.data.manual_dir=DIR

Paper hyper-parameters: Adam 1e-3 halved after 3 evaluations without
improvement, 4 s segments, gradient norm clipped at 5; batch 8; an evaluation
every 1,000 steps (about one pass over the 11,572 training utterances).
Not yet run to completion on an accelerator by this project.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tasnet_jax.configs import default_config  # noqa: E402
from tasnet_jax.launch import launch  # noqa: E402


def get_config():
    config = default_config()
    config.data.corpus = "voicebank_demand"
    config.data.builder_config = "16k"
    config.num_steps = 200_000
    config.eval_every_steps = 1_000
    return config


if __name__ == "__main__":
    launch(get_config)
