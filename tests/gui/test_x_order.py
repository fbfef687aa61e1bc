"""The plots' x order across one-point edits: always exactly a fresh stable argsort, without the sort."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.qt.views.x_order import XOrder


def assert_is_the_stable_order(x_order: XOrder, x: np.ndarray) -> None:
    order, ordered = x_order.of(x)
    expected = np.argsort(x, kind="stable")
    if order is None:
        np.testing.assert_array_equal(expected, np.arange(x.size))  # None only when x is in order already
        assert ordered is x
    else:
        np.testing.assert_array_equal(order, expected)
    np.testing.assert_array_equal(ordered.view(np.uint64), x[expected].view(np.uint64))  # bit for bit


def edited(x: np.ndarray, edit: str, i: int, value: float) -> np.ndarray:
    if edit == "add":
        return np.append(x, value)
    if edit == "insert":  # an undone removal
        return np.insert(x, i % (x.size + 1), value)
    i %= x.size
    if edit == "remove":
        return np.delete(x, i)
    moved = x.copy()
    moved[i] = value
    return moved


# Few distinct values (many ties, where stability matters), ±0.0, and sorted starts (the identity order).
values = st.sampled_from([-2.0, -0.0, 0.0, 0.5, 1.0, 1.0, 3.0, 7.25])
edits = st.tuples(st.sampled_from(["add", "insert", "remove", "move"]), st.integers(0, 10_000), values)


@settings(max_examples=300, deadline=None)
@given(st.lists(values, min_size=2, max_size=40), st.booleans(), st.lists(edits, min_size=1, max_size=8))
def test_every_chain_of_one_point_edits_gives_a_fresh_stable_argsort(start, sort_first, chain):
    x = np.array(sorted(start) if sort_first else start, dtype=np.float64)
    x_order = XOrder()
    assert_is_the_stable_order(x_order, x)
    for edit, i, value in chain:
        if x.size < 3 and edit == "remove":
            continue
        x = edited(x, edit, i, value)
        assert_is_the_stable_order(x_order, x)


@pytest.mark.parametrize("edit", ["add", "insert", "remove", "move"])
def test_a_one_point_edit_of_a_million_unsorted_points_is_not_sorted_again(edit):
    rng = np.random.default_rng(5)
    x = rng.uniform(0.0, 100.0, 1_000_000)
    x_order = XOrder()
    x_order.of(x)
    assert x_order.sorts == 1
    new = edited(x, edit, 123_456, 42.0)
    order, ordered = x_order.of(new)
    assert x_order.sorts == 1  # derived from the last order
    np.testing.assert_array_equal(order, np.argsort(new, kind="stable"))
    np.testing.assert_array_equal(ordered, np.sort(new, kind="stable"))


def test_sorted_points_need_no_order_and_stay_in_order_when_a_point_lands_at_the_end():
    x = np.linspace(0.0, 1.0, 1000)
    x_order = XOrder()
    assert x_order.of(x) == (None, x)
    later = np.append(x, 2.0)
    order, ordered = x_order.of(later)
    assert order is None and ordered is later
    last = np.append(later, 0.5)  # out of order now
    order, _ = x_order.of(last)
    np.testing.assert_array_equal(order, np.argsort(last, kind="stable"))
    assert x_order.sorts == 0  # derived, never sorted


def test_other_data_are_sorted_afresh():
    x_order = XOrder()
    rng = np.random.default_rng(1)
    first, other = rng.normal(size=500), rng.normal(size=500)
    x_order.of(first)
    assert_is_the_stable_order(x_order, other)
    assert x_order.sorts == 2
