"""Messages between the window's process and a compute process: pickles in length-prefixed frames over a
Unix stream socket, with big arrays shared instead of copied.

An array of ``SHARE_BYTES`` or more travels as a file descriptor of anonymous shared memory (``memfd`` on
Linux, an unlinked temporary file elsewhere) passed with the frame (``SCM_RIGHTS``); the receiver maps it
read-only.  The sender keeps one such copy per array for as long as the array lives, so the same dataset sent
to every run of a session is written once; nothing is left on disk or in ``/dev/shm`` whatever happens to
either process, since the memory has no name.

A frame carries a small *header* (unpickled as soon as it arrives) and an optional *body* (unpickled when the
receiver asks, so a body that cannot be unpickled fails one task, not the connection).
"""

from __future__ import annotations

import io
import mmap
import os
import pickle
import socket
import struct
import tempfile
import threading
import weakref
from typing import Any

import numpy as np

SHARE_BYTES = 256 * 1024  # arrays at least this big travel as shared memory
MAX_FDS = 64  # file descriptors a frame may carry
_FRAME = struct.Struct("<QQI")  # header length, body length, number of file descriptors
CAN_SHARE = hasattr(socket, "send_fds") and hasattr(socket, "CMSG_SPACE")

_local = threading.local()  # the descriptors of the frame being pickled or unpickled on this thread


class ChannelClosed(EOFError):
    """The other end has gone (its process ended, or it closed the connection)."""


class Frame:
    """A received frame: its header, and its body unpickled on demand (``body()``)."""

    def __init__(self, header: Any, body: bytes, fds: list[int]):
        self.header = header
        self._body = body
        self._fds = fds

    def body(self) -> Any:
        """The body's object (None when the frame had none); big arrays are mapped from shared memory."""
        try:
            return _loads(self._body, self._fds) if self._body else None
        finally:
            self.close()

    def close(self) -> None:
        """Let go of the frame's descriptors (mapped arrays stay valid: a mapping outlives its descriptor)."""
        fds, self._fds = self._fds, []
        for fd in fds:
            _close(fd)


class Channel:
    """One end of a connection: ``send`` from any thread, ``receive`` (blocking) or ``receive_ready``
    (whatever has arrived, never blocking) from one thread."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self._send_lock = threading.Lock()
        self._buffer = bytearray()
        self._fds: list[int] = []

    def fileno(self) -> int:
        """The socket's descriptor (to watch for readability)."""
        return self.sock.fileno()

    def send(self, header: Any, body: Any = None) -> None:
        """Send one frame; raises ChannelClosed when the other end has gone."""
        head = pickle.dumps(header, protocol=pickle.HIGHEST_PROTOCOL)
        data, fds = (b"", []) if body is None else _dumps(body)
        frame = _FRAME.pack(len(head), len(data), len(fds)) + head + data
        try:
            with self._send_lock:
                if fds:
                    sent = socket.send_fds(self.sock, [frame], fds)
                    self.sock.sendall(memoryview(frame)[sent:])
                else:
                    self.sock.sendall(frame)
        except OSError as exc:
            raise ChannelClosed(str(exc)) from exc

    def receive(self) -> Frame:
        """Wait for the next frame; raises ChannelClosed at the end of the stream."""
        while True:
            frame = self._next_frame()
            if frame is not None:
                return frame
            if not self._read(blocking=True):
                raise ChannelClosed("the connection was closed")

    def receive_ready(self) -> tuple[list[Frame], bool]:
        """The frames that have arrived, without waiting, and whether the connection is still open."""
        open_ = True
        while True:
            try:
                if not self._read(blocking=False):
                    open_ = False
                    break
            except BlockingIOError:
                break
            except ChannelClosed:
                open_ = False
                break
        frames = []
        while (frame := self._next_frame()) is not None:
            frames.append(frame)
        return frames, open_

    def close(self) -> None:
        """Close this end (the other end sees the end of the stream)."""
        for fd in self._fds:
            _close(fd)
        self._fds = []
        self.sock.close()

    def _read(self, blocking: bool) -> bool:
        """Read what is there into the buffer; False at the end of the stream."""
        flags = 0 if blocking else socket.MSG_DONTWAIT
        try:
            if CAN_SHARE:
                data, ancillary, _flags, _addr = self.sock.recvmsg(1 << 20, socket.CMSG_SPACE(MAX_FDS * 4), flags)
                for level, kind, payload in ancillary:
                    if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                        count = len(payload) // 4
                        self._fds.extend(struct.unpack(f"{count}i", payload[: count * 4]))
            else:
                data = self.sock.recv(1 << 20, flags)
        except (ConnectionResetError, BrokenPipeError):
            return False
        if not data:
            return False
        self._buffer += data
        return True

    def _next_frame(self) -> Frame | None:
        if len(self._buffer) < _FRAME.size:
            return None
        head_size, body_size, n_fds = _FRAME.unpack_from(self._buffer)
        end = _FRAME.size + head_size + body_size
        if len(self._buffer) < end or len(self._fds) < n_fds:
            return None
        start = _FRAME.size
        header = pickle.loads(self._buffer[start : start + head_size])
        body = bytes(self._buffer[start + head_size : end])
        del self._buffer[:end]
        fds, self._fds = self._fds[:n_fds], self._fds[n_fds:]
        return Frame(header, body, fds)


# -- big arrays as shared memory ----------------------------------------------------------------------------
_shared: dict[int, int] = {}  # id(array) -> descriptor of its shared copy, while the array lives


class _SharingPickler(pickle.Pickler):
    def reducer_override(self, obj):
        if (
            CAN_SHARE
            and len(_local.outgoing) < MAX_FDS  # beyond, arrays travel as bytes: a frame's descriptors are bounded
            and type(obj) is np.ndarray
            and obj.nbytes >= SHARE_BYTES
            and not obj.dtype.hasobject
            and obj.dtype.kind in "biuf"
        ):
            index = len(_local.outgoing)
            _local.outgoing.append(_shared_copy(obj))
            return _attach, (index, obj.shape, obj.dtype.str)
        return NotImplemented


def _dumps(obj: Any) -> tuple[bytes, list[int]]:
    buffer = io.BytesIO()
    _local.outgoing = []
    try:
        _SharingPickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
        return buffer.getvalue(), list(_local.outgoing)
    finally:
        _local.outgoing = []


def _loads(data: bytes, fds: list[int]) -> Any:
    _local.incoming = fds
    try:
        return pickle.loads(data)
    finally:
        _local.incoming = []


def _attach(index: int, shape: tuple[int, ...], dtype: str) -> np.ndarray:
    """The receiving side of a shared array: map the frame's descriptor ``index`` read-only."""
    fd = _local.incoming[index]
    size = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
    memory = mmap.mmap(fd, size, prot=mmap.PROT_READ)
    array = np.frombuffer(memory, dtype=dtype).reshape(shape)
    return array


def _shared_copy(array: np.ndarray) -> int:
    """A descriptor of shared memory holding ``array``'s values (made once per array, while it lives)."""
    key = id(array)
    fd = _shared.get(key)
    if fd is not None:
        return fd
    fd = _anonymous_file(array.nbytes)
    with mmap.mmap(fd, array.nbytes) as memory:
        np.copyto(np.frombuffer(memory, dtype=array.dtype).reshape(array.shape), array)
    _shared[key] = fd
    weakref.finalize(array, _forget_shared, key, fd)
    return fd


def _forget_shared(key: int, fd: int) -> None:
    if _shared.get(key) == fd:
        del _shared[key]
    _close(fd)


def _anonymous_file(size: int) -> int:
    """A descriptor of ``size`` bytes of memory with no name anywhere (nothing to clean up, ever)."""
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("workbench-array", os.MFD_CLOEXEC)
    else:
        fd, path = tempfile.mkstemp(prefix="workbench-array-")
        os.unlink(path)
    os.ftruncate(fd, size)
    return fd


def _close(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass
