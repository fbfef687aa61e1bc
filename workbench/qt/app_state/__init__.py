"""The Qt adapter of the document: its signals and undo stack, the controller, the user's preferences."""
