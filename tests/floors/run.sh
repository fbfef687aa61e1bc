#!/usr/bin/env bash
# Install the lowest versions pyproject.toml allows (every ">=" bound, build requirement included) in a
# fresh virtual environment and run a smoke subset of the tests on them.  See README.md ("Dependency
# floors").  Usage:
#
#   tests/floors/run.sh                  # the smoke subset (a few minutes)
#   tests/floors/run.sh tests/unit ...   # other pytest arguments instead of the subset
#
# FLOORS_VENV=DIR keeps the environment there (default: a temporary one, removed afterwards);
# PYTHON=python3.X picks the interpreter (default python3).
set -euo pipefail
cd "$(dirname "$0")/../.."

python=${PYTHON:-python3}
work=$(mktemp -d)
venv=${FLOORS_VENV:-$work/venv}
trap 'rm -rf "$work"' EXIT

"$python" tests/floors/floors.py pyproject.toml > "$work/floors.txt"
echo "floors:"; sed 's/^/  /' "$work/floors.txt"

"$python" -m venv --clear "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
# The build requirement's floor builds the project itself: no isolated build environment with a newer one.
"$venv/bin/python" -m pip install -q -c "$work/floors.txt" setuptools
# Editable, as the README's quick start installs it: the tests import the package from this source tree.
"$venv/bin/python" -m pip install -q --no-build-isolation -c "$work/floors.txt" -e ".[test]"
echo "installed:"
"$venv/bin/python" -m pip list --format=freeze | grep -iE '^(numpy|pyqtgraph|pyside6[-_]essentials|shiboken6|setuptools|pytest|pytest[-_]qt|pytest[-_]xdist|hypothesis|build|ruff)==' | sed 's/^/  /'

if [ "$#" -eq 0 ]; then
    # The smoke subset: the whole Qt-free core, and the GUI tests that met what older releases did
    # differently (clicks on the plot, deferred calls with a context object, restoring dock layouts,
    # signal disconnection in pytest-qt, exports, sessions, the redraw fault of PySide6 6.12.0).
    set -- tests/unit/ \
        tests/gui/test_main_window.py tests/gui/test_main_window_runs.py tests/gui/test_data_panel.py \
        tests/gui/test_race_panel.py tests/gui/test_conditioning_lab.py tests/gui/test_preferences.py \
        tests/gui/test_exports.py tests/gui/test_export_pdf_and_script.py tests/gui/test_sessions.py \
        tests/gui/test_redraw_stability.py tests/gui/test_binding_check.py -n auto
fi
QT_QPA_PLATFORM=offscreen "$venv/bin/python" -m pytest -q -p no:cacheprovider "$@"
