"""Curve Fitter Workbench: fit curves by hand, by gradient descent through a backprop engine, and exactly."""

import os

# One BLAS thread, set before NumPy loads.  Our products are tall and thin (N × 6): threads gain nothing,
# and on a busy machine (the GUI thread painting, another process) OpenBLAS's spinning threads collapse
# a gradient-descent step at N = 10⁵ from ~1400 to ~200 steps/s (measured; 14 steps/s inside the window).
# setdefault: a user who sets these variables keeps their choice.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

__version__ = "0.1.0"
