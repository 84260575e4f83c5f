"""Every config a run reads: plain dataclasses and one ConfigDict, cheap to import.

Experiment files import only this module and `launch`, so that a launch
which restarts itself (host_memory.restart_with_huge_pages) has not yet paid
for TensorFlow, JAX or Flax when it does. The modules that compute (model,
optim, pipeline, train) re-export what they take from here, and map the
names below to the functions they stand for.
"""
import dataclasses
import functools

import ml_collections
from ml_collections import config_dict

from data_pipelines.mixing_config import MixingConfig

NORMS = ("global", "cumulative", "channel", "batch")  # gLN, cgLN, cLN, BN
CAUSAL_NORMS = ("cumulative", "channel", "batch")
COMPUTE_DTYPES = ("float32", "bfloat16")
ENCODER_ACTIVATIONS = ("linear", "relu")
MASK_ACTIVATIONS = ("sigmoid", "relu", "softmax", "linear")
OPTIMIZERS = ("adam", "adamw", "sgd")


@dataclasses.dataclass(frozen=True)
class ConvTasNetConfig:
    """Hyper-parameters; the defaults are the paper's best non-causal model.

    Paper letters in brackets. `norm` is one of NORMS; a causal model
    needs a causal norm ("cumulative", "channel" or "batch").
    """

    n_src: int = 2  # sources out: [speech, noise] for denoising
    n_filters: int = 512  # N
    filter_length: int = 16  # L, in samples
    stride: int = 8  # hop between frames, L/2 in the paper
    bottleneck_channels: int = 128  # B
    hidden_channels: int = 512  # H
    skip_channels: int = 128  # Sc; 0 sends the residual path to the masks
    kernel_size: int = 3  # P
    blocks_per_repeat: int = 8  # X; block x has dilation 2**x
    repeats: int = 3  # R
    norm: str = "global"
    causal: bool = False
    encoder_activation: str = "linear"
    mask_activation: str = "sigmoid"
    sample_rate: int = 16000  # of the audio the model is trained on
    # The separator's matmuls and convolutions; "bfloat16" for speed on
    # accelerators. Parameters, norm statistics, encoder, decoder and output
    # stay float32.
    compute_dtype: str = "float32"
    # Recompute each TCN block's activations in the backward pass instead of
    # keeping them, for one more forward pass of compute; outputs and
    # gradients are unchanged. What memory it saves is up to XLA's scheduler:
    # on XLA:CPU the paper model's training buffers shrank by 1% (gLN) and 0%
    # (cLN) (benchmarks/RESULTS.md); not yet measured on a GPU.
    remat: bool = False

    def __post_init__(self):
        for field in ("n_src", "n_filters", "filter_length", "stride", "bottleneck_channels",
                      "hidden_channels", "kernel_size", "blocks_per_repeat", "repeats",
                      "sample_rate"):
            value = getattr(self, field)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"ConvTasNetConfig.{field} must be a positive int, got {value!r}")
        if not isinstance(self.skip_channels, int) or self.skip_channels < 0:
            raise ValueError(
                f"ConvTasNetConfig.skip_channels must be an int >= 0, got {self.skip_channels!r}")
        if self.stride > self.filter_length:
            raise ValueError(f"ConvTasNetConfig.stride={self.stride} is larger than "
                             f"filter_length={self.filter_length}: samples would be skipped")
        if self.norm not in NORMS:
            raise ValueError(f"ConvTasNetConfig.norm={self.norm!r}; choose one of {NORMS}")
        if self.causal and self.norm not in CAUSAL_NORMS:
            raise ValueError(f"ConvTasNetConfig.norm={self.norm!r} looks at the future; a causal "
                             f"model needs one of {CAUSAL_NORMS}")
        if not self.causal and self.kernel_size % 2 == 0:
            raise ValueError(f"ConvTasNetConfig.kernel_size={self.kernel_size}: a non-causal model "
                             "pads symmetrically and needs an odd kernel size")
        if self.encoder_activation not in ENCODER_ACTIVATIONS:
            raise ValueError(f"ConvTasNetConfig.encoder_activation={self.encoder_activation!r}; "
                             f"choose one of {ENCODER_ACTIVATIONS}")
        if not isinstance(self.remat, bool):
            raise ValueError(f"ConvTasNetConfig.remat must be True or False, got {self.remat!r}")
        if self.compute_dtype not in COMPUTE_DTYPES:
            raise ValueError(f"ConvTasNetConfig.compute_dtype={self.compute_dtype!r}; choose one "
                             f"of {COMPUTE_DTYPES}")
        if self.mask_activation not in MASK_ACTIVATIONS:
            raise ValueError(f"ConvTasNetConfig.mask_activation={self.mask_activation!r}; "
                             f"choose one of {MASK_ACTIVATIONS}")

    @property
    def receptive_field(self) -> int:
        """Input samples that can influence one output sample."""
        frames = 1 + self.repeats * sum(
            (self.kernel_size - 1) * 2**x for x in range(self.blocks_per_repeat))
        return (frames - 1) * self.stride + self.filter_length

    @property
    def context(self) -> tuple[int, int]:
        """(past, future): how many input samples before and after an output
        sample can influence it, through the TCN's span and the frames' overlap."""
        span = self.repeats * sum((self.kernel_size - 1) * 2**x
                                  for x in range(self.blocks_per_repeat))
        past_frames = span if self.causal else span // 2
        reach = self.filter_length - 1
        return past_frames * self.stride + reach, (span - past_frames) * self.stride + reach


# Size variants. The small one is the CPU benchmark's (N=128, B=64, H=128,
# Sc=64, X=6, R=2): about 1/25 of the paper model's compute.
paper_config = ConvTasNetConfig
small_config = functools.partial(
    ConvTasNetConfig, n_filters=128, bottleneck_channels=64, hidden_channels=128,
    skip_channels=64, blocks_per_repeat=6, repeats=2)
SIZES = {"paper": paper_config, "small": small_config}


@dataclasses.dataclass(frozen=True)
class OptimConfig:
    name: str = "adam"  # one of OPTIMIZERS
    learning_rate: float = 1e-3
    clip_norm: float = 5.0  # global gradient norm; 0 turns clipping off
    plateau_patience: int = 3  # evaluations without improvement before the rate drops
    plateau_factor: float = 0.5
    min_learning_rate: float = 1e-8
    early_stop_patience: int = 10  # evaluations without improvement before training stops
    # A short run gains from ending at a low rate: after `decay_begin_step`
    # updates, every update is scaled down linearly to 0 over `decay_steps`
    # (0: no decay, the paper's schedule alone).
    decay_begin_step: int = 0
    decay_steps: int = 0

    def __post_init__(self):
        if self.name not in OPTIMIZERS:
            raise ValueError(f"OptimConfig.name={self.name!r}; choose one of {OPTIMIZERS}")
        if self.learning_rate <= 0:
            raise ValueError(f"OptimConfig.learning_rate must be > 0, got {self.learning_rate}")
        if self.clip_norm < 0:
            raise ValueError(f"OptimConfig.clip_norm must be >= 0, got {self.clip_norm}")
        if not 0 < self.plateau_factor < 1:
            raise ValueError(f"OptimConfig.plateau_factor must lie in (0, 1), got "
                             f"{self.plateau_factor}")
        for name in ("decay_begin_step", "decay_steps"):
            if getattr(self, name) < 0:
                raise ValueError(f"OptimConfig.{name} must be >= 0, got {getattr(self, name)}")
        for name in ("plateau_patience", "early_stop_patience"):
            if getattr(self, name) < 1:
                raise ValueError(f"OptimConfig.{name} must be >= 1, got {getattr(self, name)}")


def default_config() -> ml_collections.ConfigDict:
    """Every key a run reads, with the paper's setup as values; experiments
    (experiments/*.py) start here and change what they need."""
    config = ml_collections.ConfigDict()
    config.model = dataclasses.asdict(ConvTasNetConfig())
    config.data = dict(
        corpus="tiny_noisy_speech",  # a name in data_pipelines.prepare.BUILDERS
        data_dir=config_dict.placeholder(str),  # tfds's default when None
        manual_dir=config_dict.placeholder(str),  # the downloaded corpus, if it needs one
        builder_config=config_dict.placeholder(str),  # e.g. "48k"; the builder's default if None
        train_split="train", validation_split="validation", test_split="test",
        # More corpora to train on beside `corpus` (validation and test stay on it): a
        # tuple of dicts with keys corpus, speech and noise (weights against corpus's 1:
        # the share of speech and of noise clips drawn from it), and optionally
        # manual_dir, data_dir, builder_config, split (default "train").
        extra=(),
        # "idle": the training pipeline's threads run only on CPU time the step leaves
        # (Linux's SCHED_IDLE, back to normal if that starves training:
        # data_pipelines/idle_input.py); "normal": as the caller's.
        input_priority="idle")
    config.mixing = dataclasses.asdict(MixingConfig())
    config.optim = dataclasses.asdict(OptimConfig())
    # teacher: a trained model (anything inference.load takes) whose estimates the
    # model also learns to match, for teacher_weight of the loss (tasnet_jax/teacher.py).
    config.loss = dict(pit=False, source_weights=config_dict.placeholder(tuple),
                       teacher=config_dict.placeholder(str), teacher_weight=0.5)
    config.global_batch_size = 8
    config.seed = 0
    config.num_steps = 100_000
    config.log_every_steps = 50
    config.eval_every_steps = 2_000  # the "epoch" of the plateau schedule
    config.checkpoint_every_steps = 500
    config.keep_best = 3
    config.max_skipped_in_a_row = 20
    # Fine-tuning: start from this model's parameters (a run's workdir or checkpoints/,
    # an Asteroid file, a Hub id), with its model config and a fresh optimizer.
    config.init_from = config_dict.placeholder(str)
    return config
