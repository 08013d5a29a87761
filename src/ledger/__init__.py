"""
ledger: track contested public claims.

Every claim, revision, rebuttal, retraction, corroboration and correction is
an immutable event in an append-only, hash-chained log; the contested state
can be rebuilt for any moment.
"""

from ledger.commands import (
    AssertClaim,
    Command,
    CorrectEntry,
    CorroborateClaim,
    RebutClaim,
    RetractRecord,
    ReviseClaim,
)
from ledger.errors import (
    ChartError,
    CheckpointError,
    ConcurrencyError,
    DuplicateIdError,
    InvalidSubjectError,
    InvalidValueError,
    LedgerError,
    MissingExtraError,
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
from ledger.follow import Checkpoint, MemoryCheckpoint, ProjectionRunner, SqliteCheckpoint
from ledger.integrity import VerifyReport, verify
from ledger.ledger import Batch, Ledger
from ledger.projections import Projection, replay, timeline
from ledger.projections.contested import (
    ClaimState,
    Corroboration,
    Rebuttal,
    State,
    SubjectState,
)
from ledger.projections.history import Change, FieldCorrection
from ledger.records import ImportSummary
from ledger.stores import EventStore, Head, MemoryStore, NewEvent, SqliteStore, StoredEvent
from ledger.times import Precision, Stamp, parse_stamp
from ledger.values import Interval, Label, Qualifier, Quantity, Value, agree, interval

__version__ = "0.1.0.dev0"

__all__ = [
    "AssertClaim",
    "Batch",
    "Change",
    "ChartError",
    "Checkpoint",
    "CheckpointError",
    "ClaimAsserted",
    "ClaimCorroborated",
    "ClaimRebutted",
    "ClaimRetracted",
    "ClaimRevised",
    "ClaimState",
    "Command",
    "ConcurrencyError",
    "CorrectEntry",
    "CorroborateClaim",
    "Corroboration",
    "DuplicateIdError",
    "EntryCorrected",
    "Event",
    "EventStore",
    "FieldCorrection",
    "Head",
    "ImportSummary",
    "Interval",
    "InvalidSubjectError",
    "InvalidValueError",
    "Label",
    "Ledger",
    "LedgerError",
    "MemoryCheckpoint",
    "MemoryStore",
    "MissingExtraError",
    "NewEvent",
    "NotALedgerError",
    "Precision",
    "Projection",
    "ProjectionRunner",
    "Qualifier",
    "Quantity",
    "RebutClaim",
    "Rebuttal",
    "RecordError",
    "RetractRecord",
    "ReviseClaim",
    "RuleError",
    "SqliteCheckpoint",
    "SqliteStore",
    "Stamp",
    "State",
    "StoreError",
    "StoredEvent",
    "SubjectState",
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
    "replay",
    "timeline",
    "verify",
]
