"""Qt item models over the core's records, model files, the curated model catalog and Hub search results.
They hold plain data and no business logic; every read of the knowledge base, the models directory or
the Hub happens in a worker task, and rows arrive through signals (the record table fills page by page
as it scrolls, so 100k records scroll smoothly)."""

from __future__ import annotations

import datetime
import threading
from dataclasses import dataclass, field
from typing import Any, Callable

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from ferrofix.kb.records import Record
from ferrofix.models import CatalogEntry, HubFile, HubRepo, ModelInfo

from . import workers

#: One lock for the knowledge base's search index (Qdrant Edge) across worker threads.
KB_LOCK = threading.RLock()

Index = QModelIndex | QPersistentModelIndex


@dataclass
class RecordFilter:
    """What the record table shows: `status`, `source` (a trailing `*` matches a prefix), `code`, `text`
    (the KB's hybrid search), `pending_first`, and the sort ("COLUMN ASC|DESC")."""

    status: str = ""
    source: str = ""
    code: str = ""
    text: str = ""
    pending_first: bool = True
    order: str = "updated DESC"
    extra: dict[str, Any] = field(default_factory=dict)


def _when(ts: float) -> str:
    return datetime.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M") if ts else ""


def _size(n: int) -> str:
    """A size in bytes as the tables show it: GiB with two decimals from 1 GiB, else whole MiB."""
    return f"{n / 2**30:.2f} GiB" if n >= 2**30 else f"{n / 2**20:.0f} MiB"


class _Table(QAbstractTableModel):
    """A flat table over `self.rows` (set by each model) with `COLUMNS` = [(key, header)]: row and column
    counts and the horizontal headers, shared by the models below."""

    COLUMNS: list[tuple[str, str]] = []
    rows: list

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal \
                and 0 <= section < len(self.COLUMNS):
            return self.COLUMNS[section][1]
        return None


class RecordTableModel(_Table):
    """Records of the knowledge base, loaded `PAGE` rows at a time in worker tasks.

    Columns: code, message, status, source, uses / accepts (retrieved / accepted), updated. `refresh()`
    reloads with the current filter (the text filter runs the KB's hybrid search, best first);
    `loaded` is emitted after each load, `failed(message)` when the KB cannot be read."""

    COLUMNS = [("code", "Code"), ("message", "Message"), ("status", "Status"), ("source", "Source"),
               ("uses", "Uses / accepts"), ("updated", "Updated")]
    SORT_KEYS = ["code", "message", "status", "source", "retrieved", "updated"]
    PAGE = 200
    loaded = Signal()
    failed = Signal(str)

    def __init__(self, kb_provider: Callable[[], Any], parent=None) -> None:
        super().__init__(parent)
        self.kb_provider = kb_provider
        self.filter = RecordFilter()
        self.rows: list[Record] = []
        self.total = 0
        self._generation = 0
        self._fetching = False
        self._search_mode = False

    # -- Qt model API --------------------------------------------------------------------------
    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not (0 <= index.row() < len(self.rows)):
            return None
        r = self.rows[index.row()]
        key = self.COLUMNS[index.column()][0]
        if role == Qt.ItemDataRole.DisplayRole:
            if key == "message":
                return r.message.splitlines()[0] if r.message else ""
            if key == "uses":
                return f"{r.retrieved} / {r.accepted}"
            if key == "updated":
                return _when(r.updated)
            return getattr(r, key)
        if role == Qt.ItemDataRole.ToolTipRole and key == "message":
            return r.message
        if role == Qt.ItemDataRole.UserRole:
            return r
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if 0 <= column < len(self.SORT_KEYS):
            self.filter.order = f"{self.SORT_KEYS[column]} {'ASC' if order == Qt.SortOrder.AscendingOrder else 'DESC'}"
            self.refresh()

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: N802
        return not parent.isValid() and not self._search_mode and not self._fetching and len(self.rows) < self.total

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: N802
        if not self.canFetchMore(parent):
            return
        self._fetching = True
        gen, offset, f = self._generation, len(self.rows), self.filter

        def load(task: workers.Task) -> list[Record]:
            kb = self.kb_provider()
            return kb.store.list(status=f.status or None, source=f.source or None, code=f.code or None,
                                 limit=self.PAGE, offset=offset, pending_first=f.pending_first, order=f.order)

        def done(page: list[Record]) -> None:
            self._fetching = False
            if gen != self._generation or not page:
                return
            self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(page) - 1)
            self.rows.extend(page)
            self.endInsertRows()
            self.loaded.emit()

        def fail(msg: str) -> None:
            self._fetching = False
            self.failed.emit(msg)
        workers.run(load, name="records-page", on_done=done, on_error=fail)

    # -- loading -------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Reload the first page (or the search hits) with the current filter, in a worker."""
        self._generation += 1
        gen, f = self._generation, self.filter

        def load(task: workers.Task) -> tuple[list[Record], int, bool]:
            kb = self.kb_provider()
            if f.text.strip():
                with KB_LOCK:
                    hits = kb.search(f.text, code=f.code or None, limit=self.PAGE, count=False)
                recs = [h.record for h in hits
                        if (not f.status or h.record.status == f.status)
                        and (not f.source or h.record.source.startswith(f.source.rstrip("*")))]
                return recs, len(recs), True
            total = kb.store.count(status=f.status or None, source=f.source or None, code=f.code or None)
            page = kb.store.list(status=f.status or None, source=f.source or None, code=f.code or None,
                                 limit=self.PAGE, pending_first=f.pending_first, order=f.order)
            return page, total, False

        def done(result: tuple[list[Record], int, bool]) -> None:
            if gen != self._generation:
                return
            self.beginResetModel()
            self.rows, self.total, self._search_mode = result
            self._fetching = False
            self.endResetModel()
            self.loaded.emit()
        workers.run(load, name="records", on_done=done, on_error=self.failed.emit)

    def record(self, row: int) -> Record | None:
        """The record at `row`, or None."""
        return self.rows[row] if 0 <= row < len(self.rows) else None


class ModelTableModel(_Table):
    """GGUF files in the models directory with their header metadata and default roles (plain data,
    set with `set_models`)."""

    COLUMNS = [("name", "Name"), ("architecture", "Architecture"), ("parameters", "Parameters"),
               ("quantization", "Quantization"), ("context_length", "Context"), ("size", "Size"),
               ("ram_estimate", "RAM estimate"), ("sha256", "sha256"), ("default", "Default for")]

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list[ModelInfo] = []
        self.defaults: dict[str, str] = {}

    def set_models(self, models: list[ModelInfo], defaults: dict[str, str]) -> None:
        """Replace the rows: ModelInfo list and the defaults `{kind: name}`."""
        self.beginResetModel()
        self.rows, self.defaults = list(models), dict(defaults)
        self.endResetModel()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not (0 <= index.row() < len(self.rows)):
            return None
        m = self.rows[index.row()]
        key = self.COLUMNS[index.column()][0]
        if role == Qt.ItemDataRole.UserRole:
            return m
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if key == "default":
            return ", ".join(k for k, v in sorted(self.defaults.items()) if v in (m.name, m.path))
        if key == "parameters":
            return f"{m.parameters / 1e9:.2f} B" if m.parameters >= 1e9 else f"{m.parameters / 1e6:.0f} M"
        if key in ("size", "ram_estimate"):
            return _size(getattr(m, key))
        if key == "sha256":
            return m.sha256[:16] + "…" if m.sha256 else "(computing)"
        return getattr(m, key)


class CatalogTableModel(_Table):
    """The curated catalog (`ferrofix.models.catalog()`): one row per CatalogEntry, with whether it is
    installed (plain data, set with `set_entries`)."""

    COLUMNS = [("name", "Name"), ("role", "Role"), ("size", "Size"), ("licence", "Licence"),
               ("installed", "Installed"), ("why", "Why")]

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list[CatalogEntry] = []

    def set_entries(self, entries: list[CatalogEntry]) -> None:
        """Replace the rows."""
        self.beginResetModel()
        self.rows = list(entries)
        self.endResetModel()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not (0 <= index.row() < len(self.rows)):
            return None
        e = self.rows[index.row()]
        key = self.COLUMNS[index.column()][0]
        if role == Qt.ItemDataRole.UserRole:
            return e
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{e.repo} / {e.file} @ {e.revision}\nsha256 {e.sha256}"
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if key == "size":
            return _size(e.size)
        if key == "installed":
            return "installed" if e.installed else "not installed"
        return getattr(e, key)


class HubFileTableModel(_Table):
    """Hub search results (`ferrofix.models.search()`), one row per GGUF file (a split file is one row):
    repo, quantization, size, RAM estimate, whether it fits this machine, file name, the repo's downloads."""

    COLUMNS = [("repo", "Repository"), ("quantization", "Quantization"), ("size", "Size"),
               ("ram_estimate", "RAM estimate"), ("fits", "Fits this machine"), ("file", "File"),
               ("downloads", "Downloads")]

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list[HubFile] = []
        self.downloads: dict[str, int] = {}

    def set_results(self, repos: list[HubRepo]) -> None:
        """Replace the rows with the files of `repos`, in order."""
        self.beginResetModel()
        self.rows = [f for r in repos for f in r.files]
        self.downloads = {r.repo: r.downloads for r in repos}
        self.endResetModel()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not (0 <= index.row() < len(self.rows)):
            return None
        f = self.rows[index.row()]
        key = self.COLUMNS[index.column()][0]
        if role == Qt.ItemDataRole.UserRole:
            return f
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if key in ("size", "ram_estimate"):
            return _size(getattr(f, key))
        if key == "fits":
            return "fits" if f.fits else "too big" if f.fits is False else "unknown"
        if key == "file":
            return f.file + (f" ({f.parts} parts)" if f.parts > 1 else "")
        if key == "downloads":
            return self.downloads.get(f.repo, 0)
        return getattr(f, key)
