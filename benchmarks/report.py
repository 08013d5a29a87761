"""
The metrics a run reports, the targets they are held to, and the printed table.

The targets are set for N = 1,000,000 events on a 2-core machine; at other
sizes they are shown for orientation, marked with the N they were met at.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any, Final

__all__ = ["METRICS", "TARGETS", "evaluate", "table"]

METRICS: Final = (
    # Each row: the key, its label in the table, its unit.
    ("records", "records in the file", ""),
    ("events", "events stored (counter-claims included)", ""),
    ("records_bytes", "records file size", "bytes"),
    ("generate_seconds", "generate the records file", "s"),
    ("import_seconds", "import: wall time", "s"),
    ("import_events_per_s", "import (fresh SQLite ledger)", "events/s"),
    ("import_records_per_s", "import", "records/s"),
    ("import_peak_rss_mb", "import: peak RSS (own process)", "MB"),
    ("db_bytes", "ledger file size (db)", "bytes"),
    ("wal_bytes", "ledger file size (wal)", "bytes"),
    ("size_ratio", "ledger (db + wal) / records file", "x"),
    ("verify_events_per_s", "verify (one process)", "events/s"),
    ("verify_jobs_events_per_s", "verify --jobs 2", "events/s"),
    ("verify_peak_rss_mb", "verify: peak RSS (all its processes)", "MB"),
    ("one_subject_median_ms", "state of one subject at a cutoff: median", "ms"),
    ("one_subject_p99_ms", "state of one subject at a cutoff: p99", "ms"),
    ("full_state_median_s", "state of every subject at a cutoff: median", "s"),
    ("valid_state_median_s", "state of every subject with valid_at: median", "s"),
    ("known_state_median_s", "state of every subject as known in the last 1 %: median", "s"),
    ("history_median_ms", "history of one subject: median", "ms"),
    ("replay_events_per_s", "replay through a user projection", "events/s"),
    ("floor_insert_rows_per_s", "floor: sqlite3 executemany of the rows", "rows/s"),
    ("floor_scan_rows_per_s", "floor: scan + orjson.loads(data)", "rows/s"),
    ("peer_append_events_per_s", "peer: eventsourcing append, 1,000 a batch", "events/s"),
    ("peer_read_decode_events_per_s", "peer: eventsourcing read + decode", "events/s"),
    ("import_vs_peer", "ledger import / peer append", "x"),
    ("import_vs_floor", "ledger import / floor insert", "x"),
    ("replay_vs_peer", "ledger replay / peer read + decode", "x"),
    ("one_subject_vs_10k", "one-subject median / its median at N = 10,000", "x"),
)
"""Every key of ``metrics`` in the results file, in table order."""

TARGETS: Final = (
    # Each row: the metric, how it compares, the threshold, the target as text.
    ("import_vs_peer", ">=", 2.0, "import >= 2x the peer's append rate"),
    ("import_vs_floor", ">=", 0.5, "import >= 0.5x the floor's insert rate"),
    ("one_subject_median_ms", "<=", 2.0, "one subject at a cutoff: median <= 2 ms"),
    ("one_subject_p99_ms", "<=", 10.0, "one subject at a cutoff: p99 <= 10 ms"),
    ("one_subject_vs_10k", "<=", 1.5, "one subject: median <= 1.5x its median at N = 10,000"),
    ("full_state_median_s", "<=", 1.0, "full state at a cutoff: median <= 1 s"),
    ("history_median_ms", "<=", 5.0, "history of one subject: median <= 5 ms"),
    ("replay_vs_peer", ">=", 1.5, "replay >= 1.5x the peer's read-and-decode rate"),
    ("verify_jobs_events_per_s", ">=", 300_000, "verify (--jobs 2) >= 300,000 events/s"),
    ("import_peak_rss_mb", "<=", 200.0, "import: peak RSS <= 200 MB"),
    ("verify_peak_rss_mb", "<=", 200.0, "verify: peak RSS <= 200 MB"),
    ("size_ratio", "<=", 2.0, "file size (db + wal) <= 2x the records file"),
)
"""The targets at N = 1,000,000."""

_COMPARE: Final[Mapping[str, Callable[[float, float], bool]]] = {
    ">=": operator.ge,
    "<=": operator.le,
}


def evaluate(metrics: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return each target with the measured value and whether it is met (``None``: not measured)."""
    out = []
    for key, comparison, threshold, text in TARGETS:
        value = metrics.get(key)
        met = None if value is None else _COMPARE[comparison](value, threshold)
        out.append({"target": text, "metric": key, "value": value, "met": met})
    return out


def _show(value: object, unit: str) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if unit == "x":
            return f"{value:.2f}"
        if unit in {"ms", "s", "MB"}:
            return f"{value:,.3f}" if value < 10 else f"{value:,.1f}"
        return f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(metrics: Mapping[str, Any], targets: list[dict[str, Any]], n: int) -> str:
    """Return the metrics and the targets as aligned plain-text tables."""
    rows = [(label, _show(metrics.get(key), unit), unit) for key, label, unit in METRICS]
    width = max(len(label) for label, _, _ in rows)
    vwidth = max(len(value) for _, value, _ in rows)
    lines = [f"ledger benchmarks at N = {n:,}", ""]
    lines += [f"{label:<{width}}  {value:>{vwidth}}  {unit}" for label, value, unit in rows]
    lines += ["", "targets (set for N = 1,000,000):"]
    units = {key: unit for key, _, unit in METRICS}
    for item in targets:
        mark = {True: "met", False: "NOT met", None: "not measured"}[item["met"]]
        shown = _show(item["value"], units[item["metric"]])
        lines.append(f"  {mark:<12}  {item['target']}  (measured: {shown})")
    return "\n".join(lines)
