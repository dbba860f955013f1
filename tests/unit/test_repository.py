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


def test_no_code_or_doc_is_ignored_by_git():
    """A pattern for the project's own data/ or logs/ must not also hide the package's folders of those names."""
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    own = [str(path.relative_to(REPO)) for folder in ("activellm", "tests", "benchmarks", "docs")
           for path in (REPO / folder).rglob("*") if path.is_file() and "__pycache__" not in path.parts]
    checked = subprocess.run(["git", "check-ignore", "--no-index", "--stdin"], cwd=REPO, input="\n".join(own),
                             capture_output=True, text=True)
    assert checked.stdout.split() == [], "ignored by .gitignore although the project's own: anchor the pattern (/data/)"
