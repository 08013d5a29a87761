"""
Integrity: proof that the log was not rewritten.

Each stored event's hash is ``sha256(previous hash + canonical bytes of the
whole stored event)``: sequence number, event id, stream, version, subject,
recorded time, type, schema version and the data exactly as stored. The first
previous hash is 32 zero bytes. Index columns a query trusts (source, stated
time) are derived from the hashed data, and `verify` derives them again.

A published checkpoint ``SIZE:HASH`` (see `ledger.stores.Head`) pins the
first SIZE events: any later log that still verifies against it extends
exactly that history.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from ledger import codec
from ledger.errors import LedgerError
from ledger.stores._base import GENESIS_HASH, Head, RawEvent, chain_hash
from ledger.times import parse_stamp

__all__ = ["VerifyReport", "verify"]


@attrs.frozen(kw_only=True)
class VerifyReport:
    """
    The outcome of `verify`.

    Attributes:
        ok: Whether the whole log holds.
        size: How many events were checked and held (the last good seq).
        head: The hash of the last good event.
        failed_at: The first sequence number at which the log no longer
            holds, or ``None``.
        reason: What failed there, or ``None``.

    .. versionadded:: 0.1.0
    """

    ok: bool
    size: int
    head: bytes
    failed_at: int | None = None
    reason: str | None = None

    def __str__(self) -> str:
        """Return one line for a person."""
        if self.ok:
            return f"OK: {self.size} events, head {self.size}:{self.head.hex()}"
        return f"FAILED at seq {self.failed_at}: {self.reason}"


def verify(raws: Iterable[RawEvent], against: Head | None = None) -> VerifyReport:
    """
    Walk the log and check numbering, chain, hashes and index columns.

    Runs in constant memory over any iterable of raw events in ``seq`` order.

    Args:
        raws: The log, as a store's ``read_raw()`` yields it.
        against: A published checkpoint the log must extend.

    Returns:
        A report: OK with the last seq and head hash, or the first sequence
        number at which the log no longer holds, and why.

    .. versionadded:: 0.1.0
    """
    prev, size = GENESIS_HASH, 0
    if against is not None and against.size == 0 and against.hash != GENESIS_HASH:
        return VerifyReport(
            ok=False, size=0, head=prev, failed_at=0, reason=f"{against} is not an empty log"
        )

    def fail(seq: int, reason: str) -> VerifyReport:
        return VerifyReport(ok=False, size=size, head=prev, failed_at=seq, reason=reason)

    for raw in raws:
        problem = _problem(raw, size + 1, prev)
        if problem:
            return fail(size + 1, problem)
        prev, size = raw.hash, size + 1
        if against is not None and size == against.size and prev != against.hash:
            return fail(size, f"log does not extend checkpoint {against}")
    if against is not None and size < against.size:
        return fail(size + 1, f"log holds {size} events, fewer than checkpoint {against}")
    return VerifyReport(ok=True, size=size, head=prev)


def _problem(raw: RawEvent, expected: int, prev: bytes) -> str | None:
    if raw.seq != expected:
        return f"event {expected} is missing (found {raw.seq} next)"
    if raw.prev_hash != prev:
        return "previous-hash link does not match the event before"
    sealed = codec.envelope_bytes(
        seq=raw.seq,
        event_id=raw.event_id,
        stream=raw.stream,
        version=raw.version,
        subject=raw.subject,
        recorded_at=raw.recorded_at,
        type_name=raw.type,
        schema_version=raw.schema_version,
        data=raw.data,
    )
    if chain_hash(prev, sealed) != raw.hash:
        return "content does not match its hash"
    try:
        source, stated_at = codec.index_fields(raw.data)
        until = None if stated_at is None else parse_stamp(stated_at).until_us
    except LedgerError as e:
        return f"stored data is unreadable: {e}"
    if (raw.source, raw.stated_at, raw.stated_until) != (source, stated_at, until):
        return "index columns (source, stated time) do not match the hashed data"
    return None
