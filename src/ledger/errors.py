"""
The one error family.

Every error the library raises on purpose is a `LedgerError`, so a caller can
catch them all in one place. Each message says what was wrong and where.
Errors about malformed input also subclass the builtin `ValueError`.
"""

from __future__ import annotations

__all__ = [
    "ChartError",
    "CheckpointError",
    "ConcurrencyError",
    "DuplicateIdError",
    "InvalidSubjectError",
    "InvalidValueError",
    "LedgerError",
    "MissingExtraError",
    "NotALedgerError",
    "RecordError",
    "RuleError",
    "StoreError",
    "TimeFormatError",
    "UnknownEventTypeError",
    "UnknownReferenceError",
    "ValidationError",
]


class LedgerError(Exception):
    """
    Base of every error the library raises on purpose.

    .. versionadded:: 0.1.0
    """


class ValidationError(LedgerError, ValueError):
    """
    A piece of input is malformed.

    Attributes:
        field: The offending field when the raiser knows it, else ``None``.

    .. versionadded:: 0.1.0
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        """Build the error; *field* names the offending field, if known."""
        super().__init__(message)
        self.field = field


class TimeFormatError(ValidationError):
    """
    A time string is not ISO 8601 in a form the ledger accepts.

    .. versionadded:: 0.1.0
    """


class InvalidValueError(ValidationError):
    """
    A claimed value (a quantity or a label) is malformed.

    .. versionadded:: 0.1.0
    """


class InvalidSubjectError(ValidationError):
    """
    A subject key is not a dotted lowercase key.

    .. versionadded:: 0.1.0
    """


class UnknownEventTypeError(ValidationError):
    """
    Stored data names an event type, or a schema version, the codec does not know.

    .. versionadded:: 0.1.0
    """


class RecordError(ValidationError):
    """
    A line of a records file cannot be imported.

    Attributes:
        file: The file's name, as given.
        line: The 1-based line number, or 0 when the file as a whole
            cannot be read (the message then names the file alone).
        field: The offending field, or ``None`` when the whole line is wrong.

    .. versionadded:: 0.1.0
    """

    def __init__(self, message: str, *, file: str, line: int, field: str | None = None) -> None:
        """Build the error; the rendered message names file, line and field."""
        where = (f"{file}:{line}" if line else file) + (
            f": field {field!r}" if field is not None else ""
        )
        super().__init__(f"{where}: {message}", field=field)
        self.file = file
        self.line = line
        self.reason = message


class RuleError(LedgerError):
    """
    A command breaks one of the ledger's rules; nothing was written.

    .. versionadded:: 0.1.0
    """


class DuplicateIdError(RuleError):
    """
    An id is already taken by another stored record.

    .. versionadded:: 0.1.0
    """


class UnknownReferenceError(RuleError):
    """
    A command refers to a record the ledger does not hold.

    .. versionadded:: 0.1.0
    """


class ConcurrencyError(LedgerError):
    """
    A stream moved on since the caller read it (optimistic concurrency).

    Nothing of the batch was written; read again, decide again, retry.

    .. versionadded:: 0.1.0
    """


class StoreError(LedgerError):
    """
    The storage backend cannot do what was asked.

    .. versionadded:: 0.1.0
    """


class NotALedgerError(StoreError):
    """
    A file is not a ledger, or was written by a newer version of this library.

    .. versionadded:: 0.1.0
    """


class ChartError(LedgerError):
    """
    A chart or report cannot be made as asked: nothing to draw, or an unknown file type.

    .. versionadded:: 0.1.0
    """


class MissingExtraError(ChartError):
    """
    An optional dependency is not installed; the message says how to install it.

    .. versionadded:: 0.1.0
    """


class CheckpointError(LedgerError):
    """
    A projection runner's saved checkpoint cannot be used with this ledger.

    It was saved from another ledger (or from a log that has since been
    replaced), or its file cannot be read back.

    .. versionadded:: 0.1.0
    """
