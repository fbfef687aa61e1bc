"""Dialogs: import, generate, preferences, the quick tour."""
