"""Colours shared between views, so that a contender of the optimiser race looks the same everywhere."""

from __future__ import annotations

import pyqtgraph as pg

# One colour per race entry: the loss-history plot, the loss surface and the scoreboard all use these.
# Picked to stay apart from each other, from the exact optimum's green and from the viridis surface.
# "manual" is the orange of the user's own knob trail everywhere in the app.
RACE_COLOURS = {
    "gd": (31, 100, 220),  # blue
    "momentum": (220, 30, 40),  # red
    "nesterov": (0, 190, 215),  # cyan
    "adam": (225, 60, 200),  # magenta
    "cg": (140, 90, 30),  # brown
    "lbfgs": (110, 150, 0),  # olive
    "lm": (20, 20, 20),  # near black: the least-squares method
    "sgd": (120, 120, 220),  # lavender: noisy plain descent
    "nudge": (110, 110, 110),  # grey: the blind baseline
    "manual": (230, 140, 20),  # orange: your hand
}


# Held-out validation points and their loss: hollow points on the fit plot, the dashed validation curve
# on the loss history.  A pink far from every run colour (blue, purple, green, orange, red).
VALIDATION_COLOUR = (225, 45, 140)


def race_colour(kind: str) -> tuple[int, int, int]:
    """The race colour of ``kind`` (grey for anything unknown)."""
    return RACE_COLOURS.get(kind, (128, 128, 128))


def rgb_css(colour) -> str:
    """``rgb(r,g,b)`` for Qt rich text and style sheets."""
    r, g, b = colour[:3]
    return f"rgb({r},{g},{b})"


# Apart from the ghost curves (exact green, manual orange, GD purple) and from the current curve's blue.
SNAPSHOT_COLOURS = {
    "my best knobs": (175, 95, 20),  # brown: the hand's orange, darker
    "GD result": (205, 30, 130),  # magenta
    "exact": (0, 145, 150),  # teal
}
OTHER_COLOURS = [(110, 110, 110), (120, 150, 30), (90, 60, 160)]  # names from a file made elsewhere
SNAPSHOT_DASH = [7, 4]  # a longer dash than the exact optimum's ghost curve


def snapshot_pen(name: str, index: int = 0):
    """The dashed pen of snapshot ``name`` (``index`` picks a colour for names outside the slots)."""
    colour = SNAPSHOT_COLOURS.get(name, OTHER_COLOURS[index % len(OTHER_COLOURS)])
    return pg.mkPen(*colour, width=2, dash=SNAPSHOT_DASH)


def snapshot_label(name: str, loss: float) -> str:
    """The legend entry of a snapshot: its name and loss."""
    return f"{name} — loss {loss:.6g}"
