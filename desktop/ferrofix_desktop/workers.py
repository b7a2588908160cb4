"""Background work for the UI: every I/O, check, download and model run happens in a `Task` on the
global QThreadPool and reports through Qt signals (delivered on the UI thread); long tasks can be
cancelled, and closing the window waits for running tasks after cancelling them."""

from __future__ import annotations

import gc
import logging
import threading
import traceback
from typing import Any, Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal

log = logging.getLogger(__name__)


class Cancelled(Exception):
    """Raised inside a task's function when its `cancelled()` check is true."""


class TaskSignals(QObject):
    """`progress(done, total, message)`, `finished(result)`, `failed(message)`, `cancelled()`."""

    progress = Signal(int, int, str)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()


class Task(QRunnable):
    """Runs `fn(ctx)` in the thread pool; `ctx.progress(done, total, message)` reports, `ctx.cancelled()`
    says whether to stop (or `ctx.check()` raises Cancelled). Exceptions become `failed(message)` with the
    exception's text (FerrofixError messages are written for people) — except after `cancel()`: a task
    asked to stop ends with `cancelled()`, whatever its function raised on the way out."""

    running: set["Task"] = set()
    _lock = threading.Lock()

    def __init__(self, fn: Callable[["Task"], Any], name: str = "task") -> None:
        super().__init__()
        self.fn = fn
        self.name = name
        self.signals = TaskSignals()
        self._cancel = threading.Event()
        self.setAutoDelete(False)

    def progress(self, done: int, total: int, message: str = "") -> None:
        """Report progress (emitted to the UI thread)."""
        self.signals.progress.emit(int(done), int(total), message)

    def cancel(self) -> None:
        """Ask the task to stop (it checks `cancelled()`)."""
        self._cancel.set()

    def cancelled(self) -> bool:
        """True once `cancel()` was called."""
        return self._cancel.is_set()

    def check(self) -> None:
        """Raise Cancelled when the task was cancelled."""
        if self._cancel.is_set():
            raise Cancelled()

    def run(self) -> None:
        try:
            result = self.fn(self)
        except Cancelled:
            self.signals.cancelled.emit()
        except Exception as e:  # reported to the UI, never raised into Qt
            if self._cancel.is_set():  # the work stopped because it was asked to (its own error says so)
                self.signals.cancelled.emit()
                return

            log.debug("task %s failed: %s", self.name, traceback.format_exc())
            self.signals.failed.emit(str(e) or type(e).__name__)
        else:
            if self._cancel.is_set():
                self.signals.cancelled.emit()
            else:
                self.signals.finished.emit(result)
        finally:
            with Task._lock:
                Task.running.discard(self)

    def start(self) -> "Task":
        """Start the task in the global thread pool; returns it."""
        with Task._lock:
            Task.running.add(self)
        QThreadPool.globalInstance().start(self)
        return self


def run(fn: Callable[[Task], Any], *, name: str = "task", on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[str], None] | None = None,
        on_progress: Callable[[int, int, str], None] | None = None,
        on_cancel: Callable[[], None] | None = None) -> Task:
    """Start `fn` in the pool and connect the callbacks (they run on the UI thread)."""
    t = Task(fn, name)
    if on_done:
        t.signals.finished.connect(on_done)
    if on_error:
        t.signals.failed.connect(on_error)
    if on_progress:
        t.signals.progress.connect(on_progress)
    if on_cancel:
        t.signals.cancelled.connect(on_cancel)
    return t.start()


def stop_all(timeout_ms: int = 10000) -> bool:
    """Cancel every running task and wait for the pool (window close). True when all ended."""
    with Task._lock:
        tasks = list(Task.running)
    for t in tasks:
        t.cancel()
    return QThreadPool.globalInstance().waitForDone(timeout_ms)


_gc_lock = threading.Lock()
_gc_owners: set[int] = set()


def collect_garbage_on_ui_thread(owner: QObject, interval_ms: int = 1000) -> QTimer:
    """While `owner` (the main window) is open, Python's cyclic garbage collector runs only on the UI
    thread: automatic collection is off and a timer on `owner` collects every `interval_ms` ms.

    Why: the collector runs in whichever thread allocates when its threshold is reached; run in a pool
    thread, it may free QObjects the UI thread owns (a finished task's signals, a view's model held in a
    reference cycle), and Qt forbids deleting a QObject outside its thread (QObject docs, "Thread
    affinity"): tests/test_desktop.py crashed that way, a segfault with "Garbage-collecting" on top of
    a worker's stack. `release_garbage_collection(owner)` (also on `owner.destroyed`) turns
    automatic collection back on once no owner is left. Returns the timer."""
    with _gc_lock:
        if not _gc_owners:
            gc.disable()
        _gc_owners.add(id(owner))
    timer = QTimer(owner)
    timer.setInterval(interval_ms)
    timer.timeout.connect(gc.collect)
    timer.start()
    key = id(owner)
    owner.destroyed.connect(lambda *_: _release(key))
    return timer


def release_garbage_collection(owner: QObject) -> None:
    """End `collect_garbage_on_ui_thread` for `owner` (idempotent); collects once, on this thread."""
    _release(id(owner))
    gc.collect()


def _release(key: int) -> None:
    with _gc_lock:
        if key in _gc_owners:
            _gc_owners.discard(key)
            if not _gc_owners:
                gc.enable()
