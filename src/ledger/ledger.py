"""
The `Ledger`: the one object users hold.

It is the imperative shell around the pure core: it reads what a command
refers to, lets `ledger.commands.decide` judge it, and appends the decided
events in one atomic batch with the stream versions they were decided on.
A concurrent writer that got there first makes the append fail with
`ConcurrencyError`; the ledger then reads again and decides again, a few
times, before it gives up.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import itertools
import operator
import os
import secrets
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from decimal import Decimal
from fnmatch import fnmatchcase
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

from ledger._parallel import verify_parallel
from ledger.commands import (
    AssertClaim,
    Command,
    CorrectEntry,
    CorroborateClaim,
    RebutClaim,
    RetractRecord,
    ReviseClaim,
    StreamFold,
    decide,
    event_as_it_stands,
    rebuttal_carrying,
)
from ledger.errors import ConcurrencyError, UnknownReferenceError, ValidationError
from ledger.events import CorrectedValue, Event
from ledger.follow import Stop, follow
from ledger.integrity import VerifyReport, verify
from ledger.projections import Projection, replay
from ledger.projections.contested import State, SubjectProjection, SubjectState, summarize
from ledger.projections.history import Change, history
from ledger.projections.spans import (
    Choice,
    Spans,
    choose,
    containing,
    slices,
    state_from_spans,
    stream_spans,
    stream_tables,
)
from ledger.records import ImportSummary, export_records, import_records
from ledger.replaying import stored_timeline
from ledger.stores import EventStore, Head, MemoryStore, NewEvent, SqliteStore, StoredEvent
from ledger.stores.postgres import PostgresStore, glob_prefix, is_url
from ledger.times import Stamp, parse_stamp, utc_now
from ledger.values import Label, Quantity, Value

__all__ = ["Batch", "Ledger", "TimeLike", "ValueLike"]

S = TypeVar("S")

TimeLike = Stamp | str
"""A time: a `Stamp`, or an ISO 8601 string parsed with `parse_stamp`."""

ValueLike = Value | int | Decimal | str
"""A value: a `Quantity` or `Label`, or shorthand: a number (exact) or a string (a label)."""


def _stamp(value: TimeLike | None) -> Stamp | None:
    if value is None or isinstance(value, Stamp):
        return value
    return parse_stamp(value)


def _required_stamp(value: TimeLike, field: str = "stated_at") -> Stamp:
    stamp = _stamp(value)
    if stamp is None:
        raise ValidationError(f"{field}: a time is required")
    return stamp


def _value(value: ValueLike) -> Value:
    if isinstance(value, Quantity | Label):
        return value
    if isinstance(value, str):
        return Label(value)
    return Quantity(amount=value)


def new_id(kind: str) -> str:
    """Return a fresh random id for a record of *kind*."""
    return f"{kind}-{secrets.token_hex(8)}"


@contextlib.contextmanager
def _bulk() -> Iterator[None]:
    """
    Pause the cyclic garbage collector while a query builds many objects.

    A state, a replay or an import makes hundreds of thousands of objects
    and no reference cycles; each collection would walk them all again (at a
    million events that was half of a full state's time). Reference
    counting still frees everything as usual.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _known_prefix(store: EventStore, known_at: Stamp) -> tuple[int, int]:
    """Return how many events were recorded by *known_at*, and how many there are."""
    head = store.head()
    if head.recorded_at is None or parse_stamp(head.recorded_at).known_by(known_at):
        return head.size, head.size

    def known(seq: int) -> bool:
        raw = next(store.read_raw(seq - 1))
        return parse_stamp(raw.recorded_at).known_by(known_at)

    # The recorded axis never runs backwards (see ledger.stores.seal), so what
    # was known by a time is a prefix of the log: find its end by bisection.
    low, high = 0, head.size - 1  # event low is known (0: none), event high + 1 is not
    while low < high:
        middle = (low + high + 1) // 2
        if known(middle):
            low = middle
        else:
            high = middle - 1
    return low, head.size


_PARALLEL_FROM = 100_000
"""Below this many events, starting processes costs more than it saves."""

_STREAMED_FROM = 250_000
"""`Ledger.replay` reads a log this long or longer back in order instead of holding it decoded.

Below it, holding every decoded event (about 1.2 KB each) is quicker, by
about 1.3x at 100,000 events; at a million, the two take about as long and
reading back holds 271 MB instead of 1,227 MB.
"""

_KNOWN_FROM_SPANS = 0.25
"""`state(known_at=...)` reads the spans while at most this share of the log came later."""

_KNOWN_SLICE = 2000
"""Streams read at once when their spans are computed again as known at a time."""


class _View:
    """What `decide` sees: the store, plus the batch decided so far."""

    def __init__(self, store: EventStore, limit: int = 150_000) -> None:
        self._store = store
        # The folds of the streams used last, oldest first; a big import
        # keeps folds of at most *limit* records in all (about 300 bytes
        # each), so its memory stays bounded however long streams grow, while
        # the streams it keeps touching stay folded.
        self._folds: OrderedDict[str, StreamFold] = OrderedDict()
        self._streams: dict[str, str] = {}
        self._held = 0  # records in the folds kept
        self._limit = limit
        # Decided events the store does not hold yet, by stream: `event_of`
        # reads the rest of a stream from the store.
        self._unflushed: dict[str, list[tuple[str, Event]]] = {}
        # Ids no record has, as last read, until the view adds them: an
        # import asks about each new id twice (imported already? free?).
        self._absent: set[str] = set()
        # The last record `event_of` read, until the view adds events: a
        # correction's record is read when it is parsed and when it is decided.
        self._read: tuple[str, Event | None] | None = None

    def stream_of(self, record_id: str) -> StreamFold | None:
        if record_id not in self._streams and record_id not in self._absent:
            self.prefetch([record_id])
        stream = self._streams.get(record_id)
        if stream is None:
            return None
        self._folds.move_to_end(stream)
        return self._folds[stream]

    def prefetch(self, record_ids: Iterable[str]) -> None:
        # One read for the streams of many ids, folded from their rows undecoded.
        wanted = {r for r in record_ids if r not in self._streams and r not in self._absent}
        if not wanted:
            return
        raws = self._store.read_streams_holding(wanted)
        for stream, rows in itertools.groupby(raws, key=operator.attrgetter("stream")):
            if stream not in self._folds:  # a kept fold is ahead of the store
                self._keep(StreamFold.of_raw(stream, rows))
        self._absent.update(wanted.difference(self._streams))

    def event_of(self, record_id: str) -> Event | None:
        if self._read is not None and self._read[0] == record_id:
            return self._read[1]
        fold = self.stream_of(record_id)
        if fold is None:
            return None
        events = [(e.event_id, e.event) for e in self._store.read_stream(fold.stream)]
        events.extend(self._unflushed.get(fold.stream, ()))
        event = event_as_it_stands(record_id, events)
        self._read = (record_id, event)
        return event

    def _keep(self, fold: StreamFold) -> StreamFold:
        before = self._folds.get(fold.stream)
        self._held += len(fold.records) - (0 if before is None else len(before.records))
        self._folds[fold.stream] = fold
        self._folds.move_to_end(fold.stream)
        for record in fold.records:
            self._streams[record] = fold.stream
        return fold

    def trim(self) -> None:
        # Everything decided so far is in the store now, so a fold dropped
        # here is folded again from the store if it is needed again.
        self._unflushed.clear()
        if len(self._absent) > self._limit:  # ids asked about and never added: keep it bounded
            self._absent.clear()
        while self._held > self._limit:
            _, fold = self._folds.popitem(last=False)
            self._held -= len(fold.records)
            for record in fold.records:
                self._streams.pop(record, None)

    def add(self, events: Iterable[NewEvent]) -> None:
        self._read = None
        for item in events:
            fold = self._folds.get(item.stream)
            if fold is None:
                fold = self.stream_of(item.stream) or StreamFold(stream=item.stream)
            self._keep(fold.apply(item.event_id, item.event))
            self._absent.discard(item.event_id)
            self._unflushed.setdefault(item.stream, []).append((item.event_id, item.event))


class Batch:
    """
    Commands decided one by one inside one transaction: all stored, or none.

    Get one from `Ledger.batch`. Each `add` decides its command at once
    (raising if it breaks a rule, with nothing of it kept), seeing the
    commands added before it. Decided events go to the store in chunks, so a
    batch of a million records holds only a chunk in memory; the store's
    transaction makes them one atomic write.

    .. versionadded:: 0.1.0
    """

    def __init__(self, store: EventStore, *, keep: bool = True, chunk: int = 1000) -> None:
        """
        Start an empty batch over *store*.

        Args:
            store: The store, inside its `transaction`.
            keep: Keep the stored events for `stored` (off for big imports).
            chunk: How many events to decide before handing them to the store.
        """
        self._store = store
        self._view = _View(store)
        self._pending: list[NewEvent] = []
        self._expected: dict[str, int] = {}
        self._keep = keep
        self._chunk = chunk
        self.stored: list[StoredEvent] = []
        self.count = 0

    def add(self, command: Command) -> tuple[NewEvent, ...]:
        """Decide *command* against the ledger and the batch so far; return its events."""
        decision = decide(self._view, command)
        for stream, version in decision.expected.items():
            self._expected.setdefault(stream, version)
        self._view.add(decision.events)
        self._pending.extend(decision.events)
        if len(self._pending) >= self._chunk:
            self.flush()
        return decision.events

    def flush(self) -> None:
        """Hand the decided events to the store (still inside its transaction)."""
        if self._pending:
            stored = self._store.append(self._pending, self._expected, decoded=self._keep)
            self.count += len(self._pending)
            self.stored.extend(stored)
            self._pending, self._expected = [], {}
        self._view.trim()

    def stream_of(self, record_id: str) -> StreamFold | None:
        """Return the folded stream holding *record_id*, batch included."""
        return self._view.stream_of(record_id)

    def prefetch(self, record_ids: Iterable[str]) -> None:
        """
        Read the streams of many records at once, for the commands about to be added.

        Only saves round trips: what `stream_of` answers is the same without it.
        """
        self._view.prefetch(record_ids)

    def event_of(self, record_id: str) -> Event | None:
        """Return *record_id*'s event with every correction applied, batch included."""
        return self._view.event_of(record_id)

    def release(self) -> None:
        """Forget the folds kept for deciding; everything decided is in the store."""
        self.flush()
        self._view = _View(self._store)


class Ledger:
    """
    A ledger of contested claims over an event store.

    Open one with `Ledger.open` (an SQLite file) or `Ledger.memory`; use it
    as a context manager so the store is closed.

    .. versionadded:: 0.1.0
    """

    def __init__(self, store: EventStore, *, retries: int = 5) -> None:
        """
        Wrap *store*.

        Args:
            store: Any `EventStore`.
            retries: How often a command is decided again after losing an
                optimistic-concurrency race before `ConcurrencyError` reaches
                the caller.
        """
        self.store = store
        self.retries = retries

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        create: bool = True,
        clock: Callable[[], datetime] = utc_now,
    ) -> Self:
        """
        Open the ledger at *path*, creating it unless *create* is false.

        *path* is an SQLite file, or a ``postgresql://`` URL (with the
        ``ledger[postgres]`` extra; see `ledger.stores.PostgresStore`).

        Raises:
            NotALedgerError: The file is not a ledger, or from a newer version.
            StoreError: The file is missing and *create* is false.
        """
        if is_url(path):
            return cls(PostgresStore(str(path), create=create, clock=clock))
        return cls(SqliteStore(path, create=create, clock=clock))

    @classmethod
    def memory(cls, *, clock: Callable[[], datetime] = utc_now) -> Self:
        """Return a ledger that lives in memory only."""
        return cls(MemoryStore(clock=clock))

    def __enter__(self) -> Self:
        """Return the ledger itself."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the store."""
        self.close()

    def close(self) -> None:
        """Close the store."""
        self.store.close()

    # -- commands ---------------------------------------------------------

    @contextlib.contextmanager
    def batch(self, *, keep: bool = True) -> Iterator[Batch]:
        """
        Decide several commands and store them atomically, in one transaction.

        An error inside the block stores nothing. On SQLite the block holds the
        write lock, so what it reads cannot change before it commits.

        Args:
            keep: Keep the stored events in `Batch.stored`; a big import
                passes ``False`` to stay in constant memory.
        """
        with self.store.transaction():
            batch = Batch(self.store, keep=keep)
            yield batch
            batch.flush()
            batch.release()  # before the commit, which refreshes the spans

    def execute(self, *commands: Command) -> tuple[StoredEvent, ...]:
        """
        Decide and append *commands* atomically; return the stored events.

        The commands are read, decided and appended inside one transaction. A
        store that cannot hold a lock that long reports a lost race with
        `ConcurrencyError`; the ledger then decides again, up to ``retries``
        times.

        Raises:
            RuleError: A command breaks a rule; nothing was written.
            ConcurrencyError: Other writers kept winning the race.
        """

        def attempt() -> tuple[StoredEvent, ...]:
            with self.batch() as batch:
                for command in commands:
                    batch.add(command)
            return tuple(batch.stored)

        return self._retrying(attempt)

    def _retrying(self, attempt: Callable[[], S]) -> S:
        """Run *attempt*, again after each lost race, up to ``retries`` more times."""
        for tries_left in range(self.retries, -1, -1):
            try:
                return attempt()
            except ConcurrencyError:
                if not tries_left:
                    raise
        raise AssertionError  # pragma: no cover - the loop returns or raises

    def claim(  # noqa: PLR0913 - one keyword per field of a claim
        self,
        subject: str,
        value: ValueLike,
        *,
        source: str,
        stated_at: TimeLike,
        id: str | None = None,  # noqa: A002 - the record format's name
        as_of: TimeLike | None = None,
        via: str | None = None,
        citation: str | None = None,
        quote: str | None = None,
        note: str | None = None,
    ) -> tuple[StoredEvent, ...]:
        """
        Record that *source* claimed *value* for *subject*.

        Example: ``ledger.claim("control.kherson", "russia", source="Russia",
        stated_at="2022-03-02")``.
        """
        return self.execute(
            AssertClaim(
                id=id or new_id("claim"),
                subject=subject,
                value=_value(value),
                source=source,
                stated_at=_required_stamp(stated_at),
                as_of=_stamp(as_of),
                via=via,
                citation=citation,
                quote=quote,
                note=note,
            )
        )

    def revise(  # noqa: PLR0913
        self,
        revises: str,
        value: ValueLike,
        *,
        stated_at: TimeLike,
        id: str | None = None,  # noqa: A002
        as_of: TimeLike | None = None,
        source: str | None = None,
        via: str | None = None,
        note: str | None = None,
        citation: str | None = None,
        quote: str | None = None,
    ) -> tuple[StoredEvent, ...]:
        """Record that a claim's source restated it as *value*."""
        return self.execute(
            ReviseClaim(
                id=id or new_id("revision"),
                revises=revises,
                value=_value(value),
                stated_at=_required_stamp(stated_at),
                as_of=_stamp(as_of),
                source=source,
                via=via,
                note=note,
                citation=citation,
                quote=quote,
            )
        )

    def rebut(  # noqa: PLR0913
        self,
        rebuts: str,
        *,
        source: str,
        stated_at: TimeLike,
        id: str | None = None,  # noqa: A002
        value: ValueLike | None = None,
        as_of: TimeLike | None = None,
        reason: str | None = None,
        via: str | None = None,
        citation: str | None = None,
        quote: str | None = None,
        note: str | None = None,
    ) -> tuple[StoredEvent, ...]:
        """Record that *source* disputed a claim, with an optional counter-*value*."""
        return self.execute(
            RebutClaim(
                id=id or new_id("rebuttal"),
                rebuts=rebuts,
                source=source,
                stated_at=_required_stamp(stated_at),
                counter_value=None if value is None else _value(value),
                counter_as_of=_stamp(as_of),
                reason=reason,
                via=via,
                citation=citation,
                quote=quote,
                note=note,
            )
        )

    def retract(  # noqa: PLR0913
        self,
        retracts: str,
        *,
        stated_at: TimeLike,
        id: str | None = None,  # noqa: A002
        source: str | None = None,
        via: str | None = None,
        note: str | None = None,
        citation: str | None = None,
        quote: str | None = None,
    ) -> tuple[StoredEvent, ...]:
        """Record that a source withdrew its claim, revision or rebuttal."""
        return self.execute(
            RetractRecord(
                id=id or new_id("retraction"),
                retracts=retracts,
                stated_at=_required_stamp(stated_at),
                source=source,
                via=via,
                note=note,
                citation=citation,
                quote=quote,
            )
        )

    def corroborate(  # noqa: PLR0913
        self,
        corroborates: str,
        *,
        source: str,
        stated_at: TimeLike,
        id: str | None = None,  # noqa: A002
        via: str | None = None,
        citation: str | None = None,
        quote: str | None = None,
        note: str | None = None,
    ) -> tuple[StoredEvent, ...]:
        """Record that another source confirmed a claim."""
        return self.execute(
            CorroborateClaim(
                id=id or new_id("corroboration"),
                corroborates=corroborates,
                source=source,
                stated_at=_required_stamp(stated_at),
                via=via,
                citation=citation,
                quote=quote,
                note=note,
            )
        )

    def correct(
        self,
        corrects: str,
        *,
        note: str,
        id: str | None = None,  # noqa: A002
        **fields: CorrectedValue | int | Decimal,
    ) -> tuple[StoredEvent, ...]:
        """
        Fix the ledger's transcription of record *corrects*.

        Fields are passed by name: ``ledger.correct("c1", note="typo",
        value=Quantity(amount=489))``. Times may be strings; a bare number for
        ``value`` is an exact quantity.
        """
        clean: dict[str, CorrectedValue] = {}
        for name, given in fields.items():
            if name == "value" and given is not None and not isinstance(given, Stamp):
                clean[name] = _value(given)
            elif name in {"stated_at", "as_of"} and isinstance(given, str):
                clean[name] = parse_stamp(given)
            elif isinstance(given, int | Decimal):
                raise ValidationError(f"{name}: a number only fits the field 'value'")
            else:
                clean[name] = given
        return self.execute(
            CorrectEntry(id=id or new_id("correction"), corrects=corrects, fields=clean, note=note)
        )

    # -- queries ----------------------------------------------------------

    def state(
        self,
        *,
        at: TimeLike | None = None,
        known_at: TimeLike | None = None,
        valid_at: TimeLike | None = None,
        subjects: str | None = None,
    ) -> State:
        """
        Return the contested state.

        Args:
            at: Only what was stated by then (the precision rule of
                `ledger.times`); default: everything.
            known_at: Only what the ledger had recorded by then.
            valid_at: Each source's latest word about that time.
            subjects: An exact subject key or a glob such as ``casualties.*``.
        """
        at_, known_, valid_ = _stamp(at), _stamp(known_at), _stamp(valid_at)
        with _bulk():
            states = self._from_spans(at_, known_, valid_, subjects)
        if states is not None:
            return State(at=at_, known_at=known_, valid_at=valid_, subjects=states)
        return self.replayed_state(at=at_, known_at=known_, valid_at=valid_, subjects=subjects)

    def _from_spans(
        self, at: Stamp | None, known_at: Stamp | None, valid_at: Stamp | None, pattern: str | None
    ) -> tuple[SubjectState, ...] | None:
        # None when the store keeps no spans, or replaying is as cheap.
        known = None
        if known_at is not None:
            known = self._known(known_at, pattern)
            if known is None:
                return None
        # For valid_at, the versions standing at `at` hold what it chooses from.
        chosen = None if valid_at is None else self.store.chosen_at(at, valid_at, pattern)
        if valid_at is not None and chosen is None:
            return None
        spans = self.store.spans_at(at, pattern)
        if spans is None:
            return None
        if known is not None:
            spans, chosen = self._as_known(spans, chosen, at, valid_at, known, pattern)
        return state_from_spans(*spans, chosen=chosen)

    def _known(self, known_at: Stamp, pattern: str | None) -> int | None:
        # How many events were recorded by known_at; None when replaying is
        # as cheap: for one subject, or when most of the log came after.
        if pattern is not None and glob_prefix(pattern) == pattern:
            return None
        known, size = _known_prefix(self.store, known_at)
        return None if size - known > _KNOWN_FROM_SPANS * size else known

    def _as_known(  # noqa: PLR0913, PLR0917 - what the query asked, and what the stores gave
        self,
        spans: Spans,
        chosen: dict[str, Choice] | None,
        at: Stamp | None,
        valid_at: Stamp | None,
        known: int,
        pattern: str | None,
    ) -> tuple[Spans, dict[str, Choice] | None]:
        # The spans (and version spans) hold what is known now. A stream
        # nothing was recorded for after the first *known* events has the
        # spans it had then; the others are computed again from their first
        # *known* events (a stream begun since has none), and so is the claim
        # a changed counter-claim rebuts, whose rebuttal ends where the
        # counter-claim first changes. Read after the spans, so a write that
        # landed in them meanwhile is computed away too.
        changed: dict[str, str] = {raw.stream: raw.subject for raw in self.store.read_raw(known)}
        for rebuttal in [r for r in map(rebuttal_carrying, list(changed)) if r is not None]:
            owner = self.store.get(rebuttal)
            if owner is not None:
                changed.setdefault(owner.stream, owner.subject)
        again = [s for s, on in changed.items() if pattern is None or fnmatchcase(on, pattern)]

        def read_known(streams: list[str]) -> dict[str, list[StoredEvent]]:
            found = self.store.read_streams(streams)
            return {stream: [e for e in found[stream] if e.seq <= known] for stream in found}

        claims = [span for span in spans[0] if span.claim_id not in changed]
        rebuttals = [span for span in spans[1] if span.claim_id not in changed]
        corroborations = [span for span in spans[2] if span.claim_id not in changed]
        if chosen is not None:
            chosen = {claim: c for claim, c in chosen.items() if claim not in changed}
        until = None if at is None else at.until_us
        for events, lapsed in slices(again, read_known, _KNOWN_SLICE):
            for stored in events.values():
                if not stored:
                    continue
                if chosen is None or valid_at is None:
                    computed = stream_spans(stored, lapsed)
                else:
                    computed, versions = stream_tables(stored, lapsed)
                    chosen.update(choose(versions, until, valid_at))
                then = containing(computed, until)
                claims.extend(then[0])
                rebuttals.extend(then[1])
                corroborations.extend(then[2])
        return (claims, rebuttals, corroborations), chosen

    def _subject_state(
        self, subject: str, at: Stamp | None, known_at: Stamp | None, valid_at: Stamp | None
    ) -> SubjectState | None:
        events = self.store.read_subject(subject)
        fold = replay(SubjectProjection(subject), events, at=at, known_at=known_at)
        return summarize(fold, valid_at)

    def replayed_state(
        self,
        *,
        at: TimeLike | None = None,
        known_at: TimeLike | None = None,
        valid_at: TimeLike | None = None,
        subjects: str | None = None,
    ) -> State:
        """
        Return the contested state by replaying each subject's events.

        The same answer as `state`, computed the slow way: `state` takes it
        for ``known_at`` and ``valid_at``, and tests hold the two equal.
        """
        at_, known_, valid_ = _stamp(at), _stamp(known_at), _stamp(valid_at)
        states = []
        with _bulk():
            for subject in self.store.subjects(subjects):
                state = self._subject_state(subject, at_, known_, valid_)
                if state is not None:
                    states.append(state)
        return State(at=at_, known_at=known_, valid_at=valid_, subjects=tuple(states))

    def history(
        self,
        subject_or_id: str,
        *,
        since: TimeLike | None = None,
        until: TimeLike | None = None,
        known_at: TimeLike | None = None,
    ) -> list[Change]:
        """
        Return every change to a subject, or to the claim holding a record id.

        Raises:
            UnknownReferenceError: Neither a subject nor a record id.
        """
        if subject_or_id in self.store.subjects(subject_or_id):
            events: Iterable[StoredEvent] = self.store.read_subject(subject_or_id)
        else:
            stored = self.store.get(subject_or_id)
            if stored is None:
                raise UnknownReferenceError(
                    f"{subject_or_id!r} is neither a subject nor a record id in the ledger"
                )
            events = self.store.read_stream(stored.stream)
        return history(events, since=_stamp(since), until=_stamp(until), known_at=_stamp(known_at))

    def replay(
        self,
        projection: Projection[S],
        *,
        at: TimeLike | None = None,
        known_at: TimeLike | None = None,
    ) -> S:
        """
        Fold a projection of your own over the whole log, in stated order.

        The events come as `ledger.projections.timeline` orders them. A long
        log is read back in that order a chunk at a time
        (`ledger.replaying.stored_timeline`), so the replay holds the events'
        positions, not the events.
        """
        at_, known_ = _stamp(at), _stamp(known_at)
        size = self.store.head().size
        with _bulk():
            if size < _STREAMED_FROM:
                return replay(projection, self.store.read(), at=at_, known_at=known_)
            if known_ is not None:
                size = _known_prefix(self.store, known_)[0]
            events = stored_timeline(self.store, size=size, at=at_)
            return functools.reduce(projection.apply, events, projection.initial())

    def import_records(
        self, *files: str | os.PathLike[str], progress: Callable[[int], None] | None = None
    ) -> ImportSummary:
        """
        Import records files atomically and idempotently; see `ledger.records`.

        Raises:
            RecordError: Naming file, line and field; nothing was imported.
        """
        paths = [Path(f) for f in files]
        with _bulk():
            return self._retrying(lambda: import_records(self, paths, progress=progress))

    def export_records(self) -> Iterator[dict[str, Any]]:
        """Yield the ledger as record objects that import back to the same state and history."""
        return export_records(self.store.read(), self.store.get)

    def verify(self, against: Head | None = None, *, jobs: int = 1) -> VerifyReport:
        """
        Walk the hash chain; see `ledger.integrity.verify`.

        Args:
            against: A published checkpoint the log must extend.
            jobs: How many processes share the walk of a long log stored in
                an SQLite file (each link can be checked on its own); logs
                under 100,000 events, in memory, or read inside an open
                transaction are walked here.

        .. versionadded:: 0.1.0
        """
        store = self.store
        if (
            jobs > 1
            and isinstance(store, SqliteStore)
            and store.path != ":memory:"
            and not store.conn.in_transaction
            and store.head().size >= _PARALLEL_FROM
        ):
            return verify_parallel(store, jobs, against)
        return verify(store.read_raw(), against)

    def head(self) -> Head:
        """Return the log's size and head hash, a checkpoint to publish."""
        return self.store.head()

    def get(self, record_id: str) -> StoredEvent | None:
        """Return the stored event with *record_id*, or ``None``."""
        return self.store.get(record_id)

    def events(self, after: int = 0) -> Iterator[StoredEvent]:
        """Yield the stored events after sequence number *after*."""
        return self.store.read(after)

    def follow(
        self,
        after: int = 0,
        *,
        wait: bool = True,
        poll: float = 0.5,
        stop: Stop | None = None,
    ) -> Iterator[StoredEvent]:
        """
        Yield the stored events after *after*, then each new one as it is appended.

        Every event comes once, in order, ``seq`` rising by one; see
        `ledger.follow.follow` for *wait*, *poll* and *stop*. To keep a read
        model of your own up to date across restarts, use
        `ledger.follow.ProjectionRunner`.

        .. versionadded:: 0.1.0
        """
        return follow(self.store, after, wait=wait, poll=poll, stop=stop)
