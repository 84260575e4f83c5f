"""Metrics against known values and the packages' own behaviour."""
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tasnet_jax.metrics import summarize, utterance_metrics

RATE = 16000
SPEECH = (Path(__file__).resolve().parent.parent
          / "data_pipelines/tiny_noisy_speech/speech/test/spk22/spk22_0.flac")


@pytest.fixture(scope="module")
def speech():
    """A test utterance of the embedded corpus (synthetic voice, real speech structure)."""
    audio, rate = sf.read(SPEECH, dtype="float64")
    assert rate == RATE
    return audio


def test_perfect_estimate_scores_at_the_top(speech):
    noisy = speech + 0.02 * np.random.default_rng(0).standard_normal(len(speech))
    m = utterance_metrics(speech, speech, noisy, RATE)
    assert m["sdr"] == pytest.approx(100.0)  # identical signals: infinite, clamped
    assert m["pesq"] > 4.5 and m["stoi"] > 0.99
    assert m["mixture_sdr"] < 20 and m["mixture_pesq"] < m["pesq"]


def test_sdr_of_white_noise_at_known_snr(speech):
    noise = np.random.default_rng(1).standard_normal(len(speech))
    noise *= np.sqrt(np.sum(speech**2) / np.sum(noise**2) / 10 ** (5 / 10))  # 5 dB SNR
    m = utterance_metrics(speech, speech + noise, speech + noise, RATE)
    # BSS-Eval's 512-tap distortion filter lets a little of the noise count as speech.
    assert abs(m["sdr"] - 5.0) < 0.3 and m["sdr"] == m["mixture_sdr"]


def test_less_noise_scores_better_on_every_metric(speech):
    noise = np.random.default_rng(2).standard_normal(len(speech)) * np.std(speech)
    light = utterance_metrics(speech, speech + 0.3 * noise, speech + noise, RATE)
    assert light["sdr"] > light["mixture_sdr"] + 5
    assert light["pesq"] > light["mixture_pesq"] and light["stoi"] > light["mixture_stoi"]


def test_pesq_at_another_rate_is_computed_after_resampling(speech):
    import soxr

    at_22k = soxr.resample(speech, RATE, 22050)
    m = utterance_metrics(at_22k, at_22k, at_22k, 22050)
    assert m["pesq"] > 4.5


def test_summary_leaves_out_nan_and_reports_improvements():
    rows = [dict(sdr=10.0, pesq=3.0, stoi=0.9, mixture_sdr=4.0, mixture_pesq=2.0,
                 mixture_stoi=0.8),
            dict(sdr=12.0, pesq=float("nan"), stoi=0.7, mixture_sdr=6.0,
                 mixture_pesq=float("nan"), mixture_stoi=0.6)]
    s = summarize(rows)
    assert s["sdr"] == 11.0 and s["pesq"] == 3.0 and s["sdr_improvement"] == 6.0
    assert s["pesq_improvement"] == pytest.approx(1.0) and s["stoi_improvement"] == pytest.approx(0.1)
