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

import hashlib
from collections.abc import Iterable

import attrs

from ledger import codec
from ledger.errors import LedgerError
from ledger.stores._base import GENESIS_HASH, Head, RawRow
from ledger.times import until_us

__all__ = ["VerifyReport", "verify", "verify_segment"]

_REMEMBERED = 1 << 16
"""How many parsed stated times `verify` keeps at most."""


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


def verify(raws: Iterable[RawRow], against: Head | None = None) -> VerifyReport:
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
    if against is not None and against.size == 0 and against.hash != GENESIS_HASH:
        return VerifyReport(
            ok=False,
            size=0,
            head=GENESIS_HASH,
            failed_at=0,
            reason=f"{against} is not an empty log",
        )
    report = verify_segment(raws, after=0, prev=GENESIS_HASH, against=against)
    if report.ok and against is not None and report.size < against.size:
        return VerifyReport(
            ok=False,
            size=report.size,
            head=report.head,
            failed_at=report.size + 1,
            reason=f"log holds {report.size} events, fewer than checkpoint {against}",
        )
    return report


def verify_segment(  # noqa: PLR0911 - one return per check
    raws: Iterable[RawRow], *, after: int, prev: bytes, against: Head | None = None
) -> VerifyReport:
    """
    Walk the part of the log after sequence number *after*, as `verify` does.

    Each link can be checked on its own, so a long log can be checked in
    segments at once: it holds when every segment holds, each starting from
    the hash the one before it ended with, and the segments leave no gap.

    Args:
        raws: The events after *after*, in ``seq`` order.
        after: The sequence number before the segment (0: the log's start).
        prev: The hash of event *after* (`GENESIS_HASH` for the start).
        against: A checkpoint, checked if the segment reaches its size.

    Returns:
        OK with the segment's last seq and hash, or where it fails and why.

    .. versionadded:: 0.1.0
    """
    size, checkpoint = after, -1 if against is None else against.size
    until: dict[str, int] = {}  # stated times repeat: parse each once
    envelope_bytes, index_fields, sha256 = codec.envelope_bytes, codec.index_fields, hashlib.sha256
    # One loop, each row unpacked once and no call per check but the codec's:
    # this loop is the whole cost of verify, about 3 us per event.
    for (
        seq, event_id, stream, version, subject, recorded_at, type_name, schema_version,
        data, source, stated_at, stated_until, prev_hash, hash_,
    ) in raws:  # fmt: skip
        size += 1
        if seq != size:
            return _failed(size, prev, f"event {size} is missing (found {seq} next)")
        if prev_hash != prev:
            return _failed(size, prev, "previous-hash link does not match the event before")
        try:
            sealed = envelope_bytes(  # by position: a tenth of the loop's time by name
                seq, event_id, stream, version, subject, recorded_at, type_name,
                schema_version, data,
            )  # fmt: skip
        except TypeError as e:  # a column edited by hand to a type JSON cannot hold
            return _failed(size, prev, f"stored envelope is unreadable: {e}")
        if sha256(prev + sealed).digest() != hash_:
            return _failed(size, prev, "content does not match its hash")
        try:
            # Compared first, so a stated time parsed below is the hashed one.
            if (source, stated_at) != index_fields(data) or stated_until != (
                None if stated_at is None else until.get(stated_at) or _until(stated_at, until)
            ):
                return _failed(size, prev, _INDEX_MISMATCH)
        except LedgerError as e:
            return _failed(size, prev, f"stored data is unreadable: {e}")
        prev = hash_
        if size == checkpoint and prev != against.hash:  # type: ignore[union-attr]
            return VerifyReport(
                ok=False,
                size=size,
                head=prev,
                failed_at=size,
                reason=f"log does not extend checkpoint {against}",
            )
    return VerifyReport(ok=True, size=size, head=prev)


def _until(stated_at: str, until: dict[str, int]) -> int:
    """Parse *stated_at*'s end in microseconds, and remember it in *until*."""
    if len(until) >= _REMEMBERED:  # constant memory, whatever the log's size
        until.clear()
    until[stated_at] = parsed = until_us(stated_at)
    return parsed


_INDEX_MISMATCH = "index columns (source, stated time) do not match the hashed data"


def _failed(seq: int, prev: bytes, reason: str) -> VerifyReport:
    """Report that event *seq* fails, after the event whose hash is *prev*."""
    return VerifyReport(ok=False, size=seq - 1, head=prev, failed_at=seq, reason=reason)
