"""The tasnet-jax command: exit status, messages, and its outputs against the Python API."""
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from tasnet_jax import inference
from tasnet_jax.cli import main
from tasnet_jax.evaluate_files import si_snr_db


@pytest.fixture(scope="module")
def causal_run(make_run):
    workdir, _, _ = make_run(causal=True, norm="cumulative")
    return workdir


def test_denoise_names_each_failure_and_exits_1(causal_run, tmp_path, write_audio, capsys):
    write_audio(tmp_path / "in" / "a.wav", seconds=0.2)
    (tmp_path / "in" / "b.wav").write_text("not audio")
    status = main(["denoise", str(causal_run), str(tmp_path / "in"), "-o", str(tmp_path / "out"),
                   "--quiet"])
    err = capsys.readouterr().err
    assert status == 1
    assert f"error: {tmp_path / 'in' / 'b.wav'}: not readable audio" in err
    assert "denoised 1 of 2 files" in err and (tmp_path / "out" / "a.wav").is_file()
    write_audio(tmp_path / "good" / "c.wav", seconds=0.2)
    assert main(["denoise", str(causal_run), str(tmp_path / "good"), "-o",
                 str(tmp_path / "out"), "--quiet"]) == 0


def test_denoise_dry_writes_that_share_of_the_input_back(causal_run, tmp_path, write_audio,
                                                         capsys):
    write_audio(tmp_path / "in" / "a.wav", seconds=0.2)
    noisy, _ = sf.read(tmp_path / "in" / "a.wav", dtype="float32")
    outputs = {}
    for dry in ("0", "0.25"):
        out = tmp_path / f"out{dry}"
        assert main(["denoise", str(causal_run), str(tmp_path / "in"), "-o", str(out),
                     "--dry", dry, "--quiet"]) == 0
        outputs[dry], _ = sf.read(out / "a.wav", dtype="float32")
    # Written as 16-bit PCM like the input: within a few quantization steps.
    np.testing.assert_allclose(outputs["0.25"], 0.75 * outputs["0"] + 0.25 * noisy, atol=1e-4)
    assert main(["denoise", str(causal_run), str(tmp_path / "in"), "-o", str(tmp_path / "x"),
                 "--dry", "2"]) == 2
    assert "Denoiser.dry must be in [0, 1], got 2.0" in capsys.readouterr().err


def test_a_bad_checkpoint_exits_2_with_its_name(tmp_path, capsys):
    assert main(["denoise", str(tmp_path / "nowhere"), "x.wav", "-o", str(tmp_path)]) == 2
    assert f"tasnet-jax denoise: error: no checkpoints at {tmp_path / 'nowhere'}" in \
        capsys.readouterr().err


def test_stream_writes_the_offline_output_and_reports_latency(causal_run, tmp_path, write_audio,
                                                              capsys):
    write_audio(tmp_path / "in.wav", seconds=0.5)
    assert main(["stream", str(causal_run), str(tmp_path / "in.wav"), "-o",
                 str(tmp_path / "out.wav"), "--block-ms", "10"]) == 0
    err = capsys.readouterr().err
    assert "block 160 samples (10.0 ms); algorithmic latency 10.94 ms" in err
    assert "over 50 blocks" in err and "real-time factor" in err
    noisy, _ = sf.read(tmp_path / "in.wav", dtype="float32")
    streamed, _ = sf.read(tmp_path / "out.wav", dtype="float32")
    # The offline output, at a level fitted as the stream goes: by its end, the offline fit.
    offline = inference.load(causal_run)(noisy)[0]
    assert streamed.shape == offline.shape
    np.testing.assert_allclose(streamed[-100:], offline[-100:], atol=1 / 32768 + 1e-4)
    assert main(["stream", str(causal_run), str(tmp_path / "in.wav"), "-o",
                 str(tmp_path / "in.wav")]) == 2
    assert "is one of the inputs" in capsys.readouterr().err


def test_stream_pipes_raw_pcm_from_stdin_to_stdout(causal_run):
    pcm = np.random.default_rng(0).integers(-8000, 8000, 3000).astype("<i2")
    done = subprocess.run([sys.executable, "-m", "tasnet_jax", "stream", str(causal_run), "-",
                           "-o", "-", "--block-ms", "4"], input=pcm.tobytes(),
                          capture_output=True, check=True, timeout=300)
    out = np.frombuffer(done.stdout, "<i2")
    offline = inference.load(causal_run)(pcm / 32768)[0]
    assert out.size == pcm.size
    np.testing.assert_allclose(out[-15:] / 32768, offline[-15:], atol=2 / 32768)  # the flush
    assert b"real-time factor" in done.stderr


def test_evaluate_scores_pairs_by_name(causal_run, tmp_path, write_audio, capsys):
    write_audio(tmp_path / "noisy" / "x.wav", seconds=0.3, seed=1)
    write_audio(tmp_path / "clean" / "x.wav", seconds=0.3, seed=2)
    write_audio(tmp_path / "noisy" / "orphan.wav", seconds=0.3)
    status = main(["evaluate", str(causal_run), "--noisy", str(tmp_path / "noisy"),
                   "--clean", str(tmp_path / "clean"), "--csv", str(tmp_path / "scores.csv")])
    out = capsys.readouterr()
    assert status == 1 and f"{tmp_path / 'clean' / 'orphan.wav'}: no such file" in out.err
    assert '"files": 1' in out.out and '"si_snr_improvement"' in out.out
    assert (tmp_path / "scores.csv").read_text().startswith("file,")


def test_si_snr_of_a_known_mixture():
    """An estimate of target plus orthogonal noise at 1/10 its power: 10 dB, whatever the scale."""
    t = np.arange(16000) / 16000
    clean = np.sin(2 * np.pi * 440 * t)
    noise = np.sin(2 * np.pi * 1000 * t) * np.sqrt(0.1)
    assert si_snr_db(3 * (clean + noise), clean) == pytest.approx(10.0, abs=1e-6)
