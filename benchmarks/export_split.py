"""Write a prepared corpus split to noisy/ and clean/ folders of wavs.

    python benchmarks/export_split.py ~/tensorflow_datasets/tiny_noisy_speech/2.0.0 out/
    tasnet-jax evaluate runs/quickstart --noisy out/noisy --clean out/clean

Any model can then be scored on any version of a corpus's split with
`tasnet-jax evaluate`, e.g. a model trained before a corpus changed on the
split of the new version, or the other way round. Reads the prepared dataset
folder itself (tfds.builder_from_directory), so the builder's code may have
changed since.
"""
import argparse
from pathlib import Path

import soundfile as sf
import tensorflow_datasets as tfds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dataset_dir", help="a prepared dataset's version folder")
    parser.add_argument("out", type=Path)
    parser.add_argument("--split", default="test")
    args = parser.parse_args()
    builder = tfds.builder_from_directory(args.dataset_dir)
    rate = builder.info.metadata["sample_rate"]
    count = 0
    for ex in tfds.as_numpy(builder.as_dataset(split=args.split)):
        for kind in ("noisy", "clean"):
            (args.out / kind).mkdir(parents=True, exist_ok=True)
            sf.write(args.out / kind / f"{ex['file_id'].decode()}.wav", ex[kind], rate,
                     subtype="PCM_16")
        count += 1
    print(f"{count} pairs of {args.split} in {args.out}")


if __name__ == "__main__":
    main()
