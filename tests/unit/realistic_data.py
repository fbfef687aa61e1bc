"""Real-looking datasets for accuracy and convergence tests, generated (not measured) and reproducible.

Each mimics the shape of a dataset people fit: x far from 0 (calendar years, incomes), trends with
seasonal cycles, level shifts, exponential growth, heteroscedastic scatter, a few with a σ column.
Values are rounded as such files are (ppm to 2 decimals, counts to integers), so they are exact decimals
read into doubles, like a CSV file.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RealLike:
    """x, y and optionally σ of one generated dataset, with a name for test ids."""

    name: str
    x: np.ndarray
    y: np.ndarray
    sigma: np.ndarray | None = None


def co2_monthly(seed: int = 0) -> RealLike:
    """Mauna-Loa-like: monthly decimal years 1958.2–2024, a curving trend and a seasonal cycle (ppm)."""
    rng = np.random.default_rng(seed)
    t = np.round(1958.2 + np.arange(66 * 12) / 12.0 + 1 / 24, 4)
    y = 315 + 0.8 * (t - 1958) + 0.0125 * (t - 1958) ** 2 + 3 * np.sin(2 * np.pi * t) + rng.normal(0, 0.3, t.size)
    return RealLike("co2", t, np.round(y, 2))


def co2_with_sigma(seed: int = 1) -> RealLike:
    """The CO₂-like series with a σ column: early months less precise than recent ones (0.6 → 0.1 ppm)."""
    base = co2_monthly(seed)
    sigma = np.round(0.6 - 0.5 * (base.x - base.x.min()) / np.ptp(base.x), 3)
    rng = np.random.default_rng(seed + 100)
    y = np.round(base.y + rng.normal(0, 1, base.x.size) * sigma, 2)
    return RealLike("co2-sigma", base.x, y, sigma)


def longley(seed: int = 2) -> RealLike:
    """Longley-like: 16 yearly employment totals 1947–1962 (thousands), nearly linear."""
    rng = np.random.default_rng(seed)
    t = np.arange(1947.0, 1963.0)
    y = 60323 + 650 * (t - 1947) + 12 * (t - 1947) ** 2 - 0.9 * (t - 1947) ** 3 + rng.normal(0, 250, t.size)
    return RealLike("longley", t, np.round(y))


def engel(seed: int = 3) -> RealLike:
    """Engel-like: food spending against household income 400–5000, scatter growing with income."""
    rng = np.random.default_rng(seed)
    income = np.round(np.sort(rng.lognormal(np.log(1000), 0.5, 235)).clip(400, 5000), 4)
    food = 0.55 * income**0.93 * np.exp(rng.normal(0, 0.12, income.size))
    return RealLike("engel", income, np.round(food, 4))


def nile(seed: int = 4) -> RealLike:
    """Nile-like: annual flow 1871–1970 with a level shift in 1899."""
    rng = np.random.default_rng(seed)
    t = np.arange(1871.0, 1971.0)
    y = np.where(t < 1899, 1100.0, 850.0) + rng.normal(0, 140, t.size)
    return RealLike("nile", t, np.round(y))


def sunspots(seed: int = 5) -> RealLike:
    """Sunspot-like: yearly numbers 1749–2023 with an 11-year cycle."""
    rng = np.random.default_rng(seed)
    t = np.arange(1749.0, 2024.0)
    y = np.maximum(0, 80 + 70 * np.sin(2 * np.pi * (t - 1755) / 11.0) + rng.normal(0, 25, t.size))
    return RealLike("sunspots", t, np.round(y, 1))


def gdp_quarterly(seed: int = 6) -> RealLike:
    """GDP-like: quarterly 1947.0–2024.75, exponential growth (billions), σ proportional to the level."""
    rng = np.random.default_rng(seed)
    t = 1947.0 + np.arange(312) / 4.0
    level = 2100 * np.exp(0.031 * (t - 1947))
    sigma = np.round(0.01 * level, 3)
    y = np.round(level + rng.normal(0, 1, t.size) * sigma, 3)
    return RealLike("gdp-sigma", t, y, sigma)


def el_nino(seed: int = 7) -> RealLike:
    """El-Niño-like: monthly sea-surface temperature 1950–2024 (°C), seasonal plus irregular swings."""
    rng = np.random.default_rng(seed)
    t = np.round(1950 + np.arange(75 * 12) / 12.0, 4)
    y = 26.5 + 1.2 * np.sin(2 * np.pi * t) + 0.8 * np.sin(2 * np.pi * t / 4.3) + rng.normal(0, 0.3, t.size)
    return RealLike("elnino", t, np.round(y, 2))


def diabetes_bmi(seed: int = 8) -> RealLike:
    """Diabetes-like: disease progression (25–346) against body-mass index 18–42."""
    rng = np.random.default_rng(seed)
    bmi = np.round(rng.uniform(18, 42, 442), 1)
    y = np.clip(150 + 10 * (bmi - 26.5) + rng.normal(0, 60, bmi.size), 25, 346)
    return RealLike("diabetes", bmi, np.round(y))


def cancer_population(seed: int = 9) -> RealLike:
    """Cancer-like: deaths against county population 1000–2000 (thousands)."""
    rng = np.random.default_rng(seed)
    population = np.round(rng.uniform(1000, 2000, 301), 3)
    deaths = 0.21 * population + 2e-5 * (population - 1500) ** 2 + rng.normal(0, 12, population.size)
    return RealLike("cancer", population, np.round(deaths))


ALL = (
    co2_monthly,
    co2_with_sigma,
    longley,
    engel,
    nile,
    sunspots,
    gdp_quarterly,
    el_nino,
    diabetes_bmi,
    cancer_population,
)


def all_datasets() -> list[RealLike]:
    """Every generated dataset (cached by the caller if needed)."""
    return [make() for make in ALL]
