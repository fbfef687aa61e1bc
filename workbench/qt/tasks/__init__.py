"""Work off the window's thread: the one task runner and the compute process."""
