"""The level a model's output comes out at, and what writing it to a 16-bit file costs.

    .venv/bin/python benchmarks/output_level.py RUN [--every 4]

On every `--every`-th pair of the real-recordings set (real_recordings.py
builds it), the speech estimate's SI-SNR improvement three ways: as the
model gives it (`match_level=False`), clipped to [-1, 1] as an integer file
holds it, and at the input's level (`inference.mixture_gain`, the default)
then clipped. Also the model's own gain: the least-squares gain of its
speech output on the clean speech, and the share of its samples past full
scale.
"""
import argparse

import numpy as np
from real_recordings import add_set_dir, build_set, read_manifest  # beside this file

from data_pipelines.audio import read_audio
from tasnet_jax import inference
from tasnet_jax.evaluate_files import si_snr_db


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run")
    parser.add_argument("--every", type=int, default=4)
    add_set_dir(parser)
    args = parser.parse_args()
    set_dir = build_set(args.set_dir)
    pairs = read_manifest(set_dir)[::args.every]
    raw = inference.load(args.run, match_level=False)
    scores = {"as the model gives it": [], "clipped": [], "at the input's level, clipped": []}
    gains, past_full_scale = [], []
    for pair in pairs:
        noisy = read_audio(set_dir / "noisy" / pair["file"], raw.sample_rate)
        clean = read_audio(set_dir / "clean" / pair["file"], raw.sample_rate)
        sources = raw(noisy)
        matched = sources * inference.mixture_gain(sources, noisy)
        base = si_snr_db(noisy, clean)
        for name, speech in zip(scores, (sources[0], np.clip(sources[0], -1, 1),
                                         np.clip(matched[0], -1, 1))):
            scores[name].append(si_snr_db(speech, clean) - base)
        gains.append(np.dot(sources[0], clean) / np.dot(clean, clean))
        past_full_scale.append(np.mean(np.abs(sources[0]) > 1))
    print(f"{args.run}: {len(pairs)} pairs; the model's own gain on clean speech "
          f"{np.mean(gains):+.2f} (range {np.min(gains):+.2f} to {np.max(gains):+.2f}), "
          f"{100 * np.mean(past_full_scale):.2f}% of its samples past full scale")
    for name, values in scores.items():
        print(f"  SI-SNRi {name}: {np.mean(values):+.2f} dB")


if __name__ == "__main__":
    main()
