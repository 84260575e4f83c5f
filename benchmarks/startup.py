"""Time to the first training step: import, init, compile, first step; cold and warm cache.

    .venv/bin/python benchmarks/startup.py [--configs small paper] [--batch 4] [--seconds 4]
        [--per-parameter-optimizer] [--uncached]

Each row is a fresh process (what a user's second launch is): the first with
an empty compilation cache (tasnet_jax/compile_cache.py), the second reading
what the first wrote. Phases: `import` (jax, flax, optax and the model
code), `init` (parameters and optimizer state on the device), `compile`
(lowering and compiling the jitted training step; a warm cache loads it) and
`first step` (running it once on zeros, the buffers' first allocation
included); `compile` split into tracing to a jaxpr, lowering to StableHLO
and XLA's compile (or, warm, loading it from the cache). `total` ends
there; `2nd step` is the next call, for what a step costs once everything
is in place, so that `1st step` less `2nd step` is what the first call pays
once; of the first call, the system (kernel) CPU seconds and the minor page
faults it took are printed too. `--uncached` adds a row with the cache
turned off (a compile that writes nothing). `small` is the quickstart's model, `paper` the paper's.
`--per-parameter-optimizer` measures the optimizer as it was before its
state became one vector.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROCESS = """
import time
began = time.perf_counter()
import sys
sys.path.insert(0, {root!r})
import jax, jax.numpy as jnp
from tasnet_jax.compile_cache import enable_from_env
from tasnet_jax.losses import neg_si_snr
from tasnet_jax.model import ConvTasNet, ConvTasNetConfig, small_config
from tasnet_jax.optim import OptimConfig, make_optimizer
from tasnet_jax.parallel import make_mesh
from tasnet_jax.step import create_train_state, jit_train_step
enable_from_env()
times = {{"import": time.perf_counter() - began}}
config = {config}
model, mesh = ConvTasNet(config), make_mesh()
optimizer = make_optimizer(OptimConfig(), one_vector=not {per_parameter})
tick = time.perf_counter()
state = create_train_state(model, optimizer, jax.random.key(0),
                           jnp.zeros((1, config.filter_length)), mesh)
jax.block_until_ready(state)
times["init"] = time.perf_counter() - tick
samples = int({seconds} * config.sample_rate)
batch = dict(mixture=jnp.zeros(({batch}, samples)), sources=jnp.zeros(({batch}, 2, samples)),
             length=jnp.full(({batch},), samples, jnp.int32))
tick = time.perf_counter()
traced = jit_train_step(model, optimizer, neg_si_snr, mesh).trace(state, batch)
times["trace"] = time.perf_counter() - tick
lowered = traced.lower()
times["lower"] = time.perf_counter() - tick - times["trace"]
step = lowered.compile()
times["compile"] = time.perf_counter() - tick
times["xla"] = times["compile"] - times["trace"] - times["lower"]
import resource
before, tick = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
state, _ = jax.block_until_ready(step(state, batch))
times["first step"] = time.perf_counter() - tick
after = resource.getrusage(resource.RUSAGE_SELF)
times["first step kernel"] = after.ru_stime - before.ru_stime
times["first step faults"] = after.ru_minflt - before.ru_minflt
times["total"] = time.perf_counter() - began
tick = time.perf_counter()
jax.block_until_ready(step(state, batch))
times["second step"] = time.perf_counter() - tick
print("TIMES", json.dumps(times))
"""

CONFIGS = {
    "small": "small_config(filter_length=32, stride=16, blocks_per_repeat=7)",  # the quickstart's
    "paper": "ConvTasNetConfig()",
}


def run(name, cache, batch, seconds, per_parameter=False) -> dict:
    script = "import json\n" + PROCESS.format(root=str(ROOT), config=CONFIGS[name],
                                               batch=batch, seconds=seconds,
                                               per_parameter=per_parameter)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=dict(os.environ, TASNET_JAX_COMPILE_CACHE=str(cache)), check=True)
    line = next(line for line in done.stdout.splitlines() if line.startswith("TIMES "))
    return json.loads(line[len("TIMES "):])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=4.0, help="training segment length")
    parser.add_argument("--uncached", action="store_true",
                        help="also a row with the compilation cache turned off")
    parser.add_argument("--per-parameter-optimizer", action="store_true",
                        help="the optimizer state per parameter array, as until 2026-11-27")
    args = parser.parse_args()
    import jax

    print(f"{jax.devices()[0].device_kind}, jax {jax.__version__}; batch {args.batch} x "
          f"{args.seconds} s; seconds per phase, a fresh process each")
    print(f"{'config':8} {'cache':6} {'import':>7} {'init':>7} {'compile':>8} "
          f"{'(trace':>7} {'lower':>6} {'xla)':>6} {'1st step':>9} {'total':>7} {'2nd step':>9}"
          f" {'1st: kernel s':>13} {'faults':>7}")
    for name in args.configs:
        with tempfile.TemporaryDirectory() as cache:
            for kind in ("cold", "warm") + (("off",) if args.uncached else ()):
                t = run(name, "off" if kind == "off" else cache, args.batch, args.seconds,
                        args.per_parameter_optimizer)
                print(f"{name:8} {kind:6} {t['import']:7.2f} {t['init']:7.2f} "
                      f"{t['compile']:8.2f} {t['trace']:7.2f} {t['lower']:6.2f} {t['xla']:6.2f} "
                      f"{t['first step']:9.2f} {t['total']:7.2f} {t['second step']:9.2f} "
                      f"{t['first step kernel']:13.2f} {t['first step faults']:7d}", flush=True)


if __name__ == "__main__":
    main()
