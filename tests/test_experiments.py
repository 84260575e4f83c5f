"""Every experiment's config names real fields with accepted values."""
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from tasnet_jax.train import _sections

EXPERIMENTS = sorted((Path(__file__).resolve().parent.parent / "experiments").glob("*.py"))


@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda p: p.stem)
def test_experiment_config_builds(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model, mixing, optim = _sections(module.get_config())
    assert model.sample_rate in (8000, 16000) and mixing.segment_seconds > 0
    assert optim.learning_rate > 0


def test_robust_experiments_turn_every_augmentation_on():
    from experiments.embedded_robust import get_config
    _, mixing, _ = _sections(get_config())
    assert mixing.max_noises > 1
    assert all(getattr(mixing, f) > 0 for f in ("speed_prob", "reverb_prob", "noise_reverb_prob",
                                                 "channel_prob", "lowpass_prob", "clip_prob"))


def test_experiment_files_import_neither_tensorflow_nor_jax():
    # launch() restarts the process for huge pages (host_memory); what the file
    # imported before that restart is paid for twice.
    script = ("import runpy, sys\n"
              "for path in sys.argv[1:]:\n"
              "    runpy.run_path(path, run_name='not_main')['get_config']()\n"
              "heavy = sorted({'tensorflow', 'jax', 'flax', 'optax', 'torch'} & set(sys.modules))\n"
              "print(','.join(heavy))\n")
    done = subprocess.run([sys.executable, "-c", script, *map(str, EXPERIMENTS)],
                          capture_output=True, text=True, check=True,
                          cwd=EXPERIMENTS[0].parent.parent)
    assert done.stdout.strip() == ""


def test_the_quickstarts_learn_from_a_shipped_teacher_the_larger_runs_do_not():
    from experiments import (embedded_robust, quickstart, quickstart_recorded, robust_foley,
                             robust_recorded)
    for small in (quickstart, quickstart_recorded):
        teacher = small.get_config().loss.teacher
        assert teacher and (Path(teacher) / "README.md").exists()  # a shipped model
    for large in (embedded_robust, robust_recorded, robust_foley):
        assert large.get_config().loss.teacher is None
