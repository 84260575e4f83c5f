"""Losses against numpy formulas, known values and the awkward cases."""
import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from tasnet_jax import losses


def _np_si_snr(est, tgt):
    est, tgt = est - est.mean(), tgt - tgt.mean()
    s = np.dot(est, tgt) / np.dot(tgt, tgt) * tgt
    return 10 * np.log10(np.dot(s, s) / np.dot(est - s, est - s))


@pytest.fixture(scope="module")
def signals():
    rng = np.random.RandomState(0)
    targets = rng.randn(4, 2, 300).astype(np.float32)
    estimates = (targets + 0.5 * rng.randn(4, 2, 300)).astype(np.float32)
    return estimates, targets


def test_si_snr_matches_numpy(signals):
    est, tgt = signals
    want = np.array([[_np_si_snr(e.astype(np.float64), t.astype(np.float64))
                      for e, t in zip(eb, tb)] for eb, tb in zip(est, tgt)])
    np.testing.assert_allclose(jax.jit(losses.si_snr)(est, tgt), want, atol=1e-4)


def test_si_snr_known_value_and_invariances():
    rng = np.random.RandomState(1)
    target = rng.randn(1000)
    noise = rng.randn(1000)
    target -= target.mean()
    noise -= noise.mean()
    noise -= np.dot(noise, target) / np.dot(target, target) * target  # orthogonal to target
    noise *= np.sqrt(np.dot(target, target) / np.dot(noise, noise) / 10)  # 10 dB below it
    est = (target + noise)[None].astype(np.float32)
    target = target[None].astype(np.float32)
    np.testing.assert_allclose(losses.si_snr(est, target), [10.0], atol=1e-3)
    # Scale and offset of the estimate do not matter.
    np.testing.assert_allclose(losses.si_snr(3.0 * est + 0.7, target), [10.0], atol=1e-3)


def test_snr_known_value():
    target = np.ones((1, 100), np.float32)
    est = target + 0.1  # error energy 1 per 100 units of signal: 20 dB
    np.testing.assert_allclose(losses.snr(est, target), [20.0], atol=1e-3)


def test_padding_is_ignored(signals):
    est, tgt = signals
    length = np.array([300, 200, 123, 17])
    padded_est, padded_tgt = est.copy(), tgt.copy()
    for b, n in enumerate(length):  # garbage in the padding must not count
        padded_est[b, :, n:] = 100.0
        padded_tgt[b, :, n:] = -50.0
    got_si = jax.jit(losses.si_snr)(padded_est, padded_tgt, length)
    got_snr = losses.snr(padded_est, padded_tgt, length)
    got_loss = losses.neg_si_snr(padded_est, padded_tgt, length)
    for b, n in enumerate(length):
        np.testing.assert_allclose(got_si[b], losses.si_snr(est[b, :, :n], tgt[b, :, :n]),
                                   atol=1e-4)
        np.testing.assert_allclose(got_snr[b], losses.snr(est[b, :, :n], tgt[b, :, :n]),
                                   atol=1e-4)
        np.testing.assert_allclose(
            got_loss[b], losses.neg_si_snr(est[b:b + 1, :, :n], tgt[b:b + 1, :, :n])[0],
            atol=1e-4)


def test_fixed_order_loss_is_weighted_mean_of_negative_si_snr(signals):
    est, tgt = signals
    per_source = np.asarray(losses.si_snr(est, tgt))
    np.testing.assert_allclose(losses.neg_si_snr(est, tgt), -per_source.mean(1), atol=1e-5)
    np.testing.assert_allclose(losses.neg_si_snr(est, tgt, weights=[3.0, 1.0]),
                               -(3 * per_source[:, 0] + per_source[:, 1]) / 4, atol=1e-5)


def test_fixed_order_punishes_swapped_sources_and_pit_does_not(signals):
    est, tgt = signals
    swapped = est[:, ::-1]
    assert np.all(losses.neg_si_snr(swapped, tgt) > losses.neg_si_snr(est, tgt) + 10)
    np.testing.assert_allclose(losses.neg_si_snr(swapped, tgt, pit=True),
                               losses.neg_si_snr(est, tgt), atol=1e-5)


def test_pit_takes_the_best_of_all_permutations():
    rng = np.random.RandomState(2)
    tgt = rng.randn(5, 3, 200).astype(np.float32)
    est = (tgt + rng.randn(5, 3, 200)).astype(np.float32)
    perms = [rng.permutation(3) for _ in range(5)]
    shuffled = np.stack([e[p] for e, p in zip(est, perms)])
    want = [min(-np.mean([_np_si_snr(s[p[i]].astype(np.float64), t[i].astype(np.float64))
                          for i in range(3)])
                for p in itertools.permutations(range(3))) for s, t in zip(shuffled, tgt)]
    np.testing.assert_allclose(jax.jit(losses.neg_si_snr, static_argnames="pit")(
        shuffled, tgt, pit=True), want, atol=1e-4)
    best = np.asarray(losses.best_permutation(shuffled, tgt))
    reordered = np.stack([s[p] for s, p in zip(shuffled, best)])
    np.testing.assert_array_equal(reordered, est)


@pytest.mark.parametrize("case", ["silent target", "silent estimate", "all zero"])
def test_silence_gives_finite_values_and_gradients(case, signals):
    est, tgt = (np.array(x) for x in signals)
    if case in ("silent target", "all zero"):
        tgt[0] = 0.0
    if case in ("silent estimate", "all zero"):
        est[0] = 0.0
    for pit in (False, True):
        loss_fn = lambda e: jnp.mean(losses.neg_si_snr(e, tgt, pit=pit))  # noqa: E731
        value, grad = jax.jit(jax.value_and_grad(loss_fn))(est)
        assert np.isfinite(value) and np.all(np.isfinite(grad)), (case, pit)
    assert np.all(np.isfinite(losses.snr(est, tgt)))


def test_empty_example_in_a_padded_batch_is_finite(signals):
    est, tgt = signals
    value, grad = jax.value_and_grad(
        lambda e: jnp.mean(losses.neg_si_snr(e, tgt, length=np.array([0, 300, 300, 1]))))(est)
    assert np.isfinite(value) and np.all(np.isfinite(grad))


def test_bad_arguments_say_what_is_wrong(signals):
    est, tgt = signals
    with pytest.raises(ValueError, match="one value per source"):
        losses.neg_si_snr(est, tgt, weights=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="weights mean nothing under PIT"):
        losses.neg_si_snr(est, tgt, weights=[1.0, 1.0], pit=True)
    with pytest.raises(ValueError, match=r"\[batch, n_src, samples\]"):
        losses.neg_si_snr(est[:, 0], tgt[:, 0])
