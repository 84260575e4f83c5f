"""Each augmentation stage checked against independent numpy math."""
import dataclasses

import numpy as np
import pytest
import scipy.signal

from data_pipelines import augment
from data_pipelines.pipeline import MixingConfig

RATE = 16000
OFF = MixingConfig(segment_seconds=1.0, gain_db=(0.0, 0.0), snr_db=(5.0, 5.0))


def tone(freq, seconds=1.0, rate=RATE):
    return np.sin(2 * np.pi * freq * np.arange(int(seconds * rate)) / rate)


def peak_hz(x, rate=RATE):
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    return np.fft.rfftfreq(x.size, 1 / rate)[np.argmax(spectrum)]


def response_db(b, a, freq, rate=RATE):
    """|H(e^jw)| of a biquad from its polynomial, in dB."""
    z = np.exp(-1j * 2 * np.pi * freq / rate) ** np.arange(3)
    return 20 * np.log10(abs(np.dot(b, z) / np.dot(a, z)))


def db(x):
    return 10 * np.log10(np.mean(np.square(x)))


@pytest.mark.parametrize("factor", [0.9, 1.1])
def test_speed_scales_length_and_pitch(factor):
    fast = augment.speed(tone(440.0, 2.0).astype(np.float32), factor, RATE)
    assert abs(fast.size - 2 * RATE / factor) <= 2
    assert abs(peak_hz(fast) - 440 * factor) < 2


@pytest.mark.parametrize("factor", [0.9, 1.1])
def test_a_long_utterance_is_resampled_only_where_the_segment_falls(factor):
    """Four seconds of tone sped up into a 1 s window: exactly the window's
    length, the tone at its new pitch and its full level to both ends (no
    filter transient from the cut), and samples from a different place for
    another draw."""
    long_tone = tone(440.0, 4.0).astype(np.float32)
    windows = [augment.speed_window(np.random.default_rng(seed), long_tone, factor, RATE, RATE)
               for seed in (0, 1)]
    for window in windows:
        assert window.shape == (RATE,)
        assert abs(peak_hz(window) - 440 * factor) < 2
        for edge in (window[:200], window[-200:]):
            assert db(edge) == pytest.approx(db(long_tone), abs=0.2)
    assert np.abs(windows[0] - windows[1]).max() > 0.1
    short = tone(440.0, 0.5).astype(np.float32)  # shorter than the window: all of it
    np.testing.assert_array_equal(
        augment.speed_window(np.random.default_rng(0), short, factor, RATE, RATE),
        augment.speed(short, factor, RATE))


@pytest.mark.parametrize("kernel_size", [1, 800, 3000, 7000])
def test_convolve_head_is_the_start_of_numpys_convolution(kernel_size):
    rng = np.random.default_rng(kernel_size)
    signal = rng.standard_normal(5000)
    kernels = [rng.standard_normal(kernel_size), rng.standard_normal(50)]
    for kernel, head in zip(kernels, augment.convolve_head(signal, kernels)):
        np.testing.assert_allclose(head, np.convolve(signal, kernel)[:5000], atol=1e-9)


@pytest.mark.parametrize("order", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("cutoff", [150.0, 4000.0, 7800.0])
def test_butter_lowpass_is_scipys_butterworth(order, cutoff):
    ours = augment.butter_lowpass(order, cutoff, RATE)
    scipys = scipy.signal.butter(order, cutoff, fs=RATE, output="sos")
    freqs = np.array([0.0, cutoff / 2, cutoff, min(2 * cutoff, 7990.0)])
    np.testing.assert_allclose(np.abs(scipy.signal.sosfreqz(ours, freqs, fs=RATE)[1]),
                               np.abs(scipy.signal.sosfreqz(scipys, freqs, fs=RATE)[1]),
                               rtol=1e-9, atol=1e-12)
    impulse = np.eye(1, 512).ravel()
    np.testing.assert_allclose(scipy.signal.sosfilt(ours, impulse),
                               scipy.signal.sosfilt(scipys, impulse), atol=1e-12)


@pytest.mark.parametrize("rt60, drr", [(0.3, 0.0), (0.8, 9.0)])
def test_room_has_the_drawn_decay_and_direct_to_reverberant_ratio(rt60, drr):
    rir = augment.room_impulse_response(np.random.default_rng(0), RATE, rt60, drr)
    assert rir[0] == 1.0
    assert 10 * np.log10(1 / np.sum(rir[1:] ** 2)) == pytest.approx(drr, abs=1e-6)
    # Schroeder's backward integration of the tail; a line through -5..-25 dB gives T20 * 3.
    tail = rir[int(0.06 * RATE):]
    edc = 10 * np.log10(np.cumsum(tail[::-1] ** 2)[::-1] / np.sum(tail**2))
    fit = (edc < -5) & (edc > -25)
    slope = np.polyfit(np.flatnonzero(fit) / RATE, edc[fit], 1)[0]
    assert -60 / slope == pytest.approx(rt60, rel=0.1)


def test_reverberant_target_is_speech_through_the_first_50_ms():
    """An impulse for speech: the target is the room's first 50 ms, the rest of
    the room's response is in the noise source."""
    mixing = dataclasses.replace(OFF, reverb_prob=1.0, snr_db=(80.0, 80.0))
    speech = np.zeros(RATE, np.float32)
    speech[100] = 1.0
    noise = [np.random.default_rng(2).standard_normal(RATE).astype(np.float32)]
    for seed in range(3):
        _, (target, rest), _ = augment.make_example(np.random.default_rng(seed), speech, noise,
                                                    RATE, RATE, mixing)
        assert target[100] == pytest.approx(1.0) and np.abs(target[:100]).max() < 1e-6
        assert np.abs(target[900:]).max() < 1e-6 and np.sum(target[101:900] ** 2) > 1e-3
        room = np.concatenate([target[101:900], rest[900:]])  # the reflections
        drr = 10 * np.log10(1 / np.sum(room.astype(np.float64) ** 2))
        assert mixing.drr_db[0] - 0.1 < drr < mixing.drr_db[1] + 0.1
        assert np.sum(rest[:900] ** 2) < 1e-6 * np.sum(rest[900:] ** 2)  # 80 dB down noise


@pytest.mark.parametrize("kind, freq, probe", [("peak", 1000.0, 1000.0), ("low", 200.0, 0.0),
                                                ("high", 3000.0, 8000.0)])
def test_biquads_have_their_gain_where_the_cookbook_puts_it(kind, freq, probe):
    b, a = augment._biquad_shelf_or_peak(kind, freq, 6.0, 2.0, RATE)
    assert response_db(b, a, probe) == pytest.approx(6.0, abs=0.01)
    far = {"peak": 6000.0, "low": 6000.0, "high": 50.0}[kind]
    assert abs(response_db(b, a, far)) < 1.0


def test_channel_lowpass_removes_what_lies_above_its_cutoff():
    sos = augment.random_channel(np.random.default_rng(0), RATE, (0.0, 0.0), 1.0, (4000, 4000))
    assert db(scipy.signal.sosfilt(sos, tone(6000.0))[800:]) < db(tone(6000.0)) - 30
    assert db(scipy.signal.sosfilt(sos, tone(1000.0))[800:]) == pytest.approx(
        db(tone(1000.0)), abs=0.5)


def test_channel_lowpass_takes_the_noise_above_it_from_the_mixture():
    mixing = dataclasses.replace(OFF, channel_prob=1.0, channel_gain_db=(0.0, 0.0),
                                 lowpass_prob=1.0, lowpass_hz=(4000.0, 4000.0))
    speech = 0.1 * tone(500.0).astype(np.float32)
    mixture, sources, _ = augment.make_example(np.random.default_rng(5), speech,
                                               [tone(7000.0).astype(np.float32)], RATE, RATE,
                                               mixing)
    np.testing.assert_array_equal(mixture, sources[0] + sources[1])
    assert db(sources[0][800:]) == pytest.approx(db(speech), abs=0.5)
    assert db(sources[0][800:]) - db(sources[1][800:]) > 5 + 15  # 4th order, 1.75 x cutoff


@pytest.mark.parametrize("clip_size", [5, 16000, 40000])
def test_a_noise_clip_is_looped_from_its_drawn_start(clip_size):
    clip = np.arange(clip_size, dtype=np.float32)
    start = np.random.default_rng(3).integers(clip_size)  # the draw loop_to makes first
    looped = augment.loop_to(np.random.default_rng(3), clip, 16000)
    # The clip turned to start there, then repeated end to end and cut.
    expected = np.tile(np.concatenate([clip[start:], clip[:start]]), 16000 // clip_size + 1)
    np.testing.assert_array_equal(looped, expected[:16000])


def test_several_noises_each_at_its_own_level():
    mixing = dataclasses.replace(OFF, max_noises=3, extra_noise_db=(-6.0, -6.0))
    noises = [tone(f).astype(np.float32) for f in (1000.0, 2000.0, 3000.0)]
    counts = set()
    for seed in range(20):
        _, sources, _ = augment.make_example(np.random.default_rng(seed), np.zeros(RATE,
                                             np.float32) + 0.1 * tone(200.0).astype(np.float32),
                                             noises, RATE, RATE, mixing)
        spectrum = np.abs(np.fft.rfft(sources[1]))
        levels = [spectrum[f] for f in (1000, 2000, 3000)]
        used = [level > 1e-3 * levels[0] for level in levels]
        counts.add(sum(used))
        assert used == sorted(used, reverse=True)  # the first ones are taken
        for level in np.array(levels)[used][1:]:
            assert 20 * np.log10(level / levels[0]) == pytest.approx(-6.0, abs=0.2)
    assert counts == {1, 2, 3}


def test_clipping_drives_the_mixture_past_full_scale_and_caps_it():
    speech, noise = 0.1 * tone(300.0).astype(np.float32), [tone(700.0).astype(np.float32)]
    clean = augment.make_example(np.random.default_rng(0), speech, noise, RATE, RATE, OFF)
    clipped = augment.make_example(np.random.default_rng(0), speech, noise, RATE, RATE,
                                   dataclasses.replace(OFF, clip_prob=1.0, clip_db=(6.0, 6.0)))
    drive = 10 ** (6 / 20) / np.abs(clean[0]).max()
    np.testing.assert_allclose(clipped[0], np.clip(drive * clean[0], -1, 1), atol=1e-6)
    np.testing.assert_allclose(clipped[1][0], drive * clean[1][0], rtol=1e-5)
    np.testing.assert_array_equal(clipped[0], clipped[1][0] + clipped[1][1])


def test_everything_at_once_keeps_the_layout():
    mixing = MixingConfig(segment_seconds=1.0, max_noises=3, speed_prob=1.0, reverb_prob=1.0,
                          noise_reverb_prob=1.0, channel_prob=1.0, lowpass_prob=1.0,
                          clip_prob=1.0)
    rng = np.random.default_rng(0)
    speech = 0.1 * rng.standard_normal(12000).astype(np.float32)
    mixture, sources, length = augment.make_example(
        rng, speech, [rng.standard_normal(n).astype(np.float32) for n in (500, 9000, 20000)],
        RATE, RATE, mixing)
    assert mixture.dtype == sources.dtype == np.float32 and sources.shape == (2, RATE)
    assert 10000 < length < 14000 and np.all(sources[:, length:] == 0)
    np.testing.assert_array_equal(mixture, sources[0] + sources[1])


@pytest.mark.parametrize("field, value, message", [
    ("reverb_prob", 1.5, "probability"), ("clip_prob", -0.1, "probability"),
    ("snr_db", (15.0, -5.0), "low <= high"), ("rt60_s", (0.0, 1.0), "> 0"),
    ("speed_factor", (1.1, 0.9), "low <= high"), ("max_noises", 0, ">= 1"),
    ("lowpass_hz", (8000.0,), "range")])
def test_bad_values_name_the_field(field, value, message):
    with pytest.raises(ValueError, match=f"MixingConfig.{field}=.*{message}"):
        MixingConfig(**{field: value})
