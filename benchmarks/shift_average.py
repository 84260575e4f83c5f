"""The shift trick on the real set: what averaging the speech estimate over
shifted copies of the input gains (as Demucs's --shifts does).

    python benchmarks/shift_average.py RUN [--shifts 0 / 0 8 / 0 4 8 12]

Each group of shifts (in samples, groups split by "/") denoises every noisy
recording of benchmarks/real_recordings.py's set once per shift (the input
delayed by that many zeros, the output advanced back), averages the speech
estimates and gives the mean SI-SNR improvement over the 192 pairs. A shift
that is not a multiple of the encoder's hop shows the model other frame
boundaries; its cost is one more pass over the input per shift.
"""
import argparse
import csv
from pathlib import Path

import numpy as np
import soundfile as sf

from real_recordings import build_set  # benchmarks/ is on the path
from tasnet_jax import inference
from tasnet_jax.evaluate_files import si_snr_db


def shifted_estimate(denoiser, noisy, shifts):
    """The speech estimate averaged over the input delayed by each shift."""
    return np.mean([denoiser(np.concatenate([np.zeros(k, np.float32), noisy]))[0][k:]
                    for k in shifts], axis=0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run", help="a run workdir (or anything inference.load takes)")
    parser.add_argument("--shifts", nargs="+", default="0 / 0 8 / 0 4 8 12".split(),
                        help='groups of shifts in samples, split by "/"')
    parser.add_argument("--set_dir", type=Path,
                        default=Path.home() / ".cache" / "tasnet-jax" / "real_recordings")
    args = parser.parse_args()
    groups = [[int(k) for k in group.split()] for group in " ".join(args.shifts).split("/")]
    set_dir = build_set(args.set_dir)
    with open(set_dir / "manifest.csv", newline="") as f:
        files = [row["file"] for row in csv.DictReader(f)]
    pairs = [tuple(sf.read(set_dir / folder / name, dtype="float32")[0]
                   for folder in ("noisy", "clean")) for name in files]
    denoiser = inference.load(args.run)
    for shifts in groups:
        gains = [si_snr_db(shifted_estimate(denoiser, noisy, shifts), clean)
                 - si_snr_db(noisy, clean) for noisy, clean in pairs]
        print(f"{args.run} shifts {shifts}: SI-SNRi {np.mean(gains):+.3f} dB over {len(gains)} "
              "pairs", flush=True)


if __name__ == "__main__":
    main()
