"""Print a Conv-TasNet's size, reach and cost; optionally run it on a recording.

    python -m tasnet_jax.summary [--size small] [--causal] [recording.wav]

The weights are random (no checkpoint is loaded), so the two outputs are not
speech and noise: the run shows shapes, speed and that the audio path works.
"""
import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np
import soundfile as sf

from data_pipelines.audio import AudioError, read_audio
from tasnet_jax.model import SIZES, ConvTasNet


def describe(config) -> str:
    model = ConvTasNet(config)
    one_second = jnp.zeros((1, config.sample_rate))
    shapes = jax.eval_shape(model.init, jax.random.key(0), one_second)
    n_params = sum(x.size for x in jax.tree.leaves(shapes["params"]))
    flops = jax.jit(model.apply).lower(shapes, one_second).compile().cost_analysis()["flops"]
    ms = 1000 / config.sample_rate
    if config.causal:  # each output sample waits for the end of its frame
        lookahead = f"{config.filter_length - 1} samples ({(config.filter_length - 1) * ms:.1f} ms)"
    elif config.norm == "global":
        lookahead = "the whole recording (global layer norm)"
    else:
        samples = (config.receptive_field - config.filter_length) // 2 + config.filter_length - 1
        lookahead = f"{samples} samples ({samples * ms:.1f} ms)"
    return "\n".join([
        f"config             {config}",
        f"parameters         {n_params:,}",
        f"receptive field    {config.receptive_field} samples "
        f"({config.receptive_field * ms:.1f} ms at {config.sample_rate} Hz)",
        f"look-ahead         {lookahead}",
        f"compute            {flops / 1e9:.2f} GFLOP per second of audio (XLA's count)",
    ])


def run_on_file(config, path) -> str:
    try:  # read_audio converts channels and rate, and names a bad file
        wav = read_audio(path, config.sample_rate)
        info = sf.info(path)
    except AudioError as err:
        raise SystemExit(str(err)) from err
    rate = info.samplerate
    notes = []
    if info.channels > 1:
        notes.append(f"downmixed {info.channels} channels to mono")
    if rate != config.sample_rate:
        notes.append(f"resampled from {rate} Hz to the model's {config.sample_rate} Hz")
    if wav.shape[0] < config.filter_length:
        raise SystemExit(f"{path}: {wav.shape[0]} samples at {config.sample_rate} Hz is shorter "
                         f"than one frame ({config.filter_length})")
    wav = wav[None]
    model = ConvTasNet(config)
    variables = model.init(jax.random.key(0), wav[:, :config.filter_length])
    apply = jax.jit(model.apply)
    apply(variables, wav).block_until_ready()  # compile
    start = time.perf_counter()
    sources = np.asarray(apply(variables, wav).block_until_ready())
    seconds = time.perf_counter() - start
    duration = wav.shape[1] / config.sample_rate
    rms = np.sqrt(np.mean(sources[0] ** 2, axis=-1))
    return "\n".join([
        f"input              {path}: {duration:.2f} s, {rate} Hz"
        + "".join(f"\n                   ({note})" for note in notes),
        f"output             {sources.shape} [batch, sources, samples]; RMS per source "
        + ", ".join(f"{r:.4f}" for r in rms) + f" (input {np.sqrt(np.mean(wav ** 2)):.4f})",
        f"forward pass       {seconds * 1000:.1f} ms, real-time factor {seconds / duration:.4f} "
        f"on {jax.devices()[0].platform}",
        "weights            random: untrained, so the outputs are not denoised speech",
    ])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("recording", nargs="?", help="wav/flac file to run the model on")
    parser.add_argument("--size", choices=SIZES, default="small")
    parser.add_argument("--causal", action="store_true", help="causal model, cumulative LN")
    args = parser.parse_args(argv)
    overrides = {"causal": True, "norm": "cumulative"} if args.causal else {}
    config = SIZES[args.size](**overrides)
    print(describe(config))
    if args.recording:
        print(run_on_file(config, args.recording))


if __name__ == "__main__":
    main()
