"""How far chunked processing of a long recording is from one-shot processing.

    python benchmarks/chunking_accuracy.py runs/quickstart [--chunk-seconds 10 4 2]

Joins every test utterance of tiny_noisy_speech (noisy and clean) into one
long recording, separates it in one shot and in overlapping chunks
(`inference.Denoiser`, the default cross-fade), and prints, per chunk
length: the SI-SNR of the chunked speech estimate against the one-shot one
(how equal they are) and each one's SI-SNR against the clean speech (what
chunking costs in quality). A gLN or cumulative-LN model differs because a
chunk's norm statistics are not the whole recording's; a model with channel
or batch norm gives the one-shot output to float rounding.
"""
import argparse
import dataclasses

import numpy as np
import tensorflow_datasets as tfds

from data_pipelines.pipeline import eval_dataset
from data_pipelines.prepare import prepare
from tasnet_jax import inference
from tasnet_jax.evaluate_files import si_snr_db


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("checkpoint", help="a run's workdir (a model of tiny_noisy_speech's rate)")
    parser.add_argument("--chunk-seconds", type=float, nargs="+", default=[10.0, 4.0, 2.0])
    args = parser.parse_args()
    pairs = list(tfds.as_numpy(eval_dataset(prepare("tiny_noisy_speech"), split="test")))
    noisy = np.concatenate([p["mixture"][0] for p in pairs])
    clean = np.concatenate([p["sources"][0, 0] for p in pairs])
    denoiser = inference.load(args.checkpoint)
    print(f"{denoiser.source} step {denoiser.step}: norm={denoiser.config.norm}, causal="
          f"{denoiser.config.causal}; {len(pairs)} test utterances joined: "
          f"{noisy.size / denoiser.sample_rate:.1f} s")
    seconds = noisy.size / denoiser.sample_rate
    one_shot = dataclasses.replace(denoiser, chunk_seconds=seconds + 1)(noisy)[0]
    print(f"one shot: SI-SNR {si_snr_db(one_shot, clean):.2f} dB against clean "
          f"(noisy: {si_snr_db(noisy, clean):.2f} dB)")
    print("| chunk s | chunked vs one-shot SI-SNR dB | max abs difference | chunked vs clean SI-SNR dB |")
    print("|---|---|---|---|")
    for seconds in args.chunk_seconds:
        chunked = dataclasses.replace(denoiser, chunk_seconds=seconds)(noisy)[0]
        print(f"| {seconds:g} | {si_snr_db(chunked, one_shot):.1f} | "
              f"{np.abs(chunked - one_shot).max():.4f} | {si_snr_db(chunked, clean):.2f} |")


if __name__ == "__main__":
    main()
