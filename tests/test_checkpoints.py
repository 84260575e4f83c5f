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
