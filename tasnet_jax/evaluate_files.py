"""Score a denoiser on a folder of noisy recordings against their clean references.

    rows, summary = evaluate_folders(denoiser, "test/noisy", "test/clean")

Files pair up by their path under each folder (the layout VoiceBank-DEMAND's
test set has). Each row holds SI-SNR, SDR, PESQ and STOI of the speech
estimate and of the noisy input; the summary their means and improvements.
Audio is compared at the model's sample rate, mixed down to mono.
"""
from pathlib import Path

import jax.numpy as jnp

from data_pipelines.audio import AudioError, read_audio
from tasnet_jax.denoise_files import find_inputs
from tasnet_jax.inference import Denoiser
from tasnet_jax.losses import si_snr
from tasnet_jax.metrics import summarize, utterance_metrics


def si_snr_db(estimate, reference) -> float:
    """Scale-invariant SNR in dB of one utterance: the training loss's measure."""
    return float(si_snr(jnp.asarray(estimate, jnp.float32), jnp.asarray(reference, jnp.float32)))


def evaluate_folders(denoiser: Denoiser, noisy_dir, clean_dir) -> tuple[list[dict], dict]:
    """(one row per file, mean scores); a file that fails gets a row with its error."""
    rate, rows = denoiser.sample_rate, []
    pairs = find_inputs([noisy_dir])
    if not pairs:
        raise FileNotFoundError(f"no audio files under {noisy_dir}")
    for noisy_path, name in pairs:
        row = {"file": str(name)}
        try:
            noisy = read_audio(noisy_path, rate)
            clean = read_audio(Path(clean_dir) / name, rate)
            if clean.size != noisy.size:
                raise AudioError(f"{name}: noisy has {noisy.size} samples, clean {clean.size}")
            speech = denoiser(noisy)[0]
        except (AudioError, ValueError) as err:
            rows.append({**row, "error": str(err)})
            continue
        row.update(si_snr=si_snr_db(speech, clean), mixture_si_snr=si_snr_db(noisy, clean))
        row.update(utterance_metrics(clean, speech, noisy, rate))
        rows.append(row)
    scored = [{k: v for k, v in row.items() if k != "file"} for row in rows if "error" not in row]
    if not scored:
        raise ValueError(f"none of the {len(rows)} files under {noisy_dir} could be scored; "
                         f"the first: {rows[0]['error']}")
    summary = summarize(scored)
    summary["si_snr_improvement"] = summary["si_snr"] - summary["mixture_si_snr"]
    summary.update(files=len(scored), failed=len(rows) - len(scored))
    return rows, summary
