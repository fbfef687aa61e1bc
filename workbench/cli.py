"""Command line: ``workbench`` opens the app; ``workbench fit FILE`` fits a file headless (no Qt import).

Exit codes of ``workbench fit``: 0 success, 2 bad input or arguments (one ``error: ...`` line on
stderr, never a traceback), 3 the run diverged (its output is still printed).  The app's own options
(``--version``, ``--install-desktop``, …) are strict: an unknown one exits 2 with a usage line.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_DIVERGED = 0, 1, 2, 3

BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


class _ArgumentParser(argparse.ArgumentParser):
    """argparse that reports a bad argument as one ``error: ...`` line and exit code 2."""

    def error(self, message: str):  # noqa: D102 - argparse API
        raise _UsageError(f"{message} (see 'workbench fit --help')")


class _UsageError(Exception):
    pass


def build_fit_parser() -> argparse.ArgumentParser:
    """Options of ``workbench fit``."""
    from workbench.fitting.basis import BASIS_KINDS
    from workbench.fitting.losses import LOSS_KINDS
    from workbench.fitting.optimizers import OPTIMIZER_KINDS

    parser = _ArgumentParser(prog="workbench fit", description="Fit a polynomial to a CSV file, headless.")
    parser.add_argument("file", help="CSV/TSV/whitespace file with x and y columns")
    parser.add_argument(
        "--x-column", type=int, default=0, metavar="N", help="0-based index of the x column (default 0)"
    )
    parser.add_argument(
        "--y-column", type=int, default=1, metavar="N", help="0-based index of the y column (default 1)"
    )
    parser.add_argument(
        "--sigma-column",
        type=int,
        default=None,
        metavar="N",
        help="0-based index of a column of uncertainties σ (> 0): weighted least squares "
        "with weights 1/σ², every loss on residuals/σ (default: no weights)",
    )
    parser.add_argument("--degree", type=int, default=5, help="polynomial degree 0..15 (default 5)")
    parser.add_argument(
        "--optimizer",
        choices=(*OPTIMIZER_KINDS, "exact"),
        default="gd",
        help="gd, momentum, nesterov, adam, or exact least squares (default gd)",
    )
    parser.add_argument(
        "--lr",
        type=float,
        default=None,
        help="learning rate (default: 0.9 × the stability limit, 2/λ_max for gd and "
        "momentum, 2(1+β)/((1+2β)·λ_max) for nesterov; 0.01 for adam)",
    )
    parser.add_argument("--steps", type=int, default=10000, help="step limit (default 10000)")
    parser.add_argument(
        "--tol",
        type=float,
        default=1e-10,
        help="stop when the relative loss change per step is below this (0 runs all steps)",
    )
    parser.add_argument("--basis", choices=BASIS_KINDS, default="scaled", help="basis (default scaled)")
    parser.add_argument("--loss", choices=LOSS_KINDS, default="mse", help="loss (default mse)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    return parser


def fit_command(argv: list[str]) -> int:
    """Run ``workbench fit``; returns the exit code."""
    try:
        args = build_fit_parser().parse_args(argv)
        report = _fit(args)
    except _UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (OSError, ValueError) as exc:
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.json:
        print(json.dumps(report, allow_nan=False, default=_json_default))
    else:
        print(_format_text(report))
    if report["stop_reason"] == "diverged":
        print(f"error: the run diverged: {report['message']}", file=sys.stderr)
        return EXIT_DIVERGED
    return EXIT_OK


def _fit(args) -> dict:
    import numpy as np

    from workbench.fitting.data import load_dataset

    started = time.perf_counter()
    if not 0 <= args.degree <= 15:
        raise _UsageError(f"--degree must be from 0 to 15, got {args.degree}")
    if args.steps < 0:
        raise _UsageError(f"--steps must be zero or more, got {args.steps}")
    if not (math.isfinite(args.tol) and args.tol >= 0):
        raise _UsageError(f"--tol must be zero or a positive number, got {args.tol}")
    if args.lr is not None and not (math.isfinite(args.lr) and args.lr > 0):
        raise _UsageError(f"--lr must be a positive number, got {args.lr}")
    dataset = load_dataset(
        args.file, x_column=args.x_column, y_column=args.y_column, sigma_column=args.sigma_column, min_points=1
    )
    # Overflow inside a run is reported as divergence, and data beyond double range is refused below,
    # so NumPy's RuntimeWarnings would only add lines to stderr (and LAPACK's own complaints, for an
    # overflowed design matrix, would reach the terminal before any message of ours).
    with np.errstate(all="ignore"):
        try:
            report = _fit_dataset(args, dataset, started)
        except ArithmeticError:  # an exact (rational) coefficient beyond float range
            raise ValueError(_out_of_range(dataset, "coefficients overflow double precision")) from None
    numbers = [report[k] for k in ("loss", "exact_loss", "gap", "residual_sd", "r_squared") if report[k] is not None]
    if not np.all(np.isfinite(np.concatenate([report["coefficients"], report["fitted"], numbers]))):
        raise ValueError(_out_of_range(dataset, "the fit's numbers overflow double precision"))
    return report


def _out_of_range(dataset, what: str) -> str:
    """A one-line explanation for data whose scale a double-precision fit cannot handle."""
    import numpy as np

    return (
        f"{what}: x runs from {np.min(dataset.x):.3g} to {np.max(dataset.x):.3g} and |y| reaches "
        f"{np.max(np.abs(dataset.y)):.3g}; rescale x or y (e.g. other units) and try again"
    )


def _fit_dataset(args, dataset, started: float) -> dict:
    import numpy as np

    from workbench.fitting.losses import Loss
    from workbench.fitting.problem import FitProblem
    from workbench.fitting.race import default_lr
    from workbench.fitting.training import StopRules

    problem = FitProblem.polynomial(dataset.x, dataset.y, args.degree, args.basis, Loss(args.loss), sigma=dataset.sigma)
    exact = problem.exact
    lr = args.lr
    if args.optimizer != "exact" and not np.all(np.isfinite(problem.design_matrix)):
        raise ValueError(
            f"x values up to {np.max(np.abs(dataset.x)):.3g} raised to the power "
            f"{args.degree} overflow double precision in the {args.basis} basis; "
            "use --basis scaled or legendre"
        )
    if args.optimizer == "exact":
        params, loss, steps, reason, message = exact.coefficients, exact.loss, 0, "converged", "exact solve"
    else:
        if lr is None:
            lr = default_lr(args.optimizer, problem.conditioning)
        rules = StopRules(max_steps=args.steps, tol=args.tol)
        result = problem.trainer(args.optimizer, lr, problem.model.initial_params(), rules).run_to_end()
        params, loss, steps = result.params, result.loss, result.steps
        reason, message = result.stop_reason.value, result.message
    fitted = problem.predict(params)
    coefficients = problem.monomial_coefficients(params)
    # Weighted: RSS is χ² = Σ((ŷ − y)/σ)² and TSS is about the weighted mean, so R² is the weighted one.
    rss = float(np.sum(problem.scaled_residuals(fitted) ** 2))
    dof = dataset.n - (args.degree + 1)
    w = np.ones(dataset.n) if dataset.weights is None else dataset.weights
    tss = float(np.sum(w * (dataset.y - np.sum(w * dataset.y) / np.sum(w)) ** 2))
    return {
        "file": str(args.file),
        "n_points": dataset.n,
        "weighted": dataset.sigma is not None,
        "sigma_column": args.sigma_column,
        "degree": args.degree,
        "basis": args.basis,
        "loss_kind": args.loss,
        "optimizer": args.optimizer,
        "lr": lr,
        "coefficients": coefficients.tolist(),
        "basis_coefficients": np.asarray(params).tolist(),
        "fitted": fitted.tolist(),
        "loss": loss,
        "exact_loss": exact.loss,
        "gap": loss - exact.loss,
        "residual_sd": math.sqrt(rss / dof) if dof > 0 else None,
        "r_squared": 1.0 - rss / tss if tss > 0 else None,
        "steps": steps,
        "stop_reason": reason,
        "message": message,
        "condition_number": _finite_or_none(problem.conditioning.condition_number),
        "max_stable_lr": _finite_or_none(problem.conditioning.max_stable_lr),
        "note": "; ".join(
            filter(
                None,
                [
                    _degree_note(args.degree, dataset.n, int(np.unique(dataset.x).size)),
                    _powers_note(dataset.x, coefficients, fitted),
                ],
            )
        )
        or None,
        "elapsed_s": time.perf_counter() - started,
    }


def _finite_or_none(value: float) -> float | None:
    """JSON has no infinity: an unbounded condition number or stability limit is reported as null."""
    return float(value) if math.isfinite(value) else None


def _powers_note(x, coefficients, fitted) -> str | None:
    """A warning when the printed powers-of-x coefficients no longer reproduce the curve.

    Far from x = 0 (years, say) the curve is a tiny difference of huge terms c_i·x^i: rounding each
    c_i to a double moves it visibly, although the fit itself (``fitted``) is accurate.
    """
    import numpy as np

    with np.errstate(all="ignore"):
        via_powers = np.polynomial.polynomial.polyval(x, coefficients)
        scale = max(float(np.max(np.abs(fitted))), np.finfo(float).tiny) if len(fitted) else 1.0
        drift = float(np.max(np.abs(via_powers - fitted))) / scale if len(fitted) else 0.0
    if drift <= 1e-9 and np.isfinite(drift):
        return None
    return (
        f"x is far from 0 for this degree: the coefficients k0..kD, as printed, reproduce the curve only "
        f"to a relative error of {drift:.1g}; use 'fitted' (computed in a stable basis) or the "
        "basis coefficients instead"
    )


def _degree_note(degree: int, n_points: int, n_distinct: int) -> str | None:
    """What a degree too high for the data means, or None when the fit is an ordinary one."""
    if degree + 1 > n_distinct:
        return (
            f"degree {degree} has {degree + 1} coefficients but the data has only {n_distinct} distinct "
            f"x value{'s' if n_distinct != 1 else ''}: many curves fit equally well, so these "
            "coefficients are one choice of many"
        )
    if degree + 1 == n_points:
        return (
            f"degree {degree} through {n_points} points: the curve passes through every point "
            "(an interpolation, not a fit), and there is no residual standard deviation"
        )
    return None


def _format_text(report: dict) -> str:
    lines = [
        f"{report['file']}: {report['n_points']} points, degree {report['degree']}, "
        f"{report['basis']} basis, {report['loss_kind']} loss, optimizer {report['optimizer']}"
        + (f", lr {report['lr']:.6g}" if report["lr"] is not None else "")
    ]
    if report["weighted"]:
        lines.append(f"weighted by 1/σ² (σ from column {report['sigma_column']}): losses and R² use residuals/σ")
    lines.append("coefficients (y = k0 + k1·x + … in your x):")
    lines += [f"  k{i} = {c:.12g}" for i, c in enumerate(report["coefficients"])]
    lines.append(f"loss        {report['loss']:.10g}")
    lines.append(f"exact loss  {report['exact_loss']:.10g}  (gap {report['gap']:.3g})")
    if report["r_squared"] is not None:
        lines.append(f"R²          {report['r_squared']:.6f}")
    if report["max_stable_lr"] is not None:
        condition = report["condition_number"]
        lines.append(
            f"stability   plain GD is stable below lr {report['max_stable_lr']:.4g} (condition number "
            + (f"{condition:.3g})" if condition is not None else "infinite: some direction is flat)")
        )
    lines.append(
        f"steps       {report['steps']}  (stopped: {report['stop_reason']}"
        + (f", {report['message']})" if report["message"] else ")")
    )
    if report["note"]:
        lines.append(f"note: {report['note']}")
    return "\n".join(lines)


def _json_default(value):
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def limit_blas_threads() -> None:
    """One BLAS thread for this process and the processes it starts, unless the user set the variables.

    Must run before NumPy is imported (the BLAS library reads them once, when it loads), so the entry
    points call it first.  Our products are tall and thin (N × 6): threads gain nothing, and on a busy
    machine (the GUI thread painting, another process) OpenBLAS's spinning threads collapse a
    gradient-descent step at N = 10⁵ from ~1400 to ~200 steps/s (measured; 14 steps/s inside the
    window).  A library leaves this to its caller: ``import workbench`` never touches the environment.
    """
    for name in BLAS_THREAD_VARIABLES:
        os.environ.setdefault(name, "1")


class _AppArgumentParser(argparse.ArgumentParser):
    """argparse that reports a bad option with the usage line and returns exit code 2 instead of exiting."""

    def error(self, message: str):  # noqa: D102 - argparse API
        self.print_usage(sys.stderr)
        raise _UsageError(f"{message} (see 'workbench --help')")


def build_app_parser() -> argparse.ArgumentParser:
    """Options of ``workbench`` itself (``workbench fit`` has its own, see ``build_fit_parser``)."""
    parser = _AppArgumentParser(
        prog="workbench",
        usage="%(prog)s [-h] [--version] [--install-desktop | --uninstall-desktop] [FILE]\n"
        "       %(prog)s fit FILE [options]",
        description="Curve Fitter Workbench: fit a polynomial by turning its knobs, watch gradient descent "
        "turn them, and compare both with the exact least-squares fit.",
        epilog="'workbench fit FILE' fits a file without a window and prints the result "
        "(see 'workbench fit --help').  Qt's own settings come from its environment variables "
        "(QT_QPA_PLATFORM, QT_SCALE_FACTOR, …).",
    )
    parser.add_argument(
        "file",
        nargs="?",
        metavar="FILE",
        help="data to open: a CSV, TSV or whitespace-separated file, or a saved session (.json); "
        "default: a sample dataset",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    desktop = parser.add_mutually_exclusive_group()
    desktop.add_argument(
        "--install-desktop",
        action="store_true",
        help="add the app to your desktop's menu: a .desktop entry, icons and AppStream data under "
        "$XDG_DATA_HOME (~/.local/share), then exit",
    )
    desktop.add_argument(
        "--uninstall-desktop", action="store_true", help="remove what --install-desktop added, then exit"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``workbench`` command."""
    argv = sys.argv[1:] if argv is None else argv
    limit_blas_threads()
    if argv and argv[0] == "fit":
        try:
            return fit_command(argv[1:])
        except BrokenPipeError:  # output piped into `head` and the like: not an error of ours
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
            return EXIT_OK
    try:
        args = build_app_parser().parse_args(argv)
    except _UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except SystemExit as exc:  # --help has printed the help
        return int(exc.code or 0)
    if args.version:
        from workbench import __version__

        print(f"workbench {__version__}")
        return EXIT_OK
    if args.install_desktop or args.uninstall_desktop:
        return _desktop_command(install=args.install_desktop)
    return _launch_app([args.file] if args.file is not None else [])


def _desktop_command(install: bool) -> int:
    """``--install-desktop`` / ``--uninstall-desktop``: say which files were written or removed."""
    from workbench import desktop

    home = desktop.data_home()
    try:
        paths = desktop.install() if install else desktop.uninstall()
    except OSError as exc:
        what = "install" if install else "remove"
        print(f"error: could not {what} the desktop integration under {home}: {_one_line(exc)}", file=sys.stderr)
        return EXIT_FAILED
    if install:
        print(f"Installed Curve Fitter Workbench for your desktop (starts: {desktop.exec_command()}):")
    elif paths:
        print("Removed Curve Fitter Workbench from your desktop:")
    else:
        print(f"Nothing to remove: the desktop integration is not installed under {home}.")
    for path in paths:
        print(f"  {path}")
    return EXIT_OK


def _launch_app(argv: list[str]) -> int:
    """Open the desktop window (Qt is imported only here)."""
    if (
        sys.platform.startswith("linux")
        and not os.environ.get("QT_QPA_PLATFORM")
        and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    ):
        # Without this, Qt aborts the process with a plugin error that says nothing about the cause.
        print(
            "error: no display found (DISPLAY and WAYLAND_DISPLAY are not set): the window needs a desktop "
            "session; 'workbench fit FILE' fits a file without one",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    try:
        from workbench.qt.app import run_app
    except ImportError as exc:  # the window does not exist yet, or Qt is missing
        print(
            f"error: the desktop app is not available ({_one_line(exc)}); try 'workbench fit FILE' for a headless fit",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    return run_app(argv)


if __name__ == "__main__":
    sys.exit(main())
