"""Crash-safe file writes: a save either completes or leaves the previous file exactly as it was."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path


def atomic_write_text(path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8") -> None:
    """Replace `path` with `text` atomically, so a crash or error never leaves a half-written file."""
    data = text.encode(encoding)  # encode first: an encoding error must not even create a temp file
    atomic_write_bytes(path, data)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Replace `path` with `data` atomically (images and other binary exports, as for text above)."""
    target = Path(path)
    data = bytes(data)
    tmp, fd = _create_temp_beside(target)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        _copy_mode(target, tmp)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)


def _create_temp_beside(target: Path) -> tuple[Path, int]:
    """Create a fresh temp file in the target's directory, so os.replace never crosses file systems."""
    while True:
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
        try:
            # 0o666 lets the kernel apply the user's umask, like an ordinary open(path, "w") would.
            return tmp, os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        except FileExistsError:
            continue


def _copy_mode(target: Path, tmp: Path) -> None:
    """Keep an existing file's permission bits across the replace (a private file stays private)."""
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        return
    os.chmod(tmp, mode)


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable where the platform allows syncing a directory."""
    if os.name != "posix":
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
