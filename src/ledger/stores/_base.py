"""
What every event store is and does.

An event store keeps the log: a gapless sequence of stored events, each in
one stream (a claim) at a version, chained by hash. It appends batches
atomically with optimistic concurrency per stream and reads by global
position, by stream, and by subject up to a time, as iterators.

The sealing of a batch (numbering, versions, recorded time, hashes) is
shared here, so every backend stores exactly the same bytes.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple, Protocol

import attrs

from ledger import codec
from ledger.errors import ConcurrencyError, DuplicateIdError, StoreError
from ledger.events import ClaimAsserted, Event
from ledger.times import Stamp, format_utc, parse_stamp

if TYPE_CHECKING:
    from ledger.projections.spans import Choice, Spans

__all__ = [
    "GENESIS_HASH",
    "EventStore",
    "Head",
    "NewEvent",
    "RawEvent",
    "RawRow",
    "StoredEvent",
]

GENESIS_HASH = bytes(32)
"""The previous hash of the first event: 32 zero bytes."""


@attrs.frozen(kw_only=True)
class NewEvent:
    """
    An event on its way into the log.

    Attributes:
        event_id: The record's id, unique in the log.
        stream: The claim the event belongs to.
        event: The event itself.

    .. versionadded:: 0.1.0
    """

    event_id: str
    stream: str
    event: Event


class RawEvent(NamedTuple):
    """
    A stored event exactly as the backend holds it, before decoding.

    ``source``, ``stated_at`` and ``stated_until`` are index columns derived
    from ``data``; everything else is covered by the hash. A named tuple, in
    column order, because `verify` and replay read a million of them: a row
    becomes one without a call per field.

    .. versionadded:: 0.1.0
    """

    seq: int
    event_id: str
    stream: str
    version: int
    subject: str
    recorded_at: str
    type: str
    schema_version: int
    data: bytes
    source: str | None
    stated_at: str | None
    stated_until: int | None
    prev_hash: bytes
    hash: bytes

    def decode(self) -> StoredEvent:
        """Return the decoded, upcast form of this stored event."""
        return StoredEvent(
            seq=self.seq,
            event_id=self.event_id,
            stream=self.stream,
            version=self.version,
            subject=self.subject,
            recorded_at=parse_stamp(self.recorded_at),
            schema_version=self.schema_version,
            event=codec.decode(self.type, self.schema_version, self.data),
            prev_hash=self.prev_hash,
            hash=self.hash,
        )


RawRow = tuple[
    int, str, str, int, str, str, str, int, bytes, str | None, str | None, int | None, bytes, bytes
]
"""A `RawEvent`'s fields as a plain row, in the same order: what a walk that only unpacks reads."""


@attrs.frozen(kw_only=True)
class StoredEvent:
    """
    An event as the log holds it: the event and its envelope.

    Attributes:
        seq: Global sequence number, 1, 2, 3 ... without gaps.
        event_id: The record's id.
        stream: The claim the event belongs to.
        version: Position within the stream, 1, 2, 3 ...
        subject: The subject of the stream.
        recorded_at: When the ledger stored it (UTC, microseconds).
        schema_version: The schema version the data was written with.
        event: The event, upcast to the current schema.
        prev_hash: The hash of the previous stored event.
        hash: sha256 of ``prev_hash`` and the canonical bytes of this one.

    .. versionadded:: 0.1.0
    """

    seq: int
    event_id: str
    stream: str
    version: int
    subject: str
    recorded_at: Stamp
    schema_version: int
    event: Event
    prev_hash: bytes
    hash: bytes

    @property
    def type(self) -> str:
        """The event's type name."""
        return type(self.event).__name__


@attrs.frozen
class Head:
    """
    The end of the log: how many events it holds and the last hash.

    ``Head(0, GENESIS_HASH)`` is an empty log. ``str(head)`` is the
    ``SIZE:HASH`` checkpoint form.

    .. versionadded:: 0.1.0
    """

    size: int
    hash: bytes
    recorded_at: str | None = None

    def __str__(self) -> str:
        """Return the checkpoint as ``SIZE:HEXHASH``."""
        return f"{self.size}:{self.hash.hex()}"


class EventStore(Protocol):
    """
    The storage protocol every backend implements.

    .. versionadded:: 0.1.0
    """

    def append(
        self,
        batch: Sequence[NewEvent],
        expected: Mapping[str, int] | None = None,
        *,
        decoded: bool = True,
    ) -> tuple[StoredEvent, ...]:
        """
        Append *batch* atomically and return it as stored.

        Args:
            batch: Events in the order they are to be numbered.
            expected: For each stream named, the version the caller last saw
                (0 for a stream that must not exist yet).
            decoded: Return the stored events; a bulk import passes ``False``
                and gets ``()``, saving the work of decoding them.

        Raises:
            ConcurrencyError: A stream is not at its expected version, or a
                new claim's stream exists already. Nothing was written.
            DuplicateIdError: An event id is taken. Nothing was written.
        """
        ...

    def transaction(self) -> contextlib.AbstractContextManager[None]:
        """
        Group appends: inside the block they commit together, or not at all.

        Reads inside the block see its appends; an exception undoes all of
        them. Blocks nest: only the outermost one commits.
        """
        ...

    def append_raw(self, raws: Sequence[RawEvent]) -> Head:
        """
        Append already-sealed events verbatim, as a restore from a backup does.

        The events must continue the log: the first one's ``seq`` is the
        head's size plus one and its ``prev_hash`` the head's hash, and each
        links to the one before. Hashes themselves are the caller's to check
        (`ledger.integrity`); the store keeps the bytes exactly.

        Raises:
            StoreError: The events do not continue the log; nothing was written.
        """
        ...

    def head(self) -> Head:
        """Return the current head of the log."""
        ...

    def stream_version(self, stream: str) -> int:
        """Return the current version of *stream* (0 when it does not exist)."""
        ...

    def get(self, event_id: str) -> StoredEvent | None:
        """Return the stored event with *event_id*, or ``None``."""
        ...

    def read(self, after: int = 0) -> Iterator[StoredEvent]:
        """Yield stored events with ``seq > after`` in order."""
        ...

    def read_raw(
        self, after: int = 0, *, types: Collection[str] | None = None
    ) -> Iterator[RawEvent]:
        """Yield raw stored events with ``seq > after`` in order (*types*: those only)."""
        ...

    def read_seqs(self, seqs: Sequence[int]) -> list[RawEvent]:
        """
        Return the raw stored events with the sequence numbers *seqs*, in that order.

        A number the log does not hold is left out. How a replay reads the log
        back in stated order, a chunk at a time.
        """
        ...

    def wait(self, after: int, timeout: float) -> bool:
        """
        Wait until the log may hold an event with ``seq > after``, or *timeout* passes.

        The hook behind `ledger.follow.follow`. Its contract is deliberately
        loose, so that every backend can meet it cheaply:

        - Return ``True`` at once when the log already holds such an event.
        - Otherwise block for at most about *timeout* seconds, returning
          ``True`` when an append of another writer (another connection, thread
          or process) may have committed one, ``False`` when the time ran out.
        - The answer is only a hint. Returning ``True`` spuriously is allowed,
          and so is ``False`` when an event did arrive (a notification that got
          lost): the follower re-reads with ``read(after)`` after every
          ``wait``, whatever it returned, so a wrong answer costs at most one
          empty read or a delay of *timeout*, never a lost or repeated event.
        - It must not hold a lock that keeps writers out while it waits.

        SQLite polls the head with a short backoff; the memory store waits on a
        condition its appends notify; a server backend listens for a
        notification its appends send (PostgreSQL: ``LISTEN``/``NOTIFY``) and
        treats the timeout as its polling fallback.

        Args:
            after: The last sequence number the caller has seen.
            timeout: The longest wait in seconds; 0 only checks.

        .. versionadded:: 0.1.0
        """
        ...

    def read_stream(self, stream: str) -> Iterator[StoredEvent]:
        """Yield the events of *stream* in version order."""
        ...

    def read_streams(self, streams: Sequence[str]) -> dict[str, list[StoredEvent]]:
        """
        Return the events of each of *streams* in version order, in a few reads.

        Every stream asked for is a key; one with no events maps to ``[]``.

        .. versionadded:: 0.1.0
        """
        ...

    def read_streams_holding(self, event_ids: Collection[str]) -> list[RawEvent]:
        """
        Return the raw events of every stream that holds one of *event_ids*.

        By stream, then version; an id no event has adds nothing. One read
        for what deciding commands needs: which claim each reference lands
        on, and that claim's records (`ledger.commands.StreamFold.of_raw`
        folds them undecoded). An import asks for a window of records at once.

        .. versionadded:: 0.1.0
        """
        ...

    def read_subject(self, subject: str, until: Stamp | None = None) -> Iterator[StoredEvent]:
        """
        Yield the events filed under *subject* in ``seq`` order.

        With *until*, only events whose stated time (as written) is known by
        it, plus every correction: a correction has no stated time.
        """
        ...

    def subjects(self, pattern: str | None = None) -> list[str]:
        """
        Return the subjects in the log, sorted; with *pattern*, those it matches.

        A pattern is an exact key or a glob (``casualties.*``), matched case-sensitively.
        """
        ...

    def spans_at(self, at: Stamp | None, pattern: str | None) -> Spans | None:
        """
        Return the claim, rebuttal and corroboration spans that contain *at*.

        The fast path of `ledger.Ledger.state` (see `ledger.projections.spans`);
        ``None`` from a store that keeps no spans, whose callers replay.
        """
        ...

    def chosen_at(
        self, at: Stamp | None, valid_at: Stamp, pattern: str | None
    ) -> dict[str, Choice] | None:
        """
        Return, per claim, the version ``valid_at`` chooses among those standing at *at*.

        `ledger.projections.spans.choose` over the store's version spans;
        ``None`` from a store that keeps none, whose callers replay.
        """
        ...

    def rebuild(self) -> int:
        """Recompute every derived table from the events alone; return the streams rebuilt."""
        ...

    def close(self) -> None:
        """Release the backend's resources."""
        ...


def row_of(raw: RawEvent) -> tuple[object, ...]:
    """Return *raw* as a row of the events table, in column order, its data as text."""
    return (*raw[:8], raw.data.decode("utf-8"), *raw[9:])


def chain_hash(prev_hash: bytes, sealed: bytes) -> bytes:
    """Return the hash of an event sealed as *sealed* after *prev_hash*."""
    return hashlib.sha256(prev_hash + sealed).digest()


def raw_event(  # noqa: PLR0913 - the envelope is exactly these fields
    *,
    seq: int,
    event_id: str,
    stream: str,
    version: int,
    subject: str,
    recorded_at: str,
    type_name: str,
    schema_version: int,
    data: bytes,
    prev_hash: bytes,
) -> RawEvent:
    """Seal one event: derive its index columns and hash it after *prev_hash*."""
    source, stated_at = codec.index_fields(data)
    sealed = codec.envelope_bytes(
        seq=seq,
        event_id=event_id,
        stream=stream,
        version=version,
        subject=subject,
        recorded_at=recorded_at,
        type_name=type_name,
        schema_version=schema_version,
        data=data,
    )
    return RawEvent(
        seq=seq,
        event_id=event_id,
        stream=stream,
        version=version,
        subject=subject,
        recorded_at=recorded_at,
        type=type_name,
        schema_version=schema_version,
        data=data,
        source=source,
        stated_at=stated_at,
        stated_until=None if stated_at is None else parse_stamp(stated_at).until_us,
        prev_hash=prev_hash,
        hash=chain_hash(prev_hash, sealed),
    )


StreamInfo = tuple[int, str]
"""A stream's current version and its subject."""


def seal(  # noqa: C901, PLR0913 - one pass of checks; the look-ups come from the backend
    *,
    batch: Sequence[NewEvent],
    expected: Mapping[str, int] | None,
    head: Head,
    lookup: Callable[[str], StreamInfo | None],
    id_taken: Callable[[str], bool],
    now: datetime,
) -> list[RawEvent]:
    """
    Check *batch* against the log's current state and seal it for storage.

    Pure apart from the two look-ups, which a backend answers inside the same
    transaction that then writes the result.

    Raises:
        ConcurrencyError: A stream is not at its expected version.
        DuplicateIdError: An event id is taken, or given twice in the batch.
        StoreError: A stream would not start with its claim.
    """
    streams: dict[str, StreamInfo | None] = {}

    def info(stream: str) -> StreamInfo | None:
        if stream not in streams:
            streams[stream] = lookup(stream)
        return streams[stream]

    for stream, version in (expected or {}).items():
        current = info(stream)
        actual = 0 if current is None else current[0]
        if actual != version:
            raise ConcurrencyError(
                f"stream {stream!r} is at version {actual}, not the expected {version}; "
                "read it again and retry"
            )
    # The recorded axis never runs backwards, so `known_at` cut-offs are
    # always a prefix of the log, whatever the clock says.
    recorded = format_utc(now)
    if head.recorded_at is not None:
        recorded = max(recorded, head.recorded_at)
    seen: set[str] = set()
    prev, seq = head.hash, head.size
    sealed: list[RawEvent] = []
    for item in batch:
        if item.event_id in seen or id_taken(item.event_id):
            raise DuplicateIdError(f"id {item.event_id!r} is already in the ledger")
        seen.add(item.event_id)
        current = info(item.stream)
        if isinstance(item.event, ClaimAsserted):
            if current is not None:
                raise ConcurrencyError(f"claim stream {item.stream!r} exists already")
            if item.event.claim_id != item.stream:
                raise StoreError(
                    f"a claim is filed in its own stream: {item.event.claim_id!r}, "
                    f"not {item.stream!r}"
                )
            version, subject = 1, item.event.subject
        elif current is None:
            raise StoreError(f"stream {item.stream!r} does not exist; it starts with a claim")
        else:
            version, subject = current[0] + 1, current[1]
        streams[item.stream] = (version, subject)
        type_name = codec.event_type(item.event)
        seq += 1
        raw = raw_event(
            seq=seq,
            event_id=item.event_id,
            stream=item.stream,
            version=version,
            subject=subject,
            recorded_at=recorded,
            type_name=type_name,
            schema_version=codec.SCHEMA_VERSIONS[type_name],
            data=codec.encode(item.event),
            prev_hash=prev,
        )
        prev = raw.hash
        sealed.append(raw)
    return sealed


def check_continues(head: Head, raws: Sequence[RawEvent]) -> None:
    """
    Raise unless *raws* continue the log whose head is *head*, link by link.

    Raises:
        StoreError: Naming the first event that does not follow on.
    """
    seq, prev = head.size, head.hash
    for raw in raws:
        if raw.seq != seq + 1 or raw.prev_hash != prev:
            raise StoreError(
                f"event {raw.seq} does not continue the log at {seq}:{prev.hex()}; nothing "
                "was written"
            )
        seq, prev = raw.seq, raw.hash


def poll(
    ready: Callable[[], bool], timeout: float, *, first: float = 0.001, longest: float = 0.05
) -> bool:
    """
    Call *ready* until it returns true, sleeping *first*, then twice as long, up to *longest*.

    Returns ``False`` when *timeout* seconds pass first. A polling backend's
    `EventStore.wait`: a burst of appends is noticed within milliseconds, an
    idle follower costs a cheap query every *longest* seconds.
    """
    deadline = time.monotonic() + timeout
    pause = first
    while not ready():
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(pause, left))
        pause = min(pause * 2, longest)
    return True


def decode_all(raws: Iterable[RawEvent]) -> Iterator[StoredEvent]:
    """Decode raw events lazily."""
    for raw in raws:
        yield raw.decode()


def glob_prefix(pattern: str) -> str:
    """
    Return the literal text every subject a glob matches starts with.

    ``"casualties.*"`` gives ``"casualties."``; a pattern opening with a
    wildcard gives ``""``.

    .. versionadded:: 0.1.0
    """
    return re.split(r"[*?\[]", pattern, maxsplit=1)[0]
