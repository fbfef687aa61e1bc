"""The start-up check for a Qt binding that drops references to None (PySide6 6.12.0 on Python 3.11).

The faulty binding itself is not installed here; its probe result is simulated, and what the app and
``workbench.show`` then do is checked in a fresh process.  The binding that is installed must be sound.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import PySide6
import pytest

from workbench.qt.binding_check import PROBE_CALLS, binding_fault, none_references_lost

pytestmark = pytest.mark.skipif(sys.version_info >= (3, 12), reason="from Python 3.12 None is immortal")


def test_the_installed_binding_is_sound(qapp):
    assert none_references_lost() < PROBE_CALLS // 2
    assert binding_fault() is None


def test_a_binding_that_loses_references_is_named_with_what_to_install():
    message = binding_fault(probe=lambda: PROBE_CALLS)
    assert f"PySide6 {PySide6.__version__} on Python 3.11" in message
    assert "pip install 'PySide6-Essentials<6.12'" in message and "Python 3.12" in message
    assert binding_fault(probe=lambda: 3) is None  # a few references moved by other code are no fault


def test_the_app_and_show_refuse_to_open_on_a_faulty_binding(tmp_path):
    script = textwrap.dedent("""
        import sys
        from workbench.qt import binding_check
        binding_check.none_references_lost = lambda: binding_check.PROBE_CALLS   # as PySide6 6.12.0 does
        from workbench.cli import main
        print("exit", main([]), flush=True)
        import workbench
        try:
            workbench.show([0.0, 1.0, 2.0], [1.0, 2.0, 0.0])
        except RuntimeError as exc:
            print("show refused", "none_dealloc" in str(exc), flush=True)
    """)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["exit 2", "show refused True"]
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert "drops a reference to None" in line and "PySide6-Essentials<6.12" in line
