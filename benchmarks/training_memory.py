"""What XLA allocates for one training step's gradients, with and without remat.

    python benchmarks/training_memory.py [--sizes small paper] [--norms global cumulative]

Compiles (does not run) the gradient of a loss on the model's output for a
batch of 4 x 4 s at 16 kHz with padding lengths, as the training step computes
it, and prints XLA's temporary buffer size from `memory_analysis()`: the
memory a step needs beyond parameters, inputs and outputs. `ConvTasNetConfig.
remat` should shrink it to about one TCN block's activations plus each
block's input; set XLA_FLAGS=--xla_cpu_scheduler_type=CPU_SCHEDULER_TYPE_MEMORY_OPTIMIZED
to see what XLA:CPU's other scheduler makes of it.
"""
import argparse

import jax
import jax.numpy as jnp
import numpy as np

from tasnet_jax.model import SIZES, ConvTasNet


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", nargs="+", default=["small", "paper"], choices=SIZES)
    parser.add_argument("--norms", nargs="+", default=["global", "cumulative"])
    args = parser.parse_args()
    wav = np.zeros((4, 64000), np.float32)
    length = np.full(4, 64000, np.int32)
    print(f"jax {jax.__version__} on {jax.devices()[0].device_kind}; batch 4 x 4 s\n")
    print("| size | norm | remat | temporary buffers GB |")
    print("|---|---|---|---|")
    for size in args.sizes:
        for norm in args.norms:
            for remat in (False, True):
                model = ConvTasNet(SIZES[size](norm=norm, causal=norm != "global", remat=remat))
                params = model.init(jax.random.key(0), wav[:1, :400])["params"]

                def loss(params, model=model):
                    return jnp.sum(model.apply({"params": params}, wav, length) ** 2)

                compiled = jax.jit(jax.grad(loss)).lower(params).compile()
                print(f"| {size} | {norm} | {remat} | "
                      f"{compiled.memory_analysis().temp_size_in_bytes / 1e9:.2f} |", flush=True)


if __name__ == "__main__":
    main()
