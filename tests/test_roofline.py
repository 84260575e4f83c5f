"""benchmarks/roofline.py: its plain block computes what the model's block
computes, and its byte count is the one its docstring gives."""

import jax
import numpy as np
import pytest

from tasnet_jax.model import ConvTasNetConfig, small_config


@pytest.mark.parametrize("kernel_size", [3, 5])
def test_plain_block_matches_the_models_block_values_and_gradients(kernel_size, benchmark_script):
    roofline = benchmark_script("roofline")
    config = small_config(hidden_channels=32, bottleneck_channels=16, skip_channels=8,
                          kernel_size=kernel_size)
    inputs = roofline.block_inputs(config, batch=2, frames=40)
    fused = roofline.block_gradient(config, "fused")(*inputs)
    plain = roofline.block_gradient(config, "plain")(*inputs)
    for a, b in zip(jax.tree.leaves(fused), jax.tree.leaves(plain)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-4)
    assert len(jax.tree.leaves(fused)) == 2 + 1 + 14  # outputs, input, parameters


def test_block_bytes_of_a_float32_paper_step(benchmark_script):
    roofline = benchmark_script("roofline")
    # 16 x 7999 frames: 21 passes of 512 channels and 6 of 128, 4 bytes each.
    frames = 16 * 7999
    expected = 21 * frames * 512 * 4 + 6 * frames * 128 * 4
    assert roofline.block_bytes(ConvTasNetConfig(), 16, 7999, 4) == expected == 5_897_502_720
