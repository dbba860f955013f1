"""What this machine gives this process: the cores it may use and the memory free for new work, read from its CPU
affinity, /proc/meminfo and cgroup limits (a container's or a scheduler's). A sweep sizes its workers by them
(activellm.sweep.local_backend), the embedded LLM its threads (activellm.llm.embedded): more threads than cores
make torch and llama.cpp crawl.
"""

from __future__ import annotations

import os
from pathlib import Path

CGROUP = Path("/sys/fs/cgroup")
MEMINFO = Path("/proc/meminfo")


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def usable_cpus(cgroup: Path = CGROUP) -> int:
    """The cores this process may use: its CPU affinity (taskset, a scheduler's cpuset), capped by a cgroup CPU
    quota (a container's --cpus: cpu.max in cgroup v2, cpu.cfs_quota_us in v1), at least 1."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    quota = _read(cgroup / "cpu.max")
    if quota is not None:
        limit, _, period = quota.partition(" ")
    else:
        limit, period = _read(cgroup / "cpu" / "cpu.cfs_quota_us"), _read(cgroup / "cpu" / "cpu.cfs_period_us")
    if limit and period and limit not in ("max", "-1"):
        cores = min(cores, max(1, int(limit) // int(period)))
    return max(1, cores)


def available_memory_gb(cgroup: Path = CGROUP, meminfo: Path = MEMINFO) -> float | None:
    """The memory free for new work: MemAvailable (not the total, which other programs share), capped by what a
    cgroup memory limit leaves (memory.max less memory.current); None where neither can be read."""
    available = None
    for line in (_read(meminfo) or "").splitlines():
        if line.startswith("MemAvailable:"):
            available = int(line.split()[1]) * 1024 / 1e9
    limit, used = _read(cgroup / "memory.max"), _read(cgroup / "memory.current")
    if limit and limit.isdigit() and used and used.isdigit():
        left = (int(limit) - int(used)) / 1e9
        available = left if available is None else min(available, left)
    return available
