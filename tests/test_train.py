"""The training loop on the embedded corpus: it learns, it resumes after a kill,
and it stops cleanly when the numbers go bad."""
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from tasnet_jax import faults
from tasnet_jax.checkpoints import Checkpoints
from tasnet_jax.model import ConvTasNet, ConvTasNetConfig
from tasnet_jax.optim import make_optimizer, OptimConfig
from tasnet_jax.parallel import make_mesh
from tasnet_jax.step import create_train_state
from tasnet_jax.train import NonFiniteError, extra_corpora, train_and_evaluate

ROOT = Path(__file__).resolve().parent.parent
# Logged figures that time the run, and so differ between an unbroken and a resumed one.
TIMINGS = ("steps_per_s", "input_wait_share")
TINY_MODEL = dict(n_filters=32, bottleneck_channels=16, hidden_channels=32, skip_channels=16,
                  blocks_per_repeat=3, repeats=1)
# The quickstart experiment, shrunk to seconds: a tiny model on 0.25 s segments.
OVERRIDES = [f"--config.model.{k}={v}" for k, v in TINY_MODEL.items()] + [
    "--config.mixing.segment_seconds=0.25", "--config.global_batch_size=4",
    "--config.num_steps=300", "--config.eval_every_steps=100",
    "--config.checkpoint_every_steps=10", "--config.log_every_steps=10",
    "--config.optim.learning_rate=3e-3"]


@pytest.fixture(scope="module")
def data_dir(tiny_builder):
    return str(Path(tiny_builder.data_dir).parents[1])  # .../tiny_noisy_speech/1.0.0 -> root


def _launch(workdir, data_dir, kill_at=None, huge_pages=False):
    """The quickstart with the tiny model; `kill_at`: where it SIGKILLs itself
    (tasnet_jax.faults); `huge_pages`: restarting itself as a user's launch does
    (tasnet_jax/host_memory.py; conftest.py turns that off for the others)."""
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    if huge_pages:
        env["TASNET_JAX_HUGE_PAGES"] = "1"
    env.pop(faults.ENV, None)
    if kill_at:
        env[faults.ENV] = kill_at
    return subprocess.Popen(
        [sys.executable, str(ROOT / "experiments/quickstart.py"), f"--workdir={workdir}",
         f"--config.data.data_dir={data_dir}", *OVERRIDES],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)


def _final_state(workdir):
    """The latest checkpoint of a run of the quickstart with the tiny model."""
    sys.path.insert(0, str(ROOT / "experiments"))
    from quickstart import get_config

    config = get_config()
    model = ConvTasNet(ConvTasNetConfig(**{**config.model, **TINY_MODEL}))
    like = create_train_state(model, make_optimizer(OptimConfig(**config.optim)),
                              jax.random.key(0), jnp.zeros((1, 32)), make_mesh(jax.devices()[:1]))
    checkpoints = Checkpoints(Path(workdir) / "checkpoints", asynchronous=False)
    state, record = checkpoints.restore(checkpoints.latest_step(), like)
    checkpoints.close()
    return state, record


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, data_dir):
    workdir = tmp_path_factory.mktemp("unbroken")
    run = _launch(workdir, data_dir, huge_pages=True)
    output, _ = run.communicate(timeout=600)
    assert run.returncode == 0, output
    return workdir, output


def test_a_short_run_learns_and_reports(uninterrupted):
    workdir, output = uninterrupted
    history = [json.loads(line) for line in (workdir / "history.jsonl").read_text().splitlines()]
    waits = [h["input_wait_share"] for h in history if "loss" in h]
    assert waits and all(0 <= w < 1 for w in waits)
    scores = [h["val_si_snri"] for h in history if "val_si_snri" in h]
    assert len(scores) == 3 and scores[-1] > scores[0] + 0.5
    summary = json.loads((workdir / "summary.json").read_text())
    assert summary["test_examples"] == 18 and summary["test_si_snri"] > 0
    for metric in ("sdr", "pesq", "stoi"):
        assert np.isfinite(summary[f"test_{metric}"])
        assert np.isfinite(summary[f"test_{metric}_improvement"])
    assert "SI-SNRi" in output and summary["last_step"] == 300
    for kind in ("noisy", "denoised", "clean"):
        assert (workdir / "samples" / f"{kind}.wav").is_file()
    assert list((workdir / "tensorboard").glob("events.out.tfevents.*"))


def _kill_at_checkpoint(workdir, data_dir, step):
    """Launch, and SIGKILL once the checkpoint of `step` or a later one exists."""
    run = _launch(workdir, data_dir)
    deadline = time.time() + 300
    while not any(p.name.isdigit() and int(p.name) >= step
                  for p in (workdir / "checkpoints").glob("*")):
        assert run.poll() is None and time.time() < deadline, run.communicate()[0]
        time.sleep(0.05)
    run.send_signal(signal.SIGKILL)
    run.wait()
    assert run.returncode == -signal.SIGKILL and not (workdir / "summary.json").exists()


def _kept(workdir):
    checkpoints = Checkpoints(Path(workdir) / "checkpoints", asynchronous=False)
    kept = checkpoints.steps(), checkpoints.best_step()
    checkpoints.close()
    return kept


def _killed_itself(run):
    output, _ = run.communicate(timeout=600)
    assert run.returncode == -signal.SIGKILL, output


def _tensorboard_scalars(workdir):
    """{tag: [(step, value)]} as TensorBoard's loader shows them, timings aside."""
    from tensorboard.backend.event_processing import plugin_event_accumulator as tb

    events = tb.EventAccumulator(str(Path(workdir) / "tensorboard"),
                                 size_guidance={tb.TENSORS: 0})
    events.Reload()
    return {tag: [(e.step, _tensor_value(e.tensor_proto)) for e in events.Tensors(tag)]
            for tag in events.Tags()["tensors"] if tag not in TIMINGS
            and events.SummaryMetadata(tag).plugin_data.plugin_name == "scalars"}


def _tensor_value(proto):
    import tensorflow as tf

    return tf.make_ndarray(proto).tolist()


def _assert_same_run(workdir, unbroken):
    """`workdir` ended as the unbroken run did: state, kept checkpoints, best
    step, history, TensorBoard scalars and summary."""
    want, want_record = _final_state(unbroken)
    got, got_record = _final_state(workdir)
    assert int(got.step) == int(want.step) == 300
    # Bitwise: same data stream from the resumed step, same arithmetic on the CPU.
    jax.tree.map(np.testing.assert_array_equal, jax.tree.map(np.asarray, got.params),
                 jax.tree.map(np.asarray, want.params))
    jax.tree.map(np.testing.assert_array_equal, jax.tree.map(np.asarray, got.opt_state),
                 jax.tree.map(np.asarray, want.opt_state))
    assert got_record["plateau"] == want_record["plateau"]
    # The same checkpoints kept: the retention policy still knows the scores of
    # those saved before a restart (latest + the 2 best evaluated ones).
    kept = _kept(unbroken)
    assert _kept(workdir) == kept and len(kept[0]) == 2, kept

    def history(run_dir):  # each step once, as the unbroken run logged it (timings aside)
        rows = [json.loads(line) for line in (Path(run_dir) / "history.jsonl").open()]
        return [{k: v for k, v in row.items() if k not in TIMINGS} for row in rows]

    assert history(workdir) == history(unbroken)
    # TensorBoard too: the steps logged again after each resume replace the
    # killed processes' ones instead of showing twice.
    assert _tensorboard_scalars(workdir) == _tensorboard_scalars(unbroken)
    summaries = [json.loads((Path(d) / "summary.json").read_text()) for d in (unbroken, workdir)]
    for summary in summaries:
        del summary["sample"]  # a path in its own workdir
    assert summaries[0] == summaries[1]


def test_killed_run_resumes_to_the_same_parameters(uninterrupted, tmp_path, data_dir):
    """Four SIGKILLs in one run (no chance to clean up), each where a
    preemption can land: inside the step-100 validation pass, while the
    step-200 checkpoint is being written in the background, between steps
    (from outside, once the step-230 checkpoint is there) and inside the test
    phase; then it runs to the end."""
    workdir = tmp_path / "killed"
    _killed_itself(_launch(workdir, data_dir, kill_at="validation:100"))
    assert 100 not in _kept(workdir)[0]  # saved after the validation it was killed in
    _killed_itself(_launch(workdir, data_dir, kill_at="checkpoint_write:200"))
    assert 200 not in _kept(workdir)[0] and 100 in _kept(workdir)[0]  # cut mid-write
    _kill_at_checkpoint(workdir, data_dir, 230)
    _killed_itself(_launch(workdir, data_dir, kill_at="test:300"))
    assert not (workdir / "summary.json").exists()

    resumed = _launch(workdir, data_dir)
    output, _ = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, output
    assert "resumed from step 300" in output

    _assert_same_run(workdir, uninterrupted[0])


def test_a_damaged_latest_checkpoint_is_named_and_the_run_resumes_before_it(uninterrupted,
                                                                            tmp_path, data_dir):
    """The unbroken run's step-300 checkpoint cut short (its largest file
    truncated): the run says so, resumes from the newest intact checkpoint
    (step 200) and ends as the unbroken run did."""
    import shutil

    workdir = tmp_path / "damaged"
    shutil.copytree(uninterrupted[0], workdir)
    (workdir / "summary.json").unlink()
    largest = max((p for p in (workdir / "checkpoints" / "300").rglob("*") if p.is_file()),
                  key=lambda p: p.stat().st_size)
    largest.write_bytes(largest.read_bytes()[:100])
    run = _launch(workdir, data_dir)
    output, _ = run.communicate(timeout=600)
    assert run.returncode == 0, output
    assert "checkpoint 300 in" in output and "is damaged and was moved to 300.damaged" in output
    assert "resumed from step 200" in output
    _assert_same_run(workdir, uninterrupted[0])
    assert (workdir / "checkpoints" / "300.damaged").is_dir()


def test_a_restart_refuses_changes_to_the_run_and_says_the_others(uninterrupted, tmp_path,
                                                                   data_dir):
    import shutil

    workdir = tmp_path / "changed"
    shutil.copytree(uninterrupted[0], workdir)
    refused = subprocess.run(
        [sys.executable, str(ROOT / "experiments/quickstart.py"), f"--workdir={workdir}",
         f"--config.data.data_dir={data_dir}", *OVERRIDES, "--config.global_batch_size=8"],
        capture_output=True, text=True, env=dict(os.environ, JAX_PLATFORMS="cpu"), timeout=600)
    assert refused.returncode != 0
    assert "holds a run with global_batch_size=4; it cannot resume with global_batch_size=8" \
        in refused.stderr
    longer = subprocess.run(
        [sys.executable, str(ROOT / "experiments/quickstart.py"), f"--workdir={workdir}",
         f"--config.data.data_dir={data_dir}", *OVERRIDES, "--config.num_steps=320"],
        capture_output=True, text=True, env=dict(os.environ, JAX_PLATFORMS="cpu"), timeout=600)
    assert longer.returncode == 0, longer.stderr
    assert "changed since the run began: num_steps: 300 -> 320" in longer.stdout
    assert json.loads((workdir / "summary.json").read_text())["last_step"] == 320


def test_non_finite_steps_stop_the_run_and_keep_the_last_good_checkpoint(tmp_path, data_dir):
    sys.path.insert(0, str(ROOT / "experiments"))
    from quickstart import get_config

    config = get_config()
    config.model.update(TINY_MODEL)
    config.data.data_dir = data_dir
    config.update(num_steps=100, log_every_steps=5, checkpoint_every_steps=5,
                  eval_every_steps=100, max_skipped_in_a_row=10, global_batch_size=4)
    config.mixing.segment_seconds = 0.25
    # A gain of 10**20 overflows float32 energies: every loss is NaN.
    config.mixing.gain_db = (400.0, 400.0)
    with pytest.raises(NonFiniteError,
                       match=r"10 steps in a row up to step 10 .* last good checkpoint is step 5"):
        train_and_evaluate(config, tmp_path)
    state, _ = _final_state(tmp_path)  # the checkpoint of step 5, params untouched
    assert int(state.step) == 5 and int(state.skipped) == 5
    assert all(np.all(np.isfinite(x)) for x in jax.tree.leaves(state.params))


def test_a_full_disk_stops_the_run_with_earlier_checkpoints_intact(tmp_path, data_dir,
                                                                    monkeypatch):
    import errno

    import orbax.checkpoint as ocp

    sys.path.insert(0, str(ROOT / "experiments"))
    from quickstart import get_config

    config = get_config()
    config.model.update(TINY_MODEL)
    config.data.data_dir = data_dir
    config.update(num_steps=30, log_every_steps=5, checkpoint_every_steps=10,
                  eval_every_steps=100, global_batch_size=4)
    config.mixing.segment_seconds = 0.25
    save = ocp.CheckpointManager.save

    def full_from_step_20(manager, step, *args, **kwargs):
        if step >= 20:
            raise OSError(errno.ENOSPC, "No space left on device")
        return save(manager, step, *args, **kwargs)

    monkeypatch.setattr(ocp.CheckpointManager, "save", full_from_step_20)
    with pytest.raises(OSError, match=r"could not save checkpoint 20 in .* \(No space left on "
                                      r"device\); the run stopped, and the checkpoints saved "
                                      r"before it are intact: steps \[10\]"):
        train_and_evaluate(config, tmp_path / "full")
    monkeypatch.undo()
    state, _ = _final_state(tmp_path / "full")
    assert int(state.step) == 10
    # Space freed, the same run resumes and ends as one that never ran out.
    resumed = train_and_evaluate(config, tmp_path / "full")
    unbroken = train_and_evaluate(config, tmp_path / "unbroken")
    assert resumed == {**unbroken, "sample": resumed["sample"]}
    jax.tree.map(np.testing.assert_array_equal, _final_state(tmp_path / "full")[0].params,
                 _final_state(tmp_path / "unbroken")[0].params)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_processes_train_together(tmp_path, data_dir):
    """jax.distributed over localhost: one mesh over both processes' devices,
    each process reading its own half of the data, learning from the
    quickstart's teacher."""
    port = _free_port()
    runs = [subprocess.Popen(
        [sys.executable, str(ROOT / "experiments/quickstart.py"), f"--workdir={tmp_path}",
         f"--config.data.data_dir={data_dir}", *OVERRIDES, "--config.num_steps=40",
         "--config.eval_every_steps=20", f"--coordinator=127.0.0.1:{port}",
         "--num_processes=2", f"--process_id={i}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=dict(os.environ, JAX_PLATFORMS="cpu")) for i in range(2)]
    outputs = [run.communicate(timeout=600)[0] for run in runs]
    for run, output in zip(runs, outputs):
        assert run.returncode == 0, output
    assert "SI-SNRi" in outputs[0] and "SI-SNRi" not in outputs[1]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["test_examples"] == 18  # both halves of the test split were scored
    assert summary["last_step"] == 40 and np.isfinite(summary["test_si_snr"])
    state, _ = _final_state(tmp_path)
    assert int(state.step) == 40 and int(state.skipped) == 0


def test_when_one_process_dies_the_other_stops_and_the_run_resumes(tmp_path, data_dir):
    """A multi-process run loses process 1 (SIGKILL): process 0 stops with an
    error within the heartbeat timeout instead of waiting for it forever, and
    the same command on both resumes the run (to a nearer end here). The resumed
    run keeps the default timeout: two processes testing on two busy cores can
    miss 5 s of heartbeats without anything having died."""
    def launch(num_steps, port, heartbeat_timeout):
        return [subprocess.Popen(
            [sys.executable, str(ROOT / "experiments/quickstart.py"), f"--workdir={tmp_path}",
             f"--config.data.data_dir={data_dir}", *OVERRIDES, f"--config.num_steps={num_steps}",
             "--config.eval_every_steps=20", f"--coordinator=127.0.0.1:{port}",
             "--config.loss.teacher=",  # the smallest run: faults, not the teacher
             "--num_processes=2", f"--process_id={i}",
             f"--heartbeat_timeout={heartbeat_timeout}"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env=dict(os.environ, JAX_PLATFORMS="cpu")) for i in range(2)]

    runs = launch(300, _free_port(), heartbeat_timeout=5)
    deadline = time.time() + 300
    while not any(p.name.isdigit() for p in (tmp_path / "checkpoints").glob("*")):
        assert all(r.poll() is None for r in runs) and time.time() < deadline
        time.sleep(0.05)
    runs[1].send_signal(signal.SIGKILL)
    killed_at = time.time()
    output, _ = runs[0].communicate(timeout=120)
    assert runs[0].returncode != 0 and time.time() - killed_at < 60, output
    assert "most likely indicates that another task died" in output  # JAX's words
    runs[1].wait()

    runs = launch(40, _free_port(), heartbeat_timeout=100)
    outputs = [run.communicate(timeout=600)[0] for run in runs]
    for run, output in zip(runs, outputs):
        assert run.returncode == 0, output
    assert "resumed from step" in outputs[0]
    assert json.loads((tmp_path / "summary.json").read_text())["last_step"] == 40


def test_fine_tuning_an_imported_model_raises_its_validation_si_snr(tmp_path, data_dir):
    """--config.init_from: the model config and parameters are the source's (an
    Asteroid file here), the optimizer fresh, and the record says where it started."""
    from data_pipelines.prepare import prepare
    from tasnet_jax import inference
    from tasnet_jax.evaluate import eval_batches, evaluate, make_eval_step
    from tasnet_jax.train import model_from_source

    from test_convert import asteroid_package, torch

    # A speech-only model, as Asteroid's published denoisers are (enh_single).
    _, package = asteroid_package(n_src=1, n_filters=32, bn_chan=16, hid_chan=32, skip_chan=16,
                                  n_blocks=3, n_repeats=1, kernel_size=32, stride=16)
    source = tmp_path / "imported.pth"
    torch.save(package, source)
    imported = inference.load(source)
    corpus = prepare("tiny_noisy_speech", data_dir, None, None)
    mesh = make_mesh(jax.devices()[:1])
    before = evaluate(make_eval_step(ConvTasNet(imported.config), mesh), imported.variables,
                      eval_batches(corpus, "validation", 4, 16000), mesh)["si_snr"]

    workdir = tmp_path / "tuned"
    done = subprocess.run(
        [sys.executable, str(ROOT / "experiments/quickstart.py"), f"--workdir={workdir}",
         f"--config.data.data_dir={data_dir}", f"--config.init_from={source}",
         "--config.mixing.segment_seconds=0.25", "--config.global_batch_size=4",
         "--config.num_steps=40", "--config.eval_every_steps=20",
         "--config.checkpoint_every_steps=20", "--config.log_every_steps=10",
         "--config.optim.learning_rate=3e-3", "--config.model.remat=True"],
        capture_output=True, text=True, env=dict(os.environ, JAX_PLATFORMS="cpu"), timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    history = [json.loads(line) for line in (workdir / "history.jsonl").read_text().splitlines()]
    after = [h["val_si_snr"] for h in history if "val_si_snr" in h]
    assert len(after) == 2 and after[-1] > before + 1.0
    checkpoints = Checkpoints(workdir / "checkpoints", asynchronous=False)
    record = checkpoints.read_record(checkpoints.latest_step())
    checkpoints.close()
    assert record["started_from"] == {"source": str(source), "step": None}
    model = record["config"]["model"]
    assert (model["n_src"], model["filter_length"], model["remat"]) == (1, 32, True)

    sys.path.insert(0, str(ROOT / "experiments"))
    from quickstart import get_config

    config = get_config()
    config.init_from, config.model.n_filters = str(source), 64
    with pytest.raises(ValueError, match=f"config.model.n_filters=64 contradicts the model of "
                                         f"init_from={source}, whose n_filters is 32"):
        model_from_source(config, given=["n_filters"])


def test_extra_corpora_are_checked_then_prepared(recorded_builder, recorded_root):
    builder = recorded_builder[0]
    entry = dict(corpus="recorded_voices", manual_dir=str(recorded_root),
                 data_dir=builder.data_dir_root, speech=0.5, noise=0)
    [(prepared, split, speech, noise)] = extra_corpora([entry])
    assert (prepared.info.full_name, split, speech, noise) == (builder.info.full_name, "train",
                                                                0.5, 0.0)
    bad = {"config.data.extra\\[0\\]=.*needs \\['corpus', 'noise', 'speech'\\]":
           dict(corpus="recorded_voices", weight=1.0),
           "config.data.extra\\[0\\]=.*may have": {**entry, "shuffle": True},
           "config.data.extra\\[0\\].noise=-1: a weight must be >= 0": {**entry, "noise": -1},
           "config.data.extra\\[0\\]: speech and noise weights are both 0":
           {**entry, "speech": 0}}
    for message, wrong in bad.items():
        with pytest.raises(ValueError, match=message):
            extra_corpora([wrong])


def test_a_wrong_input_priority_is_named(tmp_path):
    from tasnet_jax.configs import default_config

    config = default_config()
    config.data.input_priority = "low"
    with pytest.raises(ValueError, match="config.data.input_priority='low': one of "
                                         "\\('idle', 'normal'\\)"):
        train_and_evaluate(config, tmp_path)
    assert not any(tmp_path.iterdir())  # nothing written for a run that never began


def test_a_wrong_teacher_setting_is_named(tmp_path):
    from tasnet_jax.configs import default_config

    config = default_config()
    config.loss.teacher_weight = 1.5
    with pytest.raises(ValueError, match="config.loss.teacher_weight=1.5: .* in \\[0, 1\\]"):
        train_and_evaluate(config, tmp_path)
    config = default_config()
    config.loss.teacher, config.loss.pit = str(ROOT / "pretrained/embedded_robust"), True
    with pytest.raises(ValueError, match="config.loss.teacher with config.loss.pit"):
        train_and_evaluate(config, tmp_path)
    assert not any(tmp_path.iterdir())
