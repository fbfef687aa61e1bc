"""The compute process: runs tasks sent by the window, one at a time, and dies with the window.

Started as ``python -P -m workbench.tasks.worker_process PARENT_PID FD`` (or, in a frozen app, as the app's
own executable with ``--compute-worker``): a fresh interpreter that imports only NumPy and the core, never the
caller's ``__main__``, so an unguarded launcher script, ``python -c``, ``python -i``, Jupyter and frozen
bundles all work the same.  It talks to the window over the socket ``FD`` (``workbench.tasks.wire``).

It never outlives the window.  A *lifeline* thread waits on the socket: the end of the stream (the window's
process ended, by any means, SIGKILL included) ends this process at once, mid-step or not.  On Linux the
kernel's parent-death signal (``PR_SET_PDEATHSIG``) is a second line.  The lifeline also delivers the
window's stop, acknowledgement and pace to the running task's ``TaskContext`` the moment they arrive.

Messages (headers): to the process ``("start", id, pause_s)`` with the task as body, ``("stop", id)``,
``("ack", id)``, ``("pace", id, seconds)``, ``("quit",)``; from it ``("progress", id)``, ``("finished", id)``
with the snapshot or result as body, and ``("failed", id, text)``.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import traceback
from dataclasses import dataclass

WORKER_FLAG = "--compute-worker"  # how a frozen app's executable is asked to be one (``workbench.cli.main``)
BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
PR_SET_PDEATHSIG = 1
SWITCH_INTERVAL_S = 0.001  # the lifeline gets the GIL within this of a message arriving


def worker_command(fd: int) -> list[str]:
    """The command line that starts a compute process talking over descriptor ``fd``."""
    parent = str(os.getpid())
    if getattr(sys, "frozen", False):  # a bundle (PyInstaller and the like): its executable is the app
        return [sys.executable, WORKER_FLAG, parent, str(fd)]
    return [sys.executable, "-P", "-m", __name__, parent, str(fd)]


def worker_environment() -> dict[str, str]:
    """The compute process's environment: the window's, with one BLAS thread unless the user chose.

    Our products are tall and thin (N × 6): BLAS threads gain nothing, and on a busy machine OpenBLAS's
    spinning threads made a step at N = 10⁵ seven times slower (tests/benchmarks/bench_engine.py).
    """
    env = dict(os.environ)
    for name in BLAS_THREADS:
        env.setdefault(name, "1")
    return env


@dataclass
class Spawned:
    """A started compute process and the window's end of its socket."""

    process: subprocess.Popen
    sock: object


def spawn() -> Spawned:
    """Start a compute process (it is ready for tasks once its interpreter has imported the core)."""
    import socket

    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        process = subprocess.Popen(
            worker_command(theirs.fileno()),
            pass_fds=(theirs.fileno(),),
            env=worker_environment(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            close_fds=True,
        )
    except BaseException:
        ours.close()
        raise
    finally:
        theirs.close()
    return Spawned(process, ours)


def main(argv: list[str] | None = None) -> int:
    """Serve tasks until the window goes (the compute process's entry point)."""
    argv = sys.argv[1:] if argv is None else argv
    parent, fd = int(argv[0]), int(argv[1])
    _die_with(parent)
    for name in BLAS_THREADS:  # before NumPy loads (``worker_environment`` set them already when we spawned)
        os.environ.setdefault(name, "1")
    import socket

    from . import problem_cache
    from .wire import Channel

    sys.setswitchinterval(SWITCH_INTERVAL_S)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C in the terminal is the window's to handle
    problem_cache.enable()
    channel = Channel(socket.socket(fileno=fd))
    _serve(channel)
    return 0


def _die_with(parent: int) -> None:
    """Have the kernel kill this process when the window's process ends (Linux), and make sure it has not
    ended already (between our start and this call)."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass  # the lifeline still ends us
    if os.getppid() != parent:
        os._exit(0)


def _serve(channel) -> None:
    from .context import TaskContext
    from .wire import ChannelClosed

    contexts: dict[int, TaskContext] = {}
    starts: queue.SimpleQueue = queue.SimpleQueue()

    def lifeline() -> None:
        while True:
            try:
                frame = channel.receive()
            except (ChannelClosed, OSError):
                os._exit(0)  # the window has gone: nobody to compute for
            kind, *rest = frame.header
            if kind == "start":
                task_id, pause_s = rest
                contexts[task_id] = TaskContext(pause_s=pause_s)
                starts.put((task_id, frame))
                continue
            frame.close()
            if kind == "quit":
                os._exit(0)
            context = contexts.get(rest[0])
            if context is None:
                continue
            if kind == "stop":
                context.stop()
            elif kind == "ack":
                context.acknowledge()
            elif kind == "pace":
                context.set_pause(rest[1])

    threading.Thread(target=lifeline, name="lifeline", daemon=True).start()
    while True:
        task_id, frame = starts.get()
        _run_one(channel, task_id, frame, contexts[task_id])
        contexts.pop(task_id, None)
        del frame


def _run_one(channel, task_id: int, frame, context) -> None:
    """Run one task to its end, sending its snapshots and its result (or why it failed)."""
    from .wire import ChannelClosed

    try:
        try:
            task = frame.body()
            steps = task.run(context)
            while True:
                snapshot = next(steps)
                context.sent()
                channel.send(("progress", task_id), snapshot)
        except StopIteration as end:
            channel.send(("finished", task_id), end.value)
        except ChannelClosed:
            raise
        except BaseException as exc:  # noqa: BLE001 - MemoryError included: reported, and the process serves on
            text = f"{type(exc).__name__}: {exc}".rstrip(": ")
            channel.send(("failed", task_id, text, traceback.format_exc()))
    except ChannelClosed:
        os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
