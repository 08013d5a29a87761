"""
Event stores: where the log lives.

Every backend implements `EventStore` and passes one shared contract suite.
`MemoryStore` is for tests and scratch work; `SqliteStore` is the default;
`PostgresStore` (the ``ledger[postgres]`` extra) serves many writers.
`open_store` picks the backend a path or URL names; `creating` opens one for
a write that, if refused, leaves no new ledger behind.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

from ledger.errors import LedgerError
from ledger.stores._base import (
    GENESIS_HASH,
    EventStore,
    Head,
    NewEvent,
    RawEvent,
    RawRow,
    StoredEvent,
)
from ledger.stores.memory import MemoryStore
from ledger.stores.postgres import PostgresStore, is_url
from ledger.stores.sqlite import SqliteStore
from ledger.times import utc_now

__all__ = [
    "GENESIS_HASH",
    "EventStore",
    "Head",
    "MemoryStore",
    "NewEvent",
    "PostgresStore",
    "RawEvent",
    "RawRow",
    "SqliteStore",
    "StoredEvent",
    "creating",
    "open_store",
]


def open_store(
    target: str | os.PathLike[str],
    *,
    create: bool = True,
    clock: Callable[[], datetime] = utc_now,
) -> EventStore:
    """
    Open the ledger *target* names: a ``postgresql://`` URL, or else an SQLite file.

    Args:
        target: A PostgreSQL URL (``postgresql://`` or ``postgres://``), or
            the path of an SQLite ledger file.
        create: Create the ledger when there is none yet.
        clock: Where recorded times come from.

    Raises:
        NotALedgerError: *target* holds something other than a ledger.
        StoreError: There is no ledger and *create* is false, the server
            cannot be reached, or psycopg is not installed.

    .. versionadded:: 0.1.0
    """
    if is_url(target):
        return PostgresStore(str(target), create=create, clock=clock)
    return SqliteStore(target, create=create, clock=clock)


@contextlib.contextmanager
def creating(
    target: str | os.PathLike[str], *, clock: Callable[[], datetime] = utc_now
) -> Iterator[EventStore]:
    """
    Open the ledger *target* names, creating it if needed, for one block of writes.

    When the block raises, a ledger this call created is removed again: the
    SQLite file with its journals (an empty file it found is emptied again),
    or the tables it made in an empty PostgreSQL schema. So a first write that
    is refused leaves no empty ledger behind; a ledger that was there before
    is left to the block's own transaction. The store is closed either way.

    Raises:
        NotALedgerError: *target* holds something other than a ledger.
        StoreError: The ledger cannot be opened or created.

    .. versionadded:: 0.1.0
    """
    path = None if is_url(target) else Path(target)
    existed = path is not None and path.exists()
    was_empty = existed and path is not None and path.is_file() and path.stat().st_size == 0
    store = open_store(target, clock=clock)
    try:
        yield store
    except BaseException:
        if isinstance(store, PostgresStore) and store.created:
            with contextlib.suppress(LedgerError):  # what the block raised is what to report
                store.drop()
        store.close()
        if path is not None and not existed:
            for leftover in ("", "-wal", "-shm", "-journal"):
                Path(f"{path}{leftover}").unlink(missing_ok=True)
        elif path is not None and was_empty:
            with contextlib.suppress(OSError):
                path.write_bytes(b"")
        raise
    store.close()
