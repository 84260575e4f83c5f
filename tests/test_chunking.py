"""How a long recording is cut into pieces and put back: checked with numpy sums."""
import numpy as np
import pytest

from tasnet_jax import chunking


@pytest.mark.parametrize("total", [5000, 5001, 12_345, 40_000])
def test_weights_sum_to_one_and_only_where_a_piece_sees_its_context(total):
    chunk, past, future, fade, stride = 3200, 500, 300, 100, 8
    pieces = chunking.plan(total, chunk, past, future, fade, stride)
    coverage = np.zeros(total)
    for i, piece in enumerate(pieces):
        assert piece.start % stride == 0 and piece.size == chunk
        assert piece.length == min(chunk, total - piece.start)
        weight = chunking.weights(piece, fade)
        used = np.flatnonzero(weight) + piece.start
        if i > 0:  # a kept sample has `past` samples of the piece before it
            assert used[0] >= piece.start + past
        if i < len(pieces) - 1:  # ... and `future` after it
            assert used[-1] < piece.start + chunk - future
        coverage[piece.start:piece.start + piece.length] += weight
    np.testing.assert_allclose(coverage, 1.0, atol=1e-6)
    assert pieces[-1].start + pieces[-1].length == total
    assert sum(p.advance for p in pieces) == total


def test_a_short_recording_is_one_piece_padded_to_a_few_sizes():
    assert chunking.padded_size(100, 3200, 8) == 400
    assert chunking.padded_size(401, 3200, 8) == 800
    assert chunking.padded_size(1700, 3200, 8) == 3200
    piece, = chunking.plan(1700, 3200, 500, 300, 100, 8)
    assert (piece.start, piece.length, piece.size) == (0, 1700, 3200)
    np.testing.assert_array_equal(chunking.weights(piece, 100), 1.0)


def test_a_chunk_too_short_for_the_context_is_refused():
    with pytest.raises(ValueError, match="chunk of 800 samples is too short.*more than 900"):
        chunking.plan(5000, 800, 500, 300, 100, 8)
