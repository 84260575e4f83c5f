"""Does averaging a model's outputs over versions of its input help on real recordings?

    .venv/bin/python benchmarks/inference_averaging.py runs/quickstart

Scores one model on benchmarks/real_recordings.py's set (built there first)
with its two estimates averaged over: shifts of the input by a fraction of
the hop (padded in front, cut after), its negation (-f(-x)) and its time
reversal (f(x reversed), reversed back). Each variant costs as many model
calls per recording as it averages. Prints SI-SNRi per noise kind, PESQ and
STOI. Test-time averaging of this kind is common in music separation
(Demucs' --shifts); session 19 measured what it gives here (RESULTS.md).
"""
import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import real_recordings  # noqa: E402
from tasnet_jax import inference  # noqa: E402
from tasnet_jax.evaluate_files import evaluate_folders  # noqa: E402

VARIANTS = {
    "the input alone": (("shift", 0),),
    "shifts by 0 and 8 samples": (("shift", 0), ("shift", 8)),
    "shifts by 0, 4, 8 and 12 samples": tuple(("shift", k) for k in (0, 4, 8, 12)),
    "input and negation": (("shift", 0), ("negate", 0)),
    "input and time reversal": (("shift", 0), ("reverse", 0)),
    "input, negation and reversal": (("shift", 0), ("negate", 0), ("reverse", 0)),
}


class Averaged:
    """A denoiser whose output is the mean over `ways` of seeing the input."""

    def __init__(self, denoiser, ways):
        self.denoiser, self.ways, self.sample_rate = denoiser, ways, denoiser.sample_rate

    def __call__(self, wav):
        wav = np.asarray(wav, np.float32)
        outputs = []
        for way, k in self.ways:
            if way == "shift":
                outputs.append(self.denoiser(np.concatenate([np.zeros(k, np.float32), wav]))[:, k:])
            elif way == "negate":
                outputs.append(-self.denoiser(-wav))
            else:
                outputs.append(self.denoiser(wav[::-1].copy())[:, ::-1])
        return np.mean(outputs, 0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run", help="a run's workdir (or anything inference.load takes)")
    real_recordings.add_set_dir(parser)
    args = parser.parse_args()
    set_dir = real_recordings.build_set(args.set_dir)
    manifest = real_recordings.read_manifest(set_dir)
    denoiser = inference.load(args.run)
    print(f"{args.run} (step {denoiser.step})")
    for name, ways in VARIANTS.items():
        rows, _ = evaluate_folders(Averaged(denoiser, ways), set_dir / "noisy", set_dir / "clean")
        table = real_recordings.group_scores(rows, manifest)
        kinds = " / ".join(f"{table[k]['si_snri']:+.2f}" for k in real_recordings.NOISE)
        print(f"{name:34} x{len(ways)}  SI-SNRi {table['all']['si_snri']:+.2f} ({kinds})  "
              f"PESQ {table['all']['pesq']:.3f}  STOI {table['all']['stoi']:.3f}", flush=True)


if __name__ == "__main__":
    main()
