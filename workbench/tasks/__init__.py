"""Work that runs off the window's thread, as plain Python (no Qt).

A *task* is an object with a ``run(context)`` generator: it does its work step by step, looks at
``context.stopped`` every step, yields an immutable snapshot whenever ``context.due()`` says the window can
take one, and returns its final result.  The window's task runner (``workbench.qt.tasks``) drives tasks on a
thread, in a compute process of their own (``worker_process``), or inline for tests; the tasks never know
which.
"""
