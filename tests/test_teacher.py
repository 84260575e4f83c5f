"""Distillation: a teacher's estimates as a second target, its loss share, and
teachers that cannot teach this model."""
import numpy as np
import pytest

from tasnet_jax.configs import ConvTasNetConfig
from tasnet_jax.inference import load
from tasnet_jax.teacher import load_teacher, taught
from tasnet_jax.train import _training_loss


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


def test_a_teacher_adds_its_estimates_to_each_batch(make_run):
    workdir, _, _ = make_run()
    teacher = load(workdir)
    teach = load_teacher(workdir, teacher.config)
    rng = np.random.default_rng(1)
    batch = {"mixture": rng.standard_normal((2, 3200)).astype(np.float32),
             "sources": np.zeros((2, 2, 3200), np.float32), "length": np.array([3200, 2400])}
    [out] = list(taught(iter([batch]), teach))
    assert set(out) == {"mixture", "sources", "length", "teacher"}
    # What the teacher's own denoiser gives for the second example alone, unpadded.
    alone = teacher.separate([batch["mixture"][1, :2400]])[0]
    assert out["teacher"].shape == (2, 2, 3200)
    # The denoiser also gives its outputs the input's level and sign: one gain.
    raw = out["teacher"][1, :, :2384]
    gain = np.sum(raw * alone[:, :2384]) / np.sum(raw * raw)
    np.testing.assert_allclose(gain * raw, alone[:, :2384], atol=1e-3)


def test_teachers_that_cannot_teach_are_named(make_run):
    workdir, _, _ = make_run()
    model = load(workdir).config
    for field, value in (("n_src", 3), ("sample_rate", 8000)):
        wrong = ConvTasNetConfig(**{**model.__dict__, field: value})
        with pytest.raises(ValueError, match=f"config.loss.teacher=.*its {field} is "):
            load_teacher(workdir, wrong)
