"""
Event stores: where the log lives.

Every backend implements `EventStore` and passes one shared contract suite.
`MemoryStore` is for tests and scratch work; `SqliteStore` is the default.
"""

from ledger.stores._base import GENESIS_HASH, EventStore, Head, NewEvent, RawEvent, StoredEvent
from ledger.stores.memory import MemoryStore
from ledger.stores.sqlite import SqliteStore

__all__ = [
    "GENESIS_HASH",
    "EventStore",
    "Head",
    "MemoryStore",
    "NewEvent",
    "RawEvent",
    "SqliteStore",
    "StoredEvent",
]
