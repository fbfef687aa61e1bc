"""The document: data, model, knobs, settings and histories as plain Python (no Qt), and sessions.

``Document`` holds everything a window shows and a session saves; only its own methods change it, and each
change notifies its listeners with the *aspects* that changed (the Qt adapter turns those into signals).
``session`` writes a document to JSON and reads it back, exactly.
"""
