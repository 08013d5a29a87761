"""
ledger: track contested public claims.

Every claim, revision, rebuttal, retraction, corroboration and correction is
an immutable event in an append-only, hash-chained log; the contested state
can be rebuilt for any moment.
"""

from ledger.errors import (
    ConcurrencyError,
    DuplicateIdError,
    InvalidSubjectError,
    InvalidValueError,
    LedgerError,
    NotALedgerError,
    RecordError,
    RuleError,
    StoreError,
    TimeFormatError,
    UnknownEventTypeError,
    UnknownReferenceError,
    ValidationError,
)
from ledger.events import (
    ClaimAsserted,
    ClaimCorroborated,
    ClaimRebutted,
    ClaimRetracted,
    ClaimRevised,
    EntryCorrected,
    Event,
)
from ledger.integrity import VerifyReport, verify
from ledger.stores import EventStore, Head, MemoryStore, NewEvent, SqliteStore, StoredEvent
from ledger.times import Precision, Stamp, parse_stamp
from ledger.values import Interval, Label, Qualifier, Quantity, Value, agree, interval

__version__ = "0.1.0.dev0"

__all__ = [
    "ClaimAsserted",
    "ClaimCorroborated",
    "ClaimRebutted",
    "ClaimRetracted",
    "ClaimRevised",
    "ConcurrencyError",
    "DuplicateIdError",
    "EntryCorrected",
    "Event",
    "EventStore",
    "Head",
    "Interval",
    "InvalidSubjectError",
    "InvalidValueError",
    "Label",
    "LedgerError",
    "MemoryStore",
    "NewEvent",
    "NotALedgerError",
    "Precision",
    "Qualifier",
    "Quantity",
    "RecordError",
    "RuleError",
    "SqliteStore",
    "Stamp",
    "StoreError",
    "StoredEvent",
    "TimeFormatError",
    "UnknownEventTypeError",
    "UnknownReferenceError",
    "ValidationError",
    "Value",
    "VerifyReport",
    "__version__",
    "agree",
    "interval",
    "parse_stamp",
    "verify",
]
