"""What a run reports: history.jsonl and TensorBoard (scalars, audio, spectrograms).

Only the main process writes; on the others every call does nothing. A
resumed run logs again the steps after the checkpoint it resumes from, so
each step must count once: history.jsonl loses its rows after that step when
the run starts, and TensorBoard is told with a SessionLog.START event at the
first step logged again, on which TensorBoard's loader drops what earlier
event files hold from that step on (it ignores a run's first START). Without
it, TF2-style event files show every re-logged step twice. Every scalar is
flushed as it is written (flax's auto_flush), so a kill loses none.
"""
import json
import os
import time
from pathlib import Path

import numpy as np


def spectrogram_image(signals, frame: int = 512, hop: int = 128) -> np.ndarray:
    """Log-power spectrograms of `signals` stacked top to bottom, low frequencies
    at the bottom of each, scaled to [0, 1]: an [height, width, 1] image."""
    window = np.hanning(frame)
    panels = []
    for signal in signals:
        starts = range(0, max(len(signal) - frame, 0) + 1, hop)
        frames = np.stack([signal[s:s + frame] * window for s in starts])
        power = np.abs(np.fft.rfft(frames, axis=-1)) ** 2
        panels.append(np.log10(power + 1e-10).T[::-1])
    image = np.concatenate(panels, axis=0)
    top = image.max()
    image = np.clip((image - (top - 8)) / 8, 0, 1)  # the top 80 dB
    return image[..., None].astype(np.float32)


def _rows_before(history: Path, step: int):
    """Rewrite `history` with only the training rows up to `step`: a resumed run
    logs the steps after its checkpoint again, and its test phase again. A row
    cut short by a kill mid-write is dropped too."""
    if not history.exists():
        return
    kept = []
    for line in history.read_text().splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if row.get("step", 0) <= step and not any(key.startswith("test_") for key in row):
            kept.append(line + "\n")
    partial = history.with_name(history.name + ".partial")
    partial.write_text("".join(kept))
    os.replace(partial, history)


class Reporter:
    def __init__(self, workdir, enabled: bool, start_step: int = 0):
        """`start_step`: the step a run starts or resumes from; history rows
        after it are dropped, since the run logs those steps again."""
        self.enabled = enabled
        if not enabled:
            return
        from flax.metrics import tensorboard

        _rows_before(Path(workdir) / "history.jsonl", start_step)
        self._history = open(Path(workdir) / "history.jsonl", "a")
        self._writer = tensorboard.SummaryWriter(str(Path(workdir) / "tensorboard"))
        self._session_start(start_step + 1)

    def _session_start(self, step: int):
        import tensorflow as tf
        from tensorboard.compat.proto import event_pb2

        event = event_pb2.Event(wall_time=time.time(), step=step,
                                session_log=event_pb2.SessionLog(status=event_pb2.SessionLog.START))
        # tf.summary has no call for a raw Event; ImportEvent writes one into
        # the writer's own file, so it sits after the older files' events.
        tf.raw_ops.ImportEvent(writer=self._writer._event_writer._resource,
                               event=event.SerializeToString())

    def scalars(self, step: int, values: dict):
        if not self.enabled:
            return
        self._history.write(json.dumps({"step": step, **values}) + "\n")
        self._history.flush()
        for name, value in values.items():
            self._writer.scalar(name, value, step)

    def sample(self, step: int, name: str, noisy, denoised, clean, rate: int):
        """Audio of one utterance and a picture of its three spectrograms."""
        if not self.enabled:
            return
        for kind, audio in (("noisy", noisy), ("denoised", denoised), ("clean", clean)):
            self._writer.audio(f"{name}/{kind}", np.clip(audio, -1, 1)[None, :, None], step,
                               sample_rate=rate)
        self._writer.image(f"{name}/spectrograms_noisy_denoised_clean",
                           spectrogram_image([noisy, denoised, clean]), step)

    def close(self):
        if self.enabled:
            self._history.close()
            self._writer.flush()
            self._writer.close()
