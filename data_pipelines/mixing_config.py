"""How training mixtures are made: a plain dataclass, cheap to import.

Experiment files import it before the pipeline (and TensorFlow) is needed;
data_pipelines.pipeline re-exports it.
"""
import dataclasses


@dataclasses.dataclass(frozen=True)
class MixingConfig:
    """How training mixtures are made (augment.py says what each stage does).
    Probabilities are per example; ranges are drawn uniformly."""

    segment_seconds: float = 4.0  # training crop; shorter utterances are zero-padded
    snr_db: tuple[float, float] = (-5.0, 15.0)  # reverberant speech to all the noise
    gain_db: tuple[float, float] = (-6.0, 6.0)  # level of the whole mixture
    shuffle_buffer: int = 1024
    max_noises: int = 1  # noise clips per mixture: 1 to this many
    extra_noise_db: tuple[float, float] = (-10.0, 0.0)  # each clip after the first, to the first
    speed_prob: float = 0.0
    speed_factor: tuple[float, float] = (0.9, 1.1)  # > 1: faster and higher
    speech_eq_prob: float = 0.0  # the speech alone through shelves and peaks (channel_gain_db)
    reverb_prob: float = 0.0  # speech in a room; the target keeps the first 50 ms
    noise_reverb_prob: float = 0.0  # the noise in a room of its own
    rt60_s: tuple[float, float] = (0.2, 1.0)
    drr_db: tuple[float, float] = (-3.0, 12.0)  # direct-to-reverberant energy ratio
    channel_prob: float = 0.0  # microphone colouring: shelves and peaks
    channel_gain_db: tuple[float, float] = (-8.0, 8.0)  # each shelf's and peak's gain
    lowpass_prob: float = 0.0  # of a coloured example, band-limited as well
    lowpass_hz: tuple[float, float] = (4000.0, 8000.0)
    clip_prob: float = 0.0  # mixture driven past full scale and clipped
    clip_db: tuple[float, float] = (0.0, 9.0)  # its peak, above full scale

    def __post_init__(self):
        def fail(name, why):
            raise ValueError(f"MixingConfig.{name}={getattr(self, name)!r}: {why}")

        if self.segment_seconds <= 0:
            fail("segment_seconds", "must be > 0")
        if self.shuffle_buffer < 1:
            fail("shuffle_buffer", "must be >= 1")
        if self.max_noises < 1:
            fail("max_noises", "must be >= 1")
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.name.endswith("_prob") and not 0 <= value <= 1:
                fail(field.name, "a probability must lie in [0, 1]")
            if isinstance(value, tuple):
                if len(value) != 2 or value[0] > value[1]:
                    fail(field.name, "must be a (low, high) range with low <= high")
        for name in ("speed_factor", "rt60_s", "lowpass_hz"):
            if getattr(self, name)[0] <= 0:
                fail(name, "must be > 0")
