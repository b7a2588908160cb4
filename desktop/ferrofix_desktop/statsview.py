"""Statistics of the knowledge base, as curators act on them: the summary (records by status and source,
acceptance), records by status over time (a line chart, from the store's status log), the error codes
users and agents actually hit (verified fixes offered and accepted per code, the acceptance rate, and
the records learnt from accepted fixes by status), and the records per error code (a bar chart). Charts
are QtCharts; the data is `Store.stats()`."""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCharts import (QBarCategoryAxis, QBarSeries, QBarSet, QChart, QChartView, QDateTimeAxis, QLineSeries,
                              QValueAxis)
from PySide6.QtCore import QDateTime, Qt, QTimeZone
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (QAbstractItemView, QHeaderView, QLabel, QSplitter, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from . import workers

#: Line colours of the statuses (the knowledge-base table's palette).
STATUS_COLORS = {"pending": "#bf8700", "approved": "#1a7f37", "rejected": "#cf222e"}
#: Columns of the "error codes users hit" table.
CODE_COLUMNS = ("code", "offered", "accepted", "rate", "pending", "approved", "rejected")


def _chart(title: str) -> tuple[QChart, QChartView]:
    chart = QChart()
    chart.setTitle(title)
    view = QChartView(chart)
    view.setRenderHint(QPainter.RenderHint.Antialiasing)
    return chart, view


def _clear(chart: QChart) -> None:
    chart.removeAllSeries()
    for axis in chart.axes():
        chart.removeAxis(axis)


class StatisticsView(QWidget):
    """Loads `store.stats()` in a worker and shows it; `refresh()` reloads. `chart` is the records-per-code
    bar chart, `timeline` the status-over-time chart, `codes` the codes-users-hit table."""

    def __init__(self, kb_provider: Callable[[], Any], parent=None) -> None:
        super().__init__(parent)
        self.kb_provider = kb_provider
        self.stats: dict = {}
        lay = QVBoxLayout(self)
        self.summary = QLabel("loading…")
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        lay.addWidget(self.summary)
        split = QSplitter(Qt.Orientation.Horizontal)
        charts = QSplitter(Qt.Orientation.Vertical)
        self.timeline, timeline_view = _chart("Learnt and imported records by status over time")
        self.chart, bars_view = _chart("Records per error code (top 15)")
        self.chart.legend().hide()
        charts.addWidget(timeline_view)
        charts.addWidget(bars_view)
        split.addWidget(charts)
        box = QWidget()
        bl = QVBoxLayout(box)
        bl.setContentsMargins(0, 0, 0, 0)
        self.codes_label = QLabel("<b>Error codes users hit</b> — verified fixes offered to users and agents "
                                  "(editor, CLI, MCP), how many they accepted (rate), and the records learnt "
                                  "from accepted fixes by status (pending, approved, rejected)")
        self.codes_label.setWordWrap(True)
        bl.addWidget(self.codes_label)
        self.codes = QTableWidget(0, len(CODE_COLUMNS))
        self.codes.setHorizontalHeaderLabels(list(CODE_COLUMNS))
        self.codes.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.codes.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.codes.verticalHeader().hide()
        self.codes.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.codes.setSortingEnabled(True)
        bl.addWidget(self.codes)
        split.addWidget(box)
        split.setSizes([520, 560])
        lay.addWidget(split, 1)

    def refresh(self) -> workers.Task:
        """Reload the statistics in a worker."""
        return workers.run(lambda t: self.kb_provider().store.stats(), name="stats", on_done=self.show_stats,
                           on_error=lambda m: self.summary.setText(f"cannot read the knowledge base: {m}"))

    def show_stats(self, s: dict) -> None:
        """Show `store.stats()` output: the summary, the timeline, the codes table and the bar chart."""
        self.stats = s
        by_status = s.get("by_status", {})
        hit = s.get("codes_hit", [])
        offered = sum(d["offered"] for d in hit)
        accepted = sum(d["accepted"] for d in hit)
        rate = f"{100 * accepted / offered:.1f}%" if offered else "n/a (no fix offered yet)"
        sources = ", ".join(f"{k}: {v}" for k, v in sorted(s.get("by_source", {}).items()))
        self.summary.setText(
            f"<b>{s.get('records', 0)}</b> records, <b>{s.get('codes', 0)}</b> error codes — "
            f"pending {by_status.get('pending', 0)}, approved {by_status.get('approved', 0)}, "
            f"rejected {by_status.get('rejected', 0)}<br>sources: {sources or '—'}<br>"
            f"verified fixes accepted: {rate} ({accepted} of {offered} offered)")
        self._show_timeline(s.get("status_over_time", []))
        self._show_codes(hit)
        self._show_bars(s.get("top_codes", [])[:15])

    def _show_timeline(self, rows: list[list]) -> None:
        _clear(self.timeline)
        if not rows:
            return
        utc = QTimeZone.utc()
        times = [QDateTime.fromString(day, "yyyy-MM-dd") for day, *_ in rows]
        for t in times:
            t.setTimeZone(utc)
        if len(rows) == 1:  # one day: draw a flat line over it
            rows = rows + [rows[0]]
            times = [times[0], times[0].addDays(1)]
        top = 0
        x = QDateTimeAxis()
        x.setFormat("yyyy-MM-dd")
        x.setTickCount(min(6, len(times)))
        x.setRange(times[0], times[-1])
        y = QValueAxis()
        y.setLabelFormat("%d")
        self.timeline.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        self.timeline.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        for col, status in enumerate(("pending", "approved", "rejected"), 1):
            series = QLineSeries()
            series.setName(status)
            series.setColor(QColor(STATUS_COLORS[status]))
            for t, row in zip(times, rows):
                series.append(float(t.toMSecsSinceEpoch()), float(row[col]))
                top = max(top, row[col])
            self.timeline.addSeries(series)
            series.attachAxis(x)
            series.attachAxis(y)
        y.setRange(0, max(top, 1))
        y.applyNiceNumbers()

    def _show_codes(self, hit: list[dict]) -> None:
        self.codes.setSortingEnabled(False)
        self.codes.setRowCount(len(hit))
        for r, d in enumerate(hit):
            rate = d.get("rate")
            cells = [d["code"] or "(none)", d["offered"], d["accepted"],
                     f"{100 * rate:.0f}%" if rate is not None else "—",
                     d["pending"], d["approved"], d["rejected"]]
            for c, v in enumerate(cells):
                item = QTableWidgetItem()
                if isinstance(v, int):
                    item.setData(Qt.ItemDataRole.DisplayRole, v)
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                else:
                    item.setText(str(v))
                self.codes.setItem(r, c, item)
        self.codes.setSortingEnabled(True)
        self.codes.sortItems(2, Qt.SortOrder.DescendingOrder)  # most accepted first, as stats() orders them

    def _show_bars(self, top: list) -> None:
        _clear(self.chart)
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
