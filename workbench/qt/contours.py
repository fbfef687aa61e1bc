"""Contour lines of a grid by marching squares, vectorised: the loss surface's lines of equal loss.

Pure NumPy (pyqtgraph's own isocurve took ~90 ms for 8 levels on a 200×200 grid; this takes a few).
"""

from __future__ import annotations

import numpy as np



# Marching squares.  Cell corners: v00 (row r, col c), v01 (r, c+1), v11 (r+1, c+1), v10 (r+1, c);
# edges: 0 = v00–v01, 1 = v01–v11, 2 = v10–v11, 3 = v00–v10.  Case bit k is set when corner k is above.
_SEGMENTS = {1: ((3, 0),), 2: ((0, 1),), 3: ((3, 1),), 4: ((1, 2),), 6: ((0, 2),), 7: ((3, 2),),
             8: ((2, 3),), 9: ((0, 2),), 11: ((1, 2),), 12: ((1, 3),), 13: ((0, 1),), 14: ((3, 0),)}
# Saddles (two opposite corners above): which pairs to join depends on whether the cell centre is above.
_SADDLES = {5: (((3, 0), (1, 2)), ((0, 1), (2, 3))), 10: (((0, 1), (2, 3)), ((3, 0), (1, 2)))}


def contour_segments(field: np.ndarray, levels) -> tuple[np.ndarray, np.ndarray]:
    """Contour lines of ``field[row, col]`` as segment end points (col, row) in pairs, all levels at once.

    Vectorised marching squares (pyqtgraph's own ``isocurve`` loops in Python and takes ~100 ms for
    eight levels of a 200×200 grid; this takes a few).  Draw the result with ``connect="pairs"``.
    """
    f = np.asarray(field, dtype=np.float64)
    if f.ndim != 2 or min(f.shape) < 2:
        return np.empty(0), np.empty(0)
    width = f.shape[1] - 1
    corners = [f[:-1, :-1].ravel(), f[:-1, 1:].ravel(), f[1:, 1:].ravel(), f[1:, :-1].ravel()]
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    for level in levels:
        above = [c > level for c in corners]
        case = above[0] * 1 + above[1] * 2 + above[2] * 4 + above[3] * 8
        cells = np.flatnonzero((case != 0) & (case != 15))
        if cells.size == 0:
            continue
        case = case[cells]
        v00, v01, v11, v10 = (c[cells] for c in corners)
        row, col = np.divmod(cells, width)

        def cross(va, vb):
            span = vb - va
            with np.errstate(divide="ignore", invalid="ignore"):
                t = np.where(span != 0, (level - va) / span, 0.5)
            return np.clip(t, 0.0, 1.0)

        edge_x = (col + cross(v00, v01), col + 1.0, col + cross(v10, v11), col * 1.0)
        edge_y = (row * 1.0, row + cross(v01, v11), row + 1.0, row + cross(v00, v10))
        centre_above = (v00 + v01 + v11 + v10) / 4 > level
        for value, pairs in _SEGMENTS.items():
            mask = case == value
            for a, b in pairs:
                _add_segments(xs, ys, edge_x, edge_y, mask, a, b)
        for value, (if_centre_below, if_centre_above) in _SADDLES.items():
            for pairs, mask in ((if_centre_below, (case == value) & ~centre_above),
                                (if_centre_above, (case == value) & centre_above)):
                for a, b in pairs:
                    _add_segments(xs, ys, edge_x, edge_y, mask, a, b)
    if not xs:
        return np.empty(0), np.empty(0)
    return np.concatenate(xs), np.concatenate(ys)


def _add_segments(xs, ys, edge_x, edge_y, mask, a, b) -> None:
    if mask.any():
        xs.append(np.column_stack([edge_x[a][mask], edge_x[b][mask]]).ravel())
        ys.append(np.column_stack([edge_y[a][mask], edge_y[b][mask]]).ravel())


# -- the background computation ---------------------------------------------------------------------
