"""
Event stores: where the log lives.

Every backend implements `EventStore` and passes one shared contract suite.
`MemoryStore` is for tests and scratch work; `SqliteStore` is the default;
`PostgresStore` (the ``ledger[postgres]`` extra) serves many writers.
`open_store` picks the backend a path or URL names.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime

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
