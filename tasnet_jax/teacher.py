"""Distillation: a trained model's estimates as a second training target.

A small model trained on synthetic speech learns that speech. Asked also to
match, on the same mixtures, the estimates of a model that learned more
(`config.loss.teacher`: anything `inference.load` takes), it takes on some
of what the teacher learned elsewhere: the quickstart, trained on the
embedded corpus with `pretrained/robust_recorded` as its teacher, denoises
real recordings 0.6-0.7 dB better over two seeds (benchmarks/RESULTS.md,
session 18). The teacher runs on the host's batch before each step, on one
device, in runs of one process (several processes: not yet).
"""
from typing import Callable, Iterator

import jax
import numpy as np

from tasnet_jax.configs import ConvTasNetConfig


def load_teacher(source, model_config: ConvTasNetConfig) -> Callable:
    """teach(mixture [batch, samples], length [batch]) -> the teacher's
    estimates [batch, n_src, samples], as numpy."""
    from tasnet_jax.inference import load
    from tasnet_jax.model import ConvTasNet

    teacher = load(source)
    # A speech-only model (n_src=1) learns the teacher's speech alone.
    for field, short in (("n_src", model_config.n_src > teacher.config.n_src),
                         ("sample_rate", model_config.sample_rate != teacher.config.sample_rate)):
        if short:
            raise ValueError(f"config.loss.teacher={source}: its {field} is "
                             f"{getattr(teacher.config, field)}, the model's "
                             f"{getattr(model_config, field)}; a teacher must give at least "
                             "the model's sources, at its rate")
    apply = jax.jit(ConvTasNet(teacher.config).apply)

    def teach(mixture, length):
        return np.asarray(apply(teacher.variables, mixture, length))

    return teach


def taught(batches: Iterator[dict], teach: Callable) -> Iterator[dict]:
    """Each batch with its teacher's estimates under "teacher"."""
    for batch in batches:
        yield {**batch, "teacher": teach(batch["mixture"], batch["length"])}
