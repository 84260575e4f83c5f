"""The quickstart with people's recorded voices beside the synthesized ones.

    python -m data_pipelines.recorded_voices ~/.cache/tasnet-jax/recorded_voices
    python experiments/quickstart_recorded.py --workdir runs/quickstart_recorded

Everything as in quickstart.py, but half the training speech comes from
recorded_voices (Asterisk's studio prompts and KLettres' letters and
syllables, 20 voices from Debian packages; the first command downloads
them, about 95 MB, and needs apt-get and the G722 extra:
pip install -e '.[recorded]'). Noise, validation and test stay on the
embedded corpus. Results: README and benchmarks/RESULTS.md.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from experiments import quickstart  # noqa: E402
from tasnet_jax.launch import launch  # noqa: E402

RECORDED_VOICES_DIR = Path("~/.cache/tasnet-jax/recorded_voices").expanduser()


def get_config():
    config = quickstart.get_config()
    config.data.extra = (dict(corpus="recorded_voices", manual_dir=str(RECORDED_VOICES_DIR),
                              speech=1.0, noise=0.0),)
    return config


if __name__ == "__main__":
    launch(get_config)
