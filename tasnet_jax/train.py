"""Training and evaluation of a Conv-TasNet, from an experiment config and a workdir.

Read top to bottom: configs, mesh, input, model and optimizer, state (fresh
or resumed), loop (step, log, evaluate, schedule, checkpoint), test. Running
the same command again resumes from the latest checkpoint in the workdir, with
the data stream where it stopped; a finished run only re-reports its summary.
"""
import dataclasses
import functools
import json
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import soundfile as sf
import tensorflow_datasets as tfds
from tqdm import tqdm

from data_pipelines.idle_input import IdleBatches
from data_pipelines.pipeline import MixingConfig, train_dataset
from data_pipelines.prepare import prepare
from tasnet_jax import faults
from tasnet_jax.checkpoints import BEST_METRIC, Checkpoints
from tasnet_jax.configs import default_config  # noqa: F401 (re-exported)
from tasnet_jax.evaluate import eval_batches, evaluate, examples, make_eval_step
from tasnet_jax.losses import neg_si_snr
from tasnet_jax.metrics import summarize, utterance_metrics
from tasnet_jax.model import ConvTasNet, ConvTasNetConfig
from tasnet_jax.optim import OptimConfig, Plateau, learning_rate, make_optimizer, with_learning_rate
from tasnet_jax.parallel import global_batch, make_mesh
from tasnet_jax.reporting import Reporter
from tasnet_jax.step import create_train_state, jit_train_step
from tasnet_jax.teacher import load_teacher

# How a model computes, not what it is: these may differ from an init_from source's.
COMPUTE_FIELDS = ("compute_dtype", "remat")


def model_from_source(config, given=()) -> None:
    """Set config.model to the model of config.init_from (what `launch` does).
    `given` names model fields set on the command line: one that contradicts
    the source (other than COMPUTE_FIELDS) raises ValueError naming both values."""
    from tasnet_jax.inference import load

    source = dataclasses.asdict(load(config.init_from).config)
    for name in given:
        if name not in COMPUTE_FIELDS and config.model[name] != source[name]:
            raise ValueError(f"config.model.{name}={config.model[name]!r} contradicts the model "
                             f"of init_from={config.init_from}, whose {name} is {source[name]!r}")
    config.model.update({k: v for k, v in source.items() if k not in COMPUTE_FIELDS})


# What a resumed run must share with the run it resumes: the model, its data
# stream, and the optimizer's structure and rate (the rate lives in the
# optimizer state). The rest (num_steps, cadences, keep_best, patience, where
# the data lives) may change.
FIXED_FIELDS = ("model", "data.corpus", "data.builder_config", "data.train_split", "data.extra",
                "mixing", "loss", "global_batch_size", "seed", "init_from",
                "optim.name", "optim.learning_rate", "optim.clip_norm",
                "optim.decay_begin_step", "optim.decay_steps")


def _flat(tree, prefix=""):
    if not isinstance(tree, dict):
        return {prefix[:-1]: tree}
    return {k: v for key, value in tree.items() for k, v in _flat(value, f"{prefix}{key}.").items()}


def _config_changes(saved: dict, current: dict, workdir) -> list[str]:
    """The config fields that differ from the checkpoint's, as "field: old -> new";
    a FIXED_FIELDS one raises ValueError naming it."""
    saved, current = _flat(saved), _flat(current)
    changes = []
    for field in sorted(set(saved) | set(current)):
        old, new = saved.get(field), current.get(field)
        if isinstance(old, (list, tuple)) and isinstance(new, (list, tuple)):
            old, new = list(old), list(new)
        if old == new:
            continue
        if any(field == fixed or field.startswith(fixed + ".") for fixed in FIXED_FIELDS):
            raise ValueError(f"{workdir} holds a run with {field}={old!r}; it cannot resume "
                             f"with {field}={new!r} (use a new workdir, or --config.init_from "
                             "to start a new run from it)")
        changes.append(f"{field}: {old!r} -> {new!r}")
    return changes


def _training_loss(estimates, sources, length, teacher=None, teacher_weight=0.0, **options):
    """Negative SI-SNR; a speech-only model (n_src=1, e.g. Asteroid's enh_single)
    learns the speech source alone. Given a teacher's estimates, the loss is
    (1 - teacher_weight) of that and teacher_weight of the same against them."""
    loss = neg_si_snr(estimates, sources[:, :estimates.shape[1]], length, **options)
    if teacher is None:
        return loss
    return ((1 - teacher_weight) * loss
            + teacher_weight * neg_si_snr(estimates, teacher[:, :estimates.shape[1]], length,
                                          **options))


def _start_from(source, model_config, state):
    """`state` with the parameters (and batch statistics) of the model at `source`."""
    from tasnet_jax.inference import load

    loaded = load(source)
    ours, theirs = dataclasses.asdict(model_config), dataclasses.asdict(loaded.config)
    differ = {k: (ours[k], theirs[k]) for k in ours if k not in COMPUTE_FIELDS
              and ours[k] != theirs[k]}
    if differ:
        raise ValueError(f"config.model differs from the model of init_from={source} "
                         f"(field: (config, source)): {differ}; experiments take the source's "
                         "(train.model_from_source)")

    def put(like, value):
        return jax.device_put(jnp.asarray(value, like.dtype), like.sharding)

    return state.replace(
        params=jax.tree.map(put, state.params, loaded.variables["params"]),
        batch_stats=jax.tree.map(put, state.batch_stats, loaded.variables.get("batch_stats", {})),
    ), {"source": loaded.source, "step": loaded.step}


class NonFiniteError(RuntimeError):
    """Too many steps in a row had a non-finite loss or gradient."""


def _sections(config):
    """The typed configs inside an experiment's ConfigDict (errors name the field)."""
    mixing = {k: tuple(v) if isinstance(v, (list, tuple)) else v
              for k, v in config.mixing.items()}
    return (ConvTasNetConfig(**config.model), MixingConfig(**mixing),
            OptimConfig(**config.optim))


INPUT_PRIORITIES = ("idle", "normal")
REQUIRED_EXTRA_KEYS = {"corpus", "speech", "noise"}
EXTRA_KEYS = REQUIRED_EXTRA_KEYS | {"manual_dir", "data_dir", "builder_config", "split"}


def extra_corpora(entries) -> list:
    """(builder, split, speech weight, noise weight) for each of config.data.extra,
    checked, then prepared."""
    entries = [dict(entry) for entry in entries]
    for i, entry in enumerate(entries):
        where = f"config.data.extra[{i}]"
        if REQUIRED_EXTRA_KEYS - set(entry) or set(entry) - EXTRA_KEYS:
            raise ValueError(f"{where}={entry!r}: needs {sorted(REQUIRED_EXTRA_KEYS)} and may "
                             f"have {sorted(EXTRA_KEYS - REQUIRED_EXTRA_KEYS)}")
        for key in ("speech", "noise"):
            if not entry[key] >= 0:
                raise ValueError(f"{where}.{key}={entry[key]!r}: a weight must be >= 0")
        if not entry["speech"] + entry["noise"] > 0:
            raise ValueError(f"{where}: speech and noise weights are both 0")
    return [(prepare(entry["corpus"], entry.get("data_dir"), entry.get("manual_dir"),
                     entry.get("builder_config")),
             entry.get("split", "train"), float(entry["speech"]), float(entry["noise"]))
            for entry in entries]


def train_and_evaluate(config, workdir) -> dict:
    """Train until config.num_steps or early stopping, then test the best checkpoint.
    Returns the summary also written to workdir/summary.json."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    model_config, mixing, optim_config = _sections(config)
    main_process = jax.process_index() == 0

    # --- Mesh: the global batch is split over every device of every process.
    mesh = make_mesh()
    if config.global_batch_size % mesh.devices.size:
        raise ValueError(f"global_batch_size={config.global_batch_size} does not divide among "
                         f"{mesh.devices.size} devices")

    # --- Input.
    if config.data.input_priority not in INPUT_PRIORITIES:
        raise ValueError(f"config.data.input_priority={config.data.input_priority!r}: "
                         f"one of {INPUT_PRIORITIES}")
    if not 0 <= config.loss.teacher_weight <= 1:
        raise ValueError(f"config.loss.teacher_weight={config.loss.teacher_weight!r}: "
                         "a share of the loss, in [0, 1]")
    if config.loss.teacher and config.loss.pit:
        raise ValueError("config.loss.teacher with config.loss.pit: a teacher's sources have "
                         "no order to match under PIT; set one of them off")
    corpus = prepare(config.data.corpus, config.data.data_dir, config.data.manual_dir,
                     config.data.builder_config)
    corpus_rate = corpus.info.metadata["sample_rate"]
    if corpus_rate != model_config.sample_rate:
        raise ValueError(f"{config.data.corpus} is at {corpus_rate} Hz but model.sample_rate is "
                         f"{model_config.sample_rate}; set one to match the other")
    extra = extra_corpora(config.data.extra)
    local_batch_size = config.global_batch_size // jax.process_count()
    validation = functools.partial(eval_batches, corpus, config.data.validation_split,
                                   local_batch_size, corpus_rate)

    # --- Model, loss, optimizer.
    model = ConvTasNet(model_config)
    loss_fn = functools.partial(_training_loss, pit=config.loss.pit,
                                weights=config.loss.source_weights,
                                teacher_weight=config.loss.teacher_weight)
    teacher = load_teacher(config.loss.teacher, model_config, mesh) if config.loss.teacher else None
    optimizer = make_optimizer(optim_config)
    state = create_train_state(model, optimizer, jax.random.key(config.seed),
                               jnp.zeros((1, model_config.filter_length)), mesh)

    # --- State: resume from the workdir if a run was there.
    checkpoints = Checkpoints(workdir / "checkpoints", keep_best=config.keep_best)
    plateau, start, stopped, started_from = Plateau(), 0, False, None
    restored = checkpoints.restore_newest_intact(state)
    if restored is not None:
        latest, state, record = restored
        for change in _config_changes(record["config"], config.to_dict(), workdir):
            if main_process:
                print(f"changed since the run began: {change}")
        plateau, start, stopped = Plateau(**record["plateau"]), latest, record["stopped"]
        started_from = record.get("started_from")
        if main_process:
            print(f"resumed from step {start} in {checkpoints.directory}")
    elif config.init_from:
        state, started_from = _start_from(config.init_from, model_config, state)
        if main_process:
            print(f"fine-tuning {started_from['source']}")

    def save(step, metrics=None, stop=False):
        record = {"config": config.to_dict(), "plateau": dataclasses.asdict(plateau),
                  "stopped": stop, "started_from": started_from}
        checkpoints.save(step, state, record, metrics)
        faults.kill_point("checkpoint_write", step)

    # --- Loop.
    train_step = jit_train_step(model, optimizer, loss_fn, mesh, teacher)
    taught = () if teacher is None else (teacher.variables,)
    eval_step = make_eval_step(model, mesh, pit=config.loss.pit)
    batches = IdleBatches(lambda step: iter(tfds.as_numpy(train_dataset(
        corpus, global_batch_size=config.global_batch_size, seed=config.seed, mixing=mixing,
        split=config.data.train_split, start_step=step, extra=extra))), start,
        idle=config.data.input_priority == "idle")
    report = Reporter(workdir, enabled=main_process, start_step=start)
    progress = tqdm(total=config.num_steps, initial=start, disable=not main_process or stopped,
                    desc="train", unit="step")
    tick, tick_step, waited = time.perf_counter(), start, 0.0
    try:
        for step in range(start + 1, config.num_steps + 1):
            if stopped:
                break
            state, metrics = train_step(state, global_batch(next(batches), mesh), *taught)
            progress.update()
            if step % config.log_every_steps == 0:
                now = time.perf_counter()
                rate = (step - tick_step) / (now - tick)
                # Steps are dispatched ahead, so a wait may overlap the step before; a share
                # near 0 says the pipeline keeps up, a large one that it holds training back.
                input_wait_share = (batches.waited_s - waited) / (now - tick)
                tick, tick_step, waited = now, step, batches.waited_s
                progress.set_postfix(loss=f"{float(metrics['loss']):.2f}",
                                     steps_per_s=f"{rate:.2f}")
                report.scalars(step, {"loss": float(metrics["loss"]),
                                      "grad_norm": float(metrics["grad_norm"]), "steps_per_s": rate,
                                      "input_wait_share": input_wait_share,
                                      "skipped": int(state.skipped)})
                if int(state.skipped_in_a_row) >= config.max_skipped_in_a_row:
                    raise NonFiniteError(
                        f"{int(state.skipped_in_a_row)} steps in a row up to step {step} had a "
                        f"non-finite loss or gradient; the last good checkpoint is step "
                        f"{checkpoints.latest_step()} in {checkpoints.directory}")
            if step % config.eval_every_steps == 0 or step == config.num_steps:
                scores = evaluate(eval_step, state.variables(),
                                  faults.kill_inside(validation(), "validation", step), mesh)
                factor, stopped = plateau.update(scores["si_snr"], optim_config)
                if factor != 1.0:
                    lowered = max(learning_rate(state.opt_state) * factor,
                                  optim_config.min_learning_rate)
                    state = state.replace(opt_state=with_learning_rate(state.opt_state, lowered))
                report.scalars(step, {"val_si_snr": scores["si_snr"],
                                      "val_si_snri": scores["si_snri"],
                                      "learning_rate": learning_rate(state.opt_state)})
                if main_process:
                    progress.write(f"step {step}: validation SI-SNR {scores['si_snr']:.2f} dB, "
                                   f"SI-SNRi {scores['si_snri']:.2f} dB")
                save(step, {BEST_METRIC: scores["si_snr"]}, stop=stopped)
            elif step % config.checkpoint_every_steps == 0:
                save(step)
    finally:
        batches.close()
    progress.close()
    checkpoints.wait()

    # --- Test: the best checkpoint on the test split, every metric; samples kept.
    best = checkpoints.best_step() or checkpoints.latest_step()
    best_state, _ = checkpoints.restore(best, state)
    per_utterance = []
    tested = examples(eval_step, best_state.variables(), eval_batches(
        corpus, config.data.test_split, local_batch_size, corpus_rate), mesh)
    for i, ex in enumerate(faults.kill_inside(tested, "test", checkpoints.latest_step())):
        if not main_process:
            continue  # the others only take part in the gathering
        per_utterance.append({"si_snr": ex["si_snr"], "si_snri": ex["si_snri"],
                              **utterance_metrics(ex["clean"], ex["estimate"], ex["mixture"],
                                                  corpus_rate)})
        if i < 3:
            report.sample(best, f"test_sample_{i}", ex["mixture"], ex["estimate"], ex["clean"],
                          corpus_rate)
        if i == 0:
            sample = _write_sample(workdir / "samples", ex, corpus_rate)
    summary = {}
    if main_process:
        test = summarize(per_utterance)
        report.scalars(best, {f"test_{k}": v for k, v in test.items()})
        summary = {"best_step": best, "last_step": checkpoints.latest_step(),
                   "started_from": started_from,
                   "test_examples": len(per_utterance), "skipped_steps": int(state.skipped),
                   **{f"test_{k}": v for k, v in test.items()}, "sample": sample}
        (workdir / "summary.json").write_text(json.dumps(summary, indent=2))
    report.close()
    checkpoints.close()
    return summary


def _write_sample(folder, example, rate) -> str:
    """Noisy, denoised and clean wavs of one test utterance; returns the denoised path."""
    folder.mkdir(parents=True, exist_ok=True)
    for kind, key in (("noisy", "mixture"), ("denoised", "estimate"), ("clean", "clean")):
        sf.write(folder / f"{kind}.wav", np.clip(example[key], -1, 1), rate, subtype="PCM_16")
    return str(folder / "denoised.wav")
