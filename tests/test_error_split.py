"""benchmarks/error_split.py: the pause split against errors placed by hand."""

import numpy as np


def test_pause_split_finds_error_where_it_was_put(benchmark_script):
    script = benchmark_script("error_split")
    rng = np.random.default_rng(0)
    # One second of a tone, then a quarter second of silence: 80 and 20 frames of 10 ms.
    speech = np.concatenate([np.sin(2 * np.pi * 200 * np.arange(16000) / 16000),
                             np.zeros(4000)])
    in_pause = np.zeros_like(speech)
    in_pause[16000:] = 0.1 * rng.standard_normal(4000)
    in_speech = np.zeros_like(speech)
    in_speech[:16000] = 0.1 * rng.standard_normal(16000)
    # The error is made orthogonal to the speech so that the SI-SNR scale stays 1.
    for error in (in_pause, in_speech):
        error -= speech * np.dot(error, speech) / np.dot(speech, speech)

    time_share, error_share, _ = script.pause_split([(speech + in_pause, speech)])
    assert time_share == 0.2 and error_share > 0.99
    time_share, error_share, gain = script.pause_split([(speech + in_speech, speech)])
    assert time_share == 0.2 and error_share < 0.01 and abs(gain) < 0.05
    # Half the error in each: clearing the pauses halves it, +3 dB.
    both = speech + in_pause + in_speech * np.sqrt(
        np.sum(in_pause**2) / np.sum(in_speech**2))
    _, error_share, gain = script.pause_split([(both, speech)])
    assert abs(error_share - 0.5) < 0.01 and abs(gain - 10 * np.log10(2)) < 0.05
