"""tasnet-jax against Asteroid's ConvTasNet: inference, training and memory, as ratios.

    python benchmarks/versus_asteroid.py [--cases paper small paper-causal small-causal]
        [--tasks infer train] [--dtypes float32 bfloat16] [--repeats 5] [--rounds 1]
        [--malloc default|hugepages|keep]
        [--train-batch 4]

For each case both implementations get the same config, the same weights
(Asteroid's random init, converted) and the same input, on the same device
(Asteroid on CUDA when JAX runs on a GPU) and thread count:

    infer   10 s of 16 kHz audio, batch 1: seconds and real-time factor
    train   batch 4 (--train-batch) x 4 s: forward, negative SI-SNR of speech and noise, backward,
            clipping at norm 5, Adam; seconds and throughput (audio s per s)

Each measurement runs in its own subprocess, so its peak memory is its own:
on the CPU the growth of the process's peak resident memory over what it held
before the first call (Linux VmHWM, reset after the warm-up call so that
compilation does not count); on a GPU the allocator's peak (torch's
max_memory_allocated, XLA's peak_bytes_in_use), and the process's minor page
faults per timed call (getrusage). Also printed: the machine's
matmul GFLOP/s (4096 x 4096 float32, the best of JAX and torch) and what
fraction of it each run achieves, counting the model's multiply-adds from its
config (training as 3x the forward pass). Median of --repeats calls after one
warm-up call; with `--rounds N` each implementation's worker runs N times, in
turn with the other's, and the round of median time is reported (the
speed-up of every round is printed below the table). `--malloc` sets glibc's
malloc up in every worker, Asteroid's included (`tasnet_jax/host_memory.py`):
`hugepages` asks for transparent huge pages (GLIBC_TUNABLES=glibc.malloc.hugetlb=1),
as tasnet-jax's entry points do by default; `keep` keeps freed memory, as they
do when asked (faster, more memory); `default` (the default) leaves it alone.
Needs the torch extra and Asteroid (`make test` sets up .venv).
"""
import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from timing import median_seconds

SMALL = dict(n_filters=128, bn_chan=64, hid_chan=128, skip_chan=64, n_blocks=6, n_repeats=2)
CASES = {
    "paper": dict(),
    "small": SMALL,
    "paper-causal": dict(causal=True, norm_type="cgLN"),
    "small-causal": dict(SMALL, causal=True, norm_type="cgLN"),
}
RATE = 16000
INFER = dict(batch=1, seconds=10.0)
TRAIN = dict(batch=4, seconds=4.0)


def model_flops(config, samples: int) -> float:
    """2 x multiply-adds of one forward pass's matmuls and convolutions."""
    frames = (samples - config.filter_length) // config.stride + 1
    n, b, h, sc = (config.n_filters, config.bottleneck_channels, config.hidden_channels,
                   config.skip_channels)
    block = b * h + config.kernel_size * h + h * b + h * sc
    per_frame = (n * config.filter_length  # encoder
                 + n * b  # bottleneck
                 + config.repeats * config.blocks_per_repeat * block
                 + (sc or b) * config.n_src * n  # masks
                 + config.n_src * n * config.filter_length)  # decoder
    return 2 * per_frame * frames


# --- Inside a worker subprocess -------------------------------------------------------------

def _resident_bytes(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def _time_and_memory(run, repeats: int, gpu_peak, reset_gpu_peak) -> dict:
    import resource

    before = _resident_bytes("VmRSS")
    faults = []

    def reset_peaks():  # so that the warm-up's compilation does not count
        Path("/proc/self/clear_refs").write_text("5")  # VmHWM restarts from the current RSS
        reset_gpu_peak()
        faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt)

    seconds = median_seconds(run, repeats, after_warm_up=reset_peaks)
    peak = gpu_peak() if gpu_peak else _resident_bytes("VmHWM") - before
    # Minor page faults per timed call: memory the allocator handed back and took again.
    faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults[0]) / repeats
    return dict(seconds=seconds, peak_bytes=peak, faults=faults)


def _inputs(task: str):
    import numpy as np

    shape = (task["batch"], int(task["seconds"] * RATE))
    rng = np.random.default_rng(0)
    speech = (0.1 * rng.standard_normal(shape)).astype(np.float32)
    noise = (0.05 * rng.standard_normal(shape)).astype(np.float32)
    return speech + noise, np.stack([speech, noise], 1)


def _asteroid_model(case: str):
    import torch
    from asteroid.models import ConvTasNet as AsteroidConvTasNet

    torch.manual_seed(0)
    return AsteroidConvTasNet(n_src=2, sample_rate=RATE, **CASES[case])


def worker_asteroid(case: str, task_name: str, dtype: str, repeats: int) -> dict:
    import torch
    from asteroid.losses.sdr import SingleSrcNegSDR

    torch.set_num_threads(os.cpu_count())
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = _asteroid_model(case).to(device)
    mixture, sources = (torch.from_numpy(x).to(device) for x in _inputs(
        INFER if task_name == "infer" else TRAIN))
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    if task_name == "infer":
        model.eval()

        def run():
            with torch.inference_mode():
                model(mixture)
            sync()
    else:
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        loss_fn = SingleSrcNegSDR("sisdr")

        def run():
            optimizer.zero_grad()
            estimates = model(mixture)
            loss = sum(loss_fn(estimates[:, s], sources[:, s]).mean() for s in range(2)) / 2
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
            sync()

    gpu = device == "cuda"
    return _time_and_memory(run, repeats, torch.cuda.max_memory_allocated if gpu else None,
                            torch.cuda.reset_peak_memory_stats if gpu else (lambda: None))


def worker_jax(case: str, task_name: str, dtype: str, repeats: int) -> dict:
    import dataclasses

    import jax
    import jax.numpy as jnp
    import numpy as np

    from tasnet_jax.convert import from_asteroid
    from tasnet_jax.losses import neg_si_snr
    from tasnet_jax.model import ConvTasNet
    from tasnet_jax.optim import OptimConfig, make_optimizer
    from tasnet_jax.parallel import make_mesh
    from tasnet_jax.step import create_train_state, jit_train_step

    reference = _asteroid_model(case)
    config, variables = from_asteroid(dict(model_name="ConvTasNet",
                                            model_args=reference.get_model_args(),
                                            state_dict=reference.state_dict()))
    # "float32" or "float32-remat": a compute dtype, and rematerialized TCN blocks.
    config = dataclasses.replace(config, compute_dtype=dtype.removesuffix("-remat"),
                                 remat=dtype.endswith("-remat"))
    model = ConvTasNet(config)
    mixture, sources = _inputs(INFER if task_name == "infer" else TRAIN)
    if task_name == "infer":
        apply = jax.jit(model.apply)

        def run():
            apply(variables, mixture).block_until_ready()
    else:
        mesh = make_mesh()
        optimizer = make_optimizer(OptimConfig())
        state = create_train_state(model, optimizer, jax.random.key(0),
                                   jnp.zeros((1, config.filter_length)), mesh)
        holder = [state.replace(params=jax.tree.map(jnp.array, variables["params"]))]
        step = jit_train_step(model, optimizer, neg_si_snr, mesh)
        batch = {"mixture": mixture, "sources": sources,
                 "length": np.full(mixture.shape[0], mixture.shape[1], np.int32)}

        def run():
            holder[0], metrics = step(holder[0], batch)
            jax.block_until_ready(metrics["loss"])

    device = jax.devices()[0]
    gpu = device.platform == "gpu"
    result = _time_and_memory(
        run, repeats, (lambda: device.memory_stats()["peak_bytes_in_use"]) if gpu else None,
        lambda: None)  # XLA's peak cannot be reset; on a GPU it includes the warm-up
    result["flops"] = model_flops(config, mixture.shape[1]) * mixture.shape[0] * (
        1 if task_name == "infer" else 3)
    return result


def worker_matmul(repeats: int) -> dict:
    """The best float32 matmul rate JAX or torch reach on this device."""
    import jax
    import torch

    n = 4096
    a = jax.random.normal(jax.random.key(0), (n, n))
    matmul = jax.jit(lambda x: x @ x)
    best = median_seconds(lambda: matmul(a).block_until_ready(), repeats)
    torch.set_num_threads(os.cpu_count())
    device = "cuda" if torch.cuda.is_available() else "cpu"
    t = torch.randn(n, n, device=device)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    best = min(best, median_seconds(lambda: (t @ t, sync()), repeats))
    return dict(gflops=2 * n**3 / best / 1e9)


# --- The parent: one subprocess per measurement, then the table ----------------------------

def _measure(malloc: str, *args) -> dict:
    from tasnet_jax.host_memory import HUGE_PAGES_TUNABLE

    env = dict(os.environ)
    if malloc == "hugepages":
        env["GLIBC_TUNABLES"] = HUGE_PAGES_TUNABLE
    done = subprocess.run([sys.executable, __file__, "--malloc", malloc,
                           "--train-batch", str(TRAIN["batch"]), "--worker", *map(str, args)],
                          capture_output=True, text=True, env=env)
    if done.returncode:
        errors = [line for line in done.stderr.splitlines() if "Error" in line] or ["?"]
        return dict(error=errors[-1][:160])
    return json.loads(done.stdout.strip().splitlines()[-1])


def _median_round(results: list[dict]) -> dict:
    """One worker's rounds as one: the round of median time (any failure wins)."""
    failed = [r for r in results if "error" in r]
    if failed:
        return failed[0]
    return sorted(results, key=lambda r: r["seconds"])[(len(results) - 1) // 2]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", nargs="+", choices=CASES, default=list(CASES))
    parser.add_argument("--tasks", nargs="+", choices=("infer", "train"),
                        default=["infer", "train"])
    parser.add_argument("--dtypes", nargs="+", default=["float32"],
                        help="tasnet-jax compute dtypes (bfloat16 for accelerators); "
                        "DTYPE-remat recomputes TCN blocks in the backward pass")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=1,
                        help="measure each implementation this many times, in turns, and "
                        "report the median round: the machine's speed can drift for "
                        "seconds or minutes at a time")
    parser.add_argument("--malloc", choices=("default", "hugepages", "keep"), default="default",
                        help="hugepages: glibc asks for transparent huge pages; keep: glibc keeps "
                        "freed memory for reuse (tasnet_jax.host_memory); in both "
                        "implementations' processes")
    parser.add_argument("--train-batch", type=int, default=TRAIN["batch"],
                        help="examples of 4 s in a training step")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    TRAIN["batch"] = args.train_batch
    if args.worker:
        if args.malloc == "keep":
            from tasnet_jax.host_memory import keep_freed_memory

            keep_freed_memory()
        kind, *rest = args.worker
        if kind == "matmul":
            result = worker_matmul(args.repeats)
        else:
            result = {"asteroid": worker_asteroid, "jax": worker_jax}[kind](*rest, args.repeats)
        print(json.dumps(result))
        return

    import jax
    import torch

    print(f"jax {jax.__version__} on {jax.devices()[0].device_kind}, torch {torch.__version__}, "
          f"{os.cpu_count()} CPU threads; median of {args.repeats} after a warm-up; "
          f"malloc: {args.malloc}; training batch {TRAIN['batch']} x {TRAIN['seconds']} s")
    matmul = _measure(args.malloc, "matmul")
    print(f"machine: float32 matmul {matmul['gflops']:.1f} GFLOP/s (4096 x 4096)\n")
    print("| case | task | implementation | seconds | RTF / audio s per s | peak MB | "
          "page faults per call | GFLOP/s (% of matmul) | speed-up | memory ratio |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    turns = []
    for case in args.cases:
        for task in args.tasks:
            audio = (INFER if task == "infer" else TRAIN)["seconds"] * (
                INFER if task == "infer" else TRAIN)["batch"]
            workers = [("Asteroid float32", "asteroid", "float32")] + [
                (f"tasnet-jax {dtype}", "jax", dtype) for dtype in args.dtypes]
            rounds = [[_measure(args.malloc, kind, case, task, dtype)
                       for _, kind, dtype in workers] for _ in range(args.rounds)]
            rows = [(name, _median_round([turn[i] for turn in rounds]))
                    for i, (name, _, _) in enumerate(workers)]
            reference = rows[0][1]
            for name, r in rows:
                if "error" in r:
                    print(f"| {case} | {task} | {name} | failed: {r['error']} ||||||")
                    continue
                rate = (f"{r['seconds'] / audio:.4f}" if task == "infer"
                        else f"{audio / r['seconds']:.1f}")
                flops = (f"{r['flops'] / r['seconds'] / 1e9:.1f} "
                         f"({100 * r['flops'] / r['seconds'] / 1e9 / matmul['gflops']:.0f}%)"
                         if "flops" in r else "")
                ratios = ""
                if r is not reference and "error" not in reference:
                    ratios = (f"{reference['seconds'] / r['seconds']:.2f}x | "
                              f"{r['peak_bytes'] / max(reference['peak_bytes'], 1):.2f}")
                print(f"| {case} | {task} | {name} | {r['seconds']:.3f} | {rate} | "
                      f"{r['peak_bytes'] / 2**20:.0f} | {r['faults']:.0f} | {flops} | {ratios} |",
                      flush=True)
            if args.rounds > 1:
                turns.append(f"{case} {task}: " + "; ".join(
                    f"{name} " + " ".join(f"{turn[0]['seconds'] / turn[i]['seconds']:.2f}x"
                                          for turn in rounds if "error" not in turn[i])
                    for i, (name, _, _) in enumerate(workers) if i))
    if turns:
        print("\nspeed-up in each round (Asteroid's worker, then tasnet-jax's, in turn):")
        print("\n".join(turns))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
