"""The desktop app with pytest-qt (QT_QPA_PLATFORM=offscreen): item models pass qtmodeltester, curation
round trips go through a real knowledge base (SQLite + Qdrant Edge in a temp dir), imports report bad
lines, the test GGUF's metadata shows, and the UI thread stays responsive during a long import."""

from __future__ import annotations

import json
import os
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QDialog, QMessageBox  # noqa: E402

from ferrofix.kb import KnowledgeBase  # noqa: E402
from ferrofix.kb.records import Record  # noqa: E402
from ferrofix_desktop import kbview, workers  # noqa: E402
from ferrofix_desktop.app import MainWindow  # noqa: E402
from ferrofix_desktop.qtmodels import ModelTableModel, RecordTableModel  # noqa: E402
from conftest import serve_http  # noqa: E402

WAIT_MS = 60000


def rec(i: int, code: str = "E0382", status: str = "pending", **kw) -> Record:
    return Record(code=code, message=f"borrow of moved value: `v{i}`", before=f"let a{i} = v{i};\nuse_it(v{i});",
                  after=f"let a{i} = v{i}.clone();\nuse_it(v{i});", source="rustc-error-index", status=status, **kw)


@pytest.fixture(autouse=True)
def no_modal_boxes(monkeypatch):
    """Message boxes would block a headless test: answer them at once and keep what they said."""
    said: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: said.append(a[2]) or QMessageBox.StandardButton.Ok)
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: said.append(a[2]) or QMessageBox.StandardButton.Ok)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    return said


@pytest.fixture
def kb(tmp_path):
    k = KnowledgeBase(tmp_path / "kb", use_embeddings=False)
    for i in range(30):
        k.store.add(rec(i, code="E0382" if i % 3 else "E0308"))
    yield k


@pytest.fixture
def window(qtbot, kb, tmp_path):
    settings = QSettings(str(tmp_path / "desktop.ini"), QSettings.Format.IniFormat)
    w = MainWindow(kb=kb, poll_ms=0, settings=settings)
    qtbot.addWidget(w)
    qtbot.waitUntil(lambda: w.kb_view.model.total == 30 and len(w.kb_view.model.rows) == 30, timeout=WAIT_MS)
    yield w
    workers.stop_all()


def wait_refresh(qtbot, view, action):
    """Run `action()` (which starts a write) and wait for the table's reload after it."""
    with qtbot.waitSignal(view.model.loaded, timeout=WAIT_MS):
        task = action()
        assert task is not None


def select(view, rows):
    view.table.clearSelection()
    for r in rows:
        view.table.selectRow(r)


def test_item_models_pass_qtmodeltester(qtmodeltester, window, smollm):
    qtmodeltester.check(window.kb_view.model)
    from ferrofix.models import read_info
    m = ModelTableModel()
    m.set_models([read_info(smollm)], {"fix": smollm.stem})
    qtmodeltester.check(m)
    assert m.data(m.index(0, 8)) == "fix"


def test_lazy_loading_pages(qtbot, tmp_path):
    big = KnowledgeBase(tmp_path / "big", use_embeddings=False)
    big.store.import_records([(n, rec(n)) for n in range(1, 1001)])
    model = RecordTableModel(lambda: big)
    with qtbot.waitSignal(model.loaded, timeout=WAIT_MS):
        model.refresh()
    assert model.total == 1000 and len(model.rows) == RecordTableModel.PAGE
    assert model.canFetchMore()
    with qtbot.waitSignal(model.loaded, timeout=WAIT_MS):
        model.fetchMore()
    assert len(model.rows) == 2 * RecordTableModel.PAGE


def test_approve_and_reject_round_trip_with_undo(qtbot, window, kb):
    view = window.kb_view
    select(view, [0, 1, 2])
    ids = [r.id for r in view.selected()]
    wait_refresh(qtbot, view, lambda: view.set_status("approved"))
    assert {kb.store.get(i).status for i in ids} == {"approved"}
    select(view, [0])
    rid = view.selected()[0].id
    before = kb.store.get(rid).status
    wait_refresh(qtbot, view, lambda: view.set_status("rejected"))
    assert kb.store.get(rid).status == "rejected"
    wait_refresh(qtbot, view, view.undo)
    assert kb.store.get(rid).status == before


def test_edit_round_trip_reindexes(qtbot, window, kb, monkeypatch):
    view = window.kb_view
    select(view, [0])
    r = view.selected()[0]
    monkeypatch.setattr(kbview.RecordDialog, "exec", lambda self: QDialog.DialogCode.Accepted)
    monkeypatch.setattr(kbview.RecordDialog, "values", lambda self: {
        "code": r.code, "message": r.message, "before": r.before + "\nzebra_marker();",
        "after": r.after.replace(".clone()", ".to_owned()"),
        "explanation": "Cloning gives the second user its own copy.", "tags": ["curated"]})
    wait_refresh(qtbot, view, view.edit)
    got = kb.store.get(r.id)
    assert ".to_owned()" in got.after and got.tags == ["curated"] and "to_owned" in got.diff
    hits = kb.search("zebra_marker", limit=3)
    assert hits and hits[0].record.id == r.id  # the index followed the edit


def test_merge_combines_counts(qtbot, window, kb):
    view = window.kb_view
    a, b = kb.store.add(rec(100, accepted=2))[0], kb.store.add(rec(101, accepted=3))[0]
    wait_refresh(qtbot, view, lambda: view.merge_into(kb.store.get(a), [kb.store.get(b)]))
    assert kb.store.get(b) is None and kb.store.get(a).accepted == 5


def test_add_and_delete(qtbot, window, kb, monkeypatch):
    view = window.kb_view
    monkeypatch.setattr(kbview.RecordDialog, "exec", lambda self: QDialog.DialogCode.Accepted)
    monkeypatch.setattr(kbview.RecordDialog, "values", lambda self: {
        "code": "E0599", "message": "no method named `foo` found", "before": "x.foo()", "after": "x.bar()",
        "explanation": "", "tags": []})
    wait_refresh(qtbot, view, view.add)
    assert kb.store.count(code="E0599") == 1
    view.code_filter.setText("E0599")
    with qtbot.waitSignal(view.model.loaded, timeout=WAIT_MS):
        view.apply_filters()
    select(view, [0])
    wait_refresh(qtbot, view, view.delete)
    assert kb.store.count(code="E0599") == 0


def test_import_reports_the_malformed_line(qtbot, window, kb, tmp_path, no_modal_boxes):
    good = [json.dumps(rec(200 + i).to_json()) for i in range(2)]
    path = tmp_path / "community.jsonl"
    path.write_text("\n".join([good[0], "{not json", good[1]]) + "\n")
    view = window.kb_view
    with qtbot.waitSignal(view.model.loaded, timeout=WAIT_MS):
        view.import_file(path)
    assert "2 new" in view.last_import_report and "1 invalid line(s)" in view.last_import_report
    assert "line 2:" in view.last_import_report
    assert kb.store.count() == 32


def test_ui_stays_responsive_during_a_long_import(qtbot, window, tmp_path):
    path = tmp_path / "big.jsonl"
    path.write_text("\n".join(json.dumps(rec(1000 + i).to_json()) for i in range(20000)) + "\n")
    view = window.kb_view
    ticks: list[bool] = []
    task = view.import_file(path)
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(task in workers.Task.running))
    timer.start(5)
    qtbot.waitUntil(lambda: task not in workers.Task.running, timeout=WAIT_MS)
    timer.stop()
    assert any(ticks), "no UI event was processed while the import ran"
    qtbot.waitUntil(lambda: "20000 new" in view.last_import_report, timeout=WAIT_MS)


def test_cancelled_import_writes_nothing(qtbot, window, kb, tmp_path):
    path = tmp_path / "big.jsonl"
    path.write_text("\n".join(json.dumps(rec(5000 + i).to_json()) for i in range(20000)) + "\n")
    view = window.kb_view
    task = view.import_file(path)
    task.cancel()
    qtbot.waitUntil(lambda: view.last_import_report != "", timeout=WAIT_MS)
    assert "cancelled" in view.last_import_report and kb.store.count() == 30


def test_model_import_shows_the_gguf_metadata(qtbot, window, smollm, tmp_path):
    mv = window.models_view
    mv.import_file(smollm, link=True)
    qtbot.waitUntil(lambda: mv.model.rowCount() == 1 and bool(mv.model.rows[0].sha256), timeout=WAIT_MS)
    m = mv.model.rows[0]
    assert m.architecture == "llama" and m.context_length > 0 and m.quantization
    row = {mv.model.COLUMNS[c][0]: mv.model.data(mv.model.index(0, c)) for c in range(mv.model.columnCount())}
    assert row["name"] == smollm.stem and row["parameters"].endswith("M")
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"not a model")
    mv.import_file(bad)
    qtbot.waitUntil(lambda: "not a GGUF file" in mv.output.toPlainText(), timeout=WAIT_MS)


def test_changes_from_another_process_appear(qtbot, window, kb):
    other = KnowledgeBase(kb.dir, use_embeddings=False)  # a second connection, as a language server has
    window.poll()
    qtbot.waitUntil(lambda: window._seq >= 0, timeout=WAIT_MS)
    other.store.add(rec(999, code="E0599"))
    other.close()
    with qtbot.waitSignal(window.kb_view.model.loaded, timeout=WAIT_MS):
        window.poll()
    assert window.kb_view.model.total == 31


def test_statistics_view(qtbot, window):
    sv = window.stats_view
    qtbot.waitUntil(lambda: sv.stats.get("records") == 30, timeout=WAIT_MS)
    assert "E0382" in [s for s, _ in sv.stats["top_codes"]] and len(sv.chart.series()) == 1


def test_filters_and_geometry_are_remembered(qtbot, kb, tmp_path):
    settings = QSettings(str(tmp_path / "d.ini"), QSettings.Format.IniFormat)
    w = MainWindow(kb=kb, poll_ms=0, settings=settings)
    qtbot.addWidget(w)
    w.kb_view.code_filter.setText("E0308")
    w.show()
    w.resize(640, 480)
    size = w.size()  # at least the layout's minimum
    w.close()
    w2 = MainWindow(kb=KnowledgeBase(kb.dir, use_embeddings=False), poll_ms=0, settings=settings)
    qtbot.addWidget(w2)
    w2.show()
    assert w2.kb_view.code_filter.text() == "E0308" and w2.size() == size
    qtbot.waitUntil(lambda: w2.kb_view.model.total == 10, timeout=WAIT_MS)
    w2.close()


def test_download_without_network_says_so(qtbot, window, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens there
    mv = window.models_view
    mv.repo.setText("Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF")
    mv.file.setText("qwen2.5-coder-1.5b-instruct-q4_k_m.gguf")
    mv.download()
    qtbot.waitUntil(lambda: "download failed" in mv.output.toPlainText(), timeout=WAIT_MS)
    assert "offline?" in mv.output.toPlainText() and mv.download_button.isEnabled()


@pytest.mark.model
def test_try_it_shows_the_answer_and_tokens_per_second(qtbot, window, smollm):
    mv = window.models_view
    mv.import_file(smollm, link=True)
    qtbot.waitUntil(lambda: mv.model.rowCount() == 1, timeout=WAIT_MS)
    mv.table.selectRow(0)
    mv.try_it()
    qtbot.waitUntil(lambda: "tokens/s" in mv.output.toPlainText() or "could not" in mv.output.toPlainText(),
                    timeout=WAIT_MS)
    assert "tokens/s" in mv.output.toPlainText()


class _SlowFile:
    """A local HTTP server sending a 4 MiB file in 1 KiB pieces, 1 ms apart (a download to stop midway)."""

    def __init__(self):
        from http.server import BaseHTTPRequestHandler

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Length", str(4 * 2**20))
                self.end_headers()
                try:
                    for _ in range(4 * 1024):
                        self.wfile.write(b"\0" * 1024)
                        time.sleep(0.001)
                except OSError:
                    pass

        self.server = serve_http(Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"


@pytest.mark.parametrize("how", ["cancel", "pause"])
def test_stopping_a_download_ends_through_the_cancelled_signal(qtbot, window, monkeypatch, how):
    from ferrofix import models as store
    server = _SlowFile()
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    mv = window.models_view
    shown: list[str] = []
    monkeypatch.setattr(mv, "status", shown.append)
    mv.repo.setText("local/model")
    mv.file.setText("tiny.gguf")
    task = mv.download()
    part = store.models_dir() / "tiny.gguf.part"
    qtbot.waitUntil(lambda: part.exists() and part.stat().st_size > 0, timeout=WAIT_MS)
    with qtbot.waitSignal(task.signals.cancelled, timeout=WAIT_MS):
        mv.cancel_download() if how == "cancel" else mv.pause()
    assert shown[-1] == ("download cancelled" if how == "cancel" else "paused: tiny.gguf (Download resumes it)")
    assert part.exists() is (how == "pause") and "download failed" not in mv.output.toPlainText()
    assert mv.download_button.isEnabled()
    server.server.shutdown()


def test_set_default_runs_off_the_ui_thread(qtbot, window, smollm, monkeypatch):
    import threading

    from ferrofix import models as store
    mv = window.models_view
    mv.import_file(smollm, link=True)
    qtbot.waitUntil(lambda: mv.model.rowCount() == 1, timeout=WAIT_MS)
    mv.table.selectRow(0)
    threads: list[bool] = []
    real = store.set_default
    monkeypatch.setattr(store, "set_default",
                        lambda *a, **k: (threads.append(threading.current_thread() is threading.main_thread()),
                                         real(*a, **k))[1])
    mv.set_default("fix")
    qtbot.waitUntil(lambda: store.get_default() == smollm.stem, timeout=WAIT_MS)
    assert threads == [False]


def test_garbage_is_collected_on_the_ui_thread_only(window, qtbot):
    """While the window is open, Python's collector does not run on its own (it could run in a worker
    thread and free Qt objects there: a segfault seen in this file's tests); the window's timer
    collects on the UI thread, and closing the window turns automatic collection back on."""
    import gc
    assert not gc.isenabled() and window.gc_timer.isActive()
    window.close()
    assert gc.isenabled() and not window.gc_timer.isActive()
