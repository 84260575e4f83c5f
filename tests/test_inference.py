"""Restoring a trained model, and separating recordings of any length with it."""
import jax
import numpy as np
import orbax.checkpoint as ocp
import pytest

from tasnet_jax import inference
from tasnet_jax.model import ConvTasNet, small_config

from conftest import TINY_MODEL


@pytest.fixture(scope="module")
def run(make_run):
    """Checkpoints at steps 3 (best) and 6 (latest)."""
    return make_run({3: 5.0, 6: 2.0})


@pytest.mark.parametrize("which,step", [("best", 3), ("latest", 6), (6, 6)])
def test_loads_the_asked_checkpoint_and_separates_like_the_model(run, which, step):
    workdir, model, states = run
    denoiser = inference.load(workdir, which, match_level=False)
    assert denoiser.step == step and denoiser.sample_rate == 16000
    wav = np.random.default_rng(0).standard_normal(3000).astype(np.float32)
    want = np.asarray(model.apply({"params": states[step].params}, wav[None]))[0]
    np.testing.assert_allclose(denoiser(wav), want, atol=1e-6)
    assert denoiser(np.stack([wav, wav])).shape == (2, 2, 3000)


def test_bad_requests_are_named(run, tmp_path):
    workdir, _, _ = run
    with pytest.raises(ValueError, match=r"no checkpoint of step 4; it keeps steps \[3, 6\]"):
        inference.load(workdir, 4)
    with pytest.raises(ValueError, match="which='first'"):
        inference.load(workdir, "first")
    with pytest.raises(FileNotFoundError, match="no checkpoints at"):
        inference.load(tmp_path / "nothing")
    with pytest.raises(ValueError, match=r"\[samples\] or \[batch, samples\]"):
        inference.load(workdir)(np.zeros((1, 1, 100)))
    with pytest.raises(ValueError, match="at least filter_length=16"):
        inference.load(workdir)(np.zeros(10))


def test_a_chunk_shorter_than_the_models_context_is_refused_at_load():
    """Pieces must hold the receptive field on both sides and the fade: said when
    the denoiser is made, not file by file when a long recording comes."""
    config, variables = _model()
    past, future = config.context
    fade = 80
    shortest = (past + future + fade + config.stride) / config.sample_rate
    with pytest.raises(ValueError, match=r"chunk_seconds=.* is too short for this model"):
        inference.Denoiser(config, variables, None, chunk_seconds=0.9 * shortest,
                           fade_seconds=fade / config.sample_rate)
    denoiser = inference.Denoiser(config, variables, None, chunk_seconds=1.2 * shortest,
                                  fade_seconds=fade / config.sample_rate)
    assert denoiser(np.zeros(20 * (past + future), np.float32)).shape == (2, 20 * (past + future))


def test_a_checkpoint_of_another_kind_is_refused(tmp_path):
    """An orbax checkpoint that some other program wrote: no record of a model."""
    manager = ocp.CheckpointManager(tmp_path / "other")
    manager.save(1, args=ocp.args.Composite(weights=ocp.args.StandardSave({"w": np.ones(3)})))
    manager.wait_until_finished()
    manager.close()
    with pytest.raises(ValueError, match="not a tasnet-jax checkpoint"):
        inference.load(tmp_path / "other")
    (tmp_path / "notes.txt").write_text("not a model")
    with pytest.raises(ValueError, match="not a readable PyTorch checkpoint"):
        inference.load(tmp_path / "notes.txt")


def _model(seed=0, **fields):
    config = small_config(**{**TINY_MODEL, **fields})
    variables = ConvTasNet(config).init(jax.random.key(seed), np.zeros((1, 400), np.float32))
    return config, variables


def _one_shot(config, variables, wav):
    return np.asarray(ConvTasNet(config).apply(variables, wav[None]))[0]


@pytest.mark.parametrize("fields", [dict(norm="channel"), dict(norm="batch", causal=True)],
                         ids=["channel norm", "causal batch norm"])
def test_chunks_of_a_long_recording_give_the_one_shot_output(fields):
    """With norms that see a frame at a time, every kept sample of a chunk sees
    what it sees in one shot, so the cross-faded result is the same."""
    config, variables = _model(**fields)
    wav = np.random.default_rng(1).standard_normal(20_011).astype(np.float32)
    denoiser = inference.Denoiser(config, variables, None, chunk_seconds=0.2, fade_seconds=0.01,
                                  batch_size=3, match_level=False)  # 3200-sample chunks
    np.testing.assert_allclose(denoiser(wav), _one_shot(config, variables, wav), atol=2e-5)


def test_chunked_global_norm_stays_close_to_one_shot():
    """gLN statistics of a chunk are not those of the whole recording; on a
    recording of steady level the difference stays small (README: measured on
    the trained quickstart model)."""
    config, variables = _model(norm="global")
    wav = np.random.default_rng(2).standard_normal(20_000).astype(np.float32)
    denoiser = inference.Denoiser(config, variables, None, chunk_seconds=0.3, batch_size=2,
                                  match_level=False)
    want = _one_shot(config, variables, wav)
    error = denoiser(wav) - want
    snr_db = 10 * np.log10(np.sum(want ** 2) / np.sum(error ** 2))
    assert snr_db > 30


def test_recordings_of_many_lengths_batch_without_changing_any():
    config, variables = _model(norm="global")
    rng = np.random.default_rng(3)
    wavs = [rng.standard_normal(n).astype(np.float32) for n in (16, 500, 1601, 3000, 777)]
    denoiser = inference.Denoiser(config, variables, None, batch_size=4, match_level=False)
    done = []
    outputs = denoiser.separate(wavs, progress=done.append)
    for wav, out in zip(wavs, outputs):
        np.testing.assert_allclose(out, _one_shot(config, variables, wav), atol=2e-5)
    assert sum(done) == sum(w.size for w in wavs)


def test_sources_come_out_at_the_recordings_level_and_sign():
    """SI-SNR training leaves the decoder's gain and sign free: a decoder scaled by
    -3 separates as well and must give the same audio, at the level where the
    mixture's least-squares fit on the sources' sum leaves a residual orthogonal
    to that sum."""
    config, variables = _model()
    inverted = jax.tree.map(lambda x: x, variables)
    inverted["params"]["decoder"]["kernel"] = -3 * variables["params"]["decoder"]["kernel"]
    wav = np.random.default_rng(4).standard_normal(3000).astype(np.float32)
    out = inference.Denoiser(config, variables, None)(wav)
    np.testing.assert_allclose(inference.Denoiser(config, inverted, None)(wav), out, atol=1e-5)
    total = out.sum(0)
    assert abs(np.dot(wav - total, total)) < 1e-3 * np.dot(total, total)
    raw = _one_shot(config, variables, wav)
    (gain,), *_ = np.linalg.lstsq(raw.sum(0)[:, None], wav, rcond=None)
    np.testing.assert_allclose(out, gain * raw, atol=1e-5)  # one gain for every source


def test_mixture_gain_known_values():
    rng = np.random.default_rng(5)
    speech, noise = rng.standard_normal((2, 1000))
    mixture = speech + noise
    assert inference.mixture_gain(-4 * np.stack([speech, noise]), mixture) == pytest.approx(-0.25)
    # A speech-only model: the noise, uncorrelated with the speech, does not move the fit much.
    assert inference.mixture_gain(2 * speech[None], mixture) == pytest.approx(0.5, rel=0.1)
    assert inference.mixture_gain(np.zeros((2, 1000)), mixture) == 1


def test_dry_mixes_that_share_of_the_input_into_the_speech():
    """dry=d gives (1 - d) times the wet speech plus d times the recording, and
    (1 - d) times the wet noise; d=1 hands the recording back untouched."""
    config, variables = _model()
    wav = np.random.default_rng(6).standard_normal(3000).astype(np.float32)
    wet = inference.Denoiser(config, variables, None)(wav)
    for dry in (0.1, 1.0):
        out = inference.Denoiser(config, variables, None, dry=dry)(wav)
        np.testing.assert_allclose(out[0], (1 - dry) * wet[0] + dry * wav, atol=1e-5)
        np.testing.assert_allclose(out[1], (1 - dry) * wet[1], atol=1e-5)


@pytest.mark.parametrize("options", [dict(dry=-0.1), dict(dry=1.5),
                                     dict(dry=0.2, match_level=False)])
def test_a_bad_dry_share_is_named(options):
    config, variables = _model()
    with pytest.raises(ValueError, match="dry"):
        inference.Denoiser(config, variables, None, **options)
