"""Model behaviour against numpy references and exact receptive-field bounds."""
import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from tasnet_jax.model import (ConvTasNet, ConvTasNetConfig, DepthwiseConv, depthwise_conv, frame,
                              overlap_add)

SMALL = ConvTasNetConfig(n_filters=16, filter_length=8, stride=4, bottleneck_channels=8,
                         hidden_channels=16, skip_channels=8, blocks_per_repeat=3, repeats=2)


def _random_variables(config, key=0, samples=256):
    """Random values for every parameter (norm gains and PReLU slopes too),
    so that no layer is an identity by accident."""
    model = ConvTasNet(config)
    variables = model.init(jax.random.key(key), jnp.zeros((1, samples)))
    leaves, tree = jax.tree.flatten(variables)
    keys = jax.random.split(jax.random.key(key + 1), len(leaves))
    leaves = [leaf + 0.3 * jax.random.normal(k, leaf.shape) for k, leaf in zip(keys, leaves)]
    variables = jax.tree.unflatten(tree, leaves)
    if "batch_stats" in variables:  # running variances must stay positive
        variables["batch_stats"] = jax.tree.map(jnp.abs, variables["batch_stats"])
    return model, variables


@pytest.mark.parametrize("length,stride", [(16, 8), (8, 8), (5, 2), (7, 3)])
def test_frame_and_overlap_add_match_numpy_loops(length, stride):
    rng = np.random.RandomState(0)
    wav = rng.randn(2, 61).astype(np.float32)
    n_frames = (61 - length) // stride + 1
    want = np.stack([wav[:, k * stride:k * stride + length] for k in range(n_frames)], 1)
    np.testing.assert_array_equal(frame(jnp.asarray(wav), length, stride), want)

    frames = rng.randn(2, 3, n_frames, length).astype(np.float32)
    want = np.zeros((2, 3, (n_frames - 1) * stride + length), np.float32)
    for k in range(n_frames):
        want[..., k * stride:k * stride + length] += frames[..., k, :]
    np.testing.assert_allclose(overlap_add(jnp.asarray(frames), stride), want, atol=1e-6)


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("dilation", [1, 4])
def test_depthwise_conv_matches_direct_convolution(causal, dilation):
    kernel_size, steps, channels = 3, 20, 4
    x = np.random.RandomState(1).randn(2, steps, channels).astype(np.float32)
    layer = DepthwiseConv(kernel_size, dilation, causal)
    variables = layer.init(jax.random.key(0), x)
    kernel = np.asarray(variables["params"]["kernel"])
    bias = np.random.RandomState(2).randn(channels).astype(np.float32)
    variables = {"params": {"kernel": kernel, "bias": bias}}
    # Tap p of output t reads input t + p*dilation - offset (zero outside).
    offset = (kernel_size - 1) * dilation // (1 if causal else 2)
    want = np.tile(bias, (2, steps, 1))
    for t in range(steps):
        for p in range(kernel_size):
            s = t + p * dilation - offset
            if 0 <= s < steps:
                want[:, t] += x[:, s] * kernel[p]
    np.testing.assert_allclose(layer.apply(variables, x), want, atol=1e-5)


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("dilation", [1, 4, 32])
def test_depthwise_conv_gradients_match_xlas_grouped_convolution(causal, dilation):
    """The written-out backward pass against autodiff through
    lax.conv_general_dilated with one group per channel (an independent
    implementation), including a dilation wider than the input."""
    kernel_size, steps, channels = 3, 20, 4
    rng = np.random.RandomState(3)
    x = rng.randn(2, steps, channels).astype(np.float32)
    kernel = rng.randn(kernel_size, channels).astype(np.float32)
    bias = rng.randn(channels).astype(np.float32)
    upstream = rng.randn(2, steps, channels).astype(np.float32)
    span = (kernel_size - 1) * dilation
    left = span if causal else span // 2

    def grouped(x, kernel, bias):
        out = jax.lax.conv_general_dilated(
            x, kernel[:, None, :], window_strides=(1,), padding=[(left, span - left)],
            rhs_dilation=(dilation,), dimension_numbers=("NWC", "WIO", "NWC"),
            feature_group_count=channels, precision="highest")
        return out + bias

    def loss(conv):
        return lambda *a: jnp.sum(conv(*a) * upstream)

    ours = functools.partial(depthwise_conv, dilation=dilation, left=left)
    np.testing.assert_allclose(ours(x, kernel, bias), grouped(x, kernel, bias), atol=1e-5)
    got = jax.grad(loss(ours), argnums=(0, 1, 2))(x, kernel, bias)
    want = jax.grad(loss(grouped), argnums=(0, 1, 2))(x, kernel, bias)
    for name, g, w in zip(("x", "kernel", "bias"), got, want):
        np.testing.assert_allclose(g, w, atol=1e-4, err_msg=name)


def test_paper_config_has_the_papers_parameter_count():
    # 5,050,545: Asteroid's ConvTasNet(n_src=2) with the same hyper-parameters.
    shapes = jax.eval_shape(ConvTasNet(ConvTasNetConfig()).init, jax.random.key(0),
                            jnp.zeros((1, 100)))
    assert sum(x.size for x in jax.tree.leaves(shapes["params"])) == 5_050_545


@pytest.mark.parametrize("samples", [8, 9, 101, 256])
def test_any_length_gives_sources_of_the_input_length(samples):
    model, variables = _random_variables(SMALL)
    wav = jax.random.normal(jax.random.key(3), (2, samples))
    out = np.asarray(model.apply(variables, wav))
    assert out.shape == (2, SMALL.n_src, samples)
    covered = ((samples - 8) // 4) * 4 + 8  # the last whole frame ends here
    assert np.all(out[..., covered:] == 0) and np.any(out[..., :covered] != 0)


def test_bad_inputs_are_refused_with_the_reason():
    model, variables = _random_variables(SMALL)
    with pytest.raises(ValueError, match="at least filter_length=8"):
        model.apply(variables, jnp.zeros((1, 7)))
    with pytest.raises(ValueError, match=r"\[batch, samples\]"):
        model.apply(variables, jnp.zeros(64))


def _changed_samples(model, variables, wav, perturbed):
    a = np.asarray(model.apply(variables, wav))
    b = np.asarray(model.apply(variables, perturbed))
    changed = np.nonzero(np.any(a != b, axis=(0, 1)))[0]
    return changed.min(), changed.max()


@pytest.mark.parametrize("causal", [False, True])
def test_one_sample_reaches_exactly_the_receptive_field(causal):
    """Channel norm keeps frames independent, so the reach of one input sample
    is set by the filters, the dilations and the padding alone."""
    config = dataclasses.replace(SMALL, norm="channel", causal=causal)
    model, variables = _random_variables(config)
    wav = jax.random.normal(jax.random.key(4), (1, 512))
    t0 = 250
    perturbed = wav.at[0, t0].add(1.0)
    L, S = config.filter_length, config.stride
    # Frames holding t0, then the TCN's reach in frames on either side.
    first_frame, last_frame = -(-(t0 - L + 1) // S), t0 // S
    reach = config.repeats * sum((config.kernel_size - 1) * 2**x
                                 for x in range(config.blocks_per_repeat))
    past, future = (reach, 0) if causal else (reach // 2, reach // 2)
    first, last = _changed_samples(model, variables, wav, perturbed)
    assert first == (first_frame - future) * S
    assert last == (last_frame + past) * S + L - 1


@pytest.mark.parametrize("norm", ["cumulative", "channel", "batch"])
def test_causal_model_output_before_t_ignores_input_after_t(norm):
    config = dataclasses.replace(SMALL, norm=norm, causal=True)
    model, variables = _random_variables(config)
    wav = jax.random.normal(jax.random.key(5), (2, 400))
    t0 = 203
    perturbed = wav.at[:, t0:].set(jax.random.normal(jax.random.key(6), (2, 400 - t0)))
    first, _ = _changed_samples(model, variables, wav, perturbed)
    # Output sample t needs its frame's whole window of L samples: the model
    # looks ahead by up to L - 1 samples, never more, and no less.
    first_frame_with_t0 = -(-(t0 - config.filter_length + 1) // config.stride)
    assert first == first_frame_with_t0 * config.stride
    assert t0 - first < config.filter_length


def test_global_norm_is_not_causal():
    config = dataclasses.replace(SMALL, norm="global")
    model, variables = _random_variables(config)
    wav = jax.random.normal(jax.random.key(7), (1, 400))
    first, _ = _changed_samples(model, variables, wav, wav.at[0, 390].add(1.0))
    assert first == 0


@pytest.mark.parametrize("change,message", [
    ({"norm": "gLN"}, "norm='gLN'"),
    ({"causal": True, "norm": "global"}, "causal model needs"),
    ({"kernel_size": 4}, "odd kernel size"),
    ({"stride": 32}, "stride=32"),
    ({"n_filters": 0}, "n_filters"),
    ({"skip_channels": -1}, "skip_channels"),
    ({"mask_activation": "tanh"}, "mask_activation='tanh'"),
    ({"encoder_activation": "gelu"}, "encoder_activation='gelu'"),
])
def test_bad_config_values_name_the_field(change, message):
    with pytest.raises(ValueError, match=message):
        ConvTasNetConfig(**change)


def test_every_name_a_config_accepts_has_a_function():
    # The names live in configs.py (cheap to import), the functions here and in
    # norms.py and optim.py.
    from tasnet_jax import configs, model, optim
    from tasnet_jax.norms import make_norm

    assert set(model.MASK_FUNCTIONS) == set(configs.MASK_ACTIVATIONS)
    assert set(model.ENCODER_FUNCTIONS) == set(configs.ENCODER_ACTIVATIONS)
    assert set(optim.OPTIMIZER_FUNCTIONS) == set(configs.OPTIMIZERS)
    for norm in configs.NORMS:
        make_norm(norm, train=True, name="norm")


def test_receptive_field_of_the_paper_config():
    # 1 + 3 * (2 + 4 + ... + 256) = 1531 frames at hop 8, plus one window.
    assert ConvTasNetConfig().receptive_field == 1530 * 8 + 16


@pytest.mark.parametrize("norm,causal", [("global", False), ("channel", False),
                                         ("cumulative", True), ("batch", True)])
def test_padded_batch_with_lengths_equals_each_example_alone(norm, causal):
    config = dataclasses.replace(SMALL, norm=norm, causal=causal)
    model, variables = _random_variables(config)
    lengths = [301, 420, 157]
    rng = np.random.default_rng(8)
    waves = [rng.standard_normal(n).astype(np.float32) for n in lengths]
    padded = np.zeros((3, 512), np.float32)
    for row, wave in zip(padded, waves):
        row[:len(wave)] = wave
    out = np.asarray(model.apply(variables, padded, np.array(lengths)))
    for row, wave in zip(out, waves):
        alone = np.asarray(model.apply(variables, wave[None]))[0]
        np.testing.assert_allclose(row[:, :len(wave)], alone, atol=1e-5)
        assert np.all(row[:, len(wave):] == 0)


def test_batch_norm_training_statistics_ignore_padding():
    config = dataclasses.replace(SMALL, norm="batch", causal=True)
    model, variables = _random_variables(config)
    wave = np.random.default_rng(9).standard_normal((2, 300)).astype(np.float32)
    padded = np.pad(wave, ((0, 0), (0, 212)))
    run = functools.partial(model.apply, variables, train=True, mutable=["batch_stats"])
    out_padded, stats_padded = run(padded, np.array([300, 300]))
    out_alone, stats_alone = run(wave)
    np.testing.assert_allclose(np.asarray(out_padded)[..., :300], out_alone, atol=1e-5)
    jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, atol=1e-5), stats_padded,
                 stats_alone)


def test_bfloat16_compute_keeps_float32_parameters_and_output_close():
    model32, variables = _random_variables(SMALL)
    model16 = ConvTasNet(dataclasses.replace(SMALL, compute_dtype="bfloat16"))
    wav = jax.random.normal(jax.random.key(10), (2, 400))
    out32 = np.asarray(model32.apply(variables, wav))
    out16 = model16.apply(variables, wav)
    assert out16.dtype == jnp.float32
    assert all(x.dtype == jnp.float32 for x in jax.tree.leaves(
        jax.eval_shape(model16.init, jax.random.key(0), wav)))
    assert "bf16" in str(jax.make_jaxpr(model16.apply)(variables, wav))  # really bf16 inside
    rms = np.sqrt(np.mean(out32**2))
    assert np.sqrt(np.mean((np.asarray(out16) - out32) ** 2)) < 0.05 * rms


@pytest.mark.parametrize("norm", ["global", "batch"])
def test_remat_changes_neither_outputs_nor_gradients(norm):
    """Recomputed blocks: same parameter tree, same loss, same gradients."""
    from tasnet_jax.model import small_config

    fields = dict(n_filters=32, bottleneck_channels=16, hidden_channels=32, skip_channels=16,
                  blocks_per_repeat=3, repeats=2, norm=norm)
    plain, remat = (ConvTasNet(small_config(**fields, remat=r)) for r in (False, True))
    wav = np.random.default_rng(0).standard_normal((2, 4000)).astype(np.float32)
    variables = plain.init(jax.random.key(0), wav)
    assert jax.tree.structure(remat.init(jax.random.key(0), wav)) == jax.tree.structure(variables)

    def loss_and_grad(model):
        def loss(params):
            out, _ = model.apply({**variables, "params": params}, wav, train=True,
                                 mutable=["batch_stats"])
            return jnp.sum(out ** 2)
        return jax.jit(jax.value_and_grad(loss))(variables["params"])

    want, want_grads = loss_and_grad(plain)
    got, got_grads = loss_and_grad(remat)
    np.testing.assert_allclose(got, want, rtol=1e-6)
    # Equal up to float32 reassociation: relative to each gradient's largest entry.
    jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, atol=1e-5 * np.abs(b).max()),
                 got_grads, want_grads)
