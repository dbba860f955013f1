"""The tree holds the project's own files only: no packages, archives, model weights or caches."""

import shutil
import subprocess

import pytest

from tests.conftest import REPO

FOREIGN_SUFFIXES = (".whl", ".tar.gz", ".tgz", ".zip", ".egg", ".safetensors", ".bin", ".gguf", ".pt", ".pth",
                    ".onnx", ".npy", ".pyc")


def test_no_package_archive_or_model_file_is_tracked():
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    foreign = [name for name in tracked.splitlines() if name.endswith(FOREIGN_SUFFIXES)]
    assert not foreign, f"not the project's own files: {foreign}; remove them (git rm) and keep them out (.gitignore)"
