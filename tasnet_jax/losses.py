"""SNR metrics and the Conv-TasNet training loss, as pure array functions.

Signals are [..., samples] with the batch first. `length` ([batch] ints) marks
how many samples of each example are real; the rest is padding and ignored.
Metrics return one value per signal in dB; losses return one value per
example and leave the batch reduction to the caller (optax style).

SI-SNR (Le Roux et al., "SDR - half-baked or well done?", 2019):
    s = <x, t> t / |t|^2,  e = x - s,  SI-SNR = 10 log10(|s|^2 / |e|^2)
on zero-mean x (estimate) and t (target). EPS keeps silent signals finite,
with the same placement as Asteroid's `SingleSrcNegSDR`.
"""
import itertools

import jax.numpy as jnp
import numpy as np

EPS = 1e-8


def _valid_samples(length, shape, dtype):
    """1 for real samples and 0 for padding, broadcastable to `shape`, and the count."""
    if length is None:
        return jnp.ones((), dtype), shape[-1]
    length = jnp.asarray(length).reshape((shape[0],) + (1,) * (len(shape) - 1))
    mask = (jnp.arange(shape[-1]) < length).astype(dtype)
    return mask, jnp.maximum(length, 1).astype(dtype)


def _energy(x):
    return jnp.sum(jnp.square(x), axis=-1)


def si_snr(estimate, target, length=None):
    """Scale-invariant SNR in dB, [..., samples] -> [...]."""
    mask, count = _valid_samples(length, jnp.broadcast_shapes(estimate.shape, target.shape),
                                 estimate.dtype)
    estimate = estimate * mask
    target = target * mask
    estimate = (estimate - jnp.sum(estimate, -1, keepdims=True) / count) * mask
    target = (target - jnp.sum(target, -1, keepdims=True) / count) * mask
    dot = jnp.sum(estimate * target, axis=-1, keepdims=True)
    projection = dot * target / (_energy(target)[..., None] + EPS)
    ratio = _energy(projection) / (_energy(estimate - projection) + EPS)
    return 10 * jnp.log10(ratio + EPS)


def snr(estimate, target, length=None):
    """Plain SNR in dB, 10 log10(|t|^2 / |t - x|^2), [..., samples] -> [...]."""
    mask, _ = _valid_samples(length, jnp.broadcast_shapes(estimate.shape, target.shape),
                             estimate.dtype)
    ratio = _energy(target * mask) / (_energy((target - estimate) * mask) + EPS)
    return 10 * jnp.log10(ratio + EPS)


def pairwise_si_snr(estimates, targets, length=None):
    """[batch, n_src, samples] x2 -> [batch, n_est, n_tgt]: SI-SNR of every pairing."""
    return si_snr(estimates[:, :, None], targets[:, None, :], length)


def _permutation_scores(estimates, targets, length):
    """Mean SI-SNR of each permutation: [batch, n_perms], and the permutations."""
    n_src = targets.shape[1]
    perms = np.array(list(itertools.permutations(range(n_src))))  # [n_perms, n_src]
    pairwise = pairwise_si_snr(estimates, targets, length)
    # Permutation p assigns estimate perms[p, s] to target s.
    return pairwise[:, perms, np.arange(n_src)].mean(-1), perms


def best_permutation(estimates, targets, length=None):
    """[batch, n_src] indices such that estimates[b, perm[b]] best matches targets[b]."""
    scores, perms = _permutation_scores(estimates, targets, length)
    return jnp.asarray(perms)[jnp.argmax(scores, axis=-1)]


def neg_si_snr(estimates, targets, length=None, weights=None, pit=False):
    """Training loss, [batch, n_src, samples] x2 -> [batch].

    Denoising keeps sources in a fixed order (speech, noise), so the default
    compares estimate s with target s and averages over sources, each with its
    `weights[s]` (default equal). `pit=True` instead takes, per example, the
    best assignment of estimates to targets (permutation-invariant training for
    speaker separation; n_src! permutations, fine for a few sources).
    """
    if estimates.shape != targets.shape or estimates.ndim != 3:
        raise ValueError("estimates and targets must both be [batch, n_src, samples], got "
                         f"{estimates.shape} and {targets.shape}")
    if pit:
        if weights is not None:
            raise ValueError("per-source weights mean nothing under PIT: sources have no fixed "
                             "order; pass weights=None or pit=False")
        scores, _ = _permutation_scores(estimates, targets, length)
        return -jnp.max(scores, axis=-1)
    n_src = targets.shape[1]
    weights = jnp.ones(n_src) if weights is None else jnp.asarray(weights, estimates.dtype)
    if weights.shape != (n_src,):
        raise ValueError(f"weights must hold one value per source ({n_src}), got shape "
                         f"{weights.shape}")
    return -jnp.sum(si_snr(estimates, targets, length) * weights, -1) / jnp.sum(weights)
