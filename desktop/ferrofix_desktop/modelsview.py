"""Local models: the GGUF files in the models directory with their header metadata; import (copy or
link, sha256 with progress), the recommended models (the curated catalog, installed or not), a search of
the Hugging Face Hub (GGUF files with quantization, size, RAM estimate and whether they fit this
machine), download from the Hub (progress, pause/resume, cancel, revision, sha256; a selected catalog
entry or search result fills the form), set as default for fixes or embeddings, delete, and "Try it" (a
small Rust error sent to the model, the answer shown with tokens per second); a label names the
llama.cpp backend in use (CPU, CUDA, Metal, Vulkan…) and the GPU layers `llm.gpu_layers` gives."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit,
                               QMessageBox, QPlainTextEdit, QProgressBar, QPushButton, QTableView, QTabWidget,
                               QVBoxLayout, QWidget)

from ferrofix import models as store
from ferrofix.errors import ModelError

from . import workers
from .qtmodels import CatalogTableModel, HubFileTableModel, ModelTableModel

TRY_PROMPT = [
    {"role": "system", "content": "You are an expert Rust programmer. Answer briefly."},
    {"role": "user", "content": "error[E0382]: borrow of moved value: `v`\n\n```rust\nfn main() {\n"
                                "    let v = vec![1, 2, 3];\n    let w = v;\n    println!(\"{:?} {:?}\", v, w);\n}\n```\n"
                                "Fix the error. Answer with the fixed code only."},
]


def load_models(task: workers.Task) -> tuple[list, dict[str, str], list[str], list]:
    """(ModelInfo list, defaults {kind: name}, problems, catalog entries with `installed` checked) for the
    models directory (sha256 cached)."""
    infos, problems = [], []
    paths = store.list_models()
    for i, p in enumerate(paths):
        task.check()
        try:
            infos.append(store.read_info(p))
        except ModelError as e:
            problems.append(str(e))
        task.progress(i + 1, len(paths), p.name)
    defaults = {k: v for k in ("fix", "embedding") if (v := store.get_default(k))}
    return infos, defaults, problems, store.catalog()


def gpu_layers_setting() -> int:
    """`llm.gpu_layers` from the settings file (-1 = automatic; the default when the file is broken)."""
    from ferrofix import settings as settings_mod
    from ferrofix.errors import SettingsError
    try:
        return settings_mod.load().llm.gpu_layers
    except SettingsError:
        return settings_mod.LlmSettings().gpu_layers


def _table(model) -> QTableView:
    t = QTableView()
    t.setModel(model)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    t.horizontalHeader().setStretchLastSection(True)
    return t


class ModelsView(QWidget):
    """The models table and its actions; `status(message)` reports to the window."""

    def __init__(self, status: Callable[[str], None], parent=None) -> None:
        super().__init__(parent)
        self.status = status
        self.model = ModelTableModel(self)
        self.catalog_model = CatalogTableModel(self)
        self.search_model = HubFileTableModel(self)
        self.download_task: workers.Task | None = None
        self._paused = False
        lay = QVBoxLayout(self)
        self.dir_label = QLabel(f"Models directory: {store.models_dir()}")
        self.dir_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.dir_label)
        self.backend_label = QLabel("Inference backend: …")  # filled by a worker (importing llama.cpp takes time)
        self.backend_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.backend_label)
        self.table = _table(self.model)
        lay.addWidget(self.table, 2)
        buttons = QHBoxLayout()
        for text, slot in (("Import GGUF…", self.import_dialog), ("Set default for fixes", lambda: self.set_default("fix")),
                           ("Set default for embeddings", lambda: self.set_default("embedding")),
                           ("Delete", self.delete), ("Try it", self.try_it), ("Refresh", self.refresh)):
            b = QPushButton(text)
            b.clicked.connect(slot)
            buttons.addWidget(b)
        lay.addLayout(buttons)
        # where to get models: the curated catalog, or a search of the Hub; a selected row fills the form
        self.sources = QTabWidget()
        self.catalog_table = _table(self.catalog_model)
        self.catalog_table.selectionModel().selectionChanged.connect(self._catalog_selected)
        self.catalog_table.doubleClicked.connect(lambda _i: self.download())
        self.sources.addTab(self.catalog_table, "Recommended")
        hub = QWidget()
        hub_lay = QVBoxLayout(hub)
        srow = QHBoxLayout()
        self.search_box = QLineEdit()
        self.search_box.setPlaceholderText("search GGUF models on the Hugging Face Hub, e.g. qwen2.5-coder")
        self.search_box.returnPressed.connect(self.search)
        self.search_button = QPushButton("Search")
        self.search_button.clicked.connect(self.search)
        ram = store.total_ram()
        srow.addWidget(self.search_box, 1)
        srow.addWidget(self.search_button)
        srow.addWidget(QLabel(f"this machine: {ram / 2**30:.1f} GiB RAM" if ram else "RAM unknown"))
        hub_lay.addLayout(srow)
        self.search_table = _table(self.search_model)
        self.search_table.selectionModel().selectionChanged.connect(self._result_selected)
        self.search_table.doubleClicked.connect(lambda _i: self.download())
        hub_lay.addWidget(self.search_table)
        self.sources.addTab(hub, "Search the Hub")
        lay.addWidget(self.sources, 2)
        form = QFormLayout()
        self.repo = QLineEdit()
        self.repo.setPlaceholderText("Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF")
        self.file = QLineEdit()
        self.file.setPlaceholderText("qwen2.5-coder-1.5b-instruct-q4_k_m.gguf")
        self.revision = QLineEdit()
        self.revision.setPlaceholderText("main (a branch, tag or commit hash)")
        self.sha = QLineEdit()
        self.sha.setPlaceholderText("sha256 (optional: the Hub's is checked)")
        form.addRow("Hugging Face repo", self.repo)
        form.addRow("File", self.file)
        form.addRow("Revision", self.revision)
        form.addRow("sha256", self.sha)
        lay.addLayout(form)
        drow = QHBoxLayout()
        self.download_button = QPushButton("Download")
        self.download_button.clicked.connect(self.download)
        self.pause_button = QPushButton("Pause")
        self.pause_button.setEnabled(False)
        self.pause_button.clicked.connect(self.pause)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_download)
        self.progress = QProgressBar()
        for w in (self.download_button, self.pause_button, self.cancel_button):
            drow.addWidget(w)
        drow.addWidget(self.progress, 1)
        lay.addLayout(drow)
        self.output = QPlainTextEdit()
        self.output.setReadOnly(True)
        self.output.setMaximumHeight(160)
        lay.addWidget(self.output)

    def selected(self):
        """The selected ModelInfo, or None."""
        rows = self.table.selectionModel().selectedRows()
        return self.model.rows[rows[0].row()] if rows else None

    def show_backend(self) -> workers.Task:
        """Fill the backend label in a worker: the llama.cpp backend of this process (CPU, CUDA, Metal,
        Vulkan…) and the GPU layers the settings' `llm.gpu_layers` gives, with the devices as tooltip."""
        def work(_task: workers.Task) -> tuple[str, str]:
            from ferrofix.llm import backend_info, describe_backend
            info = backend_info()
            return describe_backend(gpu_layers_setting(), info), "\n".join(info.devices)

        def done(result: tuple[str, str]) -> None:
            self.backend_label.setText(f"Inference backend: {result[0]}")
            self.backend_label.setToolTip(result[1])
        return workers.run(work, name="backend", on_done=done,
                           on_error=lambda msg: self.backend_label.setText(f"Inference backend: unknown ({msg})"))

    def refresh(self) -> workers.Task:
        """Re-read the models directory in a worker (and the inference backend's label in another)."""
        self.show_backend()

        def done(result) -> None:
            infos, defaults, problems, catalog = result
            self.model.set_models(infos, defaults)
            self.table.resizeColumnsToContents()
            self.catalog_model.set_entries(catalog)
            self.catalog_table.resizeColumnsToContents()
            self.status(f"{len(infos)} model(s) in {store.models_dir()}")
            for p in problems:
                self.output.appendPlainText(p)
        return workers.run(load_models, name="models", on_done=done,
                           on_progress=lambda d, t, m: self.status(f"reading {m} ({d}/{t})"),
                           on_error=lambda m: self.status(f"cannot list models: {m}"))

    def import_dialog(self) -> None:
        """Pick a GGUF file and import it (copy or link)."""
        path, _ = QFileDialog.getOpenFileName(self, "Import a GGUF model", "", "GGUF (*.gguf)")
        if path:
            link = QMessageBox.question(self, "Import", "Link the file instead of copying it?") == \
                QMessageBox.StandardButton.Yes
            self.import_file(Path(path), link=link)

    def import_file(self, path: Path, *, link: bool = False) -> workers.Task:
        """Copy or link a GGUF into the models directory (header validated, sha256 with progress)."""
        self.progress.setValue(0)

        def done(info) -> None:
            self.output.appendPlainText(f"imported {info.name}: {info.architecture}, {info.quantization}, "
                                        f"context {info.context_length}, sha256 {info.sha256[:16]}…")
            self.refresh()

        def fail(msg: str) -> None:
            self.status(f"import failed: {msg}")
            self.output.appendPlainText(f"import failed: {msg}")
        return workers.run(lambda t: store.import_model(path, link=link, progress=lambda d, n: t.progress(d, n, "sha256")),
                           name="import-model", on_done=done, on_error=fail,
                           on_progress=lambda d, t, m: self._progress(d, t))

    def _progress(self, done: int, total: int) -> None:
        # QProgressBar takes ints: scale byte counts to permille
        self.progress.setMaximum(1000)
        self.progress.setValue(int(1000 * done / total) if total else 0)

    def set_default(self, kind: str) -> None:
        """Make the selected model the default for `kind` ("fix" or "embedding")."""
        m = self.selected()
        if m is None:
            return
        workers.run(lambda t: store.set_default(m.name, kind), name="set-default",
                    on_done=lambda _: (self.status(f"{m.name} is the default model for "
                                                   f"{'fixes' if kind == 'fix' else 'embeddings'}"), self.refresh()),
                    on_error=lambda msg: QMessageBox.warning(self, "Default model", msg))

    def delete(self) -> None:
        """Delete the selected model file after confirmation."""
        m = self.selected()
        if m is None:
            return
        if QMessageBox.question(self, "Delete model", f"Delete {m.name} ({m.size / 2**20:.0f} MiB) from disk?") != \
                QMessageBox.StandardButton.Yes:
            return
        workers.run(lambda t: store.remove_model(m.name), name="delete-model",
                    on_done=lambda p: (self.status(f"deleted {p}"), self.refresh()),
                    on_error=lambda msg: QMessageBox.warning(self, "Delete", msg))

    # -- catalog and Hub search ------------------------------------------------------------------
    def _fill_form(self, repo: str, file: str, revision: str, sha256: str) -> None:
        self.repo.setText(repo)
        self.file.setText(file)
        self.revision.setText(revision)
        self.sha.setText(sha256)

    def _catalog_selected(self, *_args) -> None:
        rows = self.catalog_table.selectionModel().selectedRows()
        if rows:
            e = self.catalog_model.rows[rows[0].row()]
            self._fill_form(e.repo, e.file, e.revision, e.sha256)

    def _result_selected(self, *_args) -> None:
        rows = self.search_table.selectionModel().selectedRows()
        if rows:
            f = self.search_model.rows[rows[0].row()]
            self._fill_form(f.repo, f.file, "main", f.sha256)

    def search(self) -> workers.Task | None:
        """Search the Hub for GGUF models matching the search box, in a worker; the results table shows
        each file's quantization, size, RAM estimate and whether it fits this machine."""
        query = self.search_box.text().strip()
        if not query:
            self.status("enter words to search for, e.g. qwen2.5-coder")
            return None
        self.search_button.setEnabled(False)
        self.status(f"searching the Hugging Face Hub for {query!r}…")

        def done(repos) -> None:
            self.search_button.setEnabled(True)
            self.search_model.set_results(repos)
            self.search_table.resizeColumnsToContents()
            self.status(f"{self.search_model.rowCount()} GGUF file(s) in {len(repos)} repositories for {query!r}")

        def failed(msg: str) -> None:
            self.search_button.setEnabled(True)
            self.status(f"search failed: {msg}")
            self.output.appendPlainText(f"search failed: {msg}")
        return workers.run(lambda t: store.search(query, 20), name="hub-search", on_done=done, on_error=failed)

    # -- download ---------------------------------------------------------------------------------
    def download(self) -> workers.Task | None:
        """Download repo/file at the revision from the Hugging Face Hub into the HF cache and the models
        directory (resumes a paused download)."""
        repo, file = self.repo.text().strip(), self.file.text().strip()
        if not repo or not file:
            self.status("enter a Hugging Face repo and a file name, or select a recommended model or a search result")
            return None
        if not self.download_button.isEnabled():  # one download at a time (a double-click while one runs)
            return None
        revision = self.revision.text().strip() or "main"
        sha = self.sha.text().strip() or None
        name = Path(file).name
        self._paused = False

        def work(task: workers.Task) -> Path:
            return store.download(repo, file, revision=revision, sha256=sha,
                                  progress=lambda d, n: task.progress(d, n, "download"),
                                  cancel=task.cancelled, keep_partial=lambda: self._paused)

        def finished(dest: Path) -> None:
            self._download_buttons(False)
            self.output.appendPlainText(f"downloaded {dest.name}")
            self.status(f"downloaded {dest.name}")
            self.refresh()

        def failed(msg: str) -> None:
            self._download_buttons(False)
            self.status(f"download failed: {msg}")
            self.output.appendPlainText(f"download failed: {msg}")

        def stopped() -> None:  # Pause or Cancel: the worker's `cancelled` signal
            self._download_buttons(False)
            if self._paused:  # the partial file stays in the HF cache
                self.status(f"paused: {name} (Download resumes it)")
            else:  # the download deleted its partial file
                self.status("download cancelled")
        self._download_buttons(True)
        self.download_task = workers.run(work, name="download", on_done=finished, on_error=failed,
                                         on_cancel=stopped, on_progress=lambda d, t, m: self._progress(d, t))
        return self.download_task

    def _download_buttons(self, running: bool) -> None:
        self.download_button.setEnabled(not running)
        self.pause_button.setEnabled(running)
        self.cancel_button.setEnabled(running)

    def pause(self) -> None:
        """Stop the download keeping the partial file (in the HF cache); Download resumes it (HTTP Range)."""
        self._paused = True
        if self.download_task:
            self.download_task.cancel()

    def cancel_download(self) -> None:
        """Stop the download and delete the partial file."""
        self._paused = False
        if self.download_task:
            self.download_task.cancel()

    # -- try it -----------------------------------------------------------------------------------
    def try_it(self) -> workers.Task | None:
        """Ask the selected model about a small E0382 and show the answer with tokens per second."""
        m = self.selected()
        if m is None:
            self.status("select a model to try")
            return None
        self.output.setPlainText(f"asking {m.name} about E0382 (loading the model first)…")

        def work(task: workers.Task) -> str:
            from ferrofix.llm import LlamaCppEngine
            eng = LlamaCppEngine.shared(Path(m.path), n_ctx=2048, gpu_layers=gpu_layers_setting())
            t0 = time.monotonic()
            eng.load()
            load_s = time.monotonic() - t0
            c = eng.chat(TRY_PROMPT, max_tokens=160, should_stop=task.cancelled)
            tps = c.completion_tokens / (c.elapsed_ms / 1000) if c.elapsed_ms else 0.0
            return (f"{c.text.strip()}\n\n— {c.completion_tokens} tokens in {c.elapsed_ms / 1000:.1f} s "
                    f"({tps:.1f} tokens/s; {c.prompt_tokens} prompt tokens; model loaded in {load_s:.1f} s)")
        return workers.run(work, name="try-it", on_done=self.output.setPlainText,
                           on_error=lambda msg: self.output.setPlainText(f"the model could not answer: {msg}"))
