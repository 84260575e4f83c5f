"""The mean of a run's checkpoints: which steps, the numbers, and what is refused."""
import jax
import numpy as np
import pytest

from tasnet_jax import inference
from tasnet_jax.averaging import average_run
from tasnet_jax.cli import main


@pytest.fixture(scope="module")
def run(make_run):
    """Four checkpoints of different random parameters; step 40 has no score."""
    return make_run({10: 3.0, 20: 5.0, 30: 4.0, 40: None})


def numpy_mean(states, steps):
    leaves = [jax.tree.leaves(states[step].params) for step in steps]
    return [np.mean([np.asarray(leaf[i], np.float64) for leaf in leaves], axis=0)
            for i in range(len(leaves[0]))]


@pytest.mark.parametrize("options,steps", [
    (dict(), [10, 20, 30]),  # every scored checkpoint
    (dict(best=2), [20, 30]),  # the two highest scores
    (dict(steps=[40, 10]), [10, 40]),  # as asked, newest last
])
def test_the_averaged_run_holds_the_mean_of_the_chosen_steps(run, tmp_path, options, steps):
    workdir, model, states = run
    folder, chosen = average_run(workdir, tmp_path / "mean", **options)
    assert chosen == steps
    denoiser = inference.load(folder.parent, match_level=False)
    assert denoiser.step == steps[-1]
    for got, want in zip(jax.tree.leaves(denoiser.variables["params"]),
                         numpy_mean(states, steps)):
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    wav = np.random.default_rng(0).standard_normal(800).astype(np.float32)
    want = model.apply({"params": jax.tree.map(np.asarray, denoiser.variables["params"])},
                       wav[None])[0]
    np.testing.assert_allclose(denoiser(wav), want, atol=1e-6)


def test_bad_choices_are_named(run, tmp_path):
    workdir, _, _ = run
    with pytest.raises(ValueError, match=r"no checkpoint of step\(s\) \[5\]; it keeps steps "
                                         r"\[10, 20, 30, 40\]"):
        average_run(workdir, tmp_path / "a", steps=[5, 10])
    with pytest.raises(ValueError, match=r"keeps 3 checkpoint\(s\) with a validation score "
                                         r"\(steps \[10, 20, 30\]\), fewer than best=4"):
        average_run(workdir, tmp_path / "b", best=4)
    with pytest.raises(ValueError, match="at least two checkpoints"):
        average_run(workdir, tmp_path / "c", best=1)
    with pytest.raises(ValueError, match="best must be at least 1, got 0"):
        average_run(workdir, tmp_path / "d", best=0)
    with pytest.raises(FileNotFoundError, match="no checkpoints at"):
        average_run(tmp_path / "nothing", tmp_path / "e")
    assert not any((tmp_path / name).exists() for name in "abcde")


def test_checkpoints_of_two_model_configs_are_refused(make_run, tmp_path):
    """The same tree of parameters, another config: the mean would mean nothing."""
    import shutil

    narrow, _, _ = make_run({1: 1.0})
    causal, _, _ = make_run({2: 2.0}, causal=True, norm="cumulative")
    shutil.copytree(causal / "checkpoints" / "2", narrow / "checkpoints" / "2")
    with pytest.raises(ValueError, match=r"checkpoints/1 holds a model of another config "
                                         r"than step 2"):
        average_run(narrow, tmp_path / "mean")


def test_the_command_writes_the_run_and_refuses_an_existing_one(run, tmp_path, capsys):
    workdir, _, _ = run
    assert main(["average", str(workdir), str(tmp_path / "mean"), "--best", "2"]) == 0
    assert "the mean of steps [20, 30]" in capsys.readouterr().err
    assert main(["average", str(workdir), str(tmp_path / "mean")]) == 2
    assert "already holds checkpoints" in capsys.readouterr().err
