"""
Import a records file into a ledger, announcing each phase on stdout.

Usage: ``python import_worker.py LEDGER RECORDS NOW``. The crash test starts this
script and kills it with SIGKILL; the last marker it printed tells where the
kill landed. Each marker is one line, flushed before the work it announces:

- ``READY``: the ledger is open; the import starts.
- ``BEGUN``: ``BEGIN IMMEDIATE`` ran; the import holds the write lock.
- ``FLUSH <n>``: chunk *n* of decided events goes to the store (uncommitted).
- ``COMMITTING``: every chunk is inserted; ``COMMIT`` is about to run.
- ``COMMITTED``: ``COMMIT`` returned; the ledger closes (checkpointing the WAL).
- ``DONE <imported> <skipped> <head>``: the import returned and the ledger closed.

The script changes nothing in ``ledger``: it wraps one store's ``append`` and
its connection from outside. Recorded times come from the fixed clock *NOW*
(ISO 8601), so every run that stores the same records ends at the same head
hash.
"""

from __future__ import annotations

import itertools
import sys
from datetime import datetime
from typing import Any

from ledger import Ledger


def say(marker: str) -> None:
    """Write one marker line and flush it at once."""
    sys.stdout.write(marker + "\n")
    sys.stdout.flush()


class AnnouncingConnection:
    """Forward everything to a sqlite3 connection, announcing ``BEGIN`` and ``COMMIT``."""

    def __init__(self, conn: Any) -> None:
        """Wrap *conn*."""
        self._conn = conn

    def execute(self, sql: str, *args: Any) -> Any:
        """Run *sql* on the wrapped connection, with markers around transaction bounds."""
        statement = sql.strip().upper()
        if statement == "COMMIT":
            say("COMMITTING")
            cursor = self._conn.execute(sql, *args)
            say("COMMITTED")
            return cursor
        cursor = self._conn.execute(sql, *args)
        if statement.startswith("BEGIN"):
            say("BEGUN")
        return cursor

    def __getattr__(self, name: str) -> Any:
        """Forward every other attribute."""
        return getattr(self._conn, name)


def announce(ledger: Ledger) -> None:
    """Make *ledger*'s store announce its transaction bounds and each chunk it appends."""
    store: Any = ledger.store
    store.conn = AnnouncingConnection(store.conn)
    append = store.append
    chunks = itertools.count(1)

    def announcing_append(*args: Any, **kwargs: Any) -> Any:
        say(f"FLUSH {next(chunks)}")
        return append(*args, **kwargs)

    store.append = announcing_append


def main(ledger_path: str, records: str, now: str) -> None:
    """Import *records* into the ledger at *ledger_path*, announcing each phase."""
    fixed = datetime.fromisoformat(now)
    with Ledger.open(ledger_path, clock=lambda: fixed) as ledger:
        announce(ledger)
        say("READY")
        summary = ledger.import_records(records)
    say(f"DONE {summary.imported} {summary.skipped} {summary.head}")


if __name__ == "__main__":
    main(*sys.argv[1:])
