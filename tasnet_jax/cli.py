"""The `tasnet-jax` command: denoise, evaluate, convert, export and stream with a trained model.

    tasnet-jax denoise CHECKPOINT IN... -o OUT [--which best|latest|STEP] [--save-noise]
    tasnet-jax evaluate CHECKPOINT --noisy DIR --clean DIR [--csv FILE]
    tasnet-jax convert ASTEROID_FILE_OR_HUB_ID WORKDIR
    tasnet-jax export CHECKPOINT OUT.pth                      (an Asteroid ConvTasNet file)
    tasnet-jax pack RUN WORKDIR                               (a run's model alone, to share)
    tasnet-jax average RUN WORKDIR [--best N | --steps S...]  (the mean of its checkpoints)
    tasnet-jax stream CHECKPOINT IN -o OUT [--block-ms 10]     (IN, OUT: a file or - for raw PCM)

CHECKPOINT is a run's workdir (or its checkpoints/ folder), an Asteroid
ConvTasNet file, or a Hugging Face Hub id of one (owner/name[@revision]; cached
by huggingface_hub, HF_HUB_OFFLINE=1 reads the cache only). Exit status: 0 when everything was done, 1 when some files
failed (each is named on stderr), 2 when nothing could start (a bad
checkpoint or argument).
"""
import argparse
import csv
import json
import sys
import time
from pathlib import Path

import numpy as np

USAGE_ERROR, FILES_FAILED = 2, 1


def _which(text: str):
    return int(text) if text.isdigit() else text


def _load(args, **options):
    from tasnet_jax import inference

    denoiser = inference.load(args.checkpoint, args.which, **options)
    step = "" if denoiser.step is None else f" step {denoiser.step}"
    print(f"model: {denoiser.source}{step}, {denoiser.sample_rate} Hz", file=sys.stderr)
    return denoiser


def denoise(args) -> int:
    from tasnet_jax.denoise_files import denoise_files

    denoiser = _load(args, chunk_seconds=args.chunk_seconds, batch_size=args.batch_size,
                     dry=args.dry)
    start = time.perf_counter()
    results = denoise_files(denoiser, args.inputs, args.output, channels=args.channels,
                            save_noise=args.save_noise, overwrite=args.overwrite,
                            progress=not args.quiet)
    failed = [r for r in results if r.error]
    for result in results:
        for note in result.notes:
            print(f"{result.input}: {note}", file=sys.stderr)
        if result.error:
            print(f"error: {result.error}", file=sys.stderr)
    print(f"denoised {len(results) - len(failed)} of {len(results)} files into {args.output} "
          f"in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return FILES_FAILED if failed or not results else 0


def evaluate(args) -> int:
    from tasnet_jax.evaluate_files import evaluate_folders

    rows, summary = evaluate_folders(_load(args), args.noisy, args.clean)
    for row in rows:
        if "error" in row:
            print(f"error: {row['error']}", file=sys.stderr)
    if args.csv:
        fields = sorted({key for row in rows for key in row} - {"file"})
        with open(args.csv, "w", newline="") as file:
            writer = csv.DictWriter(file, ["file", *fields])
            writer.writeheader()
            writer.writerows(rows)
    print(json.dumps(summary, indent=2))
    return FILES_FAILED if summary["failed"] else 0


def convert(args) -> int:
    from tasnet_jax.convert import load_asteroid, save_as_run

    config, variables = load_asteroid(args.asteroid_file)
    folder = save_as_run(config, variables, args.workdir, source=str(args.asteroid_file))
    print(f"wrote {folder}: a {'causal ' if config.causal else ''}{config.norm}-norm "
          f"Conv-TasNet at {config.sample_rate} Hz; load it with tasnet-jax denoise "
          f"{args.workdir} ...", file=sys.stderr)
    return 0


def export(args) -> int:
    from tasnet_jax.convert import export_run

    package = export_run(args.checkpoint, args.output, args.which, overwrite=args.overwrite)
    args_ = package["model_args"]
    print(f"wrote {args.output}: an Asteroid ConvTasNet ({args_['n_src']} sources, "
          f"{args_['norm_type']}, {args_['sample_rate']} Hz); load it with "
          f"asteroid.models.ConvTasNet.from_pretrained({str(args.output)!r})", file=sys.stderr)
    return 0


def pack(args) -> int:
    from tasnet_jax.convert import pack_run

    folder = pack_run(args.checkpoint, args.workdir, args.which)
    size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    print(f"wrote {folder} ({size / 1e6:.1f} MB); load it with tasnet-jax denoise "
          f"{args.workdir} ...", file=sys.stderr)
    return 0


def average(args) -> int:
    from tasnet_jax.averaging import average_run

    folder, steps = average_run(args.run_dir, args.workdir, args.best, args.steps)
    print(f"wrote {folder}: the mean of steps {steps}; load it with tasnet-jax denoise "
          f"{args.workdir} ...", file=sys.stderr)
    return 0


def stream(args) -> int:
    from data_pipelines.audio import FileFormat, read_file, resample
    from tasnet_jax.denoise_files import check_targets, check_writable, fit_length, write_like
    from tasnet_jax.streaming import StreamingDenoiser, latency_report, run_stream

    denoiser = _load(args)
    streamer = StreamingDenoiser(denoiser.config, denoiser.variables, dry=args.dry)
    rate = streamer.sample_rate
    block_size = max(1, round(args.block_ms * rate / 1000))
    if args.output != "-":
        check_writable(Path(args.output).parent)
        check_targets([Path(args.output)], {Path(args.input).resolve()}, args.overwrite)
    if args.input == "-":  # raw 16-bit little-endian mono PCM at the model's rate
        frames = None
        file_format = FileFormat(rate, Path(args.output).suffix[1:].upper() or "WAV", "PCM_16")
        blocks = _raw_blocks(sys.stdin.buffer, block_size)
    else:
        audio, file_format = read_file(args.input)
        frames = audio.shape[0]
        if audio.shape[1] > 1:
            print(f"{args.input}: {audio.shape[1]} channels mixed down to one", file=sys.stderr)
        if file_format.rate != rate:
            print(f"{args.input}: resampled {file_format.rate} -> {rate} Hz for the model and "
                  "back", file=sys.stderr)
        audio = resample(audio.mean(axis=1), file_format.rate, rate)
        blocks = (audio[start:start + block_size] for start in range(0, audio.size, block_size))
    streamer.warm_up(block_size)
    speech = []
    emit = _raw_writer(sys.stdout.buffer) if args.output == "-" else speech.append
    seconds, samples = run_stream(streamer, blocks, emit)
    if args.output != "-":
        speech = resample(np.concatenate(speech)[:, None], rate, file_format.rate)
        write_like(Path(args.output), fit_length(speech, frames or len(speech)), file_format, [])
    if seconds:
        print(latency_report(streamer, block_size, seconds, samples), file=sys.stderr)
    return 0


def _raw_blocks(stdin, block_size):
    while data := stdin.read(2 * block_size):
        yield np.frombuffer(data[:len(data) // 2 * 2], "<i2").astype(np.float32) / 32768


def _raw_writer(stdout):
    def emit(speech):
        stdout.write(np.clip(np.round(speech * 32768), -32768, 32767).astype("<i2").tobytes())
        stdout.flush()
    return emit


def _add_dry(command):
    command.add_argument("--dry", type=float, default=0.0,
                         help="share of the input mixed back into the speech, 0 to 1: less "
                         "noise removed, less of the voice damaged")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tasnet-jax", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    def with_checkpoint(name, help):
        command = commands.add_parser(name, help=help)
        command.add_argument("checkpoint", help="a run's workdir, its checkpoints/ folder, "
                             "an Asteroid ConvTasNet file, or a Hugging Face Hub id of one "
                             "(owner/name[@revision])")
        command.add_argument("--which", type=_which, default="best",
                             help="best (by validation SI-SNR), latest, or a step number")
        return command

    command = with_checkpoint("denoise", "denoise audio files and folders")
    command.add_argument("inputs", nargs="+", help="audio files or folders (searched recursively)")
    command.add_argument("-o", "--output", required=True, help="output folder")
    command.add_argument("--channels", choices=("each", "mix"), default="each",
                         help="multi-channel input: denoise each channel, or their mix")
    command.add_argument("--save-noise", action="store_true",
                         help="also write the noise estimate, as NAME.noise.EXT (for a "
                         "speech-only model, the input minus the speech estimate)")
    command.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    command.add_argument("--chunk-seconds", type=float, default=10.0,
                         help="longer recordings are processed in overlapping chunks")
    command.add_argument("--batch-size", type=int, default=4, help="chunks per model call")
    _add_dry(command)
    command.add_argument("--quiet", action="store_true", help="no progress bar")
    command.set_defaults(run=denoise)

    command = with_checkpoint("evaluate", "score on folders of noisy and clean pairs")
    command.add_argument("--noisy", required=True, help="folder of noisy recordings")
    command.add_argument("--clean", required=True, help="folder of clean references, same names")
    command.add_argument("--csv", help="also write one row of scores per file here")
    command.set_defaults(run=evaluate)

    command = commands.add_parser("convert", help="import an Asteroid ConvTasNet as a run")
    command.add_argument("asteroid_file", help="an Asteroid ConvTasNet file, or a Hugging Face "
                         "Hub id of one (owner/name[@revision])")
    command.add_argument("workdir", help="an empty folder for the run's checkpoint")
    command.set_defaults(run=convert)

    command = with_checkpoint("export", "write a model as an Asteroid ConvTasNet file")
    command.add_argument("output", help="the .pth file to write")
    command.add_argument("--overwrite", action="store_true", help="replace an existing file")
    command.set_defaults(run=export)

    command = with_checkpoint("pack", "copy a run's model without its optimizer state, to share")
    command.add_argument("workdir", help="an empty folder for the packed run")
    command.set_defaults(run=pack)

    command = commands.add_parser("average", help="one model from the mean of a run's "
                                  "checkpoints")
    command.add_argument("run_dir", help="a run's workdir or its checkpoints/ folder")
    command.add_argument("workdir", help="an empty folder for the averaged run")
    chosen = command.add_mutually_exclusive_group()
    chosen.add_argument("--best", type=int, help="the N best kept checkpoints by validation "
                        "SI-SNR (default: every kept checkpoint with a score)")
    chosen.add_argument("--steps", type=int, nargs="+", help="these kept steps")
    command.set_defaults(run=average)

    command = with_checkpoint("stream", "stream audio through a causal model, block by block")
    command.add_argument("input", help="an audio file, or - for raw 16-bit mono PCM on stdin "
                         "at the model's rate")
    command.add_argument("-o", "--output", required=True,
                         help="an audio file, or - for raw 16-bit PCM on stdout")
    command.add_argument("--block-ms", type=float, default=10.0, help="block duration")
    _add_dry(command)
    command.add_argument("--overwrite", action="store_true", help="replace an existing output")
    command.set_defaults(run=stream)
    return parser


def main(argv=None) -> int:
    from tasnet_jax.host_memory import keep_freed_memory_if_asked, restart_with_huge_pages

    if argv is None:  # the program itself, not a call from Python
        restart_with_huge_pages()
    args = _parser().parse_args(argv)
    keep_freed_memory_if_asked()  # before JAX starts its threads
    from tasnet_jax.compile_cache import enable_from_env

    enable_from_env()
    try:
        return args.run(args)
    except (FileNotFoundError, FileExistsError, ValueError, ImportError) as err:
        print(f"tasnet-jax {args.command}: error: {err}", file=sys.stderr)
        return USAGE_ERROR


if __name__ == "__main__":
    sys.exit(main())
