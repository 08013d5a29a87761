"""
Following the log: stored events as they are appended, and read models kept up to date.

Rules of this module:

- A follower yields every stored event once, in ``seq`` order, each one
  numbered one more than the one before. It remembers the last ``seq`` it
  yielded and always re-reads from there, so whatever the store's
  `~ledger.stores.EventStore.wait` answers (early, late, spuriously, or not
  at all when a notification is lost) can delay an event, never lose or
  repeat one.
- An event numbered past a gap is held back until the gap fills: a backend
  whose transactions become visible out of order never makes a follower
  skip. Whatever a read yields again (``seq`` not past the last) is dropped.
- A projection runner folds events in log order, as they arrive. That is
  not the stated order `ledger.projections.replay` uses, which needs the
  whole log at once (a later event may go before an earlier one); a
  projection run live sees corrections as events of their own.
- A runner saves its state and its position together, in one write of its
  `Checkpoint`. After a crash it resumes from the last save and folds again
  only what that save did not cover: the saved read model holds every event
  exactly once, whenever the process died.
"""

from __future__ import annotations

import functools
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from typing import Generic, Protocol, TypeAlias, TypeVar

from ledger import codec
from ledger.errors import CheckpointError, ValidationError
from ledger.projections import Projection
from ledger.stores import GENESIS_HASH, EventStore, Head, RawEvent, StoredEvent

__all__ = [
    "Checkpoint",
    "MemoryCheckpoint",
    "ProjectionRunner",
    "SqliteCheckpoint",
    "Stop",
    "follow",
    "follow_raw",
]

S = TypeVar("S")
T = TypeVar("T", StoredEvent, RawEvent)

Stop: TypeAlias = "threading.Event | Callable[[], bool]"
"""
When to stop following: a `threading.Event` that gets set, or a callable that returns true.

.. versionadded:: 0.1.0
"""

_CAUGHT_UP = None  # what the core yields when a read pass found nothing more


def _stopper(stop: Stop | None) -> Callable[[], bool]:
    if stop is None:
        return lambda: False
    if isinstance(stop, threading.Event):
        return stop.is_set
    return stop


def _check(after: int, poll: float) -> None:
    if isinstance(after, bool) or not isinstance(after, int) or after < 0:
        raise ValidationError(f"after: a sequence number, 0 or more, not {after!r}", field="after")
    if not poll > 0:
        raise ValidationError(f"poll: a number of seconds above 0, not {poll!r}", field="poll")


def _passes(  # noqa: PLR0913 - the follower's options, passed through
    read: Callable[[int], Iterator[T]],
    wait_for: Callable[[int, float], bool],
    after: int,
    *,
    wait: bool,
    poll: float,
    stop: Stop | None,
) -> Iterator[T | None]:
    """Yield events past *after*, and ``None`` each time a read pass has caught up."""
    stopped = _stopper(stop)
    last = after
    while not stopped():
        for item in read(last):
            if item.seq <= last:
                continue
            if item.seq != last + 1 or stopped():
                break
            yield item
            last = item.seq
        yield _CAUGHT_UP
        if not wait or stopped():
            return
        # Re-read whatever wait answers: its answer is only a hint.
        wait_for(last, poll)


def follow(
    store: EventStore,
    after: int = 0,
    *,
    wait: bool = True,
    poll: float = 0.5,
    stop: Stop | None = None,
) -> Iterator[StoredEvent]:
    """
    Yield the stored events after *after*, then each new one as it is appended.

    Args:
        store: The store to follow.
        after: The last sequence number already seen; 0 follows from the start.
        wait: Wait for new events once caught up. With ``False``, yield what
            the log holds now and end.
        poll: The longest single wait, in seconds: how often *stop* is looked
            at while the log is quiet, and the polling fallback of a store that
            is woken by notifications.
        stop: Ends the iteration once set (checked before every event and
            after every wait). Without it, a waiting follower runs until the
            caller stops iterating.

    Raises:
        ValidationError: *after* is negative or *poll* not positive.

    .. versionadded:: 0.1.0
    """
    _check(after, poll)
    passes = _passes(store.read, store.wait, after, wait=wait, poll=poll, stop=stop)
    return (item for item in passes if item is not None)


def follow_raw(
    store: EventStore,
    after: int = 0,
    *,
    wait: bool = True,
    poll: float = 0.5,
    stop: Stop | None = None,
) -> Iterator[RawEvent]:
    """
    Yield raw stored events like `follow`, undecoded; ``ledger tail`` prints these.

    .. versionadded:: 0.1.0
    """
    _check(after, poll)
    passes = _passes(store.read_raw, store.wait, after, wait=wait, poll=poll, stop=stop)
    return (item for item in passes if item is not None)


# -- checkpoints -----------------------------------------------------------------


class Checkpoint(Protocol[S]):
    """
    Where a projection runner keeps its read model and how far it has folded.

    Implement it over your own storage to keep a read model there. `save`
    must store the state and the position atomically, in one transaction:
    that is what makes a resumed runner fold every event exactly once.

    .. versionadded:: 0.1.0
    """

    def load(self) -> tuple[Head, S] | None:
        """Return the saved position and state, or ``None`` when nothing was saved."""
        ...

    def save(self, position: Head, state: S) -> None:
        """
        Store *state*, the fold of the events up to *position*, replacing the last save.

        *position* is the ``SIZE:HASH`` of the last event folded.
        """
        ...


class MemoryCheckpoint(Generic[S]):
    """
    Keep the checkpoint in memory: for tests, the docs, and runs that need no restart.

    .. versionadded:: 0.1.0
    """

    def __init__(self) -> None:
        """Start with nothing saved."""
        self.saved: tuple[Head, S] | None = None

    def load(self) -> tuple[Head, S] | None:
        """Return the last save, or ``None``."""
        return self.saved

    def save(self, position: Head, state: S) -> None:
        """Keep *position* and *state* as one value."""
        self.saved = (position, state)


_TABLE = "ledger_checkpoints"
_SCHEMA = (
    f"CREATE TABLE IF NOT EXISTS {_TABLE} ("
    "name TEXT PRIMARY KEY, size INTEGER NOT NULL, hash BLOB NOT NULL, state BLOB NOT NULL)"
)
_UPSERT = (
    f"INSERT INTO {_TABLE} (name, size, hash, state) VALUES (?, ?, ?, ?) "  # noqa: S608 - constant
    "ON CONFLICT (name) DO UPDATE SET size = excluded.size, hash = excluded.hash, "
    "state = excluded.state"
)


class SqliteCheckpoint(Generic[S]):
    """
    Keep a read model and its position in a SQLite file of your own, in one row.

    The state is written as JSON through the one converter
    (`ledger.codec.converter`), or by your own *encode* and *decode*. One
    file holds any number of checkpoints, one per *name*, in the table
    ``ledger_checkpoints``; every save replaces the row in one statement.

    Args:
        path: The read model's file (not the ledger's own file).
        name: Which checkpoint of the file this is, such as the projection's name.
        state_type: The state's type, for the converter to read it back
            (``dict[str, int]``, an attrs class ...). Not needed with *decode*.
        encode: Turn a state into bytes; default: JSON through the converter.
        decode: Turn those bytes back into a state.
        busy_timeout: Seconds to wait for another process's write lock.

    Raises:
        ValidationError: Neither *state_type* nor *decode* is given, or *path*
            is a ledger file.
        CheckpointError: The file cannot be opened as SQLite.

    .. versionadded:: 0.1.0
    """

    def __init__(  # noqa: PLR0913 - each option is one keyword
        self,
        path: str | os.PathLike[str],
        name: str,
        *,
        state_type: type[S] | None = None,
        encode: Callable[[S], bytes] | None = None,
        decode: Callable[[bytes], S] | None = None,
        busy_timeout: float = 30.0,
    ) -> None:
        """Open (or create) the checkpoint table in *path*."""
        if decode is None:
            if state_type is None:
                raise ValidationError("a SqliteCheckpoint needs state_type or decode")
            decode = functools.partial(_decode_with, state_type)
        self.path = str(path)
        self.name = name
        self._encode: Callable[[S], bytes] = encode or _encode
        self._decode = decode
        try:
            self._conn = sqlite3.connect(self.path, timeout=busy_timeout, isolation_level=None)
        except sqlite3.Error as e:
            raise CheckpointError(f"{self.path}: cannot open: {e}") from None
        try:
            self._prepare()
        except BaseException:
            self._conn.close()
            raise

    def _prepare(self) -> None:
        from ledger.stores.sqlite import APPLICATION_ID  # noqa: PLC0415 - the one place needing it

        try:
            app_id = self._conn.execute("PRAGMA application_id").fetchone()[0]
            if app_id == APPLICATION_ID:
                raise ValidationError(
                    f"{self.path}: is a ledger file; keep read models in a file of their own"
                )
            self._conn.execute(_SCHEMA)
        except sqlite3.Error as e:
            raise CheckpointError(f"{self.path}: cannot keep a checkpoint here: {e}") from None

    def load(self) -> tuple[Head, S] | None:
        """
        Return the saved position and state, or ``None`` when nothing was saved.

        Raises:
            CheckpointError: The saved state cannot be read back.
        """
        try:
            row = self._conn.execute(
                f"SELECT size, hash, state FROM {_TABLE} WHERE name = ?",  # noqa: S608 - constant
                (self.name,),
            ).fetchone()
        except sqlite3.Error as e:
            raise CheckpointError(
                f"{self.path}: cannot read checkpoint {self.name!r}: {e}"
            ) from None
        if row is None:
            return None
        size, hash_, state = row
        try:
            return Head(size, bytes(hash_)), self._decode(bytes(state))
        except Exception as e:  # noqa: BLE001 - a decoder of any kind may fail in any way
            raise CheckpointError(
                f"{self.path}: the state of checkpoint {self.name!r} cannot be read back: {e}"
            ) from None

    def save(self, position: Head, state: S) -> None:
        """
        Replace the saved position and state, both or neither.

        Raises:
            CheckpointError: The file cannot be written.
        """
        data = self._encode(state)
        try:
            self._conn.execute(_UPSERT, (self.name, position.size, position.hash, data))
        except sqlite3.Error as e:
            raise CheckpointError(
                f"{self.path}: cannot save checkpoint {self.name!r}: {e}"
            ) from None

    def close(self) -> None:
        """Close the file."""
        self._conn.close()


def _encode(state: object) -> bytes:
    return codec.dumps_exact(codec.converter.unstructure(state))


def _decode_with(state_type: type[S], data: bytes) -> S:
    return codec.converter.structure(codec.loads_exact(data.decode("utf-8")), state_type)


# -- the runner ----------------------------------------------------------------------


class ProjectionRunner(Generic[S]):
    """
    Keep a projection's read model up to date with the log, resuming where it stopped.

    Each run loads the checkpoint (or starts from the projection's initial
    state), checks that the checkpoint belongs to this ledger, folds the
    events after it with ``projection.apply`` in log order, and saves state
    and position together after every *save_every* events and whenever it has
    caught up with the log.

    Args:
        store: The ledger's store (``ledger.store``).
        projection: A pure fold: see `ledger.projections.Projection`.
        checkpoint: Where the state and position are kept.
        save_every: The most events folded between two saves.

    .. versionadded:: 0.1.0
    """

    def __init__(
        self,
        store: EventStore,
        projection: Projection[S],
        checkpoint: Checkpoint[S],
        *,
        save_every: int = 1000,
    ) -> None:
        """
        Prepare a runner; nothing is read until `run`.

        Raises:
            ValidationError: *save_every* is below 1.
        """
        if save_every < 1:
            raise ValidationError(
                f"save_every: at least 1 event, not {save_every!r}", field="save_every"
            )
        self.store = store
        self.projection = projection
        self.checkpoint = checkpoint
        self.save_every = save_every

    def run(self, *, wait: bool = False, poll: float = 0.5, stop: Stop | None = None) -> S:
        """
        Fold the events the checkpoint has not seen, saving as it goes; return the state.

        Args:
            wait: Keep following the log once caught up (until *stop*). By
                default the run ends when it has caught up.
            poll: As in `follow`.
            stop: As in `follow`; the run saves what it folded and returns.

        Raises:
            CheckpointError: The checkpoint was saved from another ledger.
        """
        position, state = self._resume()
        pending = 0
        passes = _passes(
            self.store.read, self.store.wait, position.size, wait=wait, poll=poll, stop=stop
        )
        for stored in passes:
            if stored is not None:
                state = self.projection.apply(state, stored)
                position = Head(stored.seq, stored.hash)
                pending += 1
            if pending and (stored is None or pending >= self.save_every):
                self.checkpoint.save(position, state)
                pending = 0
        return state

    def _resume(self) -> tuple[Head, S]:
        saved = self.checkpoint.load()
        if saved is None:
            return Head(0, GENESIS_HASH), self.projection.initial()
        position, state = saved
        if position.size:
            found = next(self.store.read_raw(position.size - 1), None)
            if found is None or found.seq != position.size or found.hash != position.hash:
                raise CheckpointError(
                    f"the checkpoint at {position} is not part of this ledger (head "
                    f"{self.store.head()}); it was saved from another one. Start the read "
                    "model afresh"
                )
        return position, state
