"""What the augmentations cost the quickstart's training, measured in training.

    python benchmarks/input_priority.py [--rounds 3] [--steps 1000] [--workdir runs/priority]
                                        [--turns plain,augmented,augmented_normal] [--busy 0]

Runs short quickstarts (experiments/quickstart.py, --steps steps, the rate
decaying over the last 40%) one after another, in rounds of turns whose order
turns each round:

  plain             every augmentation off (one noise, no speed, rooms,
                    microphones or clipping), the pipeline at its default
                    priority (config.data.input_priority: idle)
  augmented         the quickstart as it is
  augmented_normal  the quickstart with its pipeline at normal priority

For each run: the median of the logged steps/s after step 20, the median of
the logged share of the time spent waiting for input, and whether the
pipeline fell back to normal priority. Each round also gives each turn's
steps/s over the plain turn's in the same round: the machine's speed drifts
between rounds, less within one. `--busy N` keeps N busy loops of another
process running through every run (at normal priority): the case in which an
idle pipeline gets no CPU and must fall back.
"""
import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NO_AUGMENTATION = ["--config.mixing.speed_prob=0", "--config.mixing.speech_eq_prob=0",
                   "--config.mixing.reverb_prob=0", "--config.mixing.noise_reverb_prob=0",
                   "--config.mixing.channel_prob=0", "--config.mixing.clip_prob=0",
                   "--config.mixing.max_noises=1"]
TURNS = {"plain": NO_AUGMENTATION, "augmented": [],
         "augmented_normal": ["--config.data.input_priority=normal"]}
FELL_BACK = "restarted at normal priority"


def run(turn, workdir, steps, extra):
    decay = int(steps * 0.4)
    command = [sys.executable, str(ROOT / "experiments/quickstart.py"), f"--workdir={workdir}",
               f"--config.num_steps={steps}", f"--config.optim.decay_begin_step={steps - decay}",
               f"--config.optim.decay_steps={decay}",
               # The teacher's forward pass would dilute what the pipeline costs the step.
               "--config.loss.teacher=", *TURNS[turn], *extra]
    began = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{turn} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    history = [json.loads(line) for line in (workdir / "history.jsonl").read_text().splitlines()]
    logged = [h for h in history if "steps_per_s" in h and h["step"] > 20]
    return dict(turn=turn, steps_per_s=statistics.median(h["steps_per_s"] for h in logged),
                wait_share=statistics.median(h["input_wait_share"] for h in logged),
                fell_back=FELL_BACK in done.stdout + done.stderr,
                wall_s=time.perf_counter() - began)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--workdir", type=Path, default=ROOT / "runs/priority")
    parser.add_argument("--turns", default=",".join(TURNS))
    parser.add_argument("--busy", type=int, default=0, help="busy loops of another process")
    parser.add_argument("extra", nargs="*", help="more --config overrides for every run")
    args = parser.parse_args()
    turns = args.turns.split(",")
    if unknown := set(turns) - set(TURNS):
        parser.error(f"--turns: unknown {sorted(unknown)}; known: {list(TURNS)}")
    if args.workdir.exists():
        parser.error(f"--workdir {args.workdir} exists; runs would resume from it")
    loops = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
             for _ in range(args.busy)]
    results = []
    try:
        for r in range(args.rounds):
            order = turns[r % len(turns):] + turns[:r % len(turns)]
            round_results = {}
            for turn in order:
                result = run(turn, args.workdir / f"{turn}{r}", args.steps, args.extra)
                round_results[turn] = result
                print(f"round {r} {turn:17s} {result['steps_per_s']:6.2f} steps/s  waiting "
                      f"{result['wait_share']:5.1%}  fell back: {result['fell_back']}  "
                      f"({result['wall_s']:.0f} s)", flush=True)
            if plain := round_results.get("plain"):
                for result in round_results.values():
                    result["of_plain"] = result["steps_per_s"] / plain["steps_per_s"]
            results.extend(round_results.values())
    finally:
        for loop in loops:
            loop.kill()
    print(f"\n{'turn':17s} {'steps/s (median)':>17s} {'of plain (median)':>18s} "
          f"{'waiting (median)':>17s} {'fell back':>10s}")
    for turn in turns:
        mine = [r for r in results if r["turn"] == turn]
        ratios = [r["of_plain"] for r in mine if "of_plain" in r]
        ratio = f"{statistics.median(ratios):.1%}" if ratios else "-"
        print(f"{turn:17s} {statistics.median(r['steps_per_s'] for r in mine):17.2f} "
              f"{ratio:>18s} {statistics.median(r['wait_share'] for r in mine):17.1%} "
              f"{sum(r['fell_back'] for r in mine):>5d} of {len(mine)}")


if __name__ == "__main__":
    main()
