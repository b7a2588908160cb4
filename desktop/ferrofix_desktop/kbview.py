"""The knowledge-base curation view: filters, the record table, the detail pane, and the curation
actions (approve, reject, edit, merge, delete, add, verify, import, export, undo). Every action runs
in a worker task; the table reloads when it finishes."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QFont, QKeySequence
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog,
                               QFormLayout, QHBoxLayout, QInputDialog, QLabel, QLineEdit, QMessageBox,
                               QPlainTextEdit, QProgressDialog, QPushButton, QSplitter, QTableView, QToolBar,
                               QVBoxLayout, QWidget)

from ferrofix.kb.records import Record, RecordError

from . import workers
from .highlight import DiffHighlighter, RustHighlighter
from .qtmodels import RecordTableModel


def _code_view(read_only: bool = True) -> QPlainTextEdit:
    w = QPlainTextEdit()
    w.setReadOnly(read_only)
    w.setFont(QFont("monospace"))
    w.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
    w.highlighter = RustHighlighter(w.document())  # keep a reference
    return w


class RecordDialog(QDialog):
    """Edit (or add) a record: code, message, erroneous and fixed snippets, explanation, tags."""

    def __init__(self, parent: QWidget | None, rec: Record | None = None, title: str = "Edit record") -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        rec = rec or Record()
        form = QFormLayout(self)
        self.code = QLineEdit(rec.code)
        self.message = QLineEdit(rec.message)
        self.before = _code_view(False)
        self.before.setPlainText(rec.before)
        self.after = _code_view(False)
        self.after.setPlainText(rec.after)
        self.explanation = QPlainTextEdit(rec.explanation)
        self.tags = QLineEdit(", ".join(rec.tags))
        form.addRow("Error code", self.code)
        form.addRow("Message", self.message)
        form.addRow("Erroneous snippet", self.before)
        form.addRow("Fixed snippet", self.after)
        form.addRow("Explanation", self.explanation)
        form.addRow("Tags", self.tags)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.resize(820, 640)

    def values(self) -> dict[str, Any]:
        """The dialog's fields as keyword arguments for `Store.edit` / `Record`."""
        return {"code": self.code.text().strip(), "message": self.message.text().strip(),
                "before": self.before.toPlainText(), "after": self.after.toPlainText(),
                "explanation": self.explanation.toPlainText(),
                "tags": [t.strip() for t in self.tags.text().split(",") if t.strip()]}


class DetailPane(QWidget):
    """The selected record: message, snippets side by side (highlighted), diff, explanation, counts."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        self.title = QLabel("Select a record")
        self.title.setWordWrap(True)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.title)
        split = QSplitter(Qt.Orientation.Horizontal)
        self.before = _code_view()
        self.after = _code_view()
        for label, w in (("Erroneous", self.before), ("Fixed", self.after)):
            box = QWidget()
            bl = QVBoxLayout(box)
            bl.setContentsMargins(0, 0, 0, 0)
            bl.addWidget(QLabel(label))
            bl.addWidget(w)
            split.addWidget(box)
        lay.addWidget(split, 3)
        self.diff = QPlainTextEdit()
        self.diff.setReadOnly(True)
        self.diff.setFont(QFont("monospace"))
        self.diff_highlighter = DiffHighlighter(self.diff.document())
        lay.addWidget(QLabel("Diff"))
        lay.addWidget(self.diff, 2)
        self.explanation = QPlainTextEdit()
        self.explanation.setReadOnly(True)
        lay.addWidget(QLabel("Explanation"))
        lay.addWidget(self.explanation, 1)
        self.counts = QLabel("")
        self.counts.setWordWrap(True)
        lay.addWidget(self.counts)

    def show_record(self, rec: Record | None) -> None:
        """Show `rec` (None clears the pane)."""
        if rec is None:
            self.title.setText("Select a record")
            for w in (self.before, self.after, self.diff, self.explanation):
                w.setPlainText("")
            self.counts.setText("")
            return
        self.title.setText(f"<b>{rec.code or '(no code)'}</b> — {rec.message}")
        self.before.setPlainText(rec.before)
        self.after.setPlainText(rec.after)
        self.diff.setPlainText(rec.diff)
        self.explanation.setPlainText(rec.explanation)
        import datetime
        when = lambda t: datetime.datetime.fromtimestamp(t).strftime("%Y-%m-%d %H:%M") if t else "—"  # noqa: E731
        self.counts.setText(f"#{rec.id} · {rec.status} · source {rec.source} · retrieved {rec.retrieved}, "
                            f"offered {rec.offered}, accepted {rec.accepted} · created {when(rec.created)}, "
                            f"updated {when(rec.updated)} · tags: {', '.join(rec.tags) or '—'}")


class KnowledgeBaseView(QWidget):
    """Filters + table + detail pane + actions. `kb_provider()` returns the open KnowledgeBase;
    `status(message)` reports to the window's status bar; `changed` fires after any write."""

    changed = Signal()
    busy = Signal(bool)

    def __init__(self, kb_provider: Callable[[], Any], status: Callable[[str], None], parent=None) -> None:
        super().__init__(parent)
        self.kb_provider = kb_provider
        self.status = status
        self.undo_stack: list[tuple[str, Callable[[Any], None]]] = []
        self.model = RecordTableModel(kb_provider, self)
        self.model.failed.connect(lambda m: self.status(f"cannot read the knowledge base: {m}"))
        self.model.loaded.connect(self._after_load)
        lay = QVBoxLayout(self)
        lay.addWidget(self._toolbar())
        lay.addLayout(self._filters())
        split = QSplitter(Qt.Orientation.Vertical)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setColumnWidth(1, 420)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(lambda _i: self.edit())
        split.addWidget(self.table)
        self.detail = DetailPane()
        split.addWidget(self.detail)
        split.setSizes([300, 400])
        lay.addWidget(split)

    # -- layout ---------------------------------------------------------------------------------
    def _toolbar(self) -> QToolBar:
        tb = QToolBar("Curation")
        self.actions_by_name: dict[str, QAction] = {}
        for name, text, key, slot in (
                ("approve", "Approve", "A", lambda: self.set_status("approved")),
                ("reject", "Reject", "R", lambda: self.set_status("rejected")),
                ("edit", "Edit", "E", self.edit),
                ("merge", "Merge duplicates", "M", self.merge),
                ("delete", "Delete", QKeySequence.StandardKey.Delete, self.delete),
                ("add", "Add record", "Ctrl+N", self.add),
                ("verify", "Verify", "V", self.verify),
                ("undo", "Undo", QKeySequence.StandardKey.Undo, self.undo),
                ("import", "Import JSONL…", "Ctrl+I", self.import_dialog),
                ("export", "Export JSONL…", "Ctrl+E", self.export_dialog),
                ("refresh", "Refresh", QKeySequence.StandardKey.Refresh, self.model.refresh)):
            a = QAction(text, self)
            a.setShortcut(QKeySequence(key))
            a.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            a.triggered.connect(slot)
            tb.addAction(a)
            self.addAction(a)
            self.actions_by_name[name] = a
        return tb

    def _filters(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.status_filter = QComboBox()
        self.status_filter.addItems(["", "pending", "approved", "rejected"])
        self.source_filter = QComboBox()
        self.source_filter.setEditable(True)
        self.source_filter.addItems(["", "rustc-error-index", "accepted-fix", "community:*"])
        self.code_filter = QLineEdit()
        self.code_filter.setPlaceholderText("E0382")
        self.code_filter.setMaximumWidth(90)
        self.search = QLineEdit()
        self.search.setPlaceholderText("search (hybrid: error code, BM25, embeddings)")
        self.pending_first = QCheckBox("pending first")
        self.pending_first.setChecked(True)
        go = QPushButton("Apply")
        for label, w in (("Status", self.status_filter), ("Source", self.source_filter), ("Code", self.code_filter)):
            row.addWidget(QLabel(label))
            row.addWidget(w)
        row.addWidget(self.search, 1)
        row.addWidget(self.pending_first)
        row.addWidget(go)
        go.clicked.connect(self.apply_filters)
        self.search.returnPressed.connect(self.apply_filters)
        self.code_filter.returnPressed.connect(self.apply_filters)
        self.status_filter.currentIndexChanged.connect(self.apply_filters)
        self.pending_first.toggled.connect(self.apply_filters)
        return row

    def filters(self) -> dict[str, Any]:
        """The current filters as a dict (remembered between sessions)."""
        return {"status": self.status_filter.currentText(), "source": self.source_filter.currentText(),
                "code": self.code_filter.text().strip().upper(), "text": self.search.text(),
                "pending_first": self.pending_first.isChecked()}

    def set_filters(self, f: dict[str, Any]) -> None:
        """Restore filters saved by `filters()`."""
        self.status_filter.setCurrentText(str(f.get("status", "")))
        self.source_filter.setCurrentText(str(f.get("source", "")))
        self.code_filter.setText(str(f.get("code", "")))
        self.search.setText(str(f.get("text", "")))
        self.pending_first.setChecked(bool(f.get("pending_first", True)))

    def apply_filters(self) -> None:
        """Reload the table with the filter widgets' values."""
        f = self.filters()
        self.model.filter = dataclasses.replace(self.model.filter, **f)
        self.model.refresh()

    # -- selection ------------------------------------------------------------------------------
    def selected(self) -> list[Record]:
        """The selected records, in table order."""
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [r for r in (self.model.record(i) for i in rows) if r is not None]

    def _selection_changed(self, *_a) -> None:
        sel = self.selected()
        self.detail.show_record(sel[0] if len(sel) == 1 else None)

    def _after_load(self) -> None:
        self.status(f"{self.model.total} record(s)" + (" (search hits)" if self.model.filter.text else ""))
        self._selection_changed()

    # -- actions --------------------------------------------------------------------------------
    def _write(self, what: str, fn: Callable[[Any], Any], undo: Callable[[Any], None] | None = None,
               done: Callable[[Any], None] | None = None) -> workers.Task:
        """Run a write in a worker; on success refresh, push `undo`, report."""
        self.busy.emit(True)

        def ok(result: Any) -> None:
            self.busy.emit(False)
            if undo is not None:
                self.undo_stack.append((what, undo))
            self.status(f"{what}: done")
            if done:
                done(result)
            self.model.refresh()
            self.changed.emit()

        def fail(msg: str) -> None:
            self.busy.emit(False)
            self.status(f"{what}: {msg}")
            QMessageBox.warning(self, "ferrofix", f"{what} failed:\n{msg}")
        return workers.run(lambda t: fn(self.kb_provider()), name=what, on_done=ok, on_error=fail)

    def set_status(self, status: str) -> workers.Task | None:
        """Approve or reject the selected records (undoable). Returns the task, or None without a selection."""
        recs = self.selected()
        if not recs:
            return None
        old = {r.id: r.status for r in recs}

        def undo(kb) -> None:
            """Undo the last curation action."""
            for rid, st in old.items():
                kb.store.set_status([rid], st)
        return self._write(f"{status} {len(recs)} record(s)", lambda kb: kb.store.set_status(list(old), status), undo)

    def edit(self) -> workers.Task | None:
        """Edit the selected record in a dialog (re-indexed; undoable)."""
        recs = self.selected()
        if len(recs) != 1:
            return None
        rec = recs[0]
        dlg = RecordDialog(self, rec)
        if dlg.exec() != QDialog.DialogCode.Accepted:
            return None
        values = dlg.values()
        old = {k: getattr(rec, k) for k in values}
        return self._write(f"edit #{rec.id}", lambda kb: kb.store.edit(rec.id, **values),
                           lambda kb: kb.store.edit(rec.id, **old))

    def merge(self) -> workers.Task | None:
        """Merge the selected duplicates into the one the user picks."""
        recs = self.selected()
        if len(recs) < 2:
            self.status("select two or more duplicates to merge")
            return None
        labels = [f"#{r.id} {r.code} {r.message[:60]} ({r.status}, accepted {r.accepted})" for r in recs]
        choice, ok = QInputDialog.getItem(self, "Merge duplicates", "Keep which record?", labels, 0, False)
        if not ok:
            return None
        survivor = recs[labels.index(choice)]
        others = [r for r in recs if r.id != survivor.id]
        return self.merge_into(survivor, others)

    def merge_into(self, survivor: Record, others: list[Record]) -> workers.Task:
        """Fold `others` into `survivor` (counts combined, tags united)."""
        def undo(kb) -> None:  # the merged records come back; the combined counts stay on the survivor
            """Undo the last curation action."""
            for r in others:
                kb.store.add(dataclasses.replace(r, id=0))
        return self._write(f"merge into #{survivor.id}", lambda kb: kb.store.merge(survivor.id, [r.id for r in others]),
                           undo)

    def delete(self) -> workers.Task | None:
        """Delete the selected records after confirmation (undoable)."""
        recs = self.selected()
        if not recs:
            return None
        if QMessageBox.question(self, "Delete", f"Delete {len(recs)} record(s)?") != QMessageBox.StandardButton.Yes:
            return None

        def undo(kb) -> None:
            """Undo the last curation action."""
            for r in recs:
                kb.store.add(dataclasses.replace(r, id=0))
        return self._write(f"delete {len(recs)} record(s)", lambda kb: kb.store.delete([r.id for r in recs]), undo)

    def add(self) -> workers.Task | None:
        """Add a record by hand (source `community:manual`, pending; undoable)."""
        dlg = RecordDialog(self, None, "Add record")
        if dlg.exec() != QDialog.DialogCode.Accepted:
            return None
        values = dlg.values()
        added: list[int] = []

        def do(kb):
            try:
                rec = Record(source="community:manual", status="pending", **values).validate()
            except RecordError as e:
                raise RecordError(f"invalid record: {e}") from e
            rid, _new = kb.store.add(rec)
            added.append(rid)
            return rid
        return self._write("add record", do, lambda kb: kb.store.delete(added))

    def undo(self) -> workers.Task | None:
        """Undo the last curation action."""
        if not self.undo_stack:
            self.status("nothing to undo")
            return None
        what, fn = self.undo_stack.pop()
        return self._write(f"undo {what}", fn)

    def verify(self) -> workers.Task | None:
        """`cargo check` the fixed snippet in a scratch crate; the result goes to a message box."""
        recs = self.selected()
        if len(recs) != 1:
            return None
        rec = recs[0]
        self.status(f"verifying #{rec.id} with cargo check…")

        def check(task: workers.Task) -> str:
            from ferrofix.kb.verify import verify_snippet
            res = verify_snippet(rec.after)
            if res.compiles:
                return f"#{rec.id}: the fixed snippet compiles (cargo check passed in {res.elapsed_ms} ms)."
            return f"#{rec.id}: the fixed snippet does not compile on its own:\n\n" + "\n".join(
                (e.rendered or e.message).strip() for e in res.errors[:3])

        def show(text: str) -> None:
            self.status(text.splitlines()[0])
            QMessageBox.information(self, "Verify", text)
        return workers.run(check, name="verify", on_done=show,
                           on_error=lambda m: QMessageBox.warning(self, "Verify", m))

    # -- import / export --------------------------------------------------------------------------
    def import_dialog(self) -> None:
        """Pick a JSONL file and import it."""
        path, _ = QFileDialog.getOpenFileName(self, "Import community JSONL", "", "JSONL (*.jsonl);;All files (*)")
        if path:
            self.import_file(Path(path), skip_invalid=True)

    def import_file(self, path: Path, *, skip_invalid: bool = True) -> workers.Task:
        """Import with a progress dialog and cancel; invalid lines are reported, the valid ones kept
        (all in one transaction: a cancel or a crash writes nothing)."""
        dlg = QProgressDialog(f"Importing {path.name}…", "Cancel", 0, 100, self)
        dlg.setWindowModality(Qt.WindowModality.WindowModal)
        dlg.setMinimumDuration(300)
        self.last_import_report = ""

        def work(task: workers.Task):
            return self.kb_provider().import_jsonl(path, skip_invalid=skip_invalid, check=task.check,
                                                   progress=lambda n, total: task.progress(n, total, f"line {n} of {total}"))

        def done(result) -> None:
            dlg.reset()
            ins, dup, errors = result
            report = f"Imported {path.name}: {ins} new, {dup} duplicate(s) merged, {len(errors)} invalid line(s)."
            if errors:
                report += "\n\n" + "\n".join(f"line {n}: {msg}" for n, msg in errors[:20])
                if len(errors) > 20:
                    report += f"\n… and {len(errors) - 20} more"
            self.last_import_report = report
            self.status(report.splitlines()[0])
            self.model.refresh()
            self.changed.emit()
            if errors:
                QMessageBox.information(self, "Import", report)

        def fail(msg: str) -> None:
            dlg.reset()
            self.last_import_report = f"Import failed: {msg}"
            self.status(self.last_import_report)
            QMessageBox.warning(self, "Import", self.last_import_report)

        def progress(done_: int, total: int, msg: str) -> None:
            dlg.setMaximum(max(total, 1))
            dlg.setValue(done_)
            dlg.setLabelText(msg)

        def cancelled() -> None:
            dlg.reset()
            self.last_import_report = "Import cancelled: nothing was written."
            self.status(self.last_import_report)
        task = workers.run(work, name="import", on_done=done, on_error=fail, on_progress=progress,
                           on_cancel=cancelled)
        dlg.canceled.connect(task.cancel)
        self.import_task = task
        return task

    def export_dialog(self) -> None:
        """Pick a file and export (all, or approved only)."""
        path, _ = QFileDialog.getSaveFileName(self, "Export JSONL", "ferrofix-kb.jsonl", "JSONL (*.jsonl)")
        if not path:
            return
        statuses = ["approved"] if QMessageBox.question(
            self, "Export", "Export only approved records?") == QMessageBox.StandardButton.Yes else None
        self.export_file(Path(path), statuses)

    def export_file(self, path: Path, statuses: list[str] | None = None) -> workers.Task:
        """Export records to `path` (written atomically) with progress and cancel."""
        dlg = QProgressDialog(f"Exporting to {path.name}…", "Cancel", 0, 100, self)
        dlg.setMinimumDuration(300)

        def work(task: workers.Task) -> int:
            return self.kb_provider().export_jsonl(path, status=statuses, check=task.check,
                                                   progress=lambda n, total: task.progress(n, total, f"{n} of {total}"))

        def done(n: int) -> None:
            dlg.reset()
            self.status(f"exported {n} record(s) to {path}")
        task = workers.run(work, name="export", on_done=done, on_progress=lambda d, t, m: (dlg.setMaximum(max(t, 1)), dlg.setValue(d)),
                           on_error=lambda m: (dlg.reset(), QMessageBox.warning(self, "Export", m)),
                           on_cancel=lambda: (dlg.reset(), self.status("export cancelled")))
        dlg.canceled.connect(task.cancel)
        return task
