"""Asteroid's ConvTasNet and losses are the reference: same weights, same numbers.

Needs the `torch` extra and Asteroid (`make test` installs both).
"""
import importlib
import os
import warnings

import jax
import numpy as np
import pytest
import soundfile as sf

from tasnet_jax import inference, losses
from tasnet_jax.convert import from_asteroid, load_asteroid
from tasnet_jax.model import ConvTasNet


def _reference(module):
    """Skip where the reference is not installed, but never silently in CI."""
    if os.environ.get("CI"):
        return importlib.import_module(module)
    return pytest.importorskip(
        module, reason="the Asteroid comparison needs the torch extra and "
        "`pip install --no-deps asteroid==0.7.0` (make test installs both)")


torch = _reference("torch")
asteroid_models = _reference("asteroid.models")
asteroid_losses = _reference("asteroid.losses")
asteroid_sdr = _reference("asteroid.losses.sdr")

SMALL = dict(n_filters=64, bn_chan=32, hid_chan=64, skip_chan=32, n_blocks=4, n_repeats=2)
CASES = {
    "paper, gLN": dict(),
    "paper causal, cumulative LN": dict(causal=True, norm_type="cgLN"),
    "paper causal, channel LN": dict(causal=True, norm_type="cLN"),
    "small, relu masks": dict(SMALL, mask_act="relu"),
    "small, batch norm": dict(SMALL, norm_type="bN"),
    "small, softmax masks, relu encoder, no skip": dict(
        SMALL, mask_act="softmax", encoder_activation="relu", skip_chan=0),
    "small, stride not half the filter": dict(SMALL, kernel_size=20, stride=6),
    "small, speech only (enh_single)": dict(SMALL, n_src=1),
    "small causal, speech only, cumulative LN": dict(SMALL, n_src=1, causal=True,
                                                     norm_type="cgLN"),
}


def asteroid_package(seed=0, **kwargs):
    """An Asteroid ConvTasNet with every weight randomized (norm gains, PReLU
    slopes and batch statistics too), as `BaseModel.serialize()` packages it."""
    torch.manual_seed(seed)
    model = asteroid_models.ConvTasNet(**{"n_src": 2, "sample_rate": 16000, **kwargs}).eval()
    with torch.no_grad():
        for name, value in model.state_dict().items():
            if name.endswith("running_var"):
                value.uniform_(0.5, 2.0)
            elif value.dtype.is_floating_point:
                value.add_(0.1 * torch.randn_like(value))
    package = dict(model_name="ConvTasNet", model_args=model.get_model_args(),
                   state_dict=model.state_dict())
    return model, package


@pytest.mark.parametrize("case", CASES)
def test_output_equals_asteroid(case):
    reference, package = asteroid_package(**CASES[case])
    config, variables = from_asteroid(package)
    apply = jax.jit(ConvTasNet(config).apply)
    rng = np.random.RandomState(0)
    for shape in [(3, 4001), (2, 1999)]:  # batch > 1, lengths not a whole number of hops
        wav = rng.randn(*shape).astype(np.float32)
        with torch.no_grad():
            want = reference(torch.from_numpy(wav)).numpy()
        got = np.asarray(apply(variables, wav))
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, atol=1e-4, rtol=0)


def test_parameter_count_equals_asteroid():
    reference, package = asteroid_package()
    _, variables = from_asteroid(package)
    count = sum(x.size for x in jax.tree.leaves(variables["params"]))
    assert count == sum(p.numel() for p in reference.parameters()) == 5_050_545


def test_norm_names_are_translated():
    def norm_of(**kwargs):
        _, package = asteroid_package(**dict(SMALL, **kwargs))
        return from_asteroid(package)[0].norm
    assert norm_of(norm_type="cLN") == "channel"
    assert norm_of(norm_type="cgLN") == "cumulative"
    assert norm_of(norm_type="gLN") == "global"
    with warnings.catch_warnings():  # Asteroid warns that it swaps gLN for cLN here
        warnings.simplefilter("ignore")
        assert norm_of(norm_type="gLN", causal=True) == "channel"


def test_checkpoint_file_loads_without_pickled_code(tmp_path):
    reference, package = asteroid_package(**SMALL)
    path = tmp_path / "model.pth"
    torch.save(package, path)
    config, variables = load_asteroid(path)  # torch.load(weights_only=True) inside
    assert config.sample_rate == 16000
    wav = np.random.RandomState(1).randn(1, 3000).astype(np.float32)
    with torch.no_grad():
        want = reference(torch.from_numpy(wav)).numpy()
    np.testing.assert_allclose(ConvTasNet(config).apply(variables, wav), want, atol=1e-4)


def test_inference_loads_an_asteroid_file_directly_or_converted_to_a_run(tmp_path):
    """inference.load on the .pth file, and on the run `tasnet-jax convert` writes:
    both separate a batch-norm model like Asteroid does."""
    from tasnet_jax import inference
    from tasnet_jax.cli import main

    reference, package = asteroid_package(**dict(SMALL, norm_type="bN"))
    path = tmp_path / "model.pth"
    torch.save(package, path)
    wav = np.random.RandomState(3).randn(5000).astype(np.float32)
    with torch.no_grad():
        want = reference(torch.from_numpy(wav[None])).numpy()[0]
    assert main(["convert", str(path), str(tmp_path / "run")]) == 0
    for denoiser in (inference.load(path, match_level=False),
                     inference.load(tmp_path / "run", match_level=False)):
        np.testing.assert_allclose(denoiser(wav), want, atol=1e-4)
    assert inference.load(tmp_path / "run").step == 0
    assert main(["convert", str(path), str(tmp_path / "run")]) == 2  # never over a run


def test_bad_checkpoints_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.pth"):
        load_asteroid(tmp_path / "missing.pth")
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="junk.pth is not a readable PyTorch checkpoint"):
        load_asteroid(junk)
    _, package = asteroid_package(**SMALL)
    with pytest.raises(ValueError, match="'DPRNNTasNet' model, not a ConvTasNet"):
        from_asteroid(dict(package, model_name="DPRNNTasNet"))
    state = dict(package["state_dict"])
    del state["masker.TCN.3.skip_conv.bias"]
    with pytest.raises(ValueError, match="masker.TCN.3.skip_conv.bias"):
        from_asteroid(dict(package, state_dict=state))


@pytest.fixture(scope="module")
def loss_inputs():
    rng = np.random.RandomState(2)
    targets = rng.randn(4, 2, 1601).astype(np.float32)
    estimates = (targets[:, ::-1] + 0.8 * rng.randn(4, 2, 1601)).astype(np.float32)
    estimates[1] = estimates[1, ::-1]  # one example in order, the others swapped
    targets[2, 1] = 0.0  # a silent target
    return estimates, targets


def test_si_snr_equals_asteroid_single_source_loss(loss_inputs):
    estimates, targets = loss_inputs
    reference = asteroid_sdr.SingleSrcNegSDR("sisdr")
    for s in range(2):
        want = reference(torch.from_numpy(estimates[:, s]), torch.from_numpy(targets[:, s]))
        np.testing.assert_allclose(-losses.si_snr(estimates[:, s], targets[:, s]), want.numpy(),
                                   atol=1e-4)


def test_pit_loss_equals_asteroid_pit_wrapper(loss_inputs):
    estimates, targets = loss_inputs
    reference = asteroid_losses.PITLossWrapper(asteroid_losses.pairwise_neg_sisdr,
                                               pit_from="pw_mtx")
    want, best = reference(torch.from_numpy(estimates), torch.from_numpy(targets),
                           return_est=True)
    np.testing.assert_allclose(np.mean(losses.neg_si_snr(estimates, targets, pit=True)),
                               want.item(), atol=1e-4)
    perm = np.asarray(losses.best_permutation(estimates, targets))
    np.testing.assert_array_equal(np.stack([e[p] for e, p in zip(estimates, perm)]),
                                  best.numpy())


def test_a_speech_only_model_denoises_files_evaluates_chunks_and_streams(tmp_path, write_audio):
    """Asteroid's enh_single models have n_src=1: the noise file is the input
    minus the speech, scores use the speech, chunks and streams as for two sources."""
    from tasnet_jax import inference
    from tasnet_jax.denoise_files import denoise_files
    from tasnet_jax.evaluate_files import evaluate_folders
    from tasnet_jax.streaming import StreamingDenoiser, run_stream

    _, package = asteroid_package(**dict(SMALL, n_src=1, causal=True, norm_type="cgLN"))
    torch.save(package, tmp_path / "enh_single.pth")
    denoiser = inference.load(tmp_path / "enh_single.pth", chunk_seconds=0.1)
    assert denoiser.config.n_src == 1
    write_audio(tmp_path / "noisy" / "a.wav", seconds=0.3, seed=1)
    write_audio(tmp_path / "clean" / "a.wav", seconds=0.3, seed=2)
    result, = denoise_files(denoiser, [tmp_path / "noisy"], tmp_path / "out", save_noise=True,
                            progress=False)
    assert result.error is None
    noisy, _ = sf.read(tmp_path / "noisy" / "a.wav", dtype="float32")
    speech, _ = sf.read(tmp_path / "out" / "a.wav", dtype="float32")
    noise, _ = sf.read(tmp_path / "out" / "a.noise.wav", dtype="float32")
    np.testing.assert_allclose(speech + noise, noisy, atol=2 / 32768)
    assert denoiser(noisy).shape == (1, noisy.size)
    rows, summary = evaluate_folders(denoiser, tmp_path / "noisy", tmp_path / "clean")
    assert summary["failed"] == 0 and np.isfinite(rows[0]["si_snr"])
    emitted = []
    run_stream(StreamingDenoiser(denoiser.config, denoiser.variables, match_level=False),
               (noisy[i:i + 160] for i in range(0, noisy.size, 160)), emitted.append)
    one_shot = inference.load(tmp_path / "enh_single.pth", match_level=False, chunk_seconds=60)
    np.testing.assert_allclose(np.concatenate(emitted), one_shot(noisy)[0], atol=1e-4)


def _random_model(seed, **fields):
    """A tasnet-jax model with every parameter (and batch statistic) randomized."""
    from tasnet_jax.model import ConvTasNetConfig

    config = ConvTasNetConfig(**{**dict(n_filters=32, filter_length=16, stride=8,
                                        bottleneck_channels=16, hidden_channels=32,
                                        skip_channels=16, blocks_per_repeat=3, repeats=2,
                                        sample_rate=16000), **fields})
    variables = ConvTasNet(config).init(jax.random.key(seed), np.zeros((1, 400), np.float32))
    keys = iter(jax.random.split(jax.random.key(seed + 1), 1000))
    variables = jax.tree.map(
        lambda x: np.asarray(x + 0.1 * jax.random.normal(next(keys), x.shape), np.float32),
        variables)
    if "batch_stats" in variables:  # positive variances
        variables["batch_stats"] = jax.tree.map(np.abs, variables["batch_stats"])
    return config, variables


EXPORTS = {
    "gLN, two sources": dict(),
    "gLN, speech only": dict(n_src=1),
    "causal cumulative LN": dict(causal=True, norm="cumulative"),
    "causal channel LN, speech only": dict(causal=True, norm="channel", n_src=1),
    "batch norm, relu encoder, softmax masks": dict(norm="batch", encoder_activation="relu",
                                                     mask_activation="softmax"),
    "no skip connections": dict(skip_channels=0),
}


@pytest.mark.parametrize("case", EXPORTS)
def test_exported_models_run_in_asteroid_like_here_and_import_back_exactly(case, tmp_path):
    from tasnet_jax.convert import to_asteroid

    config, variables = _random_model(3, **EXPORTS[case])
    torch.save(to_asteroid(config, variables, {"note": "test"}), tmp_path / "model.pth")
    reference = asteroid_models.ConvTasNet.from_pretrained(str(tmp_path / "model.pth")).eval()
    wav = np.random.RandomState(4).randn(2, 3000).astype(np.float32)
    with torch.no_grad():
        want = reference(torch.from_numpy(wav)).numpy()
    got = np.asarray(ConvTasNet(config).apply(variables, wav))
    np.testing.assert_allclose(got, want, atol=1e-4)
    back_config, back = load_asteroid(tmp_path / "model.pth")
    assert back_config == config
    jax.tree.map(np.testing.assert_array_equal, back, variables)


def test_configs_asteroid_cannot_build_are_refused_by_name():
    from tasnet_jax.convert import to_asteroid

    config, variables = _random_model(5, causal=True, norm="batch")
    with pytest.raises(ValueError, match="causal=True with norm='batch' cannot be exported"):
        to_asteroid(config, variables)
    config, variables = _random_model(5, compute_dtype="bfloat16")
    with pytest.raises(ValueError, match="compute_dtype='bfloat16' cannot be exported"):
        to_asteroid(config, variables)


def test_export_command_writes_a_run_with_its_versions_and_figures(make_run, tmp_path, capsys):
    import json

    from tasnet_jax.cli import main

    workdir, model, states = make_run({4: 1.0})
    (workdir / "summary.json").write_text(json.dumps({"best_step": 4, "test_si_snri": 7.5}))
    out = tmp_path / "exported.pth"
    assert main(["export", str(workdir), str(out)]) == 0
    assert "from_pretrained" in capsys.readouterr().err
    package = torch.load(out, weights_only=True)
    assert package["infos"]["tasnet_jax"]["test"] == {"best_step": 4, "test_si_snri": 7.5}
    assert package["infos"]["tasnet_jax"]["step"] == 4
    assert set(package["infos"]["software_versions"]) == {"tasnet_jax_version", "jax_version",
                                                         "torch_version"}
    wav = np.random.RandomState(6).randn(1, 2000).astype(np.float32)
    with torch.no_grad():
        want = asteroid_models.ConvTasNet.from_pretrained(str(out)).eval()(
            torch.from_numpy(wav)).numpy()
    np.testing.assert_allclose(model.apply({"params": states[4].params}, wav), want, atol=1e-4)
    assert main(["export", str(workdir), str(out)]) == 2  # never over a file
    assert "--overwrite" in capsys.readouterr().err


def test_pack_command_keeps_the_chosen_model_and_drops_the_optimizer_moments(make_run, tmp_path,
                                                                             capsys):
    import json

    import jax

    from tasnet_jax.checkpoints import Checkpoints
    from tasnet_jax.cli import main

    source, model, states = make_run({3: 2.0, 5: 1.0})  # step 3 scored best
    # A trained run's optimizer holds moments; give the copy of step 3 some.
    trained = tmp_path / "trained"
    record = Checkpoints(source / "checkpoints", asynchronous=False).read_record(3)
    record.pop("metrics")
    moved = states[3].replace(opt_state=jax.tree.map(lambda x: x + 1, states[3].opt_state))
    checkpoints = Checkpoints(trained / "checkpoints", asynchronous=False)
    checkpoints.save(3, moved, record, {"val_si_snr": 2.0})
    checkpoints.close()
    (trained / "summary.json").write_text(json.dumps({"best_step": 3, "test_si_snri": 7.5}))

    out = tmp_path / "packed"
    assert main(["pack", str(trained), str(out)]) == 0
    assert "tasnet-jax denoise" in capsys.readouterr().err
    packed = Checkpoints(out / "checkpoints", asynchronous=False)
    assert packed.steps() == [3]
    state, packed_record = packed.restore(3, like=states[3])
    packed.close()
    assert packed_record["config"] == record["config"]
    assert json.loads((out / "summary.json").read_text())["test_si_snri"] == 7.5
    for got, want in zip(jax.tree.leaves(state.params), jax.tree.leaves(states[3].params)):
        np.testing.assert_array_equal(got, want)
    # A fresh optimizer state, as make_run's (moments zero), not the trained one's.
    for got, fresh in zip(jax.tree.leaves(state.opt_state), jax.tree.leaves(states[3].opt_state)):
        np.testing.assert_array_equal(got, fresh)
    wav = np.random.RandomState(2).randn(1, 2000).astype(np.float32)
    np.testing.assert_allclose(inference.load(out)(wav[0])[0],
                               inference.load(trained)(wav[0])[0], atol=1e-6)
    assert main(["pack", str(trained), str(out)]) == 2  # never over a run
    assert "already holds checkpoints" in capsys.readouterr().err
