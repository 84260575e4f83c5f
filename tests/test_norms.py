"""Norm layers against numpy formulas written from the paper's definitions."""
import jax
import numpy as np
import pytest

from tasnet_jax.norms import EPS, make_norm

B, T, C = 3, 11, 5


@pytest.fixture(scope="module")
def x():
    return np.random.RandomState(0).randn(B, T, C).astype(np.float32) * 3 + 1


def _apply(kind, x, train=False, scale=None, bias=None):
    layer = make_norm(kind, train, name="n")
    variables = layer.init(jax.random.key(0), x)
    params = dict(variables["params"])
    if scale is not None:
        params["scale"], params["bias"] = scale, bias
    variables = {**variables, "params": params}
    if train:
        out, updates = layer.apply(variables, x, mutable=["batch_stats"])
        return np.asarray(out), updates
    return np.asarray(layer.apply(variables, x))


def _gain(rng):
    return rng.randn(C).astype(np.float32), rng.randn(C).astype(np.float32)


def _numpy_global_norm(x, scale, bias, real_frames):
    """gLN in float64 with statistics over each example's first real_frames[b] frames."""
    out = np.empty_like(x)
    for b, frames in enumerate(real_frames):
        real = x[b, :frames]
        out[b] = (x[b] - real.mean()) / np.sqrt(real.var() + EPS) * scale + bias
    return out


def _numpy_cumulative_norm(x, scale, bias):
    out = np.empty_like(x)
    for t in range(x.shape[1]):
        past = x[:, :t + 1].reshape(x.shape[0], -1)
        out[:, t] = ((x[:, t] - past.mean(1)[:, None]) / np.sqrt(past.var(1)[:, None] + EPS)
                     * scale + bias)
    return out


def test_global_norm_uses_one_mean_and_variance_per_example(x):
    scale, bias = _gain(np.random.RandomState(1))
    want = _numpy_global_norm(x, scale, bias, (T,) * B)
    np.testing.assert_allclose(_apply("global", x, scale=scale, bias=bias), want, atol=1e-5)


def test_channel_norm_normalizes_each_frame_alone(x):
    scale, bias = _gain(np.random.RandomState(2))
    want = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + EPS)
    np.testing.assert_allclose(_apply("channel", x, scale=scale, bias=bias),
                               want * scale + bias, atol=1e-5)


def test_cumulative_norm_uses_statistics_of_frames_up_to_t(x):
    scale, bias = _gain(np.random.RandomState(3))
    np.testing.assert_allclose(_apply("cumulative", x, scale=scale, bias=bias),
                               _numpy_cumulative_norm(x, scale, bias), atol=1e-5)


def test_cumulative_norm_of_a_constant_signal_is_finite():
    # E[x^2] - E[x]^2 rounds below zero here without the clamp.
    x = np.full((1, 50, 4), 1234.567, np.float32)
    assert np.isfinite(_apply("cumulative", x)).all()


def test_batch_norm_uses_batch_statistics_in_training_and_running_ones_at_eval(x):
    out, updates = _apply("batch", x, train=True)
    flat = x.reshape(-1, C)
    want = (x - flat.mean(0)) / np.sqrt(flat.var(0) + 1e-5)
    np.testing.assert_allclose(out, want, atol=1e-4)
    # torch's momentum 0.1 == Flax's 0.9 from running mean 0 and variance 1.
    stats = updates["batch_stats"]
    np.testing.assert_allclose(stats["mean"], 0.1 * flat.mean(0), atol=1e-5)
    np.testing.assert_allclose(stats["var"], 0.9 + 0.1 * flat.var(0), atol=1e-4)
    # Fresh running statistics (0, 1) leave the input unchanged at eval.
    np.testing.assert_allclose(_apply("batch", x), x / np.sqrt(1 + 1e-5), atol=1e-5)


def test_unknown_norm_is_named_in_the_error():
    with pytest.raises(ValueError, match="'layer'"):
        make_norm("layer", False, name="n")


def _finite_difference_gradients(loss, args, step=1e-4):
    """Central differences of a float64 numpy `loss` by every element of every arg."""
    args = [a.astype(np.float64) for a in args]
    grads = []
    for i, arg in enumerate(args):
        grad = np.zeros_like(arg)
        for index in np.ndindex(arg.shape):
            up, down = [a.copy() for a in args], [a.copy() for a in args]
            up[i][index] += step
            down[i][index] -= step
            grad[index] = (loss(*up) - loss(*down)) / (2 * step)
        grads.append(grad)
    return grads


@pytest.mark.parametrize("kind,real_frames", [
    ("global", None), ("global", (T, 4, 7)), ("cumulative", None)])
def test_norm_gradients_match_finite_differences(x, kind, real_frames):
    """gLN's hand-written backward pass and cLN's automatic one against central
    differences of the numpy formulas."""
    import jax.numpy as jnp

    from tasnet_jax.norms import CumulativeLayerNorm, global_norm

    rng = np.random.RandomState(5)
    scale, bias = _gain(rng)
    upstream = rng.randn(B, T, C)
    frames = real_frames or (T,) * B
    if kind == "global":
        weight = None if real_frames is None else (
            np.arange(T)[None, :] < np.array(frames)[:, None]).astype(np.float32)
        norm, numpy_norm = (lambda *a: global_norm(*a, weight),
                            lambda *a: _numpy_global_norm(*a, frames))
    else:
        def norm(x, scale, bias):
            return CumulativeLayerNorm().apply({"params": {"scale": scale, "bias": bias}}, x)
        numpy_norm = _numpy_cumulative_norm

    want = _finite_difference_gradients(
        lambda *a: np.sum(numpy_norm(*a) * upstream), (x, scale, bias))
    got = jax.grad(lambda *a: jnp.sum(norm(*a) * upstream), argnums=(0, 1, 2))(x, scale, bias)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, atol=2e-3 * np.abs(w).max())


@pytest.mark.parametrize("real_frames,with_bias", [(None, True), ((T, 4, 7), True),
                                                   ((T, 4, 7), False)])
def test_prelu_global_norm_matches_numpy_values_and_gradients(x, real_frames, with_bias):
    """The fused gLN(PReLU(h + bias)) against float64 numpy: outputs, and its
    hand-written gradients for every input against central differences."""
    import jax.numpy as jnp

    from tasnet_jax.norms import prelu_global_norm

    rng = np.random.RandomState(7)
    scale, shift = _gain(rng)
    bias = rng.randn(C).astype(np.float32)
    slope = np.float32(0.3)
    upstream = rng.randn(B, T, C)
    frames = real_frames or (T,) * B
    weight = None if real_frames is None else (
        np.arange(T)[None, :] < np.array(frames)[:, None]).astype(np.float32)

    def numpy_op(h, bias, slope, scale, shift):
        z = h + bias if with_bias else h
        return _numpy_global_norm(np.where(z >= 0, z, slope * z), scale, shift, frames)

    def op(h, bias, slope, scale, shift):
        return prelu_global_norm(h, bias if with_bias else None, slope, scale, shift, weight)

    args = (x, bias, np.array(slope, np.float64), scale, shift)
    np.testing.assert_allclose(op(*args[:2], slope, *args[3:]), numpy_op(*args),
                               atol=1e-5, rtol=1e-5)
    want = _finite_difference_gradients(lambda *a: np.sum(numpy_op(*a) * upstream), args)
    got = jax.grad(lambda *a: jnp.sum(op(*a) * upstream), argnums=(0, 1, 2, 3, 4))(
        x, bias, slope, scale, shift)
    for name, g, w in zip(("h", "bias", "slope", "scale", "shift"), got, want):
        if name == "bias" and not with_bias:
            continue
        np.testing.assert_allclose(g, w, atol=2e-3 * np.abs(w).max(), err_msg=name)
