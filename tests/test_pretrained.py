"""The models shipped in pretrained/ load from a clean clone and denoise; each folder is
named after the experiment that trained it."""
import dataclasses
import importlib
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tasnet_jax import inference

ROOT = Path(__file__).resolve().parent.parent


def _si_snr_db(estimate, reference):  # numpy, independent of tasnet_jax.losses
    estimate, reference = estimate - estimate.mean(), reference - reference.mean()
    target = np.dot(estimate, reference) / np.dot(reference, reference) * reference
    return 10 * np.log10(np.sum(target**2) / np.sum((estimate - target) ** 2))


SHIPPED = sorted(p.name for p in (ROOT / "pretrained").iterdir() if p.is_dir())


def test_a_model_ships():
    assert "embedded_robust" in SHIPPED


@pytest.mark.parametrize("name", SHIPPED)
def test_a_shipped_model_is_its_experiments_model_and_denoises_a_held_out_voice(name):
    # Each folder is named after the experiment that trained it.
    experiment = importlib.import_module(f"experiments.{name}")
    denoiser = inference.load(ROOT / "pretrained" / name)
    assert dataclasses.asdict(denoiser.config) == experiment.get_config().model.to_dict()
    speech, rate = sf.read(ROOT / "data_pipelines/tiny_noisy_speech/speech/test/spk22/spk22_0.flac",
                           dtype="float32")
    noise = np.random.default_rng(0).standard_normal(speech.size).astype(np.float32)
    noise *= np.sqrt(np.mean(speech**2) / np.mean(noise**2))  # 0 dB
    estimate = denoiser(speech + noise)[0]
    assert _si_snr_db(estimate, speech) - _si_snr_db(speech + noise, speech) > 8
    # At the input's level, not the model's own (4x, inverted): no clipping when written.
    assert 0.5 < np.dot(estimate, speech) / np.dot(speech, speech) < 1.5
