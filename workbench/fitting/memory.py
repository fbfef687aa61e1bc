"""How much memory this process may still use, as far as the system tells (Linux; None elsewhere).

Reading a file that cannot fit should stop at once with a message, not swap for minutes, meet the
kernel's out-of-memory killer, or end in a ``MemoryError`` half-way through.
"""

from __future__ import annotations

import os

__all__ = ["available_memory"]


def available_memory() -> int | None:
    """Bytes this process can still allocate: the least of free RAM plus swap, the cgroup's remaining
    allowance and the address-space limit; None when none of them is known."""
    known = [v for v in (_meminfo(), _cgroup(), _address_space()) if v is not None]
    return min(known) if known else None


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="ascii") as f:
            return f.read()
    except (OSError, ValueError):
        return None


def _meminfo() -> int | None:
    text = _read("/proc/meminfo")
    if text is None:
        return None
    fields = {}
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            fields[name] = int(parts[0]) * 1024
    if "MemAvailable" not in fields:
        return None
    return fields["MemAvailable"] + fields.get("SwapFree", 0)


def _cgroup() -> int | None:
    limit, used = _read("/sys/fs/cgroup/memory.max"), _read("/sys/fs/cgroup/memory.current")
    if limit is None or used is None or not limit.strip().isdigit() or not used.strip().isdigit():
        return None
    return max(0, int(limit) - int(used))


def _address_space() -> int | None:
    try:
        import resource
    except ImportError:  # not on Windows
        return None
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return None
    status = _read(f"/proc/{os.getpid()}/status") or ""
    size = next((int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmSize:")), None)
    return None if size is None else max(0, soft - size)
