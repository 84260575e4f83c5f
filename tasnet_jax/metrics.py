"""Speech-quality metrics of a denoised utterance, through maintained packages.

    SDR    BSS-Eval signal-to-distortion ratio (fast_bss_eval; equal to
           mir_eval's bss_eval_sources, whose separation module is deprecated)
    PESQ   ITU-T P.862.2 wide-band at 16 kHz, narrow-band at 8 kHz (pesq)
    STOI   short-time objective intelligibility (pystoi)

each for the estimate and for the unprocessed mixture, so improvements can be
reported. PESQ is defined at 8 and 16 kHz only; other rates are resampled to
16 kHz (soxr) for it. PESQ fails on audio it finds no speech in; such an
utterance gets NaN there and is left out of that mean.
"""
import fast_bss_eval
import numpy as np
import soxr
from pesq import PesqError, pesq
from pystoi import stoi

SDR_CLAMP_DB = 100.0  # a perfect estimate's SDR is infinite; reported as 100 dB


def _pesq(clean, degraded, rate):
    if rate not in (8000, 16000):
        clean, degraded = (soxr.resample(x, rate, 16000) for x in (clean, degraded))
        rate = 16000
    score = pesq(rate, clean, degraded, "wb" if rate == 16000 else "nb",
                 on_error=PesqError.RETURN_VALUES)
    return float("nan") if score < 0 else float(score)


def utterance_metrics(clean, estimate, mixture, rate: int) -> dict:
    """SDR, PESQ and STOI of `estimate` and of `mixture` against `clean` (1-D arrays)."""
    clean, estimate, mixture = (np.asarray(x, np.float64) for x in (clean, estimate, mixture))
    out = {}
    for name, signal in (("", estimate), ("mixture_", mixture)):
        sdr = fast_bss_eval.sdr(clean[None], signal[None], clamp_db=SDR_CLAMP_DB)
        out[f"{name}sdr"] = float(sdr[0])
        out[f"{name}pesq"] = _pesq(clean, signal, rate)
        out[f"{name}stoi"] = float(stoi(clean, signal, rate))
    return out


def summarize(per_utterance: list[dict]) -> dict:
    """Means over utterances (NaN left out) and improvements over the mixture."""
    keys = per_utterance[0].keys()
    means = {k: float(np.nanmean([m[k] for m in per_utterance])) for k in keys}
    for metric in ("sdr", "pesq", "stoi"):
        means[f"{metric}_improvement"] = means[metric] - means[f"mixture_{metric}"]
    return means
