"""Open session files one after another in the real window, and say what became of each.

Run by test_session_crash_fuzz.py as a subprocess, so that a file that crashed Qt (as a damaged window layout
did, inside ``QMainWindow.restoreState``) would end only this process, which the test then sees: its exit
code, and faulthandler's report on stderr.

Usage: ``python open_sessions_in_window.py SETTINGS_DIR RECOVERY_DIR FILE...``.  Settings live in SETTINGS_DIR
(as in the GUI tests: the layouts' sealing key of the window that saved the files is there).  Every other file
is opened the way a big one is: read on a thread behind the progress dialog.  One JSON line per file on stdout
(``{"file", "opened", "unchanged", "exact", "notices"}``, after a ``{"start"}`` line), then ``done``.  The
exit code is 0 unless a Python exception escaped into Qt (3).
"""

from __future__ import annotations

import faulthandler
import json
import os
import sys
import traceback

faulthandler.enable()


def main(argv: list[str]) -> int:
    settings_dir, recovery_dir, *files = argv
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["XDG_CONFIG_HOME"] = settings_dir
    os.environ["WORKBENCH_RECOVERY_DIR"] = recovery_dir
    escaped: list[str] = []

    def excepthook(kind, value, tb) -> None:  # an exception in a slot: Qt goes on, the test must not
        escaped.append("".join(traceback.format_exception(kind, value, tb)))
        sys.stderr.write(escaped[-1])

    sys.excepthook = excepthook

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    from workbench.qt.app import configure_application, create_main_window, set_application_names
    from workbench.qt.window import session_manager
    from workbench.state.session import SessionError, load_session

    set_application_names()
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    for fmt in (QSettings.Format.IniFormat, QSettings.Format.NativeFormat):
        for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
            QSettings.setPath(fmt, scope, settings_dir)
    configure_application(app)
    session_manager.SessionManager.ask_unsaved_changes = lambda self: "discard"
    session_manager.SessionManager.ask_restore_recovery = lambda self, path, when: False
    usual_background_bytes = session_manager.BACKGROUND_BYTES

    window = create_main_window([])
    window.show()
    app.processEvents()
    notices: list[list[str]] = []
    window.controller.notice.connect(lambda level, text: notices.append([level, text]))

    def fingerprint() -> tuple:
        doc = window.document
        return id(doc.dataset), id(doc.state), doc.theta.tobytes(), doc.undo_stack.count(), window.windowTitle()

    for i, path in enumerate(files):
        notices.clear()
        print(json.dumps({"start": path}), flush=True)
        session_manager.BACKGROUND_BYTES = 0 if i % 2 else usual_background_bytes
        before = fingerprint()
        opened = window.session_manager.open_path(path)
        for _ in range(3):
            app.processEvents()
        window.grab()  # paint every view as it now is
        app.processEvents()
        exact = None
        if opened:  # the window shows what the file holds
            try:
                saved = load_session(path).document
            except SessionError:
                exact = False
            else:
                doc = window.document
                exact = doc.dataset == saved.dataset and doc.theta.tobytes() == saved.theta.tobytes()
        unchanged = fingerprint() == before
        print(
            json.dumps({"file": path, "opened": opened, "unchanged": unchanged, "exact": exact, "notices": notices}),
            flush=True,
        )
    window.session_manager.confirm_close()
    window.shutdown()
    window.close()
    app.processEvents()
    print("done", flush=True)
    return 3 if escaped else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
