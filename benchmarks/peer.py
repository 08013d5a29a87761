"""
The peer: the same log kept by the `eventsourcing` library, on its SQLite persistence.

Each claim is an aggregate, and each record an event of the claim it belongs
to, exactly as the ledger files them: a claim starts an aggregate; a
revision, rebuttal, corroboration, retraction or correction is an event of
its claim's aggregate; a rebuttal with a value also starts its
counter-claim's aggregate. So the peer appends the same number of events as
the ledger stores. Every event carries the record as a dict payload.

- Append: read the records file line by line (orjson), trigger the events on
  the aggregates, and save them with `Application.save` whenever 1,000
  events are pending: one transaction per 1,000 events.
- Read and decode: page through the application's notification log
  (``notification_log.select(start, 1000)``) and turn every notification back
  into a domain event with ``app.mapper.to_domain_event``.

The library's `Application` is configured through its environment:
``PERSISTENCE_MODULE=eventsourcing.sqlite`` and ``SQLITE_DBNAME=<file>``.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

__all__ = ["BATCH", "PeerResult", "run"]

BATCH = 1_000
"""Events per saved batch (and per page read back)."""

_REFERENCE = ("revises", "rebuts", "retracts", "corroborates", "corrects")


class Claim(Aggregate):
    """One claim's stream: its own record first, then every record about it."""

    @event("Asserted")
    def __init__(self, record: dict[str, Any]) -> None:
        self.records = 1
        self.latest = record["type"]

    @event("Recorded")
    def record(self, record: dict[str, Any]) -> None:
        self.records += 1
        self.latest = record["type"]


class ClaimsApp(Application):
    """The peer's application; pages of the notification log hold a batch."""

    log_section_size = BATCH


@dataclass
class PeerResult:
    """What the peer did, and how long it took."""

    appended: int
    append_seconds: float
    read: int
    read_seconds: float
    db_bytes: int
    journal_mode: str
    synchronous: int


def run(records: Path, db: Path) -> PeerResult:
    """Append *records* to a fresh peer store at *db*, then read them all back."""
    env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(db)}
    app = ClaimsApp(env=env)
    try:
        appended, append_seconds = _append(app, records)
        read, read_seconds = _read(app)
    finally:
        app.close()
    conn = sqlite3.connect(db)
    try:
        journal_mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        synchronous = conn.execute("PRAGMA synchronous").fetchone()[0]
    finally:
        conn.close()
    size = sum(p.stat().st_size for p in (db, Path(f"{db}-wal")) if p.exists())
    return PeerResult(
        appended=appended,
        append_seconds=append_seconds,
        read=read,
        read_seconds=read_seconds,
        db_bytes=size,
        journal_mode=journal_mode,
        synchronous=synchronous,
    )


def _append(app: ClaimsApp, records: Path) -> tuple[int, float]:
    owner: dict[str, Claim] = {}  # record id -> the claim it is filed under
    counters: dict[str, Claim] = {}  # rebuttal id -> its counter-claim
    pending: dict[int, Claim] = {}
    waiting = appended = 0
    start = time.perf_counter()
    with records.open("rb") as f:
        for line in f:
            record = orjson.loads(line)
            kind = record["type"]
            rid = record["id"]
            if kind == "claim":
                claim = Claim(record=record)
                touched = [claim]
            else:
                ref = next(record[name] for name in _REFERENCE if name in record)
                claim = counters.get(ref, owner[ref]) if kind == "revision" else owner[ref]
                claim.record(record=record)
                touched = [claim]
                if kind == "rebuttal" and "value" in record:
                    counter = Claim(record={**record, "type": "claim", "id": f"{rid}.counter"})
                    owner[f"{rid}.counter"] = counters[rid] = counter
                    touched.append(counter)
            owner[rid] = claim
            for aggregate in touched:
                pending[id(aggregate)] = aggregate
            waiting += len(touched)
            if waiting >= BATCH:
                app.save(*pending.values())
                appended += waiting
                pending.clear()
                waiting = 0
    if pending:
        app.save(*pending.values())
        appended += waiting
    return appended, time.perf_counter() - start


def _read(app: ClaimsApp) -> tuple[int, float]:
    read = 0
    start = time.perf_counter()
    position = 1
    while notifications := app.notification_log.select(position, BATCH):
        for notification in notifications:
            app.mapper.to_domain_event(notification)
        read += len(notifications)
        position = notifications[-1].id + 1
    return read, time.perf_counter() - start
