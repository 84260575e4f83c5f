"""Distillation: a teacher's estimates as a second target, its loss share, and
teachers that cannot teach this model."""
import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from tasnet_jax.configs import ConvTasNetConfig
from tasnet_jax.inference import load
from tasnet_jax.model import ConvTasNet, small_config
from tasnet_jax.optim import OptimConfig, make_optimizer
from tasnet_jax.parallel import global_batch, make_mesh
from tasnet_jax.step import create_train_state, jit_train_step
from tasnet_jax.teacher import load_teacher
from tasnet_jax.train import _training_loss

from conftest import TINY_MODEL


def _np_si_snr(est, tgt):
    est, tgt = est - est.mean(), tgt - tgt.mean()
    s = np.dot(est, tgt) / np.dot(tgt, tgt) * tgt
    return 10 * np.log10(np.dot(s, s) / np.dot(est - s, est - s))


def test_the_loss_shares_itself_between_the_sources_and_the_teacher():
    rng = np.random.default_rng(0)
    sources, teacher = rng.standard_normal((2, 3, 2, 400)).astype(np.float32)
    estimates = (sources + 0.5 * teacher).astype(np.float32)

    def np_loss(target):
        return np.array([-np.mean([_np_si_snr(e.astype(np.float64), t.astype(np.float64))
                                   for e, t in zip(eb, tb)]) for eb, tb in zip(estimates, target)])

    for weight in (0.0, 0.3, 1.0):
        got = _training_loss(estimates, sources, None, teacher=teacher, teacher_weight=weight)
        np.testing.assert_allclose(got, (1 - weight) * np_loss(sources) + weight * np_loss(teacher),
                                   rtol=1e-4)
    np.testing.assert_allclose(_training_loss(estimates, sources, None), np_loss(sources),
                               rtol=1e-4)


def test_the_step_learns_from_what_the_teachers_denoiser_makes_of_the_batch(make_run):
    """The step's loss with a teacher, against numpy SI-SNR of the student's
    estimates with the true sources and with the estimates that the teacher's
    own denoiser gives for each unpadded example."""
    workdir, _, _ = make_run()
    config = small_config(**TINY_MODEL)
    mesh = make_mesh(jax.devices()[:1])
    model, optimizer = ConvTasNet(config), make_optimizer(OptimConfig())
    state = create_train_state(model, optimizer, jax.random.key(7), jnp.zeros((1, 3200)), mesh)
    rng = np.random.default_rng(1)
    lengths = np.array([3200, 2400], np.int32)
    sources = rng.standard_normal((2, 2, 3200)).astype(np.float32)
    sources[1, :, 2400:] = 0
    batch = {"mixture": sources.sum(1), "sources": sources, "length": lengths}
    student = np.asarray(model.apply(state.variables(), batch["mixture"], lengths))
    by_teacher = load(workdir).separate([m[:n] for m, n in zip(batch["mixture"], lengths)])

    teacher = load_teacher(workdir, config, mesh)
    step = jit_train_step(model, optimizer, functools.partial(_training_loss, teacher_weight=0.3),
                          mesh, teacher)
    _, metrics = step(state, global_batch(batch, mesh), teacher.variables)

    def np_loss(targets):
        return np.mean([-np.mean([_np_si_snr(e[:n].astype(np.float64), t[:n].astype(np.float64))
                                  for e, t in zip(est, tgt)])
                        for est, tgt, n in zip(student, targets, lengths)])
    expected = 0.7 * np_loss(sources) + 0.3 * np_loss(by_teacher)
    np.testing.assert_allclose(float(metrics["loss"]), expected, rtol=1e-3)


def test_teachers_that_cannot_teach_are_named(make_run):
    workdir, _, _ = make_run()
    model = load(workdir).config
    for field, value in (("n_src", 3), ("sample_rate", 8000)):
        wrong = ConvTasNetConfig(**{**model.__dict__, field: value})
        with pytest.raises(ValueError, match=f"config.loss.teacher=.*its {field} is "):
            load_teacher(workdir, wrong, make_mesh())
