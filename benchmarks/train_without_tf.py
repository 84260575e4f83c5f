"""Train an experiment on a machine with JAX but without TensorFlow (a GPU lease).

The trainer (tasnet_jax/train.py) reads its data through tfds and tf.data.
Where TensorFlow is missing, this script stands in for the input pipeline:

    # where tfds is: the training split's audio (and that of config.data.extra's
    # corpora, with their weights) and the resolved config, one file
    python benchmarks/train_without_tf.py export experiments/embedded_robust.py run.npz \
        [--set global_batch_size=16 --set num_steps=8000 ...]
    # anywhere with JAX (+ numpy, scipy, soxr, soundfile): OUT/params.npz, config.json, history
    python benchmarks/train_without_tf.py train run.npz OUT [--workers 14] [--seconds 400]
    # back where tfds is: a run folder the experiment tests and `tasnet-jax denoise` reads
    python benchmarks/train_without_tf.py import OUT runs/NAME
    python experiments/embedded_robust.py --workdir runs/NAME [the same --config overrides]

`train` draws its mixtures with the pipeline's own augment.make_example,
seeded per example by (seed, position) as data_pipelines.pipeline does, in a
pool of processes, and runs the trainer's train step, model, loss and
optimizer. Each speech clip and each noise clip comes from one of the
exported corpora drawn by its weight, as in the pipeline. What differs from
tasnet_jax/train.py: within a corpus, clips are drawn through a permutation
of its split per epoch, not tf.data's shuffle buffer (same distribution,
another order); there is no validation while training,
hence no plateau schedule and no early stopping (the config's final decay
still applies); the last step is kept. `import` saves it as a finished run
(stopped, so running the experiment on that folder only tests it).
"""
import argparse
import ast
import collections
import dataclasses
import functools
import importlib.util
import io
import json
import os
import sys
import time
import types
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


# --- export (needs tfds) -----------------------------------------------------------------

def _parsed(item):
    """'a.b=value' -> ('a.b', the value as a Python literal, else the string)."""
    key, _, value = item.partition("=")
    try:
        return key, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return key, value


def _experiment_config(path, overrides):
    spec = importlib.util.spec_from_file_location("experiment", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    config = module.get_config()
    config.update_from_flattened_dict(dict(map(_parsed, overrides)))
    return config


HEADROOM = 2  # noise = noisy - clean can leave the int16 range, by less than this


def _flac_blob(clips, rate):
    """Integer clips -> (FLAC files end to end as uint8, offsets [n + 1]). Stored as
    24-bit at 1/HEADROOM of the level, which holds every value of 17 bits exactly."""
    import soundfile as sf

    files = []
    for clip in clips:
        if np.abs(clip).max(initial=0) >= HEADROOM * 32768:
            raise ValueError("a clip leaves the stored range")
        buffer = io.BytesIO()
        sf.write(buffer, clip / (HEADROOM * 32768.0), rate, format="FLAC", subtype="PCM_24")
        files.append(np.frombuffer(buffer.getvalue(), np.uint8))
    return np.concatenate(files), np.cumsum([0] + [f.size for f in files])


def _unflac(blob, offsets):
    """The clips of _flac_blob, as float32 at the pipeline's scale (int16 full scale = 1)."""
    import soundfile as sf

    return [HEADROOM * sf.read(io.BytesIO(blob[offsets[i]:offsets[i + 1]].tobytes()),
                               dtype="float32")[0] for i in range(offsets.size - 1)]


def _corpus_clips(builder, split, keep_speech, keep_noise):
    """(distinct clean utterances, noise clips) of a split, as stored."""
    import tensorflow_datasets as tfds

    speech, noise = {}, []  # an utterance recurs with other noises: kept once
    for example in tfds.as_numpy(builder.as_dataset(split=split, shuffle_files=False)):
        if keep_speech:
            speech.setdefault(example["clean"].tobytes(), example["clean"])
        if keep_noise:
            noise.append(example["noise"])
    return list(speech.values()), noise


def _prefix(index):
    """Array names of corpus `index`: the experiment's own corpus keeps the plain
    names of files exported before extra corpora travelled."""
    return "" if index == 0 else f"extra{index}_"


def export(experiment, out, overrides):
    from data_pipelines.prepare import prepare
    from tasnet_jax.train import extra_corpora

    config = _experiment_config(experiment, overrides)
    data = config.data
    corpus = prepare(data.corpus, data.data_dir, data.manual_dir, data.builder_config)
    rate = corpus.info.metadata["sample_rate"]
    # config.data.extra as the trainer reads it: each clip drawn from a corpus by weight.
    corpora = [(corpus, data.train_split, 1.0, 1.0), *extra_corpora(data.extra)]
    arrays, total = {}, 0
    for index, (builder, split, speech_weight, noise_weight) in enumerate(corpora):
        if builder.info.metadata["sample_rate"] != rate:
            raise ValueError(f"{builder.info.full_name} is not at {rate} Hz like {data.corpus}")
        speech, noise = _corpus_clips(builder, split, speech_weight > 0, noise_weight > 0)
        for kind, clips in (("speech", speech), ("noise", noise)):
            if clips:
                blob, offsets = _flac_blob(clips, rate)
                arrays[f"{_prefix(index)}{kind}_flac"] = blob
                arrays[f"{_prefix(index)}{kind}_offsets"] = offsets
                total += blob.size
        print(f"{builder.info.full_name}/{split}: {len(speech)} utterances "
              f"({sum(s.size for s in speech) / rate / 60:.1f} min, weight {speech_weight}), "
              f"{len(noise)} noise clips (weight {noise_weight})")
    np.savez(out, **arrays, speech_weights=[c[2] for c in corpora],
             noise_weights=[c[3] for c in corpora], sample_rate=rate,
             config=json.dumps(config.to_dict()))
    print(f"{out}: {total / 1e6:.1f} MB of FLAC")


# --- train (JAX, numpy, scipy, soxr; no TensorFlow) ---------------------------------------

_ARRAYS = {}  # the corpus, set before the pool forks so the workers share it


def _pick(seed, position, count):
    """The clip at `position` of an endless stream of per-epoch permutations."""
    epoch, within = divmod(position, count)
    return np.random.default_rng([seed, epoch]).permutation(count)[within]


def _draw(pools, seed, position):
    """The clip at `position` of an endless stream over `pools` ([(clips, weight)]):
    its pool drawn by weight, as tf.data's sample_from_datasets does, then the
    clip at that position of the pool's own per-epoch permutations."""
    choice = 0
    if len(pools) > 1:
        weights = np.array([weight for _, weight in pools])
        choice = np.random.default_rng([seed, position, 2]).choice(len(pools),
                                                                   p=weights / weights.sum())
    clips = pools[choice][0]
    return clips[_pick(seed + 7919 * choice, position, len(clips))]


def _pools(arrays, kind):
    """[(clips, weight)] of `kind` ("speech" or "noise") over the exported corpora
    of nonzero weight; a file from before extra corpora holds one, weight 1."""
    weights = arrays[f"{kind}_weights"] if f"{kind}_weights" in arrays.files else [1.0]
    return [(_unflac(arrays[f"{_prefix(i)}{kind}_flac"], arrays[f"{_prefix(i)}{kind}_offsets"]),
             float(weight)) for i, weight in enumerate(weights) if weight > 0]


def _example(index):
    from data_pipelines import augment

    seed, mixing, segment, rate = (_ARRAYS[k] for k in ("seed", "mixing", "segment", "rate"))
    clean = _draw(_ARRAYS["speech"], seed, index)
    noises = [_draw(_ARRAYS["noise"], seed + 1, index * mixing.max_noises + k)
              for k in range(mixing.max_noises)]
    rng = np.random.default_rng([seed, index])
    return augment.make_example(rng, clean, noises, segment, rate, mixing)


def _batches(pool, batch, ahead=16):
    """Endless {mixture, sources, length} batches; `ahead` batches are made in advance."""
    pending, position = collections.deque(), 0
    while True:
        while len(pending) < ahead:
            indices = range(position * batch, (position + 1) * batch)
            pending.append(pool.map_async(_example, indices, chunksize=1))
            position += 1
        rows = pending.popleft().get()
        yield {"mixture": np.stack([r[0] for r in rows]),
               "sources": np.stack([r[1] for r in rows]),
               "length": np.array([r[2] for r in rows], np.int32)}


def _save_params(params, step, path):
    import flax.traverse_util
    import jax

    flat = flax.traverse_util.flatten_dict(jax.device_get(params), sep="/")
    tmp = Path(str(path) + ".tmp.npz")
    np.savez(tmp, step=step, **{"params/" + k: np.asarray(v) for k, v in flat.items()})
    os.replace(tmp, path)  # a kill mid-write keeps the previous file


def _fit_schedule(config, steps_per_s, seconds_left, step):
    """num_steps set to what `seconds_left` allows at `steps_per_s`, the final decay
    keeping its share of the run."""
    optim = config["optim"]
    share = min(1.0, optim["decay_steps"] / config["num_steps"])
    num_steps = step + max(1, int(steps_per_s * seconds_left))
    optim["decay_steps"] = int(round(share * num_steps))
    optim["decay_begin_step"] = max(step, num_steps - optim["decay_steps"])
    config["num_steps"] = num_steps


def train(arrays_path, out, workers, save_every, seconds, calibrate_steps=200, overrides=()):
    import multiprocessing

    began = time.perf_counter()
    arrays = np.load(arrays_path)
    config = json.loads(str(arrays["config"]))
    for key, value in map(_parsed, overrides):  # the export's config, changed
        *path, name = key.split(".")
        functools.reduce(dict.__getitem__, path, config)[name] = value
    mixing = types.SimpleNamespace(**{k: tuple(v) if isinstance(v, list) else v
                                      for k, v in config["mixing"].items()})
    rate = int(arrays["sample_rate"])
    _ARRAYS.update(speech=_pools(arrays, "speech"), noise=_pools(arrays, "noise"))
    _ARRAYS.update(seed=config["seed"], mixing=mixing, rate=rate,
                   segment=int(round(mixing.segment_seconds * rate)))
    # Fork before JAX starts its runtime and threads.
    pool = multiprocessing.get_context("fork").Pool(workers)

    import jax
    import jax.numpy as jnp

    from tasnet_jax.losses import neg_si_snr
    from tasnet_jax.model import ConvTasNet, ConvTasNetConfig
    from tasnet_jax.optim import OptimConfig, make_optimizer
    from tasnet_jax.parallel import global_batch, make_mesh
    from tasnet_jax.step import create_train_state, jit_train_step

    model_config = ConvTasNetConfig(**config["model"])
    model, mesh = ConvTasNet(model_config), make_mesh()
    loss_fn = functools.partial(neg_si_snr, pit=config["loss"]["pit"],
                                weights=config["loss"]["source_weights"])

    def compiled_step():
        optimizer = make_optimizer(OptimConfig(**config["optim"]))
        return optimizer, jit_train_step(model, optimizer, loss_fn, mesh)

    optimizer, step_fn = compiled_step()
    state = create_train_state(model, optimizer, jax.random.key(config["seed"]),
                               jnp.zeros((1, model_config.filter_length)), mesh)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    batches = _batches(pool, config["global_batch_size"])
    print(f"{jax.devices()[0].device_kind}: {model_config}, batches of "
          f"{config['global_batch_size']} x {mixing.segment_seconds} s, {workers} workers",
          flush=True)
    calibrate = calibrate_steps if seconds else None  # timed before fitting num_steps
    losses, tick, tick_step, waited, compiled_at = [], time.perf_counter(), 0, 0.0, None
    with open(out / "history.jsonl", "a") as history:
        step = 0
        while step < config["num_steps"]:
            step += 1
            before = time.perf_counter()
            batch = next(batches)
            waited += time.perf_counter() - before
            state, metrics = step_fn(state, global_batch(batch, mesh))
            losses.append(metrics["loss"])
            if step == 1:
                jax.block_until_ready(state)
                compiled_at = time.perf_counter()
            if step == calibrate:
                jax.block_until_ready(state)
                now = time.perf_counter()
                _fit_schedule(config, (step - 1) / (now - compiled_at),
                              seconds - (now - began), step)
                optimizer, step_fn = compiled_step()  # the new decay; same state layout
                print(f"fitted to {seconds} s: {config['num_steps']} steps, decay "
                      f"{config['optim']}", flush=True)
            if step % config["log_every_steps"] == 0 or step == config["num_steps"]:
                loss = float(np.mean(jax.device_get(losses)))
                now = time.perf_counter()
                record = {"step": step, "loss": loss, "skipped": int(state.skipped),
                          "steps_per_s": (step - tick_step) / (now - tick),
                          "input_wait_fraction": waited / (now - tick)}
                history.write(json.dumps(record) + "\n")
                history.flush()
                print(json.dumps(record), flush=True)
                losses, tick, tick_step, waited = [], now, step, 0.0
            if step % save_every == 0 or step == config["num_steps"]:
                (out / "config.json").write_text(json.dumps(config, indent=1))
                _save_params(state.params, step, out / "params.npz")
    pool.terminate()
    print(f"done: {step} steps in {time.perf_counter() - began:.0f} s", flush=True)


# --- import (needs orbax; the test runs where tfds is) -------------------------------------

def import_params(trained, workdir):
    import flax.traverse_util
    import jax
    import jax.numpy as jnp

    from tasnet_jax.checkpoints import Checkpoints
    from tasnet_jax.model import ConvTasNet, ConvTasNetConfig
    from tasnet_jax.optim import OptimConfig, Plateau, make_optimizer
    from tasnet_jax.parallel import make_mesh
    from tasnet_jax.step import create_train_state

    trained = Path(trained)
    config = json.loads((trained / "config.json").read_text())
    saved = np.load(trained / "params.npz")
    step = int(saved["step"])
    model_config = ConvTasNetConfig(**config["model"])
    state = create_train_state(ConvTasNet(model_config), make_optimizer(
        OptimConfig(**config["optim"])), jax.random.key(0),
        jnp.zeros((1, model_config.filter_length)), make_mesh())
    params = flax.traverse_util.unflatten_dict(
        {k.removeprefix("params/"): v for k, v in saved.items() if k != "step"}, sep="/")
    if jax.tree.map(np.shape, params) != jax.tree.map(np.shape, state.params):
        raise ValueError(f"{trained}/params.npz does not hold the parameters of "
                         f"{config['model']}")
    params = jax.tree.map(lambda like, x: jax.device_put(jnp.asarray(x), like.sharding),
                          state.params, params)
    state = state.replace(params=params, step=jnp.asarray(step, jnp.int32))
    checkpoints = Checkpoints(Path(workdir) / "checkpoints", keep_best=config["keep_best"],
                              asynchronous=False)
    if checkpoints.steps():
        raise ValueError(f"{workdir} already holds checkpoints {checkpoints.steps()}; "
                         "use a new workdir")
    config["num_steps"] = step  # where it stopped, if the run was cut short
    checkpoints.save(step, state, {
        "config": config, "plateau": dataclasses.asdict(Plateau()), "stopped": True,
        "trained_by": f"benchmarks/train_without_tf.py, {trained}"})
    checkpoints.close()
    print(f"{workdir}: step {step} saved as a finished run")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("export")
    p.add_argument("experiment")
    p.add_argument("out")
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                   help="a config override, e.g. optim.decay_steps=2400")
    p = commands.add_parser("train")
    p.add_argument("arrays")
    p.add_argument("out")
    p.add_argument("--workers", type=int, default=os.cpu_count())
    p.add_argument("--save_every", type=int, default=1000)
    p.add_argument("--seconds", type=float, default=None,
                   help="fit num_steps (and the final decay) to this long a run, from the "
                        "speed of its first --calibrate_steps")
    p.add_argument("--calibrate_steps", type=int, default=200)
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                   help="a change to the exported config, e.g. global_batch_size=32")
    p = commands.add_parser("import")
    p.add_argument("trained", help="the folder `train` wrote")
    p.add_argument("workdir")
    args = parser.parse_args()
    if args.command == "export":
        export(args.experiment, args.out, args.set)
    elif args.command == "train":
        train(args.arrays, args.out, args.workers, args.save_every, args.seconds,
              args.calibrate_steps, args.set)
    else:
        import_params(args.trained, args.workdir)


if __name__ == "__main__":
    main()
