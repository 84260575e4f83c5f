"""The persistent compilation cache: a second process loads what the first compiled."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# A process that compiles the tiny model's training step and counts cache hits.
PROBE = """
import sys
sys.path[:0] = [{root!r}, {tests!r}]
from tasnet_jax.compile_cache import enable_from_env
print("folder", enable_from_env())
import jax, jax.numpy as jnp
from jax import monitoring
hits = []
monitoring.register_event_listener(
    lambda event, **kw: hits.append(event) if event.endswith("cache_hits") else None)
from conftest import TINY_MODEL
from tasnet_jax.losses import neg_si_snr
from tasnet_jax.model import ConvTasNet, small_config
from tasnet_jax.optim import OptimConfig, make_optimizer
from tasnet_jax.parallel import make_mesh
from tasnet_jax.step import jit_train_step
model, optimizer = ConvTasNet(small_config(**TINY_MODEL)), make_optimizer(OptimConfig())
step = jit_train_step(model, optimizer, neg_si_snr, make_mesh())
params = jax.eval_shape(model.init, jax.random.key(0), jnp.zeros((1, 16)))["params"]
from tasnet_jax.step import TrainState
zero = jax.ShapeDtypeStruct((), jnp.int32)
state = TrainState(step=zero, params=params, batch_stats={{}},
                   opt_state=jax.eval_shape(optimizer.init, params), skipped=zero,
                   skipped_in_a_row=zero)
batch = dict(mixture=jax.ShapeDtypeStruct((4, 4000), jnp.float32),
             sources=jax.ShapeDtypeStruct((4, 2, 4000), jnp.float32),
             length=jax.ShapeDtypeStruct((4,), jnp.int32))
step.lower(state, batch).compile()
print("hits", len(hits))
"""


def _probe(setting):
    script = PROBE.format(root=str(ROOT), tests=str(ROOT / "tests"))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=dict(os.environ, TASNET_JAX_COMPILE_CACHE=setting,
                                   JAX_PLATFORMS="cpu"), check=True, timeout=300)
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    return lines["folder"], int(lines["hits"])


def test_a_second_process_loads_the_compiled_step(tmp_path):
    cache = tmp_path / "moved" / "cache"
    assert _probe(str(cache)) == (str(cache), 0)
    assert any(name.startswith("jit_train_step") for name in os.listdir(cache))
    assert _probe(str(cache)) == (str(cache), 1)
    assert _probe("off") == ("None", 0)
