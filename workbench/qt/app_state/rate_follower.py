"""The learning rate follows the data until the user chooses one (``state.rate_advice``).

On every change of data, degree, basis, loss or model (and when big data's curvature arrives, or a
formula's start values are guessed) the rate becomes the one the data call for, unless the user typed a
rate (``RunSettings.lr_chosen``).  An opened session keeps the rate it saved.  ``use_stable`` is the
one-click fix for a rate above the stability limit: the suggested rate, and following the data again.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QObject, Slot

from workbench.qt.app_state.document import FitDocument
from workbench.state.rate_advice import rate_advice


class RateFollower(QObject):
    """Keeps the document's learning rate at the suggested one while the user has not chosen one."""

    def __init__(self, document: FitDocument, parent: QObject | None = None):
        super().__init__(parent)
        self.doc = document
        document.dataChanged.connect(self.follow)
        document.modelChanged.connect(self.follow)
        document.factsChanged.connect(self.follow)

    @Slot()
    def follow(self) -> bool:
        """Set the suggested rate unless the user chose one (or a run is going); True if it changed."""
        doc = self.doc
        settings = doc.settings
        if settings.lr_chosen or doc.running or doc.opening:
            return False
        suggested = rate_advice(doc).suggested
        if suggested is None or suggested == settings.lr:
            return False
        doc.set_settings(replace(settings, lr=suggested))
        return True

    def use_stable(self) -> bool:
        """The one-click fix: the suggested rate, and the rate follows the data again (False: none known)."""
        doc = self.doc
        suggested = rate_advice(doc).suggested
        if suggested is None:
            return False
        doc.set_settings(replace(doc.settings, lr=suggested, lr_chosen=False))
        return True
