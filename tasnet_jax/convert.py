"""Asteroid ConvTasNet checkpoints to Flax variables and a config, and back.

Asteroid saves a model as a dict {"model_name", "model_args", "state_dict",
...} (`BaseModel.serialize`), which its published pretrained models share.
PyTorch is only needed to read and write that file; conversion itself is
numpy. `to_asteroid` writes the same dict for any config Asteroid can build
(`ConvTasNet.from_pretrained` reads it), `export_run` a run's model as a file,
and `pack_run` a run's checkpoint without its optimizer's moments, to share.

Norm names differ: Asteroid's "cLN" is the channel-wise norm and its "cgLN"
the paper's cumulative norm. Asteroid silently swaps gLN for cLN in a causal
model; such a checkpoint holds channel-norm weights and converts as that.
"""
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from tasnet_jax import hub
from tasnet_jax.model import ConvTasNetConfig

ASTEROID_NORMS = {"gLN": "global", "cgLN": "cumulative", "cLN": "channel", "bN": "batch"}
# Asteroid's identity activation has many spellings.
_LINEAR = (None, "linear", "identity")


def load_asteroid(path) -> tuple[ConvTasNetConfig, dict]:
    """Read an Asteroid ConvTasNet file (`model.serialize()` saved by torch.save),
    or the one a Hugging Face Hub id names (hub.py)."""
    try:
        import torch
    except ImportError as err:
        raise ImportError("reading Asteroid checkpoints needs PyTorch: "
                          "pip install 'tasnet-jax[torch]'") from err
    source = str(path)
    path = hub.download(source) if hub.is_hub_id(source) else Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no Asteroid checkpoint at {path}")
    try:
        package = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise ValueError(f"{source} is not a readable PyTorch checkpoint: {err}") from err
    return from_asteroid(package, source=source)


def config_from_asteroid(model_args: Mapping) -> ConvTasNetConfig:
    """ConvTasNetConfig from Asteroid's `model_args`."""
    fb_name = model_args.get("fb_name", "free")
    if fb_name not in ("free", "FreeFB"):
        raise ValueError(f"Asteroid filterbank {fb_name!r} is not supported; only the learned "
                         "('free') filterbank of Conv-TasNet is")
    out_chan = model_args.get("out_chan")
    if out_chan not in (None, model_args["n_filters"]):
        raise ValueError(f"Asteroid out_chan={out_chan} differs from n_filters="
                         f"{model_args['n_filters']}; masks must match the encoder's filters")
    norm = model_args.get("norm_type", "gLN")
    causal = bool(model_args.get("causal", False))
    if causal and norm not in ("cgLN", "cLN"):
        norm = "cLN"  # what Asteroid's ConvTasNet built for this checkpoint
    if norm not in ASTEROID_NORMS:
        raise ValueError(f"Asteroid norm_type {norm!r} is not supported; expected one of "
                         f"{tuple(ASTEROID_NORMS)}")
    activation = model_args.get("encoder_activation")
    return ConvTasNetConfig(
        n_src=int(model_args["n_src"]),
        n_filters=int(model_args["n_filters"]),
        filter_length=int(model_args["kernel_size"]),
        stride=int(model_args["stride"]),
        bottleneck_channels=int(model_args["bn_chan"]),
        hidden_channels=int(model_args["hid_chan"]),
        skip_channels=int(model_args["skip_chan"] or 0),
        kernel_size=int(model_args["conv_kernel_size"]),
        blocks_per_repeat=int(model_args["n_blocks"]),
        repeats=int(model_args["n_repeats"]),
        norm=ASTEROID_NORMS[norm],
        causal=causal,
        encoder_activation="linear" if activation in _LINEAR else activation,
        mask_activation=model_args.get("mask_act", "sigmoid"),
        sample_rate=int(model_args.get("sample_rate", 8000)),
    )


def from_asteroid(package: Mapping, source: str = "package") -> tuple[ConvTasNetConfig, dict]:
    """(config, Flax variables) from an Asteroid ConvTasNet package dict."""
    name = package.get("model_name")
    if name != "ConvTasNet":
        raise ValueError(f"{source} holds an Asteroid {name!r} model, not a ConvTasNet")
    config = config_from_asteroid(package["model_args"])
    state = {k: np.asarray(v, dtype=np.float32) for k, v in package["state_dict"].items()
             if not k.endswith("num_batches_tracked")}
    taken = set()

    def take(key):
        if key not in state:
            raise ValueError(f"{source} has no {key!r}; is it a ConvTasNet of this config?")
        taken.add(key)
        return state[key]

    def dense(prefix):  # torch Conv1d 1x1 [out, in, 1] -> Dense [in, out]
        return {"kernel": take(f"{prefix}.weight")[:, :, 0].T, "bias": take(f"{prefix}.bias")}

    def prelu(prefix):
        return {"negative_slope": take(f"{prefix}.weight").reshape(())}

    def norm(prefix, node, stat_node, name):
        if config.norm == "batch":
            node[name] = {"scale": take(f"{prefix}.weight"), "bias": take(f"{prefix}.bias")}
            stat_node[name] = {"mean": take(f"{prefix}.running_mean"),
                               "var": take(f"{prefix}.running_var")}
        else:
            node[name] = {"scale": take(f"{prefix}.gamma"), "bias": take(f"{prefix}.beta")}

    # Filterbanks [N, 1, L]: encoder frames @ [L, N]; decoder [N, L] per frame.
    separator, separator_stats = {}, {}
    params = {
        "encoder": {"kernel": take("encoder.filterbank._filters")[:, 0, :].T},
        "decoder": {"kernel": take("decoder.filterbank._filters")[:, 0, :]},
        "separator": separator,
    }
    norm("masker.bottleneck.0", separator, separator_stats, "bottleneck_norm")
    separator["bottleneck"] = dense("masker.bottleneck.1")
    # A causal depthwise conv is Sequential(conv, chop) in Asteroid: one level deeper.
    depthwise = "3.0" if config.causal else "3"
    for i in range(config.repeats * config.blocks_per_repeat):
        prefix = f"masker.TCN.{i}"
        block, block_stats = {}, {}
        block["in_conv"] = dense(f"{prefix}.shared_block.0")
        block["prelu_in"] = prelu(f"{prefix}.shared_block.1")
        norm(f"{prefix}.shared_block.2", block, block_stats, "norm_in")
        block["depthwise"] = {
            "kernel": take(f"{prefix}.shared_block.{depthwise}.weight")[:, 0, :].T,
            "bias": take(f"{prefix}.shared_block.{depthwise}.bias"),
        }
        block["prelu_out"] = prelu(f"{prefix}.shared_block.4")
        norm(f"{prefix}.shared_block.5", block, block_stats, "norm_out")
        block["residual"] = dense(f"{prefix}.res_conv")
        if config.skip_channels:
            block["skip"] = dense(f"{prefix}.skip_conv")
        separator[f"block_{i}"] = block
        separator_stats[f"block_{i}"] = block_stats
    separator["mask_prelu"] = prelu("masker.mask_net.0")
    separator["mask"] = dense("masker.mask_net.1")

    unused = sorted(set(state) - taken)
    if unused:
        raise ValueError(f"{source} has weights this config does not use: {unused[:5]}")
    variables = {"params": params}
    if config.norm == "batch":
        variables["batch_stats"] = {"separator": separator_stats}
    return config, variables


def save_as_run(config: ConvTasNetConfig, variables: dict, workdir, source: str,
                run_config: dict | None = None, step: int = 0) -> Path:
    """Write a model (imported, or packed from a run) as the only checkpoint of
    a tasnet-jax run in `workdir`, at `step`, with a fresh optimizer state and
    `run_config` (the default config with this model if None), which
    `inference.load` and the training loop (to fine-tune it) read like any
    run's. Returns the checkpoints folder."""
    import dataclasses

    import jax
    import jax.numpy as jnp

    from tasnet_jax.checkpoints import Checkpoints
    from tasnet_jax.model import ConvTasNet
    from tasnet_jax.optim import OptimConfig, Plateau, make_optimizer
    from tasnet_jax.parallel import make_mesh
    from tasnet_jax.step import create_train_state
    from tasnet_jax.train import default_config

    folder = Path(workdir) / "checkpoints"
    if folder.exists() and any(folder.iterdir()):
        raise FileExistsError(f"{folder} already holds checkpoints; choose an empty workdir")
    if run_config is None:
        run_config = default_config()
        run_config.model = dataclasses.asdict(config)
        run_config = run_config.to_dict()
    optimizer = make_optimizer(OptimConfig(**run_config["optim"]))
    state = create_train_state(ConvTasNet(config), optimizer, jax.random.key(0),
                               jnp.zeros((1, config.filter_length)),
                               make_mesh(jax.local_devices()[:1]))
    params = jax.tree.map(jnp.asarray, variables["params"])
    state = state.replace(params=params, opt_state=optimizer.init(params), step=jnp.int32(step),
                          batch_stats=jax.tree.map(jnp.asarray, variables.get("batch_stats", {})))
    checkpoints = Checkpoints(folder, asynchronous=False)
    try:
        checkpoints.save(step, state, {"config": run_config, "source": source,
                                       "plateau": dataclasses.asdict(Plateau()), "stopped": False})
    finally:
        checkpoints.close()
    return folder


_ASTEROID_NORM_NAMES = {ours: theirs for theirs, ours in ASTEROID_NORMS.items()}


def to_asteroid(config: ConvTasNetConfig, variables: dict, infos: dict | None = None) -> dict:
    """The Asteroid ConvTasNet package of a model (what `BaseModel.serialize()`
    returns; `ConvTasNet.from_pretrained` reads it). `infos` is stored as it is.
    A config Asteroid cannot build raises ValueError naming the field."""
    import torch

    if config.causal and config.norm not in ("cumulative", "channel"):
        raise ValueError(f"causal=True with norm={config.norm!r} cannot be exported: Asteroid "
                         "builds a causal ConvTasNet with channel LN in place of that norm")
    if config.compute_dtype != "float32":
        raise ValueError(f"compute_dtype={config.compute_dtype!r} cannot be exported: Asteroid "
                         "computes in float32 (train or export a float32 config)")
    params = variables["params"]
    separator = params["separator"]
    stats = variables.get("batch_stats", {}).get("separator", {})
    state = {}

    def put(key, value):
        state[key] = torch.from_numpy(np.array(value, dtype=np.float32))

    def dense(prefix, node):  # Dense [in, out] -> torch Conv1d 1x1 [out, in, 1]
        put(f"{prefix}.weight", np.asarray(node["kernel"]).T[:, :, None])
        put(f"{prefix}.bias", node["bias"])

    def prelu(prefix, node):
        put(f"{prefix}.weight", np.reshape(node["negative_slope"], (1,)))

    def norm(prefix, node, stat_node):
        if config.norm == "batch":
            put(f"{prefix}.weight", node["scale"])
            put(f"{prefix}.bias", node["bias"])
            put(f"{prefix}.running_mean", stat_node["mean"])
            put(f"{prefix}.running_var", stat_node["var"])
            state[f"{prefix}.num_batches_tracked"] = torch.tensor(0)
        else:
            put(f"{prefix}.gamma", node["scale"])
            put(f"{prefix}.beta", node["bias"])

    put("encoder.filterbank._filters", np.asarray(params["encoder"]["kernel"]).T[:, None, :])
    put("decoder.filterbank._filters", np.asarray(params["decoder"]["kernel"])[:, None, :])
    norm("masker.bottleneck.0", separator["bottleneck_norm"], stats.get("bottleneck_norm"))
    dense("masker.bottleneck.1", separator["bottleneck"])
    depthwise = "3.0" if config.causal else "3"
    for i in range(config.repeats * config.blocks_per_repeat):
        prefix, block = f"masker.TCN.{i}", separator[f"block_{i}"]
        block_stats = stats.get(f"block_{i}", {})
        dense(f"{prefix}.shared_block.0", block["in_conv"])
        prelu(f"{prefix}.shared_block.1", block["prelu_in"])
        norm(f"{prefix}.shared_block.2", block["norm_in"], block_stats.get("norm_in"))
        put(f"{prefix}.shared_block.{depthwise}.weight",
            np.asarray(block["depthwise"]["kernel"]).T[:, None, :])
        put(f"{prefix}.shared_block.{depthwise}.bias", block["depthwise"]["bias"])
        prelu(f"{prefix}.shared_block.4", block["prelu_out"])
        norm(f"{prefix}.shared_block.5", block["norm_out"], block_stats.get("norm_out"))
        dense(f"{prefix}.res_conv", block["residual"])
        if config.skip_channels:
            dense(f"{prefix}.skip_conv", block["skip"])
    prelu("masker.mask_net.0", separator["mask_prelu"])
    dense("masker.mask_net.1", separator["mask"])

    model_args = {
        "fb_name": "free", "n_filters": config.n_filters, "kernel_size": config.filter_length,
        "stride": config.stride, "sample_rate": config.sample_rate,
        "in_chan": config.n_filters, "out_chan": config.n_filters,
        "bn_chan": config.bottleneck_channels, "hid_chan": config.hidden_channels,
        "skip_chan": config.skip_channels, "conv_kernel_size": config.kernel_size,
        "n_blocks": config.blocks_per_repeat, "n_repeats": config.repeats,
        "n_src": config.n_src, "norm_type": _ASTEROID_NORM_NAMES[config.norm],
        "mask_act": config.mask_activation, "causal": config.causal,
        "encoder_activation": None if config.encoder_activation == "linear"
        else config.encoder_activation,
    }
    return {"model_name": "ConvTasNet", "state_dict": state, "model_args": model_args,
            "infos": dict(infos or {})}


def export_run(source, out, which="best", overwrite: bool = False) -> dict:
    """Write the model `inference.load(source, which)` reads (a run, an Asteroid
    file, a Hub id) as an Asteroid package file `out`, with the versions and,
    for a run, its test figures in `infos`. Returns the package."""
    import importlib.metadata
    import json
    import os

    import jax
    import torch

    from tasnet_jax import inference

    out = Path(out)
    if out.exists() and not overwrite:
        raise FileExistsError(f"{out} exists; pass --overwrite (overwrite=True) to replace it")
    denoiser = inference.load(source, which)
    summary = Path(source) / "summary.json"
    test = {}
    if summary.is_file():
        test = {k: v for k, v in json.loads(summary.read_text()).items()
                if k.startswith("test_") or k == "best_step"}
    try:
        version = importlib.metadata.version("tasnet-jax")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    # Plain str, not torch's TorchVersion: torch.load(weights_only=True) refuses that class.
    versions = {"tasnet_jax_version": version, "jax_version": jax.__version__,
                "torch_version": str(torch.__version__)}
    infos = {"software_versions": versions,
             "tasnet_jax": {"source": denoiser.source, "step": denoiser.step, "test": test}}
    package = to_asteroid(denoiser.config, denoiser.variables, infos)
    partial = out.with_name(f".{out.name}.partial")
    try:
        torch.save(package, partial)
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    return package


def pack_run(source, out, which="best") -> Path:
    """The `which` checkpoint of the run in `source` as a new run in `out` to
    share: its parameters, config and step, and its summary.json if it has
    one, with a fresh optimizer state in place of Adam's two moments per
    parameter (a third of the size). Returns the checkpoints folder."""
    import shutil

    from tasnet_jax import inference
    from tasnet_jax.checkpoints import Checkpoints

    denoiser = inference.load(source, which)
    if denoiser.step is None:
        raise ValueError(f"{source} is not a tasnet-jax run; only a run's checkpoint is packed")
    checkpoints = Checkpoints(denoiser.source, asynchronous=False)
    try:
        run_config = checkpoints.read_record(denoiser.step)["config"]
    finally:
        checkpoints.close()
    folder = save_as_run(denoiser.config, denoiser.variables, out,
                         f"{denoiser.source} step {denoiser.step}", run_config, denoiser.step)
    summary = Path(source) / "summary.json"
    if summary.is_file():
        shutil.copyfile(summary, Path(out) / "summary.json")
    return folder
