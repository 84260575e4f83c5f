"""The embedded corpus: splits, exactness of the stored pairs, the noise it makes."""
import csv

import numpy as np
import pytest
import tensorflow_datasets as tfds

from data_pipelines.tiny_noisy_speech.synthetic_noise import KINDS, RATE, make_noise
from data_pipelines.tiny_noisy_speech.tiny_noisy_speech import SPEECH_DIR


@pytest.fixture(scope="module")
def splits(tiny_builder):
    return {split: list(tfds.as_numpy(tiny_builder.as_dataset(split=split)))
            for split in ("train", "validation", "test")}


def test_splits_have_their_sizes_and_share_no_speaker(tiny_builder, splits):
    assert {k: len(v) for k, v in splits.items()} == {"train": 576, "validation": 18, "test": 18}
    speakers = {k: {ex["speaker"] for ex in v} for k, v in splits.items()}
    assert [len(s) for s in speakers.values()] == [32, 3, 3]
    assert not (speakers["train"] & speakers["validation"]) and not (
        speakers["train"] & speakers["test"]) and not (speakers["validation"] & speakers["test"])
    assert tiny_builder.info.metadata["sample_rate"] == 16000


def test_noisy_is_clean_plus_noise_exactly(splits):
    for examples in splits.values():
        for ex in examples:
            np.testing.assert_array_equal(ex["noisy"].astype(np.int32), ex["clean"] + ex["noise"])


def test_stored_snrs_lie_in_the_published_range(splits):
    snrs = [10 * np.log10(np.sum(ex["clean"].astype(float) ** 2)
                          / np.sum(ex["noise"].astype(float) ** 2))
            for ex in splits["test"]]
    assert -5.1 < min(snrs) and max(snrs) < 15.1 and max(snrs) - min(snrs) > 5


@pytest.mark.parametrize("kind", KINDS)
def test_noise_is_reproducible_finite_and_unit_rms(kind):
    pool = [np.sin(np.arange(3000) * 0.05 * (k + 1)) for k in range(6)]
    a = make_noise(kind, 8000, np.random.default_rng(7), pool)
    b = make_noise(kind, 8000, np.random.default_rng(7), pool)
    np.testing.assert_array_equal(a, b)
    assert np.all(np.isfinite(a))
    np.testing.assert_allclose(np.sqrt(np.mean(a**2)), 1.0, rtol=1e-6)


def _low_band_share(noise):
    power = np.abs(np.fft.rfft(noise)) ** 2
    freqs = np.fft.rfftfreq(len(noise), 1 / RATE)
    return power[freqs < 500].sum() / power.sum()


def test_colored_noises_have_their_spectral_tilt():
    rng = np.random.default_rng(0)
    white, pink, brown = (_low_band_share(make_noise(k, 32000, rng)) for k in
                          ("white", "pink", "brown"))
    # White noise puts 500/8000 of its power below 500 Hz; pink and brown far more.
    np.testing.assert_allclose(white, 500 / 8000, rtol=0.1)
    assert white < pink < brown


def test_unknown_noise_kind_is_named():
    with pytest.raises(ValueError, match="'thunder'"):
        make_noise("thunder", 10, np.random.default_rng(0))


def test_babble_voices_are_never_targets_and_splits_keep_their_own():
    with open(SPEECH_DIR / "manifest.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    voices = {use: {(r["split"], r["voice"]) for r in rows if r["use"] == use}
              for use in ("speech", "babble")}
    assert not {v for _, v in voices["speech"]} & {v for _, v in voices["babble"]}
    for use in voices:
        by_split = [{v for s, v in voices[use] if s == split}
                    for split in ("train", "validation", "test")]
        assert all(by_split) and not (by_split[0] & by_split[1] or by_split[0] & by_split[2]
                                      or by_split[1] & by_split[2])


def _frame_db(x, frame=800):
    frames = x[:x.size // frame * frame].reshape(-1, frame)
    return 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)


def _peak_share(x, bins=20):
    """Share of the power in the strongest `bins` FFT bins: high for tones."""
    power = np.sort(np.abs(np.fft.rfft(x)) ** 2)
    return power[-bins:].sum() / power.sum()


@pytest.mark.parametrize("seed", range(4))
def test_new_kinds_do_what_they_say(seed):
    n = 3 * RATE
    make = lambda kind: make_noise(kind, n, np.random.default_rng(seed))  # noqa: E731
    white, whine, bursts, knocks = (make(k) for k in ("white", "whine", "bursts", "knocks"))
    # Bursts and ramps come and go; white noise keeps its level within a few dB.
    assert np.ptp(_frame_db(bursts)) > 12 and np.ptp(_frame_db(white)) < 3
    # Impacts: a crest factor far above Gaussian noise's (about 4-5 over 3 s).
    assert np.abs(knocks).max() > 1.5 * np.abs(white).max()
    # A drifting whine still holds its power in a few spectral lines.
    assert _peak_share(whine, 200) > 10 * _peak_share(white, 200)


def test_music_is_tonal_and_changes_over_time():
    music = make_noise("music", 4 * RATE, np.random.default_rng(1))
    white = make_noise("white", 4 * RATE, np.random.default_rng(1))
    assert _peak_share(music, 400) > 5 * _peak_share(white, 400)
    assert np.ptp(_frame_db(music)) > 6  # notes start and decay
