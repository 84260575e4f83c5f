"""Median time of the small model's training step or inference, one process.

    .venv/bin/python benchmarks/step_time.py train|infer [--repeats 10] [--keep-freed-memory]
        [--remat all|POLICY] [--teacher MODEL] [--watch SECONDS]

For before/after comparisons of model code on a noisy machine: run it in
fresh processes, alternating the two versions (`git stash`), and compare the
medians. train: `jit_train_step` (Adam, negative SI-SNR) on 4 x 4 s with
padding lengths; infer: `model.apply` on 10 s at batch 1. Random weights and
input; the small config (`model.small_config`). glibc's default malloc unless
--keep-freed-memory (tasnet_jax/host_memory.py). `--remat` recomputes the TCN
blocks in the backward pass (`ConvTasNetConfig.remat`), saving nothing
(`all`) or what one of `jax.checkpoint_policies` names (e.g. dots_saveable);
the compiled step's temporary buffer size is printed too. `--teacher` (train
only) adds a teacher's forward pass to the step, as `config.loss.teacher`
does (tasnet_jax/teacher.py), half the loss against its estimates.

`--watch S` then keeps calling it for S seconds and prints, for each block of
ten calls, their median, the CPU cores the process kept busy meanwhile, its
minor page faults per call, and probes of the machine taken right after that
need no thread pool (medians of repeated calls): on each CPU alone, a 1 MB
sort, a read of 8 MB (more than a core's L2 cache, less than the L3 it
shares with other tenants of the host) and a float32 matmul of 512 x 512
matrices on one thread; the same matmul on every CPU at once, one thread
each; a 128 MB copy. On the 2-core machines here the model's
time drifts between two levels for seconds at a time, and this shows
whether the machine's cores, caches or memory moved with it.
"""
import argparse
import os
import resource
import statistics
import threading
import time

# One BLAS thread, so that the matmul probe measures one CPU (XLA has its own pool).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from timing import median_seconds  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("task", choices=("train", "infer"))
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--keep-freed-memory", action="store_true")
    parser.add_argument("--remat", help="all, or a jax.checkpoint_policies name")
    parser.add_argument("--teacher", help="train: a model to learn from (e.g. "
                        "pretrained/robust_recorded)")
    parser.add_argument("--watch", type=float, default=0.0,
                        help="then seconds of blocks of ten calls, each with the machine's probes")
    args = parser.parse_args()
    if args.keep_freed_memory:
        from tasnet_jax.host_memory import keep_freed_memory
        keep_freed_memory()
    import dataclasses
    import functools

    import flax.linen as nn
    import jax
    import jax.numpy as jnp

    if args.remat not in (None, "all"):
        # The model calls nn.remat when config.remat is set; give it the policy.
        nn.remat = functools.partial(nn.remat, policy=getattr(jax.checkpoint_policies,
                                                              args.remat))
    from tasnet_jax.losses import neg_si_snr
    from tasnet_jax.model import ConvTasNet, small_config
    from tasnet_jax.optim import OptimConfig, make_optimizer
    from tasnet_jax.parallel import make_mesh
    from tasnet_jax.step import create_train_state, jit_train_step

    config = dataclasses.replace(small_config(), remat=args.remat is not None)
    model = ConvTasNet(config)
    rng = np.random.default_rng(0)
    if args.task == "infer":
        wav = jnp.asarray(rng.standard_normal((1, 160000)).astype(np.float32))
        variables = model.init(jax.random.key(0), wav[:, :1600])
        apply = jax.jit(model.apply)

        def run():
            apply(variables, wav).block_until_ready()
    else:
        mesh = make_mesh()
        optimizer = make_optimizer(OptimConfig())
        holder = [create_train_state(model, optimizer, jax.random.key(0),
                                     jnp.zeros((1, config.filter_length)), mesh)]
        teacher, taught, loss_fn = None, (), neg_si_snr
        if args.teacher:
            from tasnet_jax.teacher import load_teacher
            from tasnet_jax.train import _training_loss
            teacher = load_teacher(args.teacher, config, mesh)
            taught = (teacher.variables,)
            loss_fn = functools.partial(_training_loss, teacher_weight=0.5)
        step = jit_train_step(model, optimizer, loss_fn, mesh, teacher)
        batch = {"mixture": rng.standard_normal((4, 64000)).astype(np.float32),
                 "sources": rng.standard_normal((4, 2, 64000)).astype(np.float32),
                 "length": np.full(4, 64000, np.int32)}

        def run():
            holder[0], metrics = step(holder[0], batch, *taught)
            jax.block_until_ready(metrics["loss"])

        buffer = step.lower(holder[0], batch, *taught).compile().memory_analysis(
        ).temp_size_in_bytes
        print(f"temporary buffer {buffer / 2**30:.2f} GiB")

    run()  # compile and warm up
    seconds = []
    for _ in range(args.repeats):
        began = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - began)
    print(f"{args.task}: median {np.median(seconds):.3f} s, min {min(seconds):.3f} s "
          f"over {args.repeats}")
    if args.watch > 0:
        watch(run, args.watch)


def _on_each_cpu(probe, at_once=False) -> str:
    """probe() run on each CPU alone, or on all of them at once (one thread
    each, numpy letting go of the GIL), its results joined by '/'."""
    cpus = sorted(os.sched_getaffinity(0))
    results = {}
    start = threading.Barrier(len(cpus) if at_once else 1)

    def pinned(cpu):
        os.sched_setaffinity(0, {cpu})  # this thread only
        start.wait()
        results[cpu] = probe()

    for group in ([cpus] if at_once else [[cpu] for cpu in cpus]):
        threads = [threading.Thread(target=pinned, args=(cpu,)) for cpu in group]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return "/".join(results[cpu] for cpu in cpus)


def _probes() -> str:
    """Probes free of XLA's thread pool: each CPU alone (a sort in ms, an 8 MB
    read in GB/s, a matmul in GFLOP/s), the matmul on every CPU at once, and
    a memory copy's rate (GB/s)."""
    rng = np.random.default_rng(0)
    values = rng.standard_normal(2**18).astype(np.float32)
    cached = rng.standard_normal(2**21).astype(np.float32)  # 8 MB
    a, b = (rng.standard_normal((512, 512)).astype(np.float32) for _ in range(2))

    sorts = _on_each_cpu(lambda: f"{median_seconds(lambda: np.sort(values), 10) * 1e3:.1f}")
    reads = _on_each_cpu(lambda: f"{cached.nbytes / median_seconds(cached.sum, 20) / 1e9:.0f}")

    def matmul():
        return f"{2 * 512**3 / median_seconds(lambda: a @ b, 40) / 1e9:.0f}"

    matmuls, together = _on_each_cpu(matmul), _on_each_cpu(matmul, at_once=True)
    source = np.ones(2**25, np.float32)
    target = np.empty_like(source)
    np.copyto(target, source)  # touch every page first
    began = time.perf_counter()
    for _ in range(4):
        np.copyto(target, source)
    rate = 4 * 2 * source.nbytes / (time.perf_counter() - began) / 1e9
    return (f"sort {sorts} ms, 8 MB read {reads} GB/s, matmul {matmuls} GFLOP/s, "
            f"at once {together}, copy {rate:.0f} GB/s")


def watch(run, seconds: float):
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        times, cpu_before, began = [], os.times(), time.perf_counter()
        for _ in range(10):
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
        cpu_after = os.times()
        faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults) / len(times)
        cores = ((cpu_after.user + cpu_after.system - cpu_before.user - cpu_before.system)
                 / (time.perf_counter() - began))
        print(f"{statistics.median(times) * 1e3:7.1f} ms on {cores:.2f} cores, "
              f"{faults:.0f} page faults a call; {_probes()}",
              flush=True)


if __name__ == "__main__":
    main()
