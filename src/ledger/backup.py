"""
Backup, restore and copy: a ledger rebuilt from its stored events, hashes and all.

Rules of this module:

- The backup is what ``ledger export DB --events`` writes: one stored event a
  line, in the shape of `ledger.output.raw_event_json`. Nothing else is needed
  to rebuild the ledger with the same sequence numbers, recorded times and
  hashes.
- A restore trusts nothing in the file. Each event is sealed again from its
  envelope and its data (written canonically, as the store keeps it) and must
  come out with the hash its line states, chained to the line before, with
  the numbering, ids, stream versions and recorded times a store would have
  given it. The first line that does not is refused, naming the line and its
  sequence number.
- A restore goes into an empty ledger only, in one transaction: a refused
  file writes nothing. Events are handed to the store in chunks, so memory
  stays bounded however long the file.
- A copy (`copy`, ``ledger copy SRC DST``) is a restore straight from another
  store, SQLite or PostgreSQL, with the same checks and the same guarantees.
- A backup proves only that it is a consistent log. Pass the checkpoint
  published for the original (``--against SIZE:HASH``) to prove it is that
  log, none of it dropped up to the checkpoint.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from typing import IO, Any, Final

from ledger import codec
from ledger.errors import LedgerError, StoreError, ValidationError
from ledger.events import ClaimAsserted
from ledger.stores import GENESIS_HASH, EventStore, Head, RawEvent, creating, open_store
from ledger.stores._base import raw_event
from ledger.stores.postgres import display, is_url

__all__ = ["MAX_LINE_BYTES", "copy", "copy_ledger", "read_events", "restore", "restore_file"]

MAX_LINE_BYTES: Final = 1 << 26
"""The longest line a backup may hold (64 MiB)."""

_CHUNK: Final = 1000

_TEXT_KEYS: Final = ("event_id", "stream", "subject", "recorded_at", "type")
_INT_KEYS: Final = ("seq", "version", "schema_version")
_HASH_KEYS: Final = ("prev_hash", "hash")
_KEYS: Final = frozenset({*_TEXT_KEYS, *_INT_KEYS, *_HASH_KEYS, "data"})


def _fields(line: bytes | str) -> dict[str, Any]:
    """Parse one line into its fields, checking their types; raise a bare reason."""
    obj = codec.loads(line)
    if not isinstance(obj, dict):
        raise ValidationError(f"a stored event is a JSON object, not {type(obj).__name__}")
    if obj.keys() != _KEYS:
        missing, extra = sorted(_KEYS - obj.keys()), sorted(obj.keys() - _KEYS)
        raise ValidationError(f"not an exported event (missing {missing}, unexpected {extra})")
    for key in _TEXT_KEYS:
        if not isinstance(obj[key], str):
            raise ValidationError(f"{key}: must be text")
    for key in _INT_KEYS:
        if type(obj[key]) is not int or obj[key] < 1:
            raise ValidationError(f"{key}: must be a whole number from 1")
    for key in _HASH_KEYS:
        text = obj[key]
        if not isinstance(text, str) or len(text) != 64 or text.strip("0123456789abcdef"):
            raise ValidationError(f"{key}: must be 64 lowercase hex digits")
    if not isinstance(obj["data"], dict):
        raise ValidationError("data: must be an object")
    return obj


def _sealed(obj: dict[str, Any]) -> RawEvent:
    """Seal the event a line describes, as a store would have sealed it."""
    return raw_event(
        seq=obj["seq"],
        event_id=obj["event_id"],
        stream=obj["stream"],
        version=obj["version"],
        subject=obj["subject"],
        recorded_at=obj["recorded_at"],
        type_name=obj["type"],
        schema_version=obj["schema_version"],
        data=codec.dumps(obj["data"]),
        prev_hash=bytes.fromhex(obj["prev_hash"]),
    )


class _Log:
    """What a store would know of the log restored so far: enough to check the next event."""

    def __init__(self) -> None:
        self.size = 0
        self.head = GENESIS_HASH
        self.recorded_at = ""
        self.ids: set[str] = set()
        self.streams: dict[str, tuple[int, str]] = {}

    def problem(self, raw: RawEvent, stated_hash: bytes) -> str | None:
        """Return why *raw* cannot follow the log, or ``None``; then it has been added."""
        if raw.seq != self.size + 1:
            return f"found where seq {self.size + 1} belongs (a line was dropped, added or moved)"
        if raw.prev_hash != self.head:
            return "its prev_hash is not the hash of the event before"
        if raw.hash != stated_hash:
            return "the event does not match its hash (the export was altered)"
        try:
            event = raw.decode().event
        except LedgerError as e:
            return f"cannot be read: {e}"
        problem = self._envelope(raw, event)
        if problem is None:
            self.size, self.head = raw.seq, raw.hash
            self.recorded_at = raw.recorded_at
            self.ids.add(raw.event_id)
            self.streams[raw.stream] = (raw.version, raw.subject)
        return problem

    def _envelope(self, raw: RawEvent, event: object) -> str | None:
        if raw.event_id in self.ids:
            return f"id {raw.event_id!r} is used twice"
        if raw.recorded_at < self.recorded_at:
            return "recorded before the event before it"
        current = self.streams.get(raw.stream)
        if isinstance(event, ClaimAsserted):
            if current is not None or event.claim_id != raw.stream:
                return f"a claim does not open its own stream {raw.stream!r}"
            expected = (1, event.subject)
        elif current is None:
            return f"stream {raw.stream!r} does not start with a claim"
        else:
            expected = (current[0] + 1, current[1])
        if (raw.version, raw.subject) != expected:
            return f"version {raw.version} under {raw.subject!r} does not follow its stream"
        return None


def read_events(
    lines: Iterable[bytes | str], name: str = "<events>", *, against: Head | None = None
) -> Iterator[RawEvent]:
    """
    Yield the stored events of a backup, each sealed again and checked.

    Blank lines are skipped. Nothing is trusted: see the module's rules.

    Args:
        lines: The lines of ``ledger export DB --events``.
        name: What to call the backup in error messages, such as its file name.
        against: A checkpoint the backup must extend.

    Raises:
        ValidationError: Naming the line (``name:line``) and its sequence
            number, at the first line that is malformed, does not match its
            hash or does not follow the line before; or at the end, when the
            backup does not extend *against*.

    .. versionadded:: 0.1.0
    """
    if against is not None and against.size == 0 and against.hash != GENESIS_HASH:
        raise ValidationError(f"checkpoint {against} is not an empty log; nothing was restored")
    log = _Log()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = _fields(line)
            raw = _sealed(obj)
        except ValidationError as e:
            raise ValidationError(f"{name}:{number}: {e}; nothing was restored") from None
        problem = log.problem(raw, bytes.fromhex(obj["hash"]))
        if problem is not None:
            raise ValidationError(
                f"{name}:{number}: seq {raw.seq}: {problem}; nothing was restored"
            )
        if against is not None and raw.seq == against.size and raw.hash != against.hash:
            raise ValidationError(
                f"{name}:{number}: seq {raw.seq}: the backup does not extend checkpoint "
                f"{against}; nothing was restored"
            )
        yield raw
    if against is not None and log.size < against.size:
        raise ValidationError(
            f"{name}: holds {log.size} events, fewer than checkpoint {against}; "
            "nothing was restored"
        )


def restore(
    store: EventStore,
    lines: Iterable[bytes | str],
    *,
    name: str = "<events>",
    against: Head | None = None,
) -> Head:
    """
    Rebuild a log in the empty *store* from a backup, in one transaction.

    Args:
        store: An empty event store.
        lines: The lines of ``ledger export DB --events``.
        name: What to call the backup in error messages.
        against: A checkpoint the backup must extend.

    Returns:
        The head of the restored log: the original's, if the backup is whole.

    Raises:
        StoreError: The store is not empty, or cannot write (read-only, a full
            disk); nothing was written.
        ValidationError: See `read_events`; nothing was written.

    .. versionadded:: 0.1.0
    """
    with store.transaction():
        size = store.head().size
        if size:
            raise StoreError(
                f"the ledger already holds {size} events; restore into a new, empty one"
            )
        chunk: list[RawEvent] = []
        for raw in read_events(lines, name, against=against):
            chunk.append(raw)
            if len(chunk) == _CHUNK:
                store.append_raw(chunk)
                chunk = []
        store.append_raw(chunk)
        return store.head()


def _lines(stream: IO[bytes], name: str) -> Iterator[bytes]:
    number = 0
    while line := stream.readline(MAX_LINE_BYTES + 1):
        number += 1
        if len(line) > MAX_LINE_BYTES:
            raise ValidationError(
                f"{name}:{number}: the line is longer than {MAX_LINE_BYTES:,} bytes; "
                "nothing was restored"
            )
        yield line


@contextlib.contextmanager
def _empty_ledger(target: str | os.PathLike[str], verb: str) -> Iterator[EventStore]:
    """
    Open the ledger at *target*, which must hold no events, for the block to fill.

    When the block fails, *target* is left as it was (see `ledger.stores.creating`).
    """
    with creating(target) as store:
        size = store.head().size
        if size:
            name = display(str(target)) if is_url(target) else str(target)
            raise StoreError(
                f"{name}: already holds {size} events; {verb} into a new, empty ledger"
            )
        yield store


def restore_file(
    path: str | os.PathLike[str],
    backup: IO[bytes],
    *,
    name: str = "<events>",
    against: Head | None = None,
) -> Head:
    """
    Restore a backup into a new ledger at *path*: an SQLite file or a PostgreSQL URL.

    *path* must not exist, or be an empty file or a ledger without events.
    When the backup is refused, *path* is left as it was: a ledger file this
    call created is removed again.

    Args:
        path: The new ledger file, or a ``postgresql://`` URL.
        backup: The backup, a binary stream of ``ledger export DB --events``.
        name: What to call the backup in error messages, such as its file name.
        against: A checkpoint the backup must extend.

    Returns:
        The head of the restored log.

    Raises:
        NotALedgerError: *path* is a directory or a file of another kind.
        StoreError: *path* holds events already, or its folder is missing.
        ValidationError: See `read_events`.

    .. versionadded:: 0.1.0
    """
    with _empty_ledger(path, "restore") as store:
        return restore(store, _lines(backup, name), name=name, against=against)


def copy(source: EventStore, target: EventStore, *, name: str = "the source") -> Head:
    """
    Copy the whole log of *source* into the empty *target*, in one transaction.

    Each event keeps its sequence number, recorded time and hash, so both
    ledgers verify to the same head. Nothing is trusted: each event is sealed
    again from its envelope and data and must come out with its stored hash,
    chained to the one before, as a restore checks a backup.

    Args:
        source: Any event store.
        target: An empty event store, of the same kind or another.
        name: What to call the source in error messages.

    Returns:
        The head of the copy: the source's head when the copy began.

    Raises:
        StoreError: *target* is not empty, or cannot write; nothing was written.
        ValidationError: An event of *source* does not match its hash or does
            not follow the one before; nothing was written.

    .. versionadded:: 0.1.0
    """
    with target.transaction():
        size = target.head().size
        if size:
            raise StoreError(
                f"the copy's target already holds {size} events; copy into a new, empty ledger"
            )
        log = _Log()
        chunk: list[RawEvent] = []
        for raw in source.read_raw():
            sealed = raw_event(
                seq=raw.seq,
                event_id=raw.event_id,
                stream=raw.stream,
                version=raw.version,
                subject=raw.subject,
                recorded_at=raw.recorded_at,
                type_name=raw.type,
                schema_version=raw.schema_version,
                data=raw.data,
                prev_hash=raw.prev_hash,
            )
            problem = log.problem(sealed, raw.hash)
            if problem is not None:
                raise ValidationError(
                    f"{name}: seq {raw.seq}: {problem}; run verify on it; nothing was copied"
                )
            chunk.append(sealed)
            if len(chunk) == _CHUNK:
                target.append_raw(chunk)
                chunk = []
        target.append_raw(chunk)
        return target.head()


def copy_ledger(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> Head:
    """
    Copy the ledger at *source* into a new ledger at *target*; see `copy`.

    Either may be an SQLite file or a ``postgresql://`` URL. *target* must
    not exist, or be an empty file or a ledger without events; when the copy
    is refused, it is left as it was.

    Raises:
        NotALedgerError: Either is something other than a ledger.
        StoreError: *source* does not exist, or *target* holds events already.
        ValidationError: See `copy`.

    .. versionadded:: 0.1.0
    """
    name = display(str(source)) if is_url(source) else str(source)
    src = open_store(source, create=False)
    try:
        with _empty_ledger(target, "copy") as dst:
            return copy(src, dst, name=name)
    finally:
        src.close()
