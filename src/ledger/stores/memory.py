"""An event store in memory: for tests, scratch work and the docs."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from datetime import datetime
from fnmatch import fnmatchcase

from ledger.errors import StoreError
from ledger.stores._base import (
    GENESIS_HASH,
    Head,
    NewEvent,
    RawEvent,
    StoredEvent,
    StreamInfo,
    check_continues,
    decode_all,
    seal,
)
from ledger.times import Stamp, utc_now

__all__ = ["MemoryStore"]


class MemoryStore:
    """
    Keep the log in a list; nothing survives the process.

    It stores the same sealed bytes as the SQLite store, so the two are
    interchangeable behind `ledger.stores.EventStore`.

    .. versionadded:: 0.1.0
    """

    def __init__(self, clock: Callable[[], datetime] = utc_now) -> None:
        """Create an empty store whose recorded times come from *clock*."""
        self._clock = clock
        self._log: list[RawEvent] = []
        self._ids: dict[str, int] = {}
        self._streams: dict[str, list[int]] = {}
        self._subjects: dict[str, list[int]] = {}
        self._depth = 0
        # Notified when appends become visible, for followers in other threads.
        self._grown = threading.Condition()

    def append(
        self,
        batch: Sequence[NewEvent],
        expected: Mapping[str, int] | None = None,
        *,
        decoded: bool = True,
    ) -> tuple[StoredEvent, ...]:
        """Append *batch* atomically; see `ledger.stores.EventStore.append`."""
        sealed = seal(
            batch=batch,
            expected=expected,
            head=self.head(),
            lookup=self._info,
            id_taken=self._ids.__contains__,
            now=self._clock(),
        )
        for raw in sealed:
            self._add(raw)
        self._notify()
        return tuple(raw.decode() for raw in sealed) if decoded else ()

    def append_raw(self, raws: Sequence[RawEvent]) -> Head:
        """Append sealed events verbatim; see `ledger.stores.EventStore.append_raw`."""
        check_continues(self.head(), raws)
        taken = [r.event_id for r in raws if r.event_id in self._ids]
        if taken or len({r.event_id for r in raws}) < len(raws):
            raise StoreError("the events repeat an id; nothing was written")
        current: dict[str, int] = {}
        for raw in raws:
            if raw.stream not in current:
                info = self._info(raw.stream)
                current[raw.stream] = 0 if info is None else info[0]
            if raw.version != current[raw.stream] + 1:
                raise StoreError(f"event {raw.seq} skips a version of stream {raw.stream!r}")
            current[raw.stream] = raw.version
        for raw in raws:
            self._add(raw)
        self._notify()
        return self.head()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Group several appends: on an error inside the block, all of them are undone."""
        if self._depth:
            yield
            return
        mark = len(self._log)
        self._depth += 1
        try:
            yield
        except BaseException:
            self._truncate(mark)
            raise
        finally:
            self._depth -= 1

    def _notify(self) -> None:
        with self._grown:
            self._grown.notify_all()

    def wait(self, after: int, timeout: float) -> bool:
        """
        Wait for an append past *after*; see `ledger.stores.EventStore.wait`.

        The memory store isolates nothing: a follower in another thread may
        see the events of a `transaction` that is still open.

        .. versionadded:: 0.1.0
        """
        with self._grown:
            return self._grown.wait_for(lambda: len(self._log) > after, timeout)

    def _truncate(self, mark: int) -> None:
        for raw in reversed(self._log[mark:]):
            del self._ids[raw.event_id]
            for index in (self._streams, self._subjects):
                key = raw.stream if index is self._streams else raw.subject
                index[key].pop()
                if not index[key]:
                    del index[key]
        del self._log[mark:]

    def _add(self, raw: RawEvent) -> None:
        index = len(self._log)
        self._log.append(raw)
        self._ids[raw.event_id] = index
        self._streams.setdefault(raw.stream, []).append(index)
        self._subjects.setdefault(raw.subject, []).append(index)

    def _info(self, stream: str) -> StreamInfo | None:
        indexes = self._streams.get(stream)
        if not indexes:
            return None
        last = self._log[indexes[-1]]
        return last.version, last.subject

    def head(self) -> Head:
        """Return the current head of the log."""
        if not self._log:
            return Head(0, GENESIS_HASH)
        last = self._log[-1]
        return Head(last.seq, last.hash, last.recorded_at)

    def stream_version(self, stream: str) -> int:
        """Return the current version of *stream* (0 when it does not exist)."""
        info = self._info(stream)
        return 0 if info is None else info[0]

    def get(self, event_id: str) -> StoredEvent | None:
        """Return the stored event with *event_id*, or ``None``."""
        index = self._ids.get(event_id)
        return None if index is None else self._log[index].decode()

    def read(self, after: int = 0) -> Iterator[StoredEvent]:
        """Yield stored events with ``seq > after`` in order."""
        return decode_all(self.read_raw(after))

    def read_raw(
        self, after: int = 0, *, types: Collection[str] | None = None
    ) -> Iterator[RawEvent]:
        """Yield raw stored events with ``seq > after`` in order; with *types*, of those only."""
        # seq n sits at index n - 1; slicing a copy keeps iteration safe
        # while the caller appends.
        found = self._log[max(after, 0) :]
        if types is None:
            return iter(found)
        wanted = set(types)
        return (raw for raw in found if raw.type in wanted)

    def read_seqs(self, seqs: Sequence[int]) -> list[RawEvent]:
        """Return the raw events with the sequence numbers *seqs*, in that order."""
        size = len(self._log)
        return [self._log[seq - 1] for seq in seqs if 0 < seq <= size]

    def read_stream(self, stream: str) -> Iterator[StoredEvent]:
        """Yield the events of *stream* in version order."""
        return decode_all(self._log[i] for i in list(self._streams.get(stream, ())))

    def read_streams(self, streams: Sequence[str]) -> dict[str, list[StoredEvent]]:
        """Return the events of each of *streams* in version order."""
        return {stream: list(self.read_stream(stream)) for stream in streams}

    def read_streams_holding(self, event_ids: Collection[str]) -> list[RawEvent]:
        """Return the raw events of the streams holding *event_ids*; see `EventStore`."""
        streams = {self._log[i].stream for i in map(self._ids.get, event_ids) if i is not None}
        return [self._log[i] for stream in sorted(streams) for i in self._streams[stream]]

    def read_subject(self, subject: str, until: Stamp | None = None) -> Iterator[StoredEvent]:
        """Yield *subject*'s events in seq order, up to *until* (stated time as written)."""
        limit = None if until is None else until.until_us
        return decode_all(
            raw
            for raw in (self._log[i] for i in list(self._subjects.get(subject, ())))
            if limit is None or raw.stated_until is None or raw.stated_until <= limit
        )

    def subjects(self, pattern: str | None = None) -> list[str]:
        """Return the subjects in the log, sorted; with *pattern*, those it matches."""
        found = sorted(self._subjects)
        return found if pattern is None else [s for s in found if fnmatchcase(s, pattern)]

    def spans_at(self, at: Stamp | None, pattern: str | None) -> None:
        """Return ``None``: the memory store keeps no spans, so queries replay."""
        del at, pattern

    def chosen_at(self, at: Stamp | None, valid_at: Stamp, pattern: str | None) -> None:
        """Return ``None``: the memory store keeps no spans, so queries replay."""
        del at, valid_at, pattern

    def rebuild(self) -> int:
        """Return 0: the memory store derives nothing it would have to rebuild."""
        return 0

    def close(self) -> None:
        """Do nothing: there is nothing to release."""
