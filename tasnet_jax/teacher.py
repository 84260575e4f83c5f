"""Distillation: a trained model's estimates as a second training target.

A small model trained on synthetic speech learns that speech. Asked also to
match, on the same mixtures, the estimates of a model that learned more
(`config.loss.teacher`: anything `inference.load` takes), it takes on some
of what the teacher learned elsewhere: the quickstart, trained on the
embedded corpus with `pretrained/robust_recorded` as its teacher, denoises
real recordings 0.6-0.7 dB better over two seeds (benchmarks/RESULTS.md,
session 18). The teacher's forward pass runs inside the jitted train step
(step.py), on each device's slice of the batch, with its variables copied
to every device of the mesh like the model's.
"""
import dataclasses

import jax
import numpy as np

from tasnet_jax.configs import ConvTasNetConfig
from tasnet_jax.model import ConvTasNet
from tasnet_jax.parallel import replicated


@dataclasses.dataclass(frozen=True)
class Teacher:
    """model.apply(variables, mixture, length) gives its estimates."""
    model: ConvTasNet
    variables: dict  # replicated over the training mesh


def load_teacher(source, model_config: ConvTasNetConfig, mesh) -> Teacher:
    """The model at `source` (anything inference.load takes), checked against the
    model it teaches, its variables on every device of `mesh`."""
    from tasnet_jax.inference import load

    loaded = load(source)
    # A speech-only model (n_src=1) learns the teacher's speech alone.
    for field, short in (("n_src", model_config.n_src > loaded.config.n_src),
                         ("sample_rate", model_config.sample_rate != loaded.config.sample_rate)):
        if short:
            raise ValueError(f"config.loss.teacher={source}: its {field} is "
                             f"{getattr(loaded.config, field)}, the model's "
                             f"{getattr(model_config, field)}; a teacher must give at least "
                             "the model's sources, at its rate")
    sharding = replicated(mesh)

    def put(value):
        # Every process holds the same values: each fills its own devices' copies.
        value = np.asarray(value)
        return jax.make_array_from_callback(value.shape, sharding, lambda index: value[index])

    return Teacher(ConvTasNet(loaded.config), jax.tree.map(put, loaded.variables))
