"""The quickstart with people's recorded voices and recorded sounds beside the
synthesized ones.

    python -m data_pipelines.recorded_voices ~/.cache/tasnet-jax/recorded_voices
    python -m data_pipelines.recorded_noises ~/.cache/tasnet-jax/recorded_noises
    python experiments/quickstart_recorded.py --workdir runs/quickstart_recorded

Everything as in quickstart.py (model, augmentations, the teacher, 4,000
steps, about 10 minutes on the 2-core CPU), but half the training speech
comes from recorded_voices (20 voices: Asterisk's studio prompts,
KLettres' letters and syllables) and half the noise from recorded_noises
(1,641 sounds of free games and the freedesktop theme). The first two commands download
Debian packages, about 95 MB and 700 MB (apt-get, nothing installed; the
voices need the G722 extra: pip install -e '.[recorded]'). Validation and
test stay on the embedded corpus. Results: README and benchmarks/RESULTS.md.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from experiments import quickstart  # noqa: E402
from tasnet_jax.launch import launch  # noqa: E402

RECORDED = "~/.cache/tasnet-jax"

# Weights against the embedded corpus's 1: half the speech, half the noise
# (three quarters of the noise did worse on real recordings: RESULTS.md).
RECORDED_EXTRA = (
    dict(corpus="recorded_voices", manual_dir=f"{RECORDED}/recorded_voices",
         speech=1.0, noise=0.0),
    dict(corpus="recorded_noises", manual_dir=f"{RECORDED}/recorded_noises",
         speech=0.0, noise=1.0))


def get_config():
    config = quickstart.get_config()
    config.data.extra = RECORDED_EXTRA
    return config


if __name__ == "__main__":
    launch(get_config)
