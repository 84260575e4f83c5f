"""Evaluation batches and the evaluation step."""
import flax.linen as nn
import jax
import numpy as np
import pytest

from tasnet_jax.evaluate import eval_batches, evaluate, make_eval_step
from tasnet_jax.losses import si_snr
from tasnet_jax.parallel import make_mesh


def test_batches_are_full_and_padded_to_whole_buckets(tiny_builder):
    batches = list(eval_batches(tiny_builder, "test", batch_size=4, bucket=16000))
    assert len(batches) == 5  # 18 utterances: four full batches and one of 2 + 2 fillers
    for batch in batches:
        assert batch["mixture"].shape[0] == 4 and batch["mixture"].shape[1] % 16000 == 0
        assert batch["sources"].shape[:2] == (4, 2)
    lengths = np.concatenate([b["length"] for b in batches])
    assert np.count_nonzero(lengths) == 18 and np.all(lengths[-2:] == 0)


class Fixed(nn.Module):
    """A stand-in model whose output is its one parameter."""

    @nn.compact
    def __call__(self, mixture, length=None):
        return self.param("out", nn.initializers.zeros, (mixture.shape[0], 2, mixture.shape[1]))


@pytest.mark.parametrize("pit", [False, True])
def test_pit_evaluation_scores_swapped_estimates_as_the_right_ones(pit):
    rng = np.random.default_rng(0)
    sources = rng.standard_normal((4, 2, 800)).astype(np.float32)
    estimates = (sources + 0.1 * rng.standard_normal((4, 2, 800))).astype(np.float32)
    batch = {"mixture": sources.sum(1), "sources": sources,
             "length": np.full(4, 800, np.int32)}
    mesh = make_mesh(jax.devices()[:1])
    step = make_eval_step(Fixed(), mesh, pit=pit)
    scores = evaluate(step, {"params": {"out": estimates[:, ::-1]}}, [batch], mesh)
    right = float(np.mean(si_snr(estimates[:, 0], sources[:, 0])))
    if pit:
        assert scores["si_snr"] == pytest.approx(right, abs=1e-4)
    else:
        assert scores["si_snr"] < right - 20  # speaker 2's estimate against speaker 1
    mixture = float(np.mean(si_snr(batch["mixture"], sources[:, 0])))
    assert scores["si_snri"] == pytest.approx(scores["si_snr"] - mixture, abs=1e-4)
    assert scores["count"] == 4
