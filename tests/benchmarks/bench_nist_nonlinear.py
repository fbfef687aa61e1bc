"""Levenberg–Marquardt on all 26 NIST StRD nonlinear problems with one predictor, from both starts.

Run it directly (it is not a test and pytest does not collect it):

    python tests/benchmarks/bench_nist_nonlinear.py            # the table
    python tests/benchmarks/bench_nist_nonlinear.py --markdown # the same as a Markdown table

For each of the 52 runs it prints the fewest correct digits (LRE) over the parameters and the residual
SD, the fewest over the certified standard deviations, LM's steps, its stop reason and the time.  A run
passes with six or more digits of every parameter and of the residual SD.  The model is read by our
parser from each file's own statement of it.
"""

from __future__ import annotations

import bench_setup  # noqa: F401 - first: one BLAS thread, as the app has, before anything loads NumPy

# isort: split
import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for the NIST reader

from nist_nonlinear import ALL, load, score  # noqa: E402

from workbench.fitting.formula_model import FormulaModel  # noqa: E402
from workbench.fitting.least_squares import solve_least_squares  # noqa: E402
from workbench.fitting.losses import Loss  # noqa: E402
from workbench.fitting.problem import FitProblem  # noqa: E402

DIGITS = 6.0


def run() -> list[dict]:
    """Every problem from both starts: a row of scores each."""
    rows = []
    for name in ALL:
        problem = load(name)
        model = FormulaModel(problem.formula)
        fitting = FitProblem(problem.x, problem.y, model, Loss("sse"))
        for start in (0, 1):
            theta0 = np.array([problem.starts[start][n] for n in model.parameter_names])
            began = time.perf_counter()
            fit = solve_least_squares(fitting, theta0)
            elapsed = time.perf_counter() - began
            scores = score(problem, model.parameter_names, fit.params, fit.residual_sd, fit.standard_errors)
            main = min(v for k, v in scores.items() if not k.startswith("sd("))
            errors = [v for k, v in scores.items() if k.startswith("sd(")]
            rows.append(
                {
                    "problem": name,
                    "start": start + 1,
                    "min_lre": main,
                    "params_lre": min(scores[n] for n in model.parameter_names),
                    "sd_lre": scores["residual SD"],
                    "se_lre": min(errors) if errors else None,
                    "steps": fit.steps,
                    "stop": fit.stop_reason,
                    "ms": 1000 * elapsed,
                    "pass": main >= DIGITS,
                }
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args()
    rows = run()
    if args.markdown:
        print("| problem | start | min LRE | parameters | residual SD | std. errors | steps | stop | pass |")
        print("|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            se = "–" if r["se_lre"] is None else f"{r['se_lre']:.1f}"
            print(
                f"| {r['problem']} | {r['start']} | {r['min_lre']:.1f} | {r['params_lre']:.1f} | {r['sd_lre']:.1f} "
                f"| {se} | {r['steps']} | {r['stop']} | {'yes' if r['pass'] else 'no'} |"
            )
    else:
        print(f"{'problem':9} start  min LRE  params  res.SD  std.err  steps  stop       ms")
        for r in rows:
            se = "    –" if r["se_lre"] is None else f"{r['se_lre']:5.1f}"
            print(
                f"{r['problem']:9} {r['start']:5}  {r['min_lre']:7.2f}  {r['params_lre']:6.2f}  {r['sd_lre']:6.2f}"
                f"  {se:>7}  {r['steps']:5}  {r['stop']:9} {r['ms']:5.0f}  {'' if r['pass'] else 'FAIL'}"
            )
    passed = sum(r["pass"] for r in rows)
    print(
        f"\n{passed} of {len(rows)} runs have {DIGITS:g} or more correct digits of every parameter and the residual SD"
    )


if __name__ == "__main__":
    main()
