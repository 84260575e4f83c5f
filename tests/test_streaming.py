"""Streaming equals the offline causal model, block by block."""
import jax
import numpy as np
import pytest

from tasnet_jax.model import ConvTasNet, small_config
from tasnet_jax.streaming import StreamingDenoiser, latency_report, run_stream

from conftest import TINY_MODEL


def _model(**fields):
    config = small_config(**{**TINY_MODEL, "repeats": 2, "causal": True, **fields})
    variables = ConvTasNet(config).init(jax.random.key(0), np.zeros((1, 400), np.float32))
    return config, variables


def _offline(config, variables, wav):
    return np.asarray(ConvTasNet(config).apply(variables, wav[None]))[0]


@pytest.mark.parametrize("norm", ["cumulative", "channel", "batch"])
def test_random_blocks_give_the_offline_output_delayed(norm):
    config, variables = _model(norm=norm)
    rng = np.random.default_rng(0)
    wav = (rng.standard_normal(4003) * np.linspace(0.1, 2, 4003)).astype(np.float32)
    stream = StreamingDenoiser(config, variables, match_level=False)
    outputs, fed = [], 0
    while fed < wav.size:
        # Each number of whole frames a block completes compiles once: up to 13 here.
        block = wav[fed:fed + int(rng.integers(1, 100))]
        out = stream(block)
        assert out.shape == (2, block.size)
        outputs.append(out)
        fed += block.size
    outputs.append(stream.flush())
    streamed = np.concatenate(outputs, axis=1)
    np.testing.assert_array_equal(streamed[:, :stream.delay], 0)
    np.testing.assert_allclose(streamed[:, stream.delay:], _offline(config, variables, wav),
                               atol=1e-4)


def test_the_state_is_a_pytree_and_a_block_size_compiles_at_most_twice():
    config, variables = _model(norm="cumulative")
    stream = StreamingDenoiser(config, variables)
    blocks = config.repeats * config.blocks_per_repeat
    state = stream.state["separator"]
    assert len([k for k in state if k.startswith("block_")]) == blocks
    assert state["block_2"]["depthwise"]["past"].shape == (1, 2 * 2**2, config.hidden_channels)
    assert set(state["block_0"]["norm_in"]) == {"frames", "total", "total_power"}
    stream.warm_up(160)
    compiled = stream._step._cache_size()
    for block in np.random.default_rng(1).standard_normal((50, 160)).astype(np.float32):
        stream(block)
    assert stream._step._cache_size() == compiled <= 2
    assert jax.tree.leaves(stream.state)[0].shape[0] == 1


def test_run_stream_emits_the_offline_output_aligned_with_the_input():
    config, variables = _model(norm="cumulative")
    wav = np.random.default_rng(2).standard_normal(2000).astype(np.float32)
    emitted = []
    seconds, samples = run_stream(StreamingDenoiser(config, variables, match_level=False),
                                  (wav[i:i + 7] for i in range(0, wav.size, 7)), emitted.append)
    np.testing.assert_allclose(np.concatenate(emitted), _offline(config, variables, wav)[0],
                               atol=1e-4)
    assert len(seconds) == 286 and samples == 2000
    report = latency_report(StreamingDenoiser(config, variables), 7, seconds, samples)
    assert "algorithmic latency 1.38 ms" in report and "real-time factor" in report


def test_the_level_fit_settles_on_the_offline_gain_whatever_the_decoders_gain():
    """A decoder scaled by -3 streams the same audio (the gain is fitted from the
    stream), and the last samples carry the offline whole-recording fit."""
    config, variables = _model(norm="cumulative")
    inverted = jax.tree.map(lambda x: x, variables)
    inverted["params"]["decoder"]["kernel"] = -3 * variables["params"]["decoder"]["kernel"]
    wav = np.random.default_rng(3).standard_normal(3000).astype(np.float32)

    def streamed(variables):
        emitted = []
        run_stream(StreamingDenoiser(config, variables), (wav[i:i + 50] for i in
                                                          range(0, wav.size, 50)), emitted.append)
        return np.concatenate(emitted)

    out = streamed(variables)
    np.testing.assert_allclose(streamed(inverted), out, atol=1e-5)
    raw = _offline(config, variables, wav)
    (gain,), *_ = np.linalg.lstsq(raw.sum(0)[:, None], wav, rcond=None)
    np.testing.assert_allclose(out[-10:], gain * raw[0, -10:], rtol=1e-3, atol=1e-6)


def test_models_that_look_ahead_cannot_stream():
    config, variables = _model(causal=False, norm="channel")
    with pytest.raises(ValueError, match="streaming needs a causal model"):
        StreamingDenoiser(config, variables)


def test_dry_mixes_that_share_of_the_aligned_input_into_the_streamed_speech():
    """The emitted speech at dry=d is (1 - d) times the wet stream plus d times
    the input it lines up with; the noise is (1 - d) times the wet noise."""
    config, variables = _model(norm="cumulative")
    wav = np.random.default_rng(4).standard_normal(1500).astype(np.float32)

    def streamed(dry):
        stream = StreamingDenoiser(config, variables, dry=dry)
        blocks = [stream(wav[i:i + 40]) for i in range(0, wav.size, 40)] + [stream.flush()]
        return np.concatenate(blocks, axis=1)

    wet, dry = streamed(0.0), streamed(0.3)
    aligned = np.concatenate([np.zeros(config.filter_length - 1, np.float32), wav])
    np.testing.assert_allclose(dry[0], 0.7 * wet[0] + 0.3 * aligned, atol=1e-5)
    np.testing.assert_allclose(dry[1], 0.7 * wet[1], atol=1e-5)
    with pytest.raises(ValueError, match="dry must be in"):
        StreamingDenoiser(config, variables, dry=1.5)
