"""Statistics of the knowledge base: records by status and source, acceptance rate, and a bar chart of
the top error codes (QtCharts)."""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCharts import QBarCategoryAxis, QBarSeries, QBarSet, QChart, QChartView, QValueAxis
from PySide6.QtCore import Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from . import workers


class StatisticsView(QWidget):
    """Loads `store.stats()` in a worker and shows it; `refresh()` reloads."""

    def __init__(self, kb_provider: Callable[[], Any], parent=None) -> None:
        super().__init__(parent)
        self.kb_provider = kb_provider
        self.stats: dict = {}
        lay = QVBoxLayout(self)
        self.summary = QLabel("loading…")
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        lay.addWidget(self.summary)
        self.chart = QChart()
        self.chart.setTitle("Top error codes")
        self.chart.legend().hide()
        self.view = QChartView(self.chart)
        self.view.setRenderHint(QPainter.RenderHint.Antialiasing)
        lay.addWidget(self.view, 1)

    def refresh(self) -> workers.Task:
        """Reload the statistics in a worker."""
        return workers.run(lambda t: self.kb_provider().store.stats(), name="stats", on_done=self.show_stats,
                           on_error=lambda m: self.summary.setText(f"cannot read the knowledge base: {m}"))

    def show_stats(self, s: dict) -> None:
        """Show `store.stats()` output: the summary line and the top-codes chart."""
        self.stats = s
        by_status = s.get("by_status", {})
        offered, accepted = s.get("offered", 0), s.get("accepted", 0)
        rate = f"{100 * accepted / offered:.1f}%" if offered else "n/a (no fix offered yet)"
        sources = ", ".join(f"{k}: {v}" for k, v in sorted(s.get("by_source", {}).items()))
        self.summary.setText(
            f"<b>{s.get('records', 0)}</b> records, <b>{s.get('codes', 0)}</b> error codes — "
            f"pending {by_status.get('pending', 0)}, approved {by_status.get('approved', 0)}, "
            f"rejected {by_status.get('rejected', 0)}<br>sources: {sources or '—'}<br>"
            f"acceptance rate: {rate} ({accepted} accepted of {offered} offered)")
        self.chart.removeAllSeries()
        for axis in self.chart.axes():
            self.chart.removeAxis(axis)
        top = s.get("top_codes", [])[:15]
        if not top:
            return
        bars = QBarSet("records")
        bars.append([n for _, n in top])
        series = QBarSeries()
        series.append(bars)
        self.chart.addSeries(series)
        x = QBarCategoryAxis()
        x.append([c or "(none)" for c, _ in top])
        y = QValueAxis()
        y.setRange(0, max(n for _, n in top))
        y.setLabelFormat("%d")
        y.applyNiceNumbers()
        self.chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        self.chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(x)
        series.attachAxis(y)
