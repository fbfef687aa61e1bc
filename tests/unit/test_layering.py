"""Which way the arrows point: the core never imports Qt (checked at run time and in the source)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import workbench

PACKAGE_DIR = Path(workbench.__file__).resolve().parent
QT_MODULES = ("PySide6", "shiboken6", "pyqtgraph")
STDLIB = set(sys.stdlib_module_names)


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120)


def test_importing_every_core_module_loads_no_qt():
    result = run_python(f"""
        import importlib, json, pkgutil, sys
        import workbench
        skip = ("workbench.qt", "workbench.__main__")
        names = []
        for info in pkgutil.walk_packages(workbench.__path__, "workbench."):
            if info.name == "workbench.qt" or info.name.startswith(skip):
                continue
            importlib.import_module(info.name)
            names.append(info.name)
        qt = sorted(m for m in sys.modules if m.split(".")[0] in {QT_MODULES!r})
        print(json.dumps({{"imported": names, "qt": qt}}))
    """)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    for expected in (
        "workbench.engine",
        "workbench.engine.ops",
        "workbench.fitting",
        "workbench.fitting.problem",
        "workbench.fitting.exact",
        "workbench.fitting.training",
        "workbench.cli",
        "workbench.paths",
    ):
        assert expected in report["imported"]
    assert not any(name.startswith("workbench.qt") for name in report["imported"])
    assert report["qt"] == [], f"Qt loaded by the core: {report['qt']}"


def test_headless_fit_loads_no_qt(tmp_path):
    data = tmp_path / "points.csv"
    data.write_text("x,y\n" + "".join(f"{i},{i * i - 3 * i + 1}\n" for i in range(12)), encoding="utf-8")
    result = run_python(f"""
        import contextlib, io, sys
        from workbench.cli import main
        with contextlib.redirect_stdout(io.StringIO()):
            code = main(["fit", {str(data)!r}, "--degree", "2", "--steps", "50"])
        qt = sorted(m for m in sys.modules if m.split(".")[0] in {QT_MODULES!r})
        print(code, qt)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0", "[]"], result.stdout + result.stderr


def _imports(path: Path) -> list[tuple[str, int, bool]]:
    """(module, line, at module level) for every import in a file; relative imports are resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = ".".join(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts[:-1])
    top_level = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno, id(node) in top_level) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append((module, node.lineno, id(node) in top_level))
    return found


def _core_files() -> list[Path]:
    return [p for p in sorted(PACKAGE_DIR.rglob("*.py")) if "qt" not in p.relative_to(PACKAGE_DIR).parts[:1]]


def test_no_file_outside_qt_imports_qt_libraries():
    files = _core_files()
    assert any(p.name == "ops.py" for p in files) and not any("qt" in p.parts for p in files)
    offenders = [
        f"{p.relative_to(PACKAGE_DIR.parent)}:{line}: {module}"
        for p in files
        for module, line, _ in _imports(p)
        if module.split(".")[0] in QT_MODULES
    ]
    assert offenders == []


def test_core_never_imports_workbench_qt_at_module_level():
    # `workbench` with no arguments opens the window: cli may import workbench.qt inside that function only.
    offenders = [
        f"{p.relative_to(PACKAGE_DIR.parent)}:{line}: {module}"
        for p in _core_files()
        for module, line, top in _imports(p)
        if top and module.startswith("workbench.qt")
    ]
    assert offenders == []


def test_engine_imports_numpy_and_the_standard_library_only():
    offenders = []
    for path in sorted((PACKAGE_DIR / "engine").glob("*.py")):
        for module, line, _ in _imports(path):
            root = module.split(".")[0]
            if not (root in STDLIB or root == "numpy" or module.startswith("workbench.engine")):
                offenders.append(f"{path.name}:{line}: {module}")
    assert offenders == []


def test_fitting_imports_only_the_engine_numpy_and_the_standard_library():
    offenders = []
    for path in sorted((PACKAGE_DIR / "fitting").glob("*.py")):
        for module, line, _ in _imports(path):
            root = module.split(".")[0]
            allowed = (
                root in STDLIB
                or root == "numpy"
                or module.startswith("workbench.engine")
                or module.startswith("workbench.fitting")
            )
            if not allowed:
                offenders.append(f"{path.name}:{line}: {module}")
    assert offenders == []


def _allowed_roots(*packages: str):
    def allowed(module: str) -> bool:
        root = module.split(".")[0]
        # ("workbench" itself: its version, and the BLAS threads it sets before NumPy loads; no Qt)
        return root in STDLIB or root == "numpy" or module == "workbench" or any(module.startswith(p) for p in packages)

    return allowed


def test_state_imports_only_the_fitting_core_numpy_and_the_standard_library():
    allowed = _allowed_roots("workbench.engine", "workbench.fitting", "workbench.state")
    offenders = [
        f"{path.name}:{line}: {module}"
        for path in sorted((PACKAGE_DIR / "state").glob("*.py"))
        for module, line, _ in _imports(path)
        if not allowed(module)
    ]
    assert offenders == []


def test_tasks_import_only_the_core_numpy_and_the_standard_library():
    allowed = _allowed_roots("workbench.engine", "workbench.fitting", "workbench.state", "workbench.tasks")
    offenders = [
        f"{path.name}:{line}: {module}"
        for path in sorted((PACKAGE_DIR / "tasks").glob("*.py"))
        for module, line, _ in _imports(path)
        if not allowed(module)
    ]
    assert offenders == []


# What only the document's own methods may do: the names of the document's writing methods.
DOCUMENT_WRITERS = {
    "apply", "_set_state", "set_theta_live", "set_settings", "set_overlays", "set_snapshot", "clear_snapshots",
    "record_manual_move", "record_step", "begin_run", "absorb_run", "end_run", "begin_race", "absorb_race",
    "end_race", "begin_sweep", "absorb_sweep", "end_sweep", "replace_with", "load_records", "redisplay",
}  # fmt: skip


def _calls(path: Path) -> list[tuple[str, int]]:
    return [
        (node.func.attr, node.lineno)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    ]


def test_views_never_import_a_controller_and_never_write_the_document():
    views = sorted((PACKAGE_DIR / "qt" / "views").glob("*.py"))
    assert any(p.name == "knob_panel.py" for p in views)
    imports = [
        f"{p.name}:{line}: {module}"
        for p in views
        for module, line, _ in _imports(p)
        if module.startswith(("workbench.qt.app_state.", "workbench.qt.window")) and not module.endswith(".document")
    ]
    assert imports == [], "views emit intent signals; the window wires them to the controllers"
    writes = [f"{p.name}:{line}: .{name}()" for p in views for name, line in _calls(p) if name in DOCUMENT_WRITERS]
    assert writes == [], "only controllers change the document, through its methods"


def test_only_the_document_emits_its_signals():
    signals = {"stateChanged", "dataChanged", "modelChanged", "splitChanged", "knobsChanged", "settingsChanged"}
    signals |= {"trailChanged", "overlaysChanged", "raceChanged", "sweepChanged", "snapshotsChanged", "runChanged"}
    offenders = []
    for path in sorted((PACKAGE_DIR / "qt").rglob("*.py")):
        if path.name == "document.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "emit"
                and isinstance(node.func.value, ast.Attribute)
                and node.func.value.attr in signals
                and not (isinstance(node.func.value.value, ast.Name) and node.func.value.value.id == "self")
            ):  # (a widget's own signal of the same name, a table model's dataChanged, is its own business)
                offenders.append(f"{path.relative_to(PACKAGE_DIR)}:{node.lineno}: {node.func.value.attr}.emit()")
    assert offenders == []
