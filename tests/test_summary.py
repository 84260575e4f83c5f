"""The model summary command on files a user might hand it."""
import numpy as np
import pytest
import soundfile as sf

from tasnet_jax import summary
from tasnet_jax.model import small_config

TINY = small_config(n_filters=16, bottleneck_channels=8, hidden_channels=16, skip_channels=8,
                    blocks_per_repeat=2, repeats=1)


def test_describe_reports_size_and_causal_look_ahead():
    text = summary.describe(small_config(causal=True, norm="cumulative"))
    assert "parameters         339,545" in text
    assert "look-ahead         15 samples (0.9 ms)" in text


def test_stereo_file_at_another_rate_is_downmixed_and_resampled(tmp_path):
    path = tmp_path / "stereo.wav"
    sf.write(path, np.random.RandomState(0).uniform(-0.5, 0.5, (4800, 2)), 48000)
    text = summary.run_on_file(TINY, path)
    assert "downmixed 2 channels" in text and "resampled from 48000 Hz" in text
    assert "(1, 2, 1600)" in text  # 0.1 s at 16 kHz, two sources
    assert "not denoised" in text


@pytest.mark.parametrize("samples,message", [
    (np.full(100, np.nan), "NaN or infinite"),
    (np.zeros(12), "shorter than one frame"),
])
def test_unusable_audio_is_refused_with_the_file_name(tmp_path, samples, message):
    path = tmp_path / "bad.wav"
    sf.write(path, samples, 16000, subtype="FLOAT")
    with pytest.raises(SystemExit, match=f"bad.wav.*{message}"):
        summary.run_on_file(TINY, path)


def test_missing_file_exits_with_its_name(tmp_path, capsys):
    with pytest.raises(SystemExit, match="missing.wav: no such file"):
        summary.main(["--size", "small", str(tmp_path / "missing.wav")])
