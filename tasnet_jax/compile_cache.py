"""JAX's persistent compilation cache, so a second launch skips the compile.

Compiling the training step is most of the time to the first step (21.5 s
for the paper model on a 2-core CPU, over a minute on a GPU:
benchmarks/RESULTS.md). XLA can keep what it compiled on disk, keyed by the
program, the devices and the versions, and load it in the next process.
The experiments' launcher and the `tasnet-jax` command turn that on:

    TASNET_JAX_COMPILE_CACHE=DIR   keep compiled programs in DIR
                                   (default: ~/.cache/tasnet-jax/jax-compile)
    TASNET_JAX_COMPILE_CACHE=off   compile every time

A cache entry is only an optimisation: a stale or unreadable one is
recompiled, and the folder can be deleted or moved at any time.
"""
import os
from pathlib import Path

ENV = "TASNET_JAX_COMPILE_CACHE"
DEFAULT = Path.home() / ".cache" / "tasnet-jax" / "jax-compile"


def enable_from_env() -> Path | None:
    """Point JAX's persistent cache at TASNET_JAX_COMPILE_CACHE (or DEFAULT);
    returns the folder, or None when turned off. Call before compiling."""
    setting = os.environ.get(ENV, "")
    if setting.lower() in ("off", "0", "none"):
        return None
    return enable(Path(setting).expanduser() if setting else DEFAULT)


def enable(directory) -> Path:
    import jax

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", str(directory))
    # Every program the step and the denoiser compile is worth keeping: the
    # small ones take a second or two each on a CPU, and there are a few.
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return directory
