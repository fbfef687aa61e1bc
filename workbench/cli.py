"""Command line: ``workbench`` opens the app; ``workbench fit FILE`` fits a file headless (no Qt import).

Exit codes of ``workbench fit``:

* 0 — the fit reached the optimum (converged, the exact solve, or Levenberg–Marquardt converged);
* 1 — the output could not be written (a full disk, a closed pipe), memory ran out, or an internal error
  (one ``error: ...`` line on stderr, never a traceback);
* 2 — bad input or arguments (one ``error: ...`` line on stderr);
* 3 — the run diverged (its output is still printed; one ``error:`` line says why);
* 4 — the run ended short of the optimum: it stalled, or the step limit came first (its output is still
  printed; one ``warning:`` line says how far it is and what to try);
* 130 — interrupted (Ctrl+C): ``interrupted`` on stderr.

The fit and the numbers it prints are ``workbench.fitting.headless``'s (``headless_formula``'s for
``--model``); this module reads the options, writes the output and turns every failure into one line and
an exit code.

The app's own options (``--version``, ``--install-desktop``, …) are strict: an unknown one exits 2
with a usage line.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_DIVERGED, EXIT_SHORT, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130
DEFAULT_BASIS = "orthonormal"
DEFAULT_DEGREE = 5
LM = "lm"  # Levenberg–Marquardt: a formula's landmark and its default optimiser

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

    parser = _ArgumentParser(
        prog="workbench fit",
        description="Fit a polynomial, or a formula of your own (--model), to a CSV file, headless.",
        epilog="Exit codes: 0 at the optimum, 1 output or memory failure, 2 bad input, 3 diverged, "
        "4 stopped short of the optimum (stalled or step limit), 130 interrupted.",
    )
    parser.add_argument(
        "file",
        help="CSV/TSV/whitespace file with x and y columns; '-' reads standard input (other columns may hold anything)",
    )
    parser.add_argument(
        "--x-column",
        type=int,
        default=0,
        metavar="N",
        help="0-based index of the x column (default 0): numbers, or ISO dates (fitted in decimal years)",
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
    parser.add_argument(
        "--skip-bad-rows",
        action="store_true",
        help="leave out rows whose x, y or σ cell is empty or not a number, and name them on stderr "
        "(default: refuse the file at the first such row)",
    )
    parser.add_argument(
        "--decimal",
        choices=("auto", "point", "comma"),
        default="auto",
        help="how the file writes numbers: 1,234.5 (point) or 1.234,5 (comma); default auto: the numbers "
        "decide, and a file they do not decide is refused with the line",
    )
    parser.add_argument(
        "--degree", type=int, default=None, help=f"polynomial degree 0..15 (default {DEFAULT_DEGREE}; not with --model)"
    )
    parser.add_argument(
        "--model",
        default=None,
        metavar="EXPR",
        help='fit this formula of x instead of a polynomial, e.g. "a*exp(-b*x) + c": numbers, x, parameters you '
        "name, + - * / ^, parentheses, exp log sqrt sin cos tan arctan tanh abs, pi, e",
    )
    parser.add_argument(
        "--start",
        default=None,
        metavar="A=V,…",
        help="start values of the formula's parameters, e.g. a=1,b=0.1 (parameters left out start at 1; "
        "default: Guess start, from the data)",
    )
    parser.add_argument(
        "--optimizer",
        choices=(*OPTIMIZER_KINDS, "exact", LM),
        default=None,
        help="gd, momentum, nesterov, adam, cg (conjugate gradient), lbfgs, exact least squares (polynomials), "
        "or lm, Levenberg–Marquardt (formulas) (default gd; lm with --model unless --batch-size is given)",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=None,
        metavar="B",
        help="stochastic gradient descent: each step's gradient from B points drawn without replacement within "
        "each epoch (B = the number of points is exactly full-batch descent; default: all points)",
    )
    parser.add_argument(
        "--seed", type=int, default=None, help="seed of --batch-size's draws: the same seed, the same run (default 0)"
    )
    parser.add_argument(
        "--lr",
        type=float,
        default=None,
        help="learning rate (default: from the loss's curvature: 2/(λ_max+λ_min), at most 0.9 × the "
        "stability limit 2/λ_max, for gd; 0.9 × the limit for momentum, 0.9 × 2(1+β)/((1+2β)·λ_max) for "
        "nesterov; for adam 1%% of the knobs' natural size; for cg and lbfgs the first trial step, 1/λ_max; "
        "for a formula the same rules on the curvature at the start values, and for adam 1%% of the smallest start "
        "value; with --batch-size scaled down by the stable rate on batches of B over the stable rate on all points)",
    )
    parser.add_argument("--steps", type=int, default=10000, help="step limit (default 10000)")
    parser.add_argument(
        "--tol",
        type=float,
        default=1e-10,
        help="converged when the loss is within this (relative) of the optimum, or, for MAE and Huber "
        "(no known optimum), when the gradient relative to the loss scale is below √tol; stalled when, "
        "at its pace, the loss would need more than a million steps to get there (0 runs every step; "
        "default 1e-10); for a formula the optimum is Levenberg–Marquardt's loss from the same start, and "
        "--optimizer lm stops by its own rules (nothing left to gain to the precision of doubles)",
    )
    parser.add_argument(
        "--basis",
        choices=BASIS_KINDS,
        default=None,
        help=f"what the knobs multiply (default {DEFAULT_BASIS}: orthonormal on your data, where plain "
        "gradient descent needs a step or two)",
    )
    parser.add_argument("--loss", choices=LOSS_KINDS, default="mse", help="loss (default mse)")
    parser.add_argument(
        "--bands",
        default=None,
        metavar="X1,X2,…",
        help="confidence and prediction intervals at these x (comma-separated; --bands=-1,2 for a leading minus)",
    )
    parser.add_argument("--level", type=float, default=0.95, help="confidence level of --bands (default 0.95)")
    parser.add_argument(
        "--band-sigma",
        type=float,
        default=None,
        metavar="S",
        help="σ of the new observation for --bands' prediction intervals (weighted fits; default: the "
        "data's σ interpolated at each x)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    return parser


def fit_command(argv: list[str]) -> int:
    """Run ``workbench fit``; returns the exit code (never raises, never prints a traceback)."""
    try:
        args = build_fit_parser().parse_args(argv)
        report = _fit(args)
        text = json.dumps(report, allow_nan=False, default=_json_default) if args.json else _format_text(report)
    except _UsageError as exc:
        return _fail(str(exc), EXIT_BAD_INPUT)
    except (OSError, ValueError) as exc:
        from workbench.fitting.table import DataTooLargeError  # (a DataError, but memory, not bad input)

        return _fail(_one_line(exc), EXIT_FAILED if isinstance(exc, DataTooLargeError) else EXIT_BAD_INPUT)
    except MemoryError:
        return _fail(
            "out of memory: the data (or the degree) needs more memory than is available; "
            "try a smaller file or a lower degree",
            EXIT_FAILED,
        )
    except Exception as exc:  # noqa: BLE001 - never a traceback: one line that can be reported
        if _INTERRUPT.seen:  # Ctrl+C inside an import (NumPy turns it into an ImportError) or a C library
            raise KeyboardInterrupt from None
        return _fail(f"internal error ({type(exc).__name__}: {_one_line(exc)}); please report it", EXIT_FAILED)
    try:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    except OSError as exc:
        _silence_stdout()
        return _fail(f"cannot write the output: {_write_failure(exc)}", EXIT_FAILED)
    return _finish_code(report)


def _finish_code(report: dict) -> int:
    """The exit code of a fit whose output was written, with its one stderr line (if any)."""
    if report["stop_reason"] == "diverged":
        return _fail(f"the run diverged: {report['summary']}", EXIT_DIVERGED, "error")
    if not report["reached_optimum"]:
        return _fail(report["summary"], EXIT_SHORT, "warning")
    return EXIT_OK


def _fail(message: str, code: int, label: str = "error") -> int:
    try:
        print(f"{label}: {message}", file=sys.stderr)
    except OSError:
        pass  # stderr is gone too: the exit code is all that is left to say it
    return code


def _write_failure(exc: OSError) -> str:
    if isinstance(exc, BrokenPipeError):
        return "the reader closed the pipe before the output was complete"
    return exc.strerror or _one_line(exc)


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's flush at exit does not fail a second time."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives until exit


def _fit(args) -> dict:
    import numpy as np

    from workbench.fitting.data import read_dataset

    started = time.perf_counter()
    _check_options(args)
    stdin = args.file == "-"
    loaded = read_dataset(
        sys.stdin.buffer if stdin else args.file,
        x_column=args.x_column,
        y_column=args.y_column,
        sigma_column=args.sigma_column,
        decimal=args.decimal,
        skip_bad_rows=args.skip_bad_rows,
        min_points=1,
        name="stdin" if stdin else None,
        source_name="standard input" if stdin else None,
    )
    for notice in loaded.notices:
        print(f"note: {notice}", file=sys.stderr)
    dataset = loaded.dataset
    # Overflow inside a run is reported as divergence, and data beyond double range is refused below,
    # so NumPy's RuntimeWarnings would only add lines to stderr (and LAPACK's own complaints, for an
    # overflowed design matrix, would reach the terminal before any message of ours).
    with np.errstate(all="ignore"):
        if args.model is not None:
            return _fit_formula(args, dataset, started)
        try:
            report = _fit_dataset(args, dataset, started)
        except ArithmeticError:  # an exact (rational) coefficient beyond float range
            raise ValueError(_out_of_range(dataset, "coefficients overflow double precision")) from None
    numbers = [report[k] for k in ("loss", "exact_loss", "gap", "residual_sd", "r_squared") if report[k] is not None]
    if not np.all(np.isfinite(np.concatenate([report["coefficients"], report["fitted"], numbers]))):
        raise ValueError(_out_of_range(dataset, "the fit's numbers overflow double precision"))
    return report


def _check_options(args) -> None:
    _check_model_options(args)
    if args.model is None and not 0 <= args.degree <= 15:
        raise _UsageError(f"--degree must be from 0 to 15, got {args.degree}")
    if args.steps < 0:
        raise _UsageError(f"--steps must be zero or more, got {args.steps}")
    if not (math.isfinite(args.tol) and args.tol >= 0):
        raise _UsageError(f"--tol must be zero or a positive number, got {args.tol}")
    if args.lr is not None and not (math.isfinite(args.lr) and args.lr > 0):
        raise _UsageError(f"--lr must be a positive number, got {args.lr}")
    if not (math.isfinite(args.level) and 0 < args.level < 1):
        raise _UsageError(f"--level must be between 0 and 1 (0.95 for 95 %), got {args.level}")
    if args.band_sigma is not None and not (math.isfinite(args.band_sigma) and args.band_sigma > 0):
        raise _UsageError(f"--band-sigma must be a positive number, got {args.band_sigma}")
    args.band_x = _parse_bands(args.bands)


def _check_model_options(args) -> None:
    """Refuse option combinations that mean nothing (one line each), read --model and --start before any data,
    and fill in the defaults that depend on --model (a polynomial's degree and basis, the optimiser)."""
    if args.model is None:
        if args.start is not None:
            raise _UsageError("--start gives a formula's parameters their start values: it needs --model")
        if args.optimizer == LM:
            raise _UsageError(
                "--optimizer lm (Levenberg–Marquardt) fits formulas (--model); a polynomial's least-squares "
                "optimum is --optimizer exact"
            )
        args.degree = DEFAULT_DEGREE if args.degree is None else args.degree
        args.basis = args.basis or DEFAULT_BASIS
        args.optimizer = args.optimizer or "gd"
    else:
        for option, value in (("--degree", args.degree), ("--basis", args.basis)):
            if value is not None:
                raise _UsageError(
                    f"{option} is for polynomials; --model fits your formula instead: give one or the other"
                )
        if args.optimizer == "exact":
            raise _UsageError(
                "--optimizer exact solves polynomials; a formula's landmark is --optimizer lm (Levenberg–Marquardt)"
            )
        # A formula's fit is Levenberg–Marquardt's unless mini-batches ask for stochastic gradient descent.
        args.optimizer = args.optimizer or ("gd" if args.batch_size is not None else LM)
        _read_formula(args.model, args.start)
    if args.batch_size is not None:
        if args.optimizer in ("exact", LM):
            name = (
                "the exact solve uses all points at once"
                if args.optimizer == "exact"
                else "Levenberg–Marquardt uses every point at every step"
            )
            raise _UsageError(f"--batch-size is for gradient methods: {name}")
        if args.optimizer in ("cg", "lbfgs"):
            raise _UsageError(
                "--batch-size: conjugate gradient and L-BFGS search along a line with the loss on all points; "
                "mini-batches are for gd, momentum, nesterov and adam"
            )
        if args.batch_size < 1:
            raise _UsageError(f"--batch-size must be a whole number of points, 1 or more, got {args.batch_size}")
    elif args.seed is not None:
        raise _UsageError("--seed draws the mini-batches of --batch-size: give --batch-size too")
    if args.seed is not None and args.seed < 0:
        raise _UsageError(f"--seed must be zero or a positive whole number, got {args.seed}")
    if args.optimizer == LM and args.loss not in ("mse", "sse"):
        name = "MAE" if args.loss == "mae" else "Huber"
        raise _UsageError(
            f"--loss {args.loss}: Levenberg–Marquardt minimises squared errors (mse, sse); for the {name} loss "
            "choose a gradient optimiser (--optimizer gd, momentum, nesterov, adam, cg or lbfgs)"
        )
    if args.optimizer == LM and args.lr is not None:
        raise _UsageError("Levenberg–Marquardt chooses its own steps (a trust region): leave out --lr")


def _read_formula(text: str, start: str | None) -> None:
    """Check --model (and --start against it) before any data is read; one line saying where it is wrong."""
    from workbench.fitting.formula import FormulaError
    from workbench.fitting.formula_model import FormulaModel

    try:
        model = FormulaModel(text)
    except FormulaError as exc:
        raise _UsageError(f"--model: {_one_line(exc)}") from None
    if start is not None:
        try:
            model.start_values(start)
        except ValueError as exc:
            raise _UsageError(f"--start: {_one_line(exc)}") from None


def _parse_bands(text: str | None) -> list[float] | None:
    """The x values of ``--bands X1,X2,…`` (finite numbers)."""
    if text is None:
        return None
    values = []
    for part in text.split(","):
        try:
            value = float(part)
        except ValueError:
            raise _UsageError(
                f"--bands takes x values separated by commas, like 1960,1990.5; got {part.strip()!r}"
            ) from None
        if not math.isfinite(value):
            raise _UsageError(f"--bands values must be finite numbers, got {part.strip()!r}")
        values.append(value)
    return values


def _out_of_range(dataset, what: str) -> str:
    """A one-line explanation for data whose scale a double-precision fit cannot handle."""
    import numpy as np

    return (
        f"{what}: x runs from {np.min(dataset.x):.3g} to {np.max(dataset.x):.3g} and |y| reaches "
        f"{np.max(np.abs(dataset.y)):.3g}; rescale x or y (e.g. other units) and try again"
    )


def _fit_dataset(args, dataset, started: float) -> dict:
    from workbench.fitting.headless import FitRequest, fit_and_report

    if args.band_sigma is not None and dataset.sigma is None:
        raise _UsageError("--band-sigma is the σ of a new observation in a weighted fit: add --sigma-column")
    request = FitRequest(
        degree=args.degree,
        basis=args.basis,
        loss=args.loss,
        optimizer=args.optimizer,
        lr=args.lr,
        steps=args.steps,
        tol=args.tol,
        band_x=args.band_x,
        level=args.level,
        band_sigma=args.band_sigma,
        batch_size=args.batch_size,
        seed=args.seed or 0,
    )
    report = fit_and_report(dataset, request)
    return {
        "file": str(args.file),
        "sigma_column": args.sigma_column,
        **report,
        "elapsed_s": time.perf_counter() - started,
    }


def _fit_formula(args, dataset, started: float) -> dict:
    from workbench.fitting.headless_formula import FormulaRequest, fit_formula_and_report

    if args.band_sigma is not None and dataset.sigma is None:
        raise _UsageError("--band-sigma is the σ of a new observation in a weighted fit: add --sigma-column")
    request = FormulaRequest(
        formula=args.model,
        start=args.start,
        loss=args.loss,
        optimizer=args.optimizer,
        lr=args.lr,
        steps=args.steps,
        tol=args.tol,
        batch_size=args.batch_size,
        seed=args.seed or 0,
        band_x=args.band_x,
        level=args.level,
        band_sigma=args.band_sigma,
    )
    report = fit_formula_and_report(dataset, request)
    return {
        "file": str(args.file),
        "sigma_column": args.sigma_column,
        **report,
        "elapsed_s": time.perf_counter() - started,
    }


def _format_text(report: dict) -> str:
    if "parameters" in report:  # a formula's fit
        from workbench.fitting.headless_formula_text import format_formula_text

        return format_formula_text(report)
    from workbench.fitting.headless import format_text

    return format_text(report)


def _json_default(value):
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


class _InterruptWatch:
    """Python's own Ctrl+C handler, remembering that it fired: an import interrupted half-way (NumPy's C
    extensions) reports an ImportError instead of the KeyboardInterrupt, and must still read "interrupted"."""

    def __init__(self) -> None:
        self.seen = False

    def install(self) -> None:
        """Take over SIGINT where Python's default handler has it (leave an ignored SIGINT ignored)."""
        import signal

        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            signal.signal(signal.SIGINT, self._handler)

    def _handler(self, signum, frame) -> None:
        self.seen = True
        raise KeyboardInterrupt


_INTERRUPT = _InterruptWatch()


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
    if argv and argv[0] == "--compute-worker":  # a frozen app's executable started as a compute process
        from workbench.tasks.worker_process import main as compute_worker

        return compute_worker(argv[1:])
    if argv and argv[0] == "fit":
        try:
            _INTERRUPT.install()
            return fit_command(argv[1:])
        except KeyboardInterrupt:
            return _interrupted()
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


def _interrupted() -> int:
    """Ctrl+C: one word on stderr and the shell's code for SIGINT (128 + 2)."""
    try:
        print("interrupted", file=sys.stderr)
    except OSError:
        pass
    return EXIT_INTERRUPTED


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
