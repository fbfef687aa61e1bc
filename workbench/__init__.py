"""Curve Fitter Workbench: fit curves by hand, by gradient descent through a backprop engine, and exactly."""

__version__ = "0.1.0"
