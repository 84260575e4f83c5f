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
