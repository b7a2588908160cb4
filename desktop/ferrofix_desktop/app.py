"""The main window: Knowledge base, Statistics and Models tabs; the same settings file and knowledge base
as the language servers and the CLI (SQLite in WAL mode, so they can run at the same time). Changes made
by other processes appear by themselves: the store's change counter is polled in a worker."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
from typing import Any

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QTabWidget

from ferrofix import service
from ferrofix import settings as settings_mod
from ferrofix.errors import FerrofixError

from . import workers
from .kbview import KnowledgeBaseView
from .modelsview import ModelsView
from .statsview import StatisticsView

log = logging.getLogger(__name__)


class KnowledgeBaseHandle:
    """Opens the knowledge base the settings name on first use (from whichever worker asks first)."""

    def __init__(self, kb=None) -> None:
        self._kb = kb
        self._lock = threading.Lock()

    def __call__(self):
        with self._lock:
            if self._kb is None:
                try:
                    s = settings_mod.load()
                except FerrofixError:
                    s = settings_mod.Settings()
                self._kb = service.open_kb(s)
            return self._kb

    def close(self) -> None:
        """Close the knowledge base if it was opened."""
        with self._lock:
            if self._kb is not None:
                self._kb.close()
                self._kb = None


class MainWindow(QMainWindow):
    """`kb`: an open KnowledgeBase to use (tests), else the one the settings name. `poll_ms`: how often
    to look for changes made by other processes (0 turns polling off)."""

    def __init__(self, kb=None, *, poll_ms: int = 1500, settings: QSettings | None = None) -> None:
        super().__init__()
        self.setWindowTitle("ferrofix — knowledge base and models")
        self.kb = KnowledgeBaseHandle(kb)
        self.qsettings = settings or QSettings("ferrofix", "desktop")
        self.tabs = QTabWidget()
        self.kb_view = KnowledgeBaseView(self.kb, self.show_status)
        self.stats_view = StatisticsView(self.kb)
        self.models_view = ModelsView(self.show_status)
        self.tabs.addTab(self.kb_view, "Knowledge base")
        self.tabs.addTab(self.stats_view, "Statistics")
        self.tabs.addTab(self.models_view, "Models")
        self.setCentralWidget(self.tabs)
        self.kb_view.changed.connect(self.stats_view.refresh)
        self._seq = -1
        self._polling = False
        # the garbage collector must not free Qt objects from a worker thread
        self.gc_timer = workers.collect_garbage_on_ui_thread(self)
        self.restore()
        self.kb_view.apply_filters()
        self.stats_view.refresh()
        self.models_view.refresh()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.poll)
        if poll_ms:
            self.timer.start(poll_ms)

    def show_status(self, message: str) -> None:
        """A message in the status bar (15 s)."""
        self.statusBar().showMessage(message, 15000)

    def poll(self) -> None:
        """Reload when another process (a language server recording a fix) changed the records."""
        if self._polling:
            return
        self._polling = True

        def done(seq: int) -> None:
            self._polling = False
            if self._seq >= 0 and seq != self._seq:
                self.kb_view.model.refresh()
                self.stats_view.refresh()
            self._seq = seq

        def fail(msg: str) -> None:
            self._polling = False
            self.show_status(f"knowledge base: {msg}")
        workers.run(lambda t: self.kb().store.max_seq(), name="poll", on_done=done, on_error=fail)

    def restore(self) -> None:
        """Restore geometry, filters and the current tab from QSettings."""
        geo = self.qsettings.value("geometry")
        if geo is not None:
            self.restoreGeometry(geo)
        else:
            self.resize(1280, 860)
        try:
            self.kb_view.set_filters(json.loads(str(self.qsettings.value("filters", "{}"))))
        except (ValueError, TypeError):
            pass
        self.tabs.setCurrentIndex(int(self.qsettings.value("tab", 0) or 0))

    def closeEvent(self, event: Any) -> None:  # noqa: N802 (Qt API)
        self.timer.stop()
        self.qsettings.setValue("geometry", self.saveGeometry())
        self.qsettings.setValue("filters", json.dumps(self.kb_view.filters()))
        self.qsettings.setValue("tab", self.tabs.currentIndex())
        if not workers.stop_all(15000):
            log.warning("some background work did not stop in time")
        self.kb.close()
        self.gc_timer.stop()
        workers.release_garbage_collection(self)
        super().closeEvent(event)


def main(argv: list[str] | None = None) -> None:
    """`ferrofix-desktop`: start the app."""
    ap = argparse.ArgumentParser(prog="ferrofix-desktop", description="curate ferrofix's knowledge base, manage models")
    ap.add_argument("--tab", choices=["kb", "stats", "models"], help="open this tab")
    args, qt_args = ap.parse_known_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    app = QApplication([sys.argv[0], *qt_args])
    app.setApplicationName("ferrofix")
    w = MainWindow()
    if args.tab:
        w.tabs.setCurrentIndex(["kb", "stats", "models"].index(args.tab))
    w.show()
    sys.exit(app.exec())
