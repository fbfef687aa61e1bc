"""Synthetic datasets: the requested size and range, reproducible per seed, refused when out of range."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.fitting.generate import CURVES, MAX_POINTS, GenerateSettings, generate_points


@pytest.mark.parametrize("kind", sorted(CURVES))
def test_every_curve_gives_the_requested_points_in_range(kind):
    data = generate_points(kind, 57, -2.0, 3.0, 0.1, 4)
    assert data.n == 57
    assert data.x[0] == -2.0 and data.x[-1] == 3.0
    assert np.all(np.diff(data.x) > 0)
    assert np.all(np.isfinite(data.y))
    assert data.name == kind


@pytest.mark.parametrize("kind", sorted(CURVES))
def test_without_noise_the_points_lie_on_the_curve(kind):
    data = generate_points(kind, 11, -1.0, 1.0, 0.0, 0)
    np.testing.assert_array_equal(data.y, CURVES[kind].function(data.x))


def test_same_seed_same_points_other_seed_other_noise():
    a = generate_points("sine", 200, -1, 1, 0.3, 7)
    b = generate_points("sine", 200, -1, 1, 0.3, 7)
    c = generate_points("sine", 200, -1, 1, 0.3, 8)
    assert a == b
    np.testing.assert_array_equal(a.x, c.x)
    assert not np.array_equal(a.y, c.y)


def test_noise_has_the_requested_standard_deviation():
    data = generate_points("line", 20_000, 0, 1, 0.5, 1)
    noise = data.y - CURVES["line"].function(data.x)
    assert abs(noise.mean()) < 0.02
    assert noise.std() == pytest.approx(0.5, rel=0.03)


def test_the_largest_allowed_dataset_is_quick_and_exact_in_size():
    assert generate_points("gaussian", MAX_POINTS, -5, 5, 0.1, 0).n == MAX_POINTS


def test_the_step_jumps_at_zero():
    data = generate_points("step", 5, -1, 1, 0.0, 0)
    assert data.y.tolist() == [0.0, 0.0, 1.0, 1.0, 1.0]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("wiggle", 10, -1, 1, 0.1, 0), "Unknown curve"),
        (("sine", 1, -1, 1, 0.1, 0), "number of points"),
        (("sine", MAX_POINTS + 1, -1, 1, 0.1, 0), "number of points"),
        (("sine", 2.5, -1, 1, 0.1, 0), "number of points"),
        (("sine", 10, 1, 1, 0.1, 0), "must be less than"),
        (("sine", 10, 2, -1, 0.1, 0), "must be less than"),
        (("sine", 10, -np.inf, 1, 0.1, 0), "finite"),
        (("sine", 10, -1, np.nan, 0.1, 0), "finite"),
        (("sine", 10, -1, 1, -0.1, 0), "noise"),
        (("sine", 10, -1, 1, np.nan, 0), "noise"),
        (("sine", 10, -1, 1, 0.1, -1), "seed"),
        (("exponential", 10, 0, 1e6, 0.1, 0), "overflows"),
    ],
)
def test_bad_settings_are_refused_with_a_reason(args, fragment):
    with pytest.raises(ValueError, match=fragment):
        generate_points(*args)


def test_settings_default_to_thirty_noisy_sine_points_on_minus_one_to_one():
    data = GenerateSettings().generate()
    assert data == generate_points("sine", 30, -1.0, 1.0, 0.1, 0)
