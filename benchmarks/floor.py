"""
The floor: what plain `sqlite3` does with the very rows the ledger stored.

Nothing can import faster than inserting the finished rows, and nothing can
read faster than scanning them and parsing their JSON; these two numbers are
what the ledger's import and replay are compared against.

- Insert: the ledger's own ``events`` rows (``SELECT * FROM events``) go into
  a fresh file with the same schema (the ``CREATE TABLE``, ``INDEX`` and
  ``TRIGGER`` statements copied from the ledger's ``sqlite_master``) and the
  same pragmas (WAL, ``synchronous=FULL``), by ``executemany`` in one
  transaction. Only the inserts and the commit are timed; the rows are read
  from the ledger in chunks between timed inserts, to bound memory.
- Scan: every row of the copy, with ``orjson.loads`` of its ``data`` column.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import orjson

__all__ = ["insert", "scan"]

_CHUNK = 50_000
_ORDER = "CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 ELSE 2 END, rowid"


def insert(ledger_db: Path, floor_db: Path) -> tuple[int, float]:
    """Copy the ledger's rows into *floor_db*; return the row count and the seconds spent."""
    source = sqlite3.connect(f"file:{ledger_db}?mode=ro", uri=True)
    target = sqlite3.connect(floor_db, isolation_level=None)
    try:
        schema = [
            sql
            for (sql,) in source.execute(
                f"SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY {_ORDER}"  # noqa: S608 - a constant
            )
        ]
        target.execute("PRAGMA journal_mode = WAL")
        target.execute("PRAGMA synchronous = FULL")
        for sql in schema:
            target.execute(sql)
        cursor = source.execute("SELECT * FROM events ORDER BY seq")
        statement = f"INSERT INTO events VALUES ({', '.join('?' * len(cursor.description))})"  # noqa: S608 - a constant
        rows = 0
        spent = 0.0
        start = time.perf_counter()
        target.execute("BEGIN")
        spent += time.perf_counter() - start
        while chunk := cursor.fetchmany(_CHUNK):
            start = time.perf_counter()
            target.executemany(statement, chunk)
            spent += time.perf_counter() - start
            rows += len(chunk)
        start = time.perf_counter()
        target.execute("COMMIT")
        spent += time.perf_counter() - start
    finally:
        source.close()
        target.close()
    return rows, spent


def scan(floor_db: Path) -> tuple[int, float]:
    """Read every row of *floor_db* and parse its ``data``; return the count and the seconds."""
    conn = sqlite3.connect(f"file:{floor_db}?mode=ro", uri=True)
    try:
        start = time.perf_counter()
        cursor = conn.execute("SELECT * FROM events ORDER BY seq")
        data = [column[0] for column in cursor.description].index("data")
        rows = 0
        for row in cursor:
            orjson.loads(row[data])
            rows += 1
        seconds = time.perf_counter() - start
    finally:
        conn.close()
    return rows, seconds
