"""Pretrained models on the Hugging Face Hub, named by id: `owner/name[@revision]`.

Asteroid publishes its pretrained models as Hub repositories that hold the
model package (`BaseModel.serialize()`) as `pytorch_model.bin`, e.g.
JorisCos/ConvTasNet_Libri1Mix_enhsingle_16k. huggingface_hub fetches that
file once into its cache (HF_HOME, HF_HUB_CACHE) and, with HF_HUB_OFFLINE=1,
reads only the cache. An id is taken as one only where no local file or
folder has that name, so `runs/quickstart` stays a path.
"""
import re
from pathlib import Path

ASTEROID_WEIGHTS = "pytorch_model.bin"
_HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*(@[\w./-]+)?")


def is_hub_id(text) -> bool:
    """`owner/name` or `owner/name@revision`, naming no local path."""
    text = str(text)
    return bool(_HUB_ID.fullmatch(text)) and not Path(text).exists()


def download(model_id: str) -> Path:
    """The local path of `model_id`'s Asteroid package, downloaded if not cached."""
    try:
        import huggingface_hub
        from huggingface_hub import errors
    except ImportError as err:
        raise ImportError(f"{model_id} looks like a Hugging Face Hub id; reading one needs "
                          "huggingface_hub: pip install 'tasnet-jax[torch]'") from err
    repo, _, revision = model_id.partition("@")
    try:
        return Path(huggingface_hub.hf_hub_download(repo, ASTEROID_WEIGHTS,
                                                    revision=revision or None))
    except errors.RevisionNotFoundError as err:
        raise ValueError(f"{model_id}: the Hub model {repo} has no revision {revision!r}") from err
    except errors.RepositoryNotFoundError as err:  # also a private or gated one
        raise ValueError(f"{model_id}: no such model on the Hugging Face Hub (or it is private); "
                         "a local path of that name does not exist either") from err
    except errors.LocalEntryNotFoundError as err:  # offline, and not in the cache
        held = cached_files(repo, revision)
        if held:
            raise ValueError(f"{model_id} holds no ConvTasNet package ({ASTEROID_WEIGHTS}); "
                             f"its cached files: {', '.join(held)}") from err
        raise FileNotFoundError(
            f"{model_id} is not in the Hub cache ({huggingface_hub.constants.HF_HUB_CACHE}) and "
            f"the Hub cannot be reached (HF_HUB_OFFLINE="
            f"{int(huggingface_hub.constants.HF_HUB_OFFLINE)}; run once online to cache it); "
            "no local path of that name exists either") from err
    except errors.EntryNotFoundError as err:
        held = huggingface_hub.list_repo_files(repo, revision=revision or None)
        raise ValueError(f"{model_id} holds no ConvTasNet package ({ASTEROID_WEIGHTS}); "
                         f"it holds: {', '.join(sorted(held))}") from err


def cached_files(repo: str, revision: str = "") -> list[str]:
    """The files the Hub cache holds for `repo` at `revision` (default main)."""
    from huggingface_hub import constants

    folder = Path(constants.HF_HUB_CACHE) / ("models--" + repo.replace("/", "--"))
    ref = folder / "refs" / (revision or "main")
    commit = ref.read_text().strip() if ref.is_file() else revision
    snapshot = folder / "snapshots" / commit if commit else None
    if snapshot is None or not snapshot.is_dir():
        return []
    return sorted(str(p.relative_to(snapshot)) for p in snapshot.rglob("*") if p.is_file())
