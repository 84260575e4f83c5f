"""Damaged checkpoints: moved aside and named, never a silent start from step 0."""
import pytest

from tasnet_jax.checkpoints import Checkpoints


def _damage(step_dir):
    largest = max((p for p in step_dir.rglob("*") if p.is_file()), key=lambda p: p.stat().st_size)
    largest.write_bytes(largest.read_bytes()[:100])


def test_the_newest_intact_checkpoint_is_restored_and_all_damaged_is_an_error(make_run):
    workdir, _, states = make_run({3: 1.0, 6: 2.0})
    checkpoints = Checkpoints(workdir / "checkpoints", asynchronous=False)
    _damage(workdir / "checkpoints" / "6")
    with pytest.warns(UserWarning, match="checkpoint 6 in .* is damaged and was moved to "
                                         "6.damaged"):
        step, state, record = checkpoints.restore_newest_intact(states[3])
    assert step == 3 and checkpoints.steps() == [3] and int(state.step) == int(states[3].step)
    _damage(workdir / "checkpoints" / "3")
    with pytest.warns(UserWarning), pytest.raises(RuntimeError, match=r"every checkpoint in .* "
                                                  r"is damaged \(steps \[3\]"):
        checkpoints.restore_newest_intact(states[3])
    checkpoints.close()
    assert sorted(p.name for p in (workdir / "checkpoints").iterdir()) == ["3.damaged",
                                                                          "6.damaged"]


def test_a_state_of_another_layout_is_named_not_moved_aside_and_its_model_loads(make_run,
                                                                                 tmp_path):
    """A run saved with the optimizer state laid out per parameter (before it
    became one vector): resuming it is refused by name, the checkpoint stays
    where it is, and its model still loads for inference."""
    import dataclasses

    import jax
    import jax.numpy as jnp
    import numpy as np

    from tasnet_jax import inference
    from tasnet_jax.optim import OptimConfig, Plateau, make_optimizer
    from tasnet_jax.parallel import make_mesh
    from tasnet_jax.step import create_train_state

    workdir, model, states = make_run()
    per_parameter = make_optimizer(OptimConfig(), one_vector=False)
    old = create_train_state(model, per_parameter, jax.random.key(7), jnp.zeros((1, 16)),
                             make_mesh(jax.devices()[:1]))
    record = Checkpoints(workdir / "checkpoints", asynchronous=False).read_record(1)
    checkpoints = Checkpoints(tmp_path / "checkpoints", asynchronous=False)
    checkpoints.save(5, old, {**record, "plateau": dataclasses.asdict(Plateau())})
    with pytest.raises(ValueError, match=r"checkpoint 5 in .* is intact but holds a training "
                                         r"state of another layout"):
        checkpoints.restore_newest_intact(states[1])
    assert checkpoints.steps() == [5]
    checkpoints.close()
    loaded = inference.load(tmp_path)
    jax.tree.map(np.testing.assert_array_equal, loaded.variables["params"],
                 jax.tree.map(np.asarray, old.params))
