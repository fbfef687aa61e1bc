"""Regenerate the sample CSVs in this folder: `python samples/make_samples.py`.

Each sample is a small lesson for File > Samples. The script is deterministic (one seeded
`random.Random` per sample, so adding a sample never changes the others), and a unit test checks
that the committed CSVs are exactly what it writes. Standard library only, so it runs anywhere.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable
from pathlib import Path

Rows = list[tuple[float, float]]


def _evenly(lo: float, hi: float, n: int) -> list[float]:
    return [lo + (hi - lo) * k / (n - 1) for k in range(n)]


def noisy_sine() -> Rows:
    rng = random.Random(1)
    return [(x, math.sin(math.pi * x) + rng.gauss(0.0, 0.1)) for x in _evenly(-1.0, 1.0, 30)]


def noisy_cubic() -> Rows:
    rng = random.Random(2)
    return [(x, 0.5 * x**3 - x**2 - 1.2 * x + 1.0 + rng.gauss(0.0, 0.4)) for x in _evenly(-2.0, 2.0, 40)]


def co2_like_measurements() -> Rows:
    rng = random.Random(3)
    return [
        (year, 311.0 + 0.6 * (year - 1950) + 0.0125 * (year - 1950) ** 2 + rng.gauss(0.0, 0.4))
        for year in range(1950, 2021)
    ]


def outlier() -> Rows:
    rng = random.Random(4)
    rows = [(x, 2.0 + 1.5 * x + rng.gauss(0.0, 0.4)) for x in _evenly(0.0, 9.5, 20)]
    rows[12] = (rows[12][0], rows[12][1] + 12.0)  # the gross outlier at x = 6
    return rows


def exact_six_points() -> Rows:
    return list(zip([-1.0, -0.6, -0.2, 0.2, 0.6, 1.0], [0.5, -0.8, 0.9, -0.4, 1.1, -0.2]))


def wide_x_quadratic() -> Rows:
    rng = random.Random(6)
    return [(x, 0.04 * x**2 - 0.6 * x + 3.0 + rng.gauss(0.0, 0.25)) for x in _evenly(0.0, 20.0, 26)]


# file stem -> (rows, x decimals, y decimals, description for the comment line)
SAMPLES: dict[str, tuple[Callable[[], Rows], int, int, str]] = {
    "noisy_sine": (
        noisy_sine,
        3,
        3,
        "Noisy sine: y = sin(pi x) + Gaussian noise (sd 0.1), 30 points on [-1, 1]. "
        "Try low and high degrees to see under- and over-fitting.",
    ),
    "noisy_cubic": (
        noisy_cubic,
        3,
        3,
        "Noisy cubic: y = 0.5x^3 - x^2 - 1.2x + 1 + noise (sd 0.4), 40 points on [-2, 2]. "
        "Degree 3 should recover the coefficients.",
    ),
    "co2_like_measurements": (
        co2_like_measurements,
        0,
        2,
        "Synthetic CO2-like yearly series, NOT real measurements: a ppm-like value "
        "rising with slight curvature plus noise, 1950-2020. Raw powers of years are "
        "huge: use the x-scaled basis.",
    ),
    "outlier": (
        outlier,
        2,
        2,
        "Outlier: y = 2 + 1.5x + noise (sd 0.4) with one gross outlier at x = 6. "
        "Watch one bad point drag the least-squares fit; then delete it.",
    ),
    "exact_six_points": (
        exact_six_points,
        1,
        1,
        "Exact six points: six distinct x, so a degree-5 polynomial passes through "
        "all of them exactly (zero loss); degree 4 and below cannot.",
    ),
    "wide_x_quadratic": (
        wide_x_quadratic,
        1,
        3,
        "Wide-x quadratic: y = 0.04x^2 - 0.6x + 3 + noise (sd 0.25) for x in [0, 20]. "
        "Raw monomials make a razor-thin loss valley; compare the scaled bases.",
    ),
}


def _fmt(value: float, decimals: int) -> str:
    text = f"{value:.{decimals}f}"
    return text.lstrip("-") if float(text) == 0 else text  # no "-0.000"


def render(stem: str) -> str:
    """The exact text of one sample file."""
    make, dx, dy, description = SAMPLES[stem]
    lines: Iterable[str] = (f"{_fmt(x, dx)},{_fmt(y, dy)}" for x, y in make())
    return "\n".join([f"# {description}", "x,y", *lines]) + "\n"


def main() -> None:
    """Write every sample next to this script."""
    here = Path(__file__).resolve().parent
    for stem in SAMPLES:
        (here / f"{stem}.csv").write_text(render(stem), encoding="utf-8", newline="\n")


if __name__ == "__main__":
    main()
