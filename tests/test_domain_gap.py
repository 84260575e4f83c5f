"""benchmarks/domain_gap.py: its mixtures hold what they say (the real set needs
Debian packages and is not built here)."""

import numpy as np


def test_each_utterance_meets_four_kinds_at_each_snr_exactly(benchmark_script):
    script = benchmark_script("domain_gap")
    rng = np.random.default_rng(0)
    speech = {f"voice_{i}": rng.standard_normal(3 * 16000).astype(np.float32) * 0.05
              for i in range(3)}
    # Noises of five kinds, each a tone of its own frequency; some shorter than speech.
    tones = {"a": 300, "b": 700, "c": 1100, "d": 1900, "e": 2900}
    noises = {f"{kind}/{n}": np.sin(2 * np.pi * hz * np.arange((1 + n) * 16000) / 16000)
              for kind, hz in tones.items() for n in range(2)}
    made = list(script.pairs(speech, noises))
    assert len(made) == 3 * 4 * 2
    for i, (clean, noisy) in enumerate(made):
        utterance = list(speech.values())[i // 8]
        np.testing.assert_array_equal(clean, utterance)
        noise = noisy - clean
        snr = 10 * np.log10(np.mean(clean**2) / np.mean(noise**2))
        assert abs(snr - script.SNRS_DB[i % 2]) < 0.01
    # Four different kinds per utterance, told apart by their tones' frequencies.
    for u in range(3):
        peaks = {int(round(np.argmax(np.abs(np.fft.rfft(noisy - clean))) * 16000 / clean.size))
                 for clean, noisy in made[8 * u:8 * u + 8:2]}
        assert len(peaks) == 4 and peaks <= set(tones.values())
    # The same choices every time.
    again = list(script.pairs(speech, noises))
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(made, again))


def test_noise_transforms_keep_what_they_say_and_drop_the_rest(benchmark_script):
    script = benchmark_script("domain_gap")
    rate = script.RATE
    t = np.arange(2 * rate) / rate
    # A 1 kHz tone for the first second, then silence: a spectrum and a time course.
    noise = np.where(t < 1, np.sin(2 * np.pi * 1000 * t), 0.0)
    variants = script.noise_variants({"x/tone": noise.astype(np.float32)})

    def halves_db(x):
        first, second = np.mean(x[:rate] ** 2), np.mean(x[rate:] ** 2)
        return 10 * np.log10(first / max(second, 1e-20))

    def tone_share(x):
        power = np.abs(np.fft.rfft(x)) ** 2
        freqs = np.fft.rfftfreq(x.size, 1 / rate)
        return power[np.abs(freqs - 1000) < 20].sum() / power.sum()

    np.testing.assert_array_equal(variants["real"]["x/tone"], noise.astype(np.float32))
    stationary = variants["stationary"]["x/tone"].astype(np.float64)
    # Same magnitude spectrum (so the same power), spread evenly over time.
    np.testing.assert_allclose(np.abs(np.fft.rfft(stationary))[1:],
                               np.abs(np.fft.rfft(noise))[1:], rtol=1e-3, atol=1e-2)
    assert abs(halves_db(stationary)) < 1 and tone_share(stationary) > 0.9
    # The time course kept (to within a 32 ms frame, which smears the edge), the tone gone.
    for name in ("flat", "envelope"):
        x = variants[name]["x/tone"].astype(np.float64)
        assert halves_db(x) > 15 and tone_share(x) < 0.05
    again = script.noise_variants({"x/tone": noise.astype(np.float32)})
    assert all(np.array_equal(again[k]["x/tone"], variants[k]["x/tone"]) for k in variants)
