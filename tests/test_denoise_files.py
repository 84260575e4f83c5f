"""Denoising files and folders: formats kept, bad files named, inputs never touched."""
import hashlib

import numpy as np
import pytest
import soundfile as sf

from tasnet_jax import inference
from tasnet_jax.denoise_files import denoise_files


@pytest.fixture(scope="module")
def denoiser(make_run):
    workdir, _, _ = make_run()
    return inference.load(workdir, chunk_seconds=0.25, batch_size=2)


@pytest.fixture
def folder(tmp_path, write_audio):
    """Good files of several kinds, and bad ones."""
    noisy = tmp_path / "noisy"
    write_audio(noisy / "plain.wav", seconds=0.3)
    write_audio(noisy / "sub" / "long.wav", seconds=0.9, seed=1)  # longer than a chunk
    rng = np.random.default_rng(2)
    sf.write(noisy / "sub" / "stereo24.flac", rng.uniform(-0.5, 0.5, (4410, 2)), 44100,
             subtype="PCM_24")
    sf.write(noisy / "float8k.wav", rng.uniform(-0.5, 0.5, 1600), 8000, subtype="FLOAT")
    sf.write(noisy / "empty.wav", np.zeros((0, 1)), 16000)
    sf.write(noisy / "short.wav", np.zeros(5), 16000)
    nan = rng.uniform(-0.5, 0.5, 800)
    nan[100] = np.nan
    sf.write(noisy / "nan.wav", nan, 16000, subtype="FLOAT")
    (noisy / "text.wav").write_text("not audio")
    return noisy


def _digest(folder):
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()}


def test_each_output_is_stored_like_its_input_and_bad_files_are_named(denoiser, folder, tmp_path):
    before = _digest(folder)
    results = denoise_files(denoiser, [folder, tmp_path / "missing.wav"], tmp_path / "out",
                            save_noise=True, progress=False)
    assert _digest(folder) == before
    errors = {r.input.name: r.error for r in results if r.error}
    assert errors == {
        "empty.wav": f"{folder / 'empty.wav'}: holds no samples",
        "short.wav": f"{folder / 'short.wav'}: too short: 5 samples; the model needs at least "
                     "16 at 16000 Hz",
        "nan.wav": f"{folder / 'nan.wav'}: holds NaN or infinite samples",
        "text.wav": errors["text.wav"],
        "missing.wav": f"{tmp_path / 'missing.wav'}: no such file",
    }
    assert errors["text.wav"].startswith(f"{folder / 'text.wav'}: not readable audio")
    for name in ("plain.wav", "sub/long.wav", "sub/stereo24.flac", "float8k.wav"):
        given, written = sf.info(folder / name), sf.info(tmp_path / "out" / name)
        for field in ("samplerate", "channels", "frames", "format", "subtype"):
            assert getattr(written, field) == getattr(given, field), (name, field)
        noise = (tmp_path / "out" / name).with_name(f"{(folder / name).stem}.noise{(folder / name).suffix}")
        assert sf.info(noise).frames == given.frames
    notes = {r.input.name: r.notes for r in results}
    assert notes["float8k.wav"] == ["resampled 8000 -> 16000 Hz for the model and back"]
    assert notes["stereo24.flac"] == ["resampled 44100 -> 16000 Hz for the model and back"]


def test_outputs_are_the_denoisers_speech_estimate(denoiser, folder, tmp_path):
    denoise_files(denoiser, [folder / "sub" / "long.wav", folder / "sub" / "stereo24.flac"],
                  tmp_path / "out", progress=False)
    noisy, _ = sf.read(folder / "sub" / "long.wav", dtype="float32")
    written, _ = sf.read(tmp_path / "out" / "long.wav", dtype="float32")
    want = np.clip(denoiser(noisy)[0], -1, 1)
    np.testing.assert_allclose(written, want, atol=1 / 32768 + 1e-6)  # 16-bit rounding
    stereo, _ = sf.read(tmp_path / "out" / "stereo24.flac")
    assert stereo.shape == (4410, 2) and not np.allclose(stereo[:, 0], stereo[:, 1])


def test_channels_can_be_mixed_down(denoiser, folder, tmp_path):
    result, = denoise_files(denoiser, [folder / "sub" / "stereo24.flac"], tmp_path / "out",
                            channels="mix", progress=False)
    assert sf.info(tmp_path / "out" / "stereo24.flac").channels == 1
    assert result.notes[0] == "2 channels mixed down to one"


def test_inputs_and_existing_outputs_are_not_overwritten(denoiser, folder, tmp_path):
    before = _digest(folder)
    results = denoise_files(denoiser, [folder / "plain.wav"], folder, progress=False)
    assert results[0].error == f"{folder / 'plain.wav'} is one of the inputs; choose another output folder"
    assert _digest(folder) == before
    out = tmp_path / "out"
    denoise_files(denoiser, [folder / "plain.wav"], out, progress=False)
    (out / "plain.wav").write_bytes(b"keep me")
    again, = denoise_files(denoiser, [folder / "plain.wav"], out, progress=False)
    assert "exists; pass --overwrite" in again.error and (out / "plain.wav").read_bytes() == b"keep me"
    replaced, = denoise_files(denoiser, [folder / "plain.wav"], out, overwrite=True, progress=False)
    assert replaced.error is None and sf.info(out / "plain.wav").frames == 4800
    assert not list(out.glob(".*partial"))


def test_an_output_folder_that_cannot_be_written_is_refused_before_any_audio(denoiser, folder,
                                                                           tmp_path):
    (tmp_path / "a_file").write_text("not a folder")
    for out in (tmp_path / "a_file", tmp_path / "a_file" / "below"):
        with pytest.raises(ValueError, match=f"output folder {out} cannot be written"):
            denoise_files(denoiser, [folder], out, progress=False)
