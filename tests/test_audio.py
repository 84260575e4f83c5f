"""Corpus audio reading: conversions done, bad files named."""
import numpy as np
import pytest
import soundfile as sf

from data_pipelines.audio import AudioError, example, read_audio


def test_stereo_at_another_rate_is_averaged_and_resampled(tmp_path):
    t = np.arange(44100) / 44100
    tone = 0.5 * np.sin(2 * np.pi * 440 * t)
    path = tmp_path / "stereo.flac"
    sf.write(path, np.stack([tone, 0.5 * tone], axis=1), 44100)
    audio = read_audio(path, 16000)
    assert audio.dtype == np.float32 and audio.shape == (16000,)
    # Still a 440 Hz tone, at the mean of the two channels' amplitudes.
    spectrum = np.abs(np.fft.rfft(audio))
    assert np.argmax(spectrum) == 440
    np.testing.assert_allclose(np.abs(audio[1000:-1000]).max(), 0.375, rtol=1e-2)


@pytest.mark.parametrize("content,message", [
    (None, "no such file"),
    (b"RIFF....WAVEjunk", "not readable audio"),
    (np.zeros((0, 1)), "holds no samples"),
    (np.array([0.1, np.nan, 0.2]), "holds NaN or infinite"),
])
def test_bad_files_are_named_with_the_reason(tmp_path, content, message):
    path = tmp_path / "bad.wav"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        sf.write(path, content, 16000, subtype="FLOAT")
    with pytest.raises(AudioError, match=f"bad.wav: {message}"):
        read_audio(path, 16000)


def test_example_keeps_noise_exact_beyond_int16():
    clean = np.array([0.9, -0.9, 0.0], np.float32)
    noisy = np.array([-0.9, 0.9, 2.0], np.float32)  # the last sample clips
    ex = example(noisy, clean, "spk", "utt")
    assert ex["noisy"].dtype == np.int16 and ex["noise"].dtype == np.int32
    np.testing.assert_array_equal(ex["noisy"].astype(np.int32), ex["clean"] + ex["noise"])
    assert ex["noise"][0] == -58982 and ex["noisy"][2] == 32767


def test_example_refuses_pairs_of_different_lengths():
    with pytest.raises(AudioError, match="utt: noisy has 3 samples, clean 2"):
        example(np.zeros(3), np.zeros(2), "spk", "utt")
