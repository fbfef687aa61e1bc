"""`workbench` itself (not `workbench fit`): --version, --help, strict options, desktop integration, and the
BLAS thread limit the command sets for itself.  Each test runs the command in a subprocess, without a
display, as a user's terminal would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

from workbench import desktop

REPO = Path(__file__).resolve().parents[2]
BLAS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def headless_env(**extra: str) -> dict[str, str]:
    """The environment without any display or Qt platform, and without BLAS settings, plus ``extra``."""
    drop = {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", *BLAS}
    return {**{k: v for k, v in os.environ.items() if k not in drop}, **extra}


def workbench(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "workbench", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=headless_env() if env is None else env,
    )


def pyproject_version() -> str:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


# --- --version and --help ---------------------------------------------------------------------------------
def test_version_prints_the_pyproject_version_and_exits_0_without_a_display():
    result = workbench("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"workbench {pyproject_version()}\n"
    assert result.stderr == ""


def test_version_imports_neither_qt_nor_numpy():
    code = textwrap.dedent("""
        import contextlib, io, json, sys
        from workbench.cli import main
        with contextlib.redirect_stdout(io.StringIO()) as out:
            code = main(["--version"])
        heavy = sorted({m.split(".")[0] for m in sys.modules} & {"PySide6", "shiboken6", "pyqtgraph", "numpy"})
        print(json.dumps({"code": code, "out": out.getvalue(), "heavy": heavy}))
    """)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=headless_env()
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {"code": 0, "out": f"workbench {pyproject_version()}\n", "heavy": []}


def test_help_describes_the_apps_options_and_the_fit_command():
    result = workbench("--help")
    assert result.returncode == 0 and result.stderr == ""
    text = result.stdout
    assert text.startswith("usage: workbench")
    for option in ("--version", "--install-desktop", "--uninstall-desktop", "FILE", "workbench fit"):
        assert option in text, option


def test_help_returns_from_main_instead_of_exiting(capsys):
    from workbench.cli import main

    assert main(["-h"]) == 0
    assert capsys.readouterr().out.startswith("usage: workbench")


@pytest.mark.parametrize(
    "args, complaint",
    [
        (["--frobnicate"], "unrecognized arguments: --frobnicate"),
        (["-x"], "unrecognized arguments: -x"),
        (["data.csv", "more.csv"], "unrecognized arguments: more.csv"),
        (["--install-desktop", "--uninstall-desktop"], "not allowed with argument"),
        (["--version=3"], "ignored explicit argument"),
    ],
)
def test_a_bad_option_exits_2_with_a_usage_line_and_opens_nothing(args, complaint):
    result = workbench(*args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0].startswith("usage: workbench")
    assert lines[-1].startswith("error: ") and complaint in lines[-1] and "workbench --help" in lines[-1]
    assert "Traceback" not in result.stderr
    assert "no display" not in result.stderr  # refused before any attempt to open the window


def test_a_file_argument_still_goes_to_the_window():
    # Without a display the window cannot open: the command says so (and so took FILE as the data to open).
    result = workbench(str(REPO / "samples" / "noisy_sine.csv"))
    assert result.returncode == 2
    assert "no display found" in result.stderr and "usage:" not in result.stderr


# --- the BLAS thread limit is the command's, not the library's --------------------------------------------
def test_the_command_limits_blas_threads_for_itself_unless_the_user_chose():
    code = textwrap.dedent(f"""
        import contextlib, io, json, os
        from workbench.cli import main
        with contextlib.redirect_stdout(io.StringIO()):
            main(["--version"])
        print(json.dumps({{name: os.environ.get(name) for name in {BLAS!r}}}))
    """)
    env = headless_env(OMP_NUM_THREADS="3")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert json.loads(result.stdout) == {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "3", "MKL_NUM_THREADS": "1"}


# --- desktop integration ----------------------------------------------------------------------------------
def test_install_and_uninstall_desktop_under_xdg_data_home(tmp_path):
    home = tmp_path / "data"
    env = headless_env(XDG_DATA_HOME=str(home))
    installed = workbench("--install-desktop", env=env)
    assert installed.returncode == 0, installed.stderr
    expected = [item.target for item in desktop.desktop_files(home)]
    assert all(path.is_file() for path in expected)
    assert {line.strip() for line in installed.stdout.splitlines()[1:]} == {str(p) for p in expected}
    entry = (home / "applications" / f"{desktop.APP_ID}.desktop").read_text(encoding="utf-8")
    assert f"\nExec={desktop.exec_command(sys.executable)}\n" in entry
    assert (home / "icons/hicolor/48x48/apps" / f"{desktop.APP_ID}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    (home / "applications" / "someone-else.desktop").write_text("[Desktop Entry]\n", encoding="utf-8")
    removed = workbench("--uninstall-desktop", env=env)
    assert removed.returncode == 0, removed.stderr
    assert not any(path.exists() for path in expected)
    assert (home / "applications" / "someone-else.desktop").exists()  # only our files go
    again = workbench("--uninstall-desktop", env=env)
    assert again.returncode == 0 and "Nothing to remove" in again.stdout


def test_install_desktop_into_an_unwritable_place_says_why_in_one_line(tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the data directory should be", encoding="utf-8")
    result = workbench("--install-desktop", env=headless_env(XDG_DATA_HOME=str(blocker)))
    assert result.returncode == 1
    assert result.stdout == "" and "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: could not install the desktop integration under") and str(blocker) in line
