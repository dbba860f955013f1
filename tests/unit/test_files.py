"""Files the tool writes: whole or not at all, and readable as the umask says (annotators and colleagues on a shared
machine read exports, predictions and models)."""

from __future__ import annotations

import os
import stat

import pytest

from activellm.files import atomic_write_text


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_an_atomic_write_gives_the_file_the_umasks_mode(tmp_path, mask, mode):
    before = os.umask(mask)
    try:
        atomic_write_text(tmp_path / "export.csv", "row,text,label\n")
    finally:
        os.umask(before)
    assert stat.S_IMODE((tmp_path / "export.csv").stat().st_mode) == mode
    assert [p.name for p in tmp_path.iterdir()] == ["export.csv"]
