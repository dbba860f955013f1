"""The environment a run ran in, recorded beside its results: packages, Python, device, commit, input hashes.

``run_<run>_<time>.json`` sits beside ``run_<run>_<time>.csv``: with it, every number in the CSV can be traced
to the code, the libraries, the hardware, and the exact pool and index list it was computed from.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

from activellm import paths
from activellm.files import file_sha256

PACKAGES = ("torch", "transformers", "small-text", "setfit", "sentence-transformers", "datasets", "accelerate",
            "numpy", "scikit-learn", "openai")


def package_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


GIT_ENV = "ACTIVELLM_GIT"  # the driver's git_commit() as JSON, for a cell run where the code has no .git (Ray)


def git_commit() -> dict[str, object] | None:
    """The project's commit and whether the working tree had changes; None outside a git checkout. A Ray worker's
    copy of the code has no .git: there the driver's record, passed in ACTIVELLM_GIT, stands for it."""
    if os.environ.get(GIT_ENV):
        return json.loads(os.environ[GIT_ENV])
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=paths.REPOSITORY, capture_output=True, text=True,
                              timeout=10)
        if head.returncode != 0:
            return None
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=paths.REPOSITORY,
                                capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return {"commit": head.stdout.strip(), "uncommitted_changes": bool(status.stdout.strip())}


def cpu_name() -> str:
    """The CPU's model name and its widest vector extension that matters here (AVX512-BF16, AVX512, AVX2): machines
    of one description differ by up to 2x in speed, and fp32 kernels in their last bits."""
    name, flags = platform.processor() or "unknown CPU", set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                name = line.split(":", 1)[1].strip()
            elif line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    except OSError:
        return name
    for flag, label in (("avx512_bf16", "AVX512-BF16"), ("avx512f", "AVX512"), ("avx2", "AVX2")):
        if flag in flags:
            return f"{name}, {label}"
    return name


def device_record() -> dict[str, object]:
    import torch

    record: dict[str, object] = {"cpu": cpu_name(), "torch_threads": torch.get_num_threads(),
                                 "cpu_count": os.cpu_count(), "cuda": torch.cuda.is_available()}
    if torch.cuda.is_available():
        record["gpu"] = torch.cuda.get_device_name(0)
        record["cuda_version"] = torch.version.cuda
    for variable in ("OMP_NUM_THREADS", "CUDA_VISIBLE_DEVICES"):
        if variable in os.environ:
            record[variable] = os.environ[variable]
    return record


def hashed_file(path: Path | None) -> dict[str, str] | None:
    """The file's path (relative to the project root where it lies under it) and its sha256; None if absent."""
    if path is None or not Path(path).is_file():
        return None
    return {"path": paths.recorded_path(path), "sha256": file_sha256(Path(path))}


def environment_record(inputs: dict[str, Path | None]) -> dict[str, object]:
    """Everything besides the configuration that a result depends on; ``inputs`` names the files it read."""
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": package_versions(),
        "device": device_record(),
        "git": git_commit(),
        "inputs": {name: hashed_file(path) for name, path in inputs.items()},
    }
