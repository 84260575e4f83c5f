"""embedded_robust.py's model and schedule on quickstart_recorded.py's data.

    python -m data_pipelines.recorded_voices ~/.cache/tasnet-jax/recorded_voices
    python -m data_pipelines.recorded_noises ~/.cache/tasnet-jax/recorded_noises
    python -m data_pipelines.recorded_music ~/.cache/tasnet-jax/recorded_music
    python experiments/robust_recorded.py --workdir runs/robust_recorded
    python benchmarks/real_recordings.py runs/robust_recorded

The 1.73M-parameter model, 2 s segments, batch 8 and 4,000 steps of
embedded_robust.py (about 2 h 10 min on the 2-core CPU), with half the
training speech from recorded_voices (as quickstart_recorded.py) and the
noise two fifths from recorded_noises, one fifth from recorded_music and two
fifths from the embedded corpus (Debian packages, fetched by the first three
commands, about 940 MB). Validation and test stay on the embedded corpus.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from experiments import embedded_robust, quickstart_recorded  # noqa: E402
from tasnet_jax.launch import launch  # noqa: E402


def get_config():
    config = embedded_robust.get_config()
    config.data.extra = quickstart_recorded.RECORDED_EXTRA + (
        dict(corpus="recorded_music", manual_dir=f"{quickstart_recorded.RECORDED}/recorded_music",
             speech=0.0, noise=0.5),)
    return config


if __name__ == "__main__":
    launch(get_config)
