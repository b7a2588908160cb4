"""The desktop app with pytest-qt (QT_QPA_PLATFORM=offscreen): item models pass qtmodeltester, curation
round trips go through a real knowledge base (SQLite + Qdrant Edge in a temp dir), imports report bad
lines, the test GGUF's metadata shows, and the UI thread stays responsive during a long import."""

from __future__ import annotations

import json
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QDialog, QMessageBox  # noqa: E402

from ferrofix.kb import KnowledgeBase  # noqa: E402
from ferrofix.kb.records import Record  # noqa: E402
from ferrofix_desktop import kbview, workers  # noqa: E402
from ferrofix_desktop.app import MainWindow  # noqa: E402
from ferrofix_desktop.qtmodels import (CatalogTableModel, HubFileTableModel, ModelTableModel,  # noqa: E402
                                       RecordTableModel)

pytest_plugins = ("hub_server",)  # the `hub` fixture: a local imitation of the Hugging Face Hub

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


def test_download_without_network_says_so(qtbot, window, monkeypatch, tmp_path):
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
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


def _incomplete() -> list:
    from pathlib import Path
    return sorted(Path(os.environ["HF_HOME"], "hub").rglob("*.incomplete"))


@pytest.mark.parametrize("how", ["cancel", "pause"])
def test_stopping_a_download_ends_through_the_cancelled_signal(qtbot, window, monkeypatch, hub, how):
    from ferrofix import models as store
    payload = os.urandom(4 * 2**20)
    hub.add("local/model", {"tiny.gguf": payload})
    hub.slow_s = 0.001  # 1 KiB pieces, 1 ms apart: a download to stop midway
    mv = window.models_view
    shown: list[str] = []
    monkeypatch.setattr(mv, "status", shown.append)
    mv.repo.setText("local/model")
    mv.file.setText("tiny.gguf")
    task = mv.download()
    qtbot.waitUntil(lambda: bool(_incomplete()) and _incomplete()[0].stat().st_size > 0, timeout=WAIT_MS)
    with qtbot.waitSignal(task.signals.cancelled, timeout=WAIT_MS):
        mv.cancel_download() if how == "cancel" else mv.pause()
    assert shown[-1] == ("download cancelled" if how == "cancel" else "paused: tiny.gguf (Download resumes it)")
    assert bool(_incomplete()) is (how == "pause") and "download failed" not in mv.output.toPlainText()
    assert mv.download_button.isEnabled() and store.list_models() == []
    if how == "pause":  # Download resumes where the pause left the file
        kept = _incomplete()[0].stat().st_size
        hub.slow_s = 0
        with qtbot.waitSignal(mv.download().signals.finished, timeout=WAIT_MS):
            pass
        assert (store.models_dir() / "tiny.gguf").read_bytes() == payload
        assert hub.file_requests("GET")[-1][1].get("range") == f"bytes={kept}-"


def test_the_catalog_shows_installed_and_not_installed(qtbot, window, minilm):
    mv = window.models_view
    qtbot.waitUntil(lambda: mv.catalog_model.rowCount() >= 2, timeout=WAIT_MS)

    def row(i: int) -> dict:
        return {mv.catalog_model.COLUMNS[c][1]: mv.catalog_model.data(mv.catalog_model.index(i, c))
                for c in range(mv.catalog_model.columnCount())}
    fix, emb = row(0), row(1)
    assert (fix["Role"], fix["Installed"], fix["Licence"]) == ("fix", "not installed", "Apache-2.0")
    assert (emb["Role"], emb["Installed"], emb["Size"]) == ("embedding", "not installed", "24 MiB")
    assert fix["Why"]
    mv.import_file(minilm, link=True)
    qtbot.waitUntil(lambda: row(1)["Installed"] == "installed", timeout=WAIT_MS)
    assert row(0)["Installed"] == "not installed"
    mv.catalog_table.selectRow(1)  # a selected entry fills the download form
    assert (mv.repo.text(), mv.file.text(), mv.revision.text()) == \
        ("second-state/All-MiniLM-L6-v2-Embedding-GGUF", "all-MiniLM-L6-v2-Q8_0.gguf", "main")
    assert len(mv.sha.text()) == 64


def test_hub_search_results_appear_and_download(qtbot, window, hub, minilm):
    hub.add("Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF", {"qwen2.5-coder-1.5b-instruct-q4_k_m.gguf": minilm.read_bytes()},
            listed={"qwen2.5-coder-1.5b-instruct-fp16.gguf": 2 * 10**12}, downloads=100)
    mv = window.models_view
    mv.search_box.setText("qwen")
    task = mv.search()
    with qtbot.waitSignal(task.signals.finished, timeout=WAIT_MS):
        pass
    qtbot.waitUntil(lambda: mv.search_model.rowCount() == 2, timeout=WAIT_MS)
    rows = [{mv.search_model.COLUMNS[c][1]: mv.search_model.data(mv.search_model.index(r, c))
             for c in range(mv.search_model.columnCount())} for r in range(2)]
    assert [(r["Quantization"], r["Fits this machine"]) for r in rows] == [("Q4_K_M", "fits"), ("F16", "too big")]
    assert rows[0]["Size"] == "24 MiB" and rows[0]["Downloads"] == 100
    mv.search_table.selectRow(0)
    assert (mv.repo.text(), mv.file.text()) == ("Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF",
                                                "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf")
    mv.download()
    qtbot.waitUntil(lambda: mv.model.rowCount() == 1, timeout=WAIT_MS)
    assert mv.model.rows[0].name == "qwen2.5-coder-1.5b-instruct-q4_k_m" and mv.model.rows[0].architecture == "bert"


def test_hub_search_offline_says_so(qtbot, window, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    mv = window.models_view
    mv.search_box.setText("qwen")
    mv.search()
    qtbot.waitUntil(lambda: "search failed" in mv.output.toPlainText(), timeout=WAIT_MS)
    assert "(offline?)" in mv.output.toPlainText() and mv.search_button.isEnabled()


def test_catalog_and_search_models_pass_qtmodeltester(qtmodeltester):
    from ferrofix import models as store
    c = CatalogTableModel()
    c.set_entries(store.catalog())
    qtmodeltester.check(c)
    f = store.HubFile("a/b-GGUF", "b-Q4_K_M.gguf", 1, "Q4_K_M", 2**30, "", store.remote_ram_estimate(2**30), True)
    h = HubFileTableModel()
    h.set_results([store.HubRepo("a/b-GGUF", 3, 1, (f,))])
    qtmodeltester.check(h)


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


def test_models_tab_shows_the_inference_backend(qtbot, window, monkeypatch):
    """The Models tab names the llama.cpp backend in use (a worker fills the label: importing llama.cpp
    takes time) and the GPU layers the settings give: on this CPU-only build the CPU, no offload; with
    a build that reports CUDA (a stand-in here), the layers `llm.gpu_layers` asks for."""
    from pathlib import Path

    from ferrofix import llm
    mv = window.models_view
    qtbot.waitUntil(lambda: "…" not in mv.backend_label.text(), timeout=WAIT_MS)
    assert mv.backend_label.text() == "Inference backend: CPU (llama.cpp without GPU offload)"
    assert mv.backend_label.toolTip().startswith("CPU")
    monkeypatch.setattr(llm, "backend_info", lambda: llm.BackendInfo("CUDA", True, ("CUDA0 (RTX 4060)", "CPU (x86)")))
    Path(os.environ["FERROFIX_CONFIG"]).write_text("[llm]\ngpu_layers = 20\n")
    mv.refresh()
    qtbot.waitUntil(lambda: mv.backend_label.text() == "Inference backend: CUDA: 20 layers on the GPU",
                    timeout=WAIT_MS)
    assert mv.backend_label.toolTip() == "CUDA0 (RTX 4060)\nCPU (x86)"
