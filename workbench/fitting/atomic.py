"""Crash-safe file writes: a save either completes or leaves the previous file exactly as it was.

The new content goes to a hidden temporary file beside the target, which then replaces it in one rename.
Saving through a symbolic link writes the file the link points to (the link stays a link).  A temporary file
left by a save that was interrupted (the process killed mid-write) is removed by the next save of the same
file, once it is older than any save in progress could leave it (``STALE_AFTER_S``).
"""

from __future__ import annotations

import glob
import os
import re
import secrets
import stat
import time
from collections.abc import Iterable
from pathlib import Path

STALE_AFTER_S = 60.0  # a temporary file this old beside a target belongs to no save in progress
_TOKEN_CHARS = 12  # hex digits naming each temporary file: ".<name>.<token>.tmp"


def atomic_write_text(path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8") -> None:
    """Replace `path` with `text` atomically, so a crash or error never leaves a half-written file."""
    data = text.encode(encoding)  # encode first: an encoding error must not even create a temp file
    atomic_write_bytes(path, data)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Replace `path` with `data` atomically (images and other binary exports, as for text above)."""
    atomic_write_chunks(path, [bytes(data)])


def atomic_write_chunks(path: str | os.PathLike[str], chunks: Iterable[bytes]) -> None:
    """Replace `path` with the concatenated ``chunks`` atomically (a big session, written piece by piece
    without ever being one string in memory); an error while producing them leaves the old file alone."""
    target = resolved(path)
    remove_stale_temps(target)  # first: an interrupted save's leftovers may be what fills the disk
    tmp, fd = _create_temp_beside(target)
    try:
        with os.fdopen(fd, "wb") as f:
            for chunk in chunks:
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
        _copy_mode(target, tmp)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)


def resolved(path: str | os.PathLike[str]) -> Path:
    """The file a save of ``path`` must replace: the target of a symbolic link, not the link."""
    target = Path(path)
    return Path(os.path.realpath(target)) if target.is_symlink() else target


def remove_stale_temps(target: str | os.PathLike[str], older_than_s: float = STALE_AFTER_S) -> int:
    """Remove temporary files an interrupted save of ``target`` left behind; returns how many went."""
    target = Path(target)
    removed = 0
    now = time.time()
    ours = re.compile(rf"\.{re.escape(target.name)}\.[0-9a-f]{{{_TOKEN_CHARS}}}\.tmp")
    try:  # (escaped: a name such as "run[1].json" is no pattern; only names the app makes are candidates)
        candidates = [p for p in target.parent.glob(f".{glob.escape(target.name)}.*.tmp") if ours.fullmatch(p.name)]
    except OSError:
        return 0
    for tmp in candidates:
        try:
            if now - tmp.stat().st_mtime >= older_than_s:
                tmp.unlink()
                removed += 1
        except OSError:
            continue  # gone already, or not ours to remove
    return removed


def _create_temp_beside(target: Path) -> tuple[Path, int]:
    """Create a fresh temp file in the target's directory, so os.replace never crosses file systems."""
    while True:
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(_TOKEN_CHARS // 2)}.tmp")
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
