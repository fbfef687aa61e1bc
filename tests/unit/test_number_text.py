"""The one number formatter: digits per quantity, one notation, locale separators, nothing cut."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.fitting import number_text as nt

GERMAN = nt.NumberStyle(decimal=",", group=".")
finite = st.floats(min_value=-1e307, max_value=1e307)  # rounding 1.8e308 up would overflow


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.0, "0"),
        (-0.0, "0"),
        (1.0, "1"),
        (0.5, "0.5"),
        (-42.5, "-42.5"),
        (0.000123456, "0.000123456"),
        (1.5e-7, "1.5e-07"),
        (123456.0, "123456"),
        (999999.7, "1e+06"),  # rounded first: 10⁶ is written in scientific notation
        (8.891722e13, "8.89172e+13"),
        (math.inf, "∞"),
        (-math.inf, "-∞"),
        (math.nan, nt.DASH),
        (None, nt.DASH),
    ],
)
def test_a_loss_is_written_to_six_digits_in_one_notation(value, text):
    assert nt.loss(value) == text


def test_each_quantity_has_its_own_digits():
    value = 1.23456789
    assert nt.loss(value) == "1.23457"
    assert nt.knob(value) == "1.234568"
    assert nt.gradient(value) == "+1.235"
    assert nt.gradient(-value) == "-1.235"
    assert nt.learning_rate(value) == "1.23"
    assert nt.statistic(value) == "1.23457"
    assert nt.knob(8.891722e13) == "8.891722e+13"


def test_counts_are_grouped_and_points_numbered_from_one():
    assert nt.count(10000) == "10,000"
    assert nt.count(2000) == "2,000"
    assert nt.count(999) == "999"
    assert nt.count(-1234567) == "-1,234,567"
    assert nt.count(10000, GERMAN) == "10.000"
    assert nt.counted(1, "point") == "1 point"
    assert nt.counted(28, "point") == "28 points"
    assert nt.point_label(30) == "point 31"
    assert nt.point_label(0) == "point 1"


def test_the_distance_to_the_optimum_is_always_a_percentage():
    assert nt.gap_to_optimum(4.57, 1.0) == "+357 %"
    assert nt.gap_to_optimum(104.0, 1.0) == "+10300 %"
    assert nt.gap_to_optimum(1.0025, 1.0) == "+0.25 %"
    assert nt.gap_to_optimum(1.0 + 1e-6, 1.0) == "≈ 0 %"
    assert nt.gap_to_optimum(1.0, 1.0) == nt.AT_OPTIMUM
    assert nt.gap_to_optimum(2.0, 0.0) == nt.DASH  # a perfect optimum leaves no ratio to speak of
    assert nt.gap_to_optimum(None, 1.0) == nt.DASH
    assert nt.gap_to_optimum(math.nan, 1.0) == nt.DASH


def test_a_locale_style_changes_only_the_separators():
    assert nt.loss(1234.5678, GERMAN) == "1234,57"
    assert nt.knob(-1.5e-7, GERMAN) == "-1,5e-07"
    assert nt.percent(0.125, GERMAN) == "12,5 %"
    assert nt.parse("1234,57", GERMAN) == pytest.approx(1234.57)
    assert nt.parse("1.234,5", GERMAN) == 1234.5
    assert nt.parse("−2.5") == -2.5  # a typographic minus reads too
    with pytest.raises(ValueError):
        nt.parse("two", GERMAN)


@pytest.mark.parametrize("digits", [1, 3, 4, 6, 7])
@given(value=finite)
@settings(max_examples=150, deadline=None)
def test_no_text_is_wider_than_widest_and_every_text_reads_back(digits, value):
    text = nt.significant(value, digits)
    assert len(text) <= len(nt.widest(digits))
    back = nt.parse(text)
    assert back == pytest.approx(value, rel=10 ** (1 - digits), abs=1e-300)
    assert nt.parse(nt.significant(value, digits, GERMAN), GERMAN) == back


@given(value=finite)
@settings(max_examples=150, deadline=None)
def test_a_gradient_always_shows_its_sign(value):
    text = nt.gradient(value)
    if value > 0:
        assert text.startswith("+")
    elif value < 0:
        assert text.startswith("-")
    else:
        assert text == "0"


def test_axis_ticks_have_the_decimals_their_spacing_needs():
    assert nt.ticks([0.0, 0.25, 0.5], 0.25) == ["0.00", "0.25", "0.50"]
    assert nt.ticks([-10.0, 0.0, 10.0], 10.0) == ["-10", "0", "10"]
    assert nt.ticks([-0.1, 0.0, 0.1], 0.1) == ["-0.1", "0.0", "0.1"]
    assert nt.ticks([1e6, 1.5e6, 2e6], 5e5) == ["1e+06", "1.5e+06", "2e+06"]
    assert nt.ticks([1e-5, 2e-5], 1e-5) == ["1e-05", "2e-05"]
    assert nt.ticks([0.1, 0.2], 0.1, GERMAN) == ["0,1", "0,2"]
    assert nt.ticks([], 1.0) == []
