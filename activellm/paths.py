"""The folder conventions of the project, in one place.

Every file the tools read or write lives under the project root: the repository folder by default, or the
folder named by the environment variable ``ACTIVELLM_ROOT`` (tests and users who keep results elsewhere).

    data/<data>/df_train_full_shuffled_<run>.csv        the run's pool
    prompts/<tag>/<mode>/prompt_<run>.txt (+ .json)      a prompt and its sidecar
    answers/<tag>/<mode>/answer_<run>.txt, list_<run>.txt  an LLM reply and the indices parsed from it
    answers/<tag>/smalltext_<cold|warm>start/<Strategy>/<configuration>/list_<run>.txt (+ .json)  small-text's labels
    logs/run/<task>/<mode>[/<variant>]/run_<run>_<time>.csv (+ .log)  results
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from pathlib import Path

ROOT_ENV = "ACTIVELLM_ROOT"
REPOSITORY = Path(__file__).resolve().parent.parent  # the code: scripts and package


def project_root() -> Path:
    """The folder under which data/, prompts/, answers/ and logs/ live."""
    configured = os.environ.get(ROOT_ENV)
    return Path(configured) if configured else REPOSITORY


def recorded_path(path: Path | str) -> str:
    """How a file is named in a record (a sidecar, an answer's metadata): relative to the project root where it lies
    under it, whether given relative to the current folder or absolute; else its absolute path. Reading a record
    back, ``project_root() / name`` finds it either way."""
    resolved = Path(path).resolve()
    try:
        return str(resolved.relative_to(project_root().resolve()))
    except ValueError:
        return str(resolved)


def data_dir(data_name: str) -> Path:
    return project_root() / "data" / data_name


def pool_file(data_name: str, run: int) -> Path:
    return data_dir(data_name) / f"df_train_full_shuffled_{run}.csv"


def prompt_dir(tag: str, mode: str) -> Path:
    return project_root() / "prompts" / tag / mode


def answer_dir(tag: str, mode: str) -> Path:
    return project_root() / "answers" / tag / mode


def list_file(tag: str, mode: str, run: int) -> Path:
    return answer_dir(tag, mode) / f"list_{run}.txt"


def strategy_list_file(tag: str, mode: str, strategy: str, configuration: str, run: int) -> Path:
    """The labelled indices of a small-text run, in a folder named by the configuration that made them:
    answers/<tag>/smalltext_<cold|warm>start/<Strategy>/<configuration>/list_<run>.txt."""
    return answer_dir(tag, mode) / strategy / configuration / f"list_{run}.txt"


def answer_file(tag: str, mode: str, run: int) -> Path:
    return answer_dir(tag, mode) / f"answer_{run}.txt"


def logs_dir() -> Path:
    return project_root() / "logs" / "run"


def run_log_dir(task: str, mode: str, variant: str = "") -> Path:
    """Where the results of one (task, mode[, variant]) cell go; ``variant`` separates model classes."""
    base = logs_dir() / task / mode
    return base / variant if variant else base


_UNSAFE = re.compile(r"[^A-Za-z0-9.+-]+")


def safe_name(text: str) -> str:
    """``text`` as a folder or file name part: runs of other characters (``/``, spaces, ``:``) become ``_``."""
    return _UNSAFE.sub("_", text).strip("_")


def timestamp() -> str:
    return _dt.datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
