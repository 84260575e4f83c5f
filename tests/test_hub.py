"""Hugging Face Hub ids, read offline from a cache laid out as huggingface_hub lays it out."""
import hashlib
import shutil

import numpy as np
import pytest

from tasnet_jax import hub, inference
from tasnet_jax.cli import main

from test_convert import SMALL, asteroid_package, torch

MAIN, OLD = "a" * 40, "b" * 40  # commit hashes


def _add_snapshot(cache, repo, commit, files, refs=()):
    """models--OWNER--NAME/{blobs/SHA, snapshots/COMMIT/FILE -> blob, refs/REF}."""
    folder = cache / ("models--" + repo.replace("/", "--"))
    for name, source in files.items():
        data = source.read_bytes()
        blob = folder / "blobs" / hashlib.sha256(data).hexdigest()
        blob.parent.mkdir(parents=True, exist_ok=True)
        blob.write_bytes(data)
        link = folder / "snapshots" / commit / name
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(blob)
    for ref in refs:
        (folder / "refs").mkdir(parents=True, exist_ok=True)
        (folder / "refs" / ref).write_text(commit)


@pytest.fixture
def offline_cache(tmp_path, monkeypatch):
    """An empty Hub cache, offline (huggingface_hub reads these when it is imported)."""
    from huggingface_hub import constants

    cache = tmp_path / "hub"
    cache.mkdir()
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    return cache


@pytest.fixture
def packages(tmp_path):
    """Two Asteroid ConvTasNet files with different weights."""
    paths = []
    for seed in (0, 1):
        _, package = asteroid_package(seed=seed, **SMALL)
        paths.append(tmp_path / f"model_{seed}.pth")
        torch.save(package, paths[-1])
    return paths


def test_a_hub_id_gives_what_the_same_file_gives_bit_for_bit(offline_cache, packages, tmp_path):
    new, old = packages
    _add_snapshot(offline_cache, "someone/ConvTasNet_test", MAIN,
                  {"pytorch_model.bin": new, "README.md": new}, refs=["main"])
    _add_snapshot(offline_cache, "someone/ConvTasNet_test", OLD, {"pytorch_model.bin": old},
                  refs=["v1"])
    wav = np.random.default_rng(0).standard_normal(4000).astype(np.float32)
    assert hub.is_hub_id("someone/ConvTasNet_test")
    from_hub = inference.load("someone/ConvTasNet_test")
    assert from_hub.source == "someone/ConvTasNet_test"
    np.testing.assert_array_equal(from_hub(wav), inference.load(new)(wav))
    for revision in ("v1", OLD):
        np.testing.assert_array_equal(inference.load(f"someone/ConvTasNet_test@{revision}")(wav),
                                      inference.load(old)(wav))
    assert main(["convert", "someone/ConvTasNet_test", str(tmp_path / "run")]) == 0
    np.testing.assert_array_equal(inference.load(tmp_path / "run")(wav), from_hub(wav))


def test_a_local_path_wins_over_an_id_of_the_same_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs" / "quickstart").mkdir(parents=True)
    assert hub.is_hub_id("owner/name@main") and not hub.is_hub_id("runs/quickstart")
    assert not hub.is_hub_id("a/b/c") and not hub.is_hub_id("model.pth")


def test_hub_errors_name_the_id_and_what_is_there(offline_cache, packages, capsys):
    with pytest.raises(FileNotFoundError, match=r"nobody/nothing is not in the Hub cache .*"
                                                r"HF_HUB_OFFLINE=1"):
        inference.load("nobody/nothing")
    _add_snapshot(offline_cache, "someone/other_model", MAIN,
                  {"model.safetensors": packages[0], "config.json": packages[0]}, refs=["main"])
    with pytest.raises(ValueError, match=r"someone/other_model holds no ConvTasNet package "
                                         r"\(pytorch_model.bin\); its cached files: config.json, "
                                         r"model.safetensors"):
        inference.load("someone/other_model")
    assert main(["denoise", "nobody/nothing", "x.wav", "-o", "out"]) == 2
    assert "error: nobody/nothing is not in the Hub cache" in capsys.readouterr().err


def test_online_answers_become_errors_naming_the_id(monkeypatch):
    """What the Hub answers when reachable (stubbed: no test reaches the network)."""
    import types

    import huggingface_hub
    from huggingface_hub import errors

    response = types.SimpleNamespace(headers={}, status_code=404, request=None, url="")
    answers = {"nobody/nothing": errors.RepositoryNotFoundError("404", response=response),
               "someone/model": errors.RevisionNotFoundError("404", response=response),
               "someone/images": errors.RemoteEntryNotFoundError("404", response=response)}

    def download(repo, filename, revision=None):
        raise answers[repo]

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", download)
    monkeypatch.setattr(huggingface_hub, "list_repo_files",
                        lambda repo, revision=None: ["README.md", "model.onnx"])
    with pytest.raises(ValueError, match="nobody/nothing: no such model on the Hugging Face Hub"):
        hub.download("nobody/nothing")
    with pytest.raises(ValueError, match="someone/model@v9: the Hub model someone/model has no "
                                         "revision 'v9'"):
        hub.download("someone/model@v9")
    with pytest.raises(ValueError, match=r"someone/images holds no ConvTasNet package "
                                         r"\(pytorch_model.bin\); it holds: README.md, model.onnx"):
        hub.download("someone/images")
