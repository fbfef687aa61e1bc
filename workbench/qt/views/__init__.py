"""Plots and panels that draw the document and emit the user's intent."""
