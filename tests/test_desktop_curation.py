"""The desktop's curation screens as a diff tool shows them (issue 20): the record's diff coloured by
line and by changed characters, and the statistics curators act on (records by status over time, the
error codes users hit with their acceptance rate). pytest-qt, QT_QPA_PLATFORM=offscreen, a real
knowledge base in a temp dir."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtGui import QColor  # noqa: E402

from ferrofix_desktop.highlight import DIFF_COLORS, changed_chars  # noqa: E402
from test_desktop import WAIT_MS, kb, no_modal_boxes, window  # noqa: E402,F401 (fixtures)


def _background_at(doc, line: int, column: int) -> str | None:
    """The background colour the highlighter gave `line`'s character at `column` (None: no format)."""
    block = doc.findBlockByNumber(line)
    found = None
    for r in block.layout().formats():  # in order: a later range is set over an earlier one
        if r.start <= column < r.start + r.length and r.format.background().style() != 0:
            found = r.format.background().color().name()
    return found


def test_changed_chars_pairs_removed_and_added_lines_in_utf16():
    diff = "--- a/src/main.rs\n+++ b/src/main.rs\n@@ -1,2 +1,2 @@\n-    let w = v; // é\n+    let w = v.clone(); // é\n-x\n"
    spans = changed_chars(diff)
    assert spans == {4: [(14, 8)]}  # ".clone()" after "+    let w = v"; the unpaired "-x" gets none
    assert changed_chars("-ab\n+zz\n") == {}  # rewritten, not edited: no character marks
    assert changed_chars("-😀a\n+😀b\n") == {0: [(3, 1)], 1: [(3, 1)]}  # the emoji is 2 UTF-16 units


def test_the_record_diff_is_coloured_like_a_diff_tool(qtbot, window):
    view = window.kb_view
    view.table.selectRow(0)
    pane = view.detail
    qtbot.waitUntil(lambda: "+" in pane.diff.toPlainText(), timeout=WAIT_MS)
    doc = pane.diff.document()
    lines = pane.diff.toPlainText().split("\n")
    minus = next(i for i, t in enumerate(lines) if t.startswith("-") and not t.startswith("---"))
    plus = next(i for i, t in enumerate(lines) if t.startswith("+") and not t.startswith("+++"))
    qtbot.waitUntil(lambda: _background_at(doc, plus, 1) is not None, timeout=WAIT_MS)
    assert _background_at(doc, minus, 1) == QColor(DIFF_COLORS["removed"]).name()
    assert _background_at(doc, plus, 1) == QColor(DIFF_COLORS["added"]).name()
    clone = lines[plus].index(".clone()")
    assert _background_at(doc, plus, clone) == QColor(DIFF_COLORS["added_chars"]).name()
    hunk = next(i for i, t in enumerate(lines) if t.startswith("@@"))
    ranges = doc.findBlockByNumber(hunk).layout().formats()
    assert ranges[0].format.foreground().color().name() == QColor(DIFF_COLORS["hunk"]).name()


def test_statistics_show_status_over_time_and_the_codes_users_hit(qtbot, window, kb):
    ids = [r.id for r in kb.store.list(code="E0308", limit=4)]
    kb.store.set_status(ids[:3], "approved")
    kb.store.set_status(ids[3:], "rejected")
    rid, _ = kb.record_accepted(code="E0599", message="no method named `len` found", before="x.len()",
                                after="x.count()", front="lsp")
    kb.record_accepted(code="E0599", message="no method named `size` found", before="x.size()",
                       after="x.len()", front="lsp")
    kb.store.set_status([rid], "approved")
    kb.store.log_fix(["E0599", "E0599", "E0382"], "offered", "cli")
    sv = window.stats_view
    sv.refresh()
    qtbot.waitUntil(lambda: sv.stats.get("records") == 32, timeout=WAIT_MS)
    assert sv.stats["status_over_time"][-1][1:] == [1, 1, 0]  # the learnt records; seeded ones left out
    assert [s.name() for s in sv.timeline.series()] == ["pending", "approved", "rejected"]
    rows = {sv.codes.item(r, 0).text(): [sv.codes.item(r, c).text() for c in range(sv.codes.columnCount())]
            for r in range(sv.codes.rowCount())}
    assert rows["E0599"] == ["E0599", "2", "2", "100%", "1", "1", "0"]
    assert sv.codes.item(0, 0).text() == "E0599"  # most accepted first
    assert rows["E0382"][1:4] == ["1", "0", "0%"]
    assert "2 of 3 offered" in sv.summary.text() and len(sv.chart.series()) == 1
