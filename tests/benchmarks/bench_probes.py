"""Where the window's thread spends its time: an event-loop probe, a sampler of its stack during stalls, and
cProfile around timed calls.  The profiles of misses are kept in ``PROFILES`` for the end of a benchmark's
output.  Import ``bench_setup`` before this module."""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from bench_window import spin, verdict, wait_until
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from workbench.qt.window.main_window import MainWindow

PROBE_MS = 5  # the probe's interval: a stall is a gap between its ticks less this
SETTLE_S = 0.3  # after an action's effects arrived: paced redraws (≤ 33 ms apart) catch up
PROFILES: list[str] = []  # where the window's thread was around misses (``--profile``), printed at the end


class LatencyProbe:
    """A precise timer of ``interval_ms`` on the window's thread: the gaps between its ticks, less the
    interval, are the event loop's latency; the longest gap in a stretch is the stall a user felt."""

    def __init__(self, interval_ms: int = 5):
        self.interval_ms = interval_ms
        self.ticks: list[float] = []
        self._timer = QTimer(interval=interval_ms)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        self.ticks.append(time.perf_counter())

    def start(self) -> None:
        """Start ticking (afresh)."""
        self.ticks = [time.perf_counter()]
        self._timer.start()

    def stop(self) -> None:
        """Stop ticking; the last gap runs until now."""
        self._timer.stop()
        self.ticks.append(time.perf_counter())

    def latencies_ms(self) -> np.ndarray:
        """Each gap between ticks less the interval (ms)."""
        return np.maximum(np.diff(self.ticks) * 1000.0 - self.interval_ms, 0.0)

    def longest_ms(self) -> float:
        """The longest stall (ms)."""
        gaps = self.latencies_ms()
        return float(gaps.max()) if gaps.size else 0.0


class StallSampler:
    """Samples the window's thread's Python stack (from a thread of its own, every ``every_ms``) while the
    probe has not ticked for ``over_ms``: which code the thread is in during each stall.

    A sample is taken only when the sampler gets the GIL, so a stall inside one C call that holds it shows as
    the Python line that made the call (what a profiler of the GUI thread would name too).
    """

    def __init__(self, probe: LatencyProbe, over_ms: float = 20.0, every_ms: float = 2.0):
        import threading

        self.probe = probe
        self.over_s = over_ms / 1000.0
        self.every_s = every_ms / 1000.0
        self.main = threading.main_thread().ident
        # stall start (its last tick) -> (the window thread's stack, the other threads' stacks) per sample
        self.episodes: dict[float, list[tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="stall-sampler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        import sys
        import threading

        me = threading.get_ident()
        while not self._stop.wait(self.every_s):
            ticks = self.probe.ticks
            if not ticks or time.perf_counter() - ticks[-1] < self.over_s:
                continue
            frames = sys._current_frames()
            if self.main not in frames:
                continue
            main = _stack(frames[self.main])
            others = tuple(_stack(f)[-6:] for ident, f in frames.items() if ident not in (me, self.main))
            self.episodes.setdefault(ticks[-1], []).append((main, tuple(o for o in others if o)))

    def longest(self, top: int = 3, depth: int = 14) -> str:
        """The longest stall's most frequent stacks (innermost ``depth`` frames) of the window's thread, and
        of the other threads of this process (a thread that holds the GIL stalls the window too), as text."""
        if not self.episodes:
            return "(no stall sampled)"
        gaps = {start: self._gap_after(start) for start in self.episodes}
        start = max(gaps, key=gaps.get)
        samples = self.episodes[start]
        lines = [f"longest stall {1000 * gaps[start]:.0f} ms, {len(samples)} samples:"]
        mains = _most_common([main[-depth:] for main, _ in samples], top)
        for stack, count in mains:
            lines.append(f"  the window's thread, {count} sample(s) in:")
            lines += [f"      {frame}" for frame in stack] or [NO_PYTHON_FRAME]
        others = _most_common([other for _, group in samples for other in group], top)
        for stack, count in others:
            lines.append(f"  another thread, {count} sample(s) in:")
            lines += [f"      {frame}" for frame in stack]
        return "\n".join(lines)

    def _gap_after(self, start: float) -> float:
        ticks = self.probe.ticks
        later = [t for t in ticks if t > start]
        return (later[0] if later else time.perf_counter()) - start


class WorstProfile:
    """Profiles (cProfile: the window's thread only) each timed call when enabled, keeping the slowest's."""

    def __init__(self, enabled: bool, label: str):
        self.enabled = enabled
        self.label = label
        self.worst_s = -1.0
        self._profiler: cProfile.Profile | None = None

    def call(self, timed: Callable[[], float]) -> float:
        """``timed()`` (it returns its own duration in seconds), profiled when enabled."""
        if not self.enabled:
            return timed()
        profiler = cProfile.Profile()
        profiler.enable()
        try:
            took = timed()
        finally:
            profiler.disable()
        if took > self.worst_s:
            self.worst_s, self._profiler = took, profiler
        return took

    def report(self, over_s: float, lines: int = 45) -> str:
        """The slowest call's profile (top functions by cumulative time) if it took over ``over_s``."""
        if self._profiler is None or self.worst_s <= over_s:
            return ""
        text = io.StringIO()
        stats = pstats.Stats(self._profiler, stream=text).sort_stats("cumulative")
        stats.print_stats("workbench/(qt|state|fitting|engine|tasks)|pyqtgraph|PySide6", 30)
        body = "\n".join(text.getvalue().splitlines()[:lines])
        return f"\n--- profile of the window's thread: {self.label} ({1000 * self.worst_s:.0f} ms) ---\n{body}"


class Stalls:
    """Measures the longest stall of the window's thread around actions, and profiles the ones over target."""

    def __init__(self, app: QApplication, window: MainWindow, target_ms: float, profile: bool):
        self.app = app
        self.window = window
        self.target_ms = target_ms
        self.profile = profile
        self.rows: list[tuple[str, list[float], float]] = []
        self.profiles: list[tuple[str, float, str]] = []

    def measure(self, action: Callable[[], None], settled: Callable[[], bool], timeout_s: float = 120) -> float:
        """The longest stall (ms) from ``action`` until ``settled()`` holds, plus ``SETTLE_S``; with ``profile``
        the window thread's stacks during the longest stall are kept when it is over target."""
        probe = LatencyProbe(PROBE_MS)
        probe.start()
        sampler = StallSampler(probe) if self.profile else None
        if sampler is not None:
            sampler.start()
        spin(self.app, 0.05)
        try:
            action()
            wait_until(self.app, settled, timeout_s, "the action's effects")
            spin(self.app, SETTLE_S)
        finally:
            probe.stop()
            if sampler is not None:
                sampler.stop()
        longest = probe.longest_ms()
        if sampler is not None and longest > self.target_ms:
            self.profiles.append(("", longest, sampler.longest()))
        return longest

    def row(self, label: str, values: list[float]) -> None:
        """Print and keep one action's stalls (ms), judged on the worst."""
        load = os.getloadavg()[0]
        for k in range(len(self.profiles)):
            if not self.profiles[k][0]:
                self.profiles[k] = (label, *self.profiles[k][1:])
        worst = max(values)
        self.rows.append((label, values, load))
        shown = ", ".join(f"{v:.0f}" for v in values)
        print(
            f"{label:>34}: worst {worst:>6.0f} ms {verdict(worst <= self.target_ms):>6}   ({shown} ms; "
            f"load {load:.2f})",
            flush=True,
        )

    def print_profiles(self) -> None:
        """Keep, for the end of the output, the profile of each action's longest stall over target."""
        worst: dict[str, tuple[float, str]] = {}
        for label, longest, text in self.profiles:
            if longest > worst.get(label, (-1.0, ""))[0]:
                worst[label] = (longest, text)
        for label, (longest, text) in worst.items():
            body = "\n".join(text.splitlines()[:45])
            title = f"the window's thread during the longest stall of: {label} ({longest:.0f} ms)"
            PROFILES.append(f"\n--- {title} ---\n{body}")
        self.profiles = []


NO_PYTHON_FRAME = "      (no Python frame: inside Qt's event loop, painting or waiting for the GIL)"


def _stack(frame) -> tuple[str, ...]:
    """A frame's stack as "folder/file:line function" strings, outermost first, without the benchmark's own
    (no source lines are read: sampling must cost the sampled thread as little as it can)."""
    import traceback

    summary = traceback.StackSummary.extract(traceback.walk_stack(frame), lookup_lines=False)
    return tuple(
        f"{Path(f.filename).parent.name}/{Path(f.filename).name}:{f.lineno} {f.name}"
        for f in reversed(summary)
        if "benchmarks" not in f.filename and "threading.py" not in f.filename
    )


def _most_common(stacks: list[tuple[str, ...]], top: int) -> list[tuple[tuple[str, ...], int]]:
    counts: dict[tuple[str, ...], int] = {}
    for stack in stacks:
        counts[stack] = counts.get(stack, 0) + 1
    return sorted(counts.items(), key=lambda kv: -kv[1])[:top]
