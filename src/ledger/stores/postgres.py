"""
The PostgreSQL store, for a ledger that many processes or machines write to.

Rules of this module:

- psycopg 3 is imported only when a store is opened; without it, opening
  raises `StoreError` saying ``pip install 'ledger[postgres]'``.
- A ledger lives in one schema: the first existing schema of the
  connection's ``search_path`` (``public`` unless the URL says otherwise,
  e.g. ``?options=-csearch_path%3Dwar``). A ``ledger_meta`` table names it
  a ledger and gives its layout version; a schema holding anything else is
  refused before a byte is written.
- The log is append-only in the database itself: triggers reject UPDATE,
  DELETE and TRUNCATE on ``events``, whoever runs them.
- Every write takes a transaction-level advisory lock, one per ledger,
  before it reads the head: writers queue, so sequence numbers have no gaps
  and the hash chain stays linear; readers never wait. The wait is bounded by
  ``lock_timeout``.
- Rows hold exactly what the SQLite store holds (sealed by the shared
  `ledger.stores._base.seal`), so the same input gives the same hashes and a
  log copies between the engines unchanged. Text columns use the "C"
  collation, so subjects sort as Python sorts them.
- Reads fetch a page at a time by key, never holding a cursor open between
  pages, so a caller may append while it iterates; like the SQLite store, a
  read yields the log as it stood when the read was made.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from datetime import datetime
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any, Final, Self

from ledger.errors import (
    ConcurrencyError,
    DuplicateIdError,
    LedgerError,
    NotALedgerError,
    StoreError,
)
from ledger.stores._base import (
    GENESIS_HASH,
    Head,
    NewEvent,
    RawEvent,
    StoredEvent,
    check_continues,
    decode_all,
    glob_prefix,
    row_of,
    seal,
)
from ledger.times import Stamp, utc_now

if TYPE_CHECKING:
    import psycopg

    from ledger.projections.spans import Choice
    from ledger.projections.spans import Spans as _SpansT

__all__ = ["SCHEMA_VERSION", "URL_SCHEMES", "PostgresStore", "glob_prefix", "is_url"]

SCHEMA_VERSION: Final = 1
"""The table layout this version writes; later versions migrate from it."""

URL_SCHEMES: Final = ("postgresql://", "postgres://")
"""The URL prefixes that name a PostgreSQL ledger."""

_LOCK_CLASS: Final = int.from_bytes(b"LEDG", "big")
_PAGE: Final = 2000  # rows per round trip of a read
_BRIEF: Final = 0.001  # seconds: the shortest wait for a notification

_COLUMNS: Final = (
    "seq, event_id, stream, version, subject, recorded_at, type, schema_version, "
    "data, source, stated_at, stated_until, prev_hash, hash"
)
_SELECT: Final = f"SELECT {_COLUMNS} FROM events"  # noqa: S608 - a constant
_HOLDING: Final = (  # every event of the streams that hold some event ids
    f"{_SELECT} WHERE stream IN (SELECT stream FROM events WHERE event_id = ANY(%s)) "  # noqa: S608
    "ORDER BY stream, version"
)

_SCHEMA: Final = (
    'CREATE TABLE ledger_meta (key text COLLATE "C" PRIMARY KEY, value text NOT NULL)',
    """
    CREATE TABLE events (
        seq bigint PRIMARY KEY CHECK (seq > 0),
        event_id text COLLATE "C" NOT NULL CONSTRAINT events_event_id UNIQUE,
        stream text COLLATE "C" NOT NULL,
        version integer NOT NULL CHECK (version > 0),
        subject text COLLATE "C" NOT NULL,
        recorded_at text COLLATE "C" NOT NULL,
        type text COLLATE "C" NOT NULL,
        schema_version integer NOT NULL,
        data text NOT NULL,
        source text COLLATE "C",
        stated_at text COLLATE "C",
        stated_until bigint,
        prev_hash bytea NOT NULL,
        hash bytea NOT NULL,
        CONSTRAINT events_stream_version UNIQUE (stream, version)
    )
    """,
    "CREATE INDEX events_subject ON events (subject, seq)",
    """
    CREATE FUNCTION ledger_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'ledger: events are append-only; % is refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END
    $$
    """,
    *(
        f"CREATE TRIGGER events_no_{op.lower()} BEFORE {op} ON events "
        f"FOR EACH {'STATEMENT' if op == 'TRUNCATE' else 'ROW'} "
        "EXECUTE FUNCTION ledger_events_append_only()"
        for op in ("UPDATE", "DELETE", "TRUNCATE")
    ),
)


_TABLES: Final = (
    "events",
    "ledger_meta",
    "claim_spans",
    "rebuttal_spans",
    "corroboration_spans",
    "version_spans",
)
"""Every table a new ledger makes (with their indexes and triggers), for `PostgresStore.drop`."""


def is_url(target: object) -> bool:
    """
    Return whether *target* names a PostgreSQL ledger (a ``postgresql://`` URL).

    .. versionadded:: 0.1.0
    """
    return isinstance(target, str) and target.startswith(URL_SCHEMES)


def display(url: str) -> str:
    """Return *url* fit for a message: any password replaced by ``***``."""
    return re.sub(r"(://[^:/@?]*):[^@/?]*@", r"\1:***@", url)


def like_prefix(pattern: str) -> str:
    """Return a LIKE pattern for the subjects that start with *pattern*'s literal prefix."""
    prefix = glob_prefix(pattern)
    return re.sub(r"([\\%_])", r"\\\1", prefix) + "%"


def _psycopg() -> Any:
    try:
        import psycopg  # noqa: PLC0415 - an optional extra, imported when first needed
    except ImportError:
        raise StoreError(
            "a PostgreSQL ledger needs psycopg: pip install 'ledger[postgres]'"
        ) from None
    return psycopg


class PostgresStore:
    """
    Keep the log in a PostgreSQL database, through psycopg 3.

    Args:
        url: A ``postgresql://`` URL (any libpq connection URL).
        create: Create the ledger's tables when the schema is empty. Read
            commands pass ``False`` so that a mistyped URL creates nothing.
        clock: Where recorded times come from.
        lock_timeout: Seconds to wait for another writer before giving up.

    Raises:
        NotALedgerError: The schema holds tables of something else, or a
            ledger from a newer version.
        StoreError: psycopg is missing, the server cannot be reached, or the
            schema is empty and *create* is false.

    .. versionadded:: 0.1.0
    """

    def __init__(
        self,
        url: str,
        *,
        create: bool = True,
        clock: Callable[[], datetime] = utc_now,
        lock_timeout: float = 30.0,
    ) -> None:
        """Connect to the server and open, or create, the ledger at *url*."""
        module = _psycopg()
        self.url = url
        self.name = display(url)
        self._clock = clock
        self._depth = 0
        self._touched: set[str] = set()  # streams whose spans the open write must refresh
        self._lock_timeout_ms = max(1, int(lock_timeout * 1000))
        self.created = False  # whether this opening made the ledger's tables
        self._versions = False  # whether the ledger has its version table (looked up once)
        try:
            self.conn: psycopg.Connection[tuple[Any, ...]] = module.connect(url, autocommit=True)
        except module.Error as e:
            raise StoreError(f"{self.name}: cannot connect: {_one_line(e)}") from None
        try:
            with self._errors():
                self.schema = self._prepare(create=create)
                self._lock_key = (_LOCK_CLASS << 32) | self._scalar(
                    "SELECT 'events'::regclass::oid::bigint"
                )
                self.readonly = not self._scalar("SELECT has_table_privilege('events', 'INSERT')")
                # One channel per ledger, named by its events table like the lock.
                self._channel = f"ledger_{self._lock_key & 0xFFFFFFFF}"
                self._listener: psycopg.Connection[tuple[Any, ...]] | None = None
        except BaseException:
            self.conn.close()
            raise

    # -- opening ----------------------------------------------------------------

    def _scalar(self, sql: str, params: Sequence[object] = ()) -> Any:
        row = self._execute(sql, params).fetchone()
        return None if row is None else row[0]

    def _tables(self) -> set[str]:
        return {
            row[0]
            for row in self._execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema()"
            )
        }

    def _prepare(self, *, create: bool) -> str:
        schema = self._scalar("SELECT current_schema()")
        if schema is None:
            raise StoreError(
                f"{self.name}: no schema to hold a ledger (none on the search_path exists)"
            )
        tables = self._tables()
        if not tables:
            if not create:
                raise StoreError(f"{self.name}: no ledger here (schema {schema!r} is empty)")
            with self._errors(), self.conn.transaction():
                # Two processes may create the same new ledger at once: the
                # second waits here, then finds the first one's tables.
                self._execute("SELECT pg_advisory_xact_lock(hashtext(current_schema()))")
                tables = self._tables()
                if not tables:
                    self._create_schema()
                    self.created = True
                    tables = self._tables()
        if "ledger_meta" not in tables or "events" not in tables:
            raise NotALedgerError(
                f"{self.name}: not a ledger (schema {schema!r} holds other tables)"
            )
        meta = dict(self._execute("SELECT key, value FROM ledger_meta").fetchall())
        if meta.get("format") != "ledger":
            raise NotALedgerError(
                f"{self.name}: not a ledger (schema {schema!r} holds other tables)"
            )
        version = int(meta.get("schema_version", "0"))
        if version > SCHEMA_VERSION:
            raise NotALedgerError(
                f"{self.name}: written by a newer ledger (layout {version}, this version reads "
                f"up to {SCHEMA_VERSION}); upgrade ledger"
            )
        return str(schema)

    def _create_schema(self) -> None:
        from ledger.stores import _pg_spans  # noqa: PLC0415 - spans import the store's types

        for statement in (*_SCHEMA, *_pg_spans.SCHEMA, *_pg_spans.VERSION_SCHEMA):
            self._execute(statement)
        self._execute(
            "INSERT INTO ledger_meta (key, value) VALUES ('format', 'ledger'), "
            "('schema_version', %s)",
            (str(SCHEMA_VERSION),),
        )

    # -- writing ---------------------------------------------------------------------

    def _execute(
        self, sql: str, params: Sequence[object] | Mapping[str, object] = ()
    ) -> psycopg.Cursor[tuple[Any, ...]]:
        # No parameters, no placeholder parsing: the trigger's body has a bare %.
        return self.conn.execute(sql, params or None)

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        """Turn what psycopg raises into the ledger's own errors."""
        module = _psycopg()
        try:
            yield
        except module.Error as e:
            raise _translate(self.name, e) from None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """
        Hold the write lock across several appends: they commit together or not at all.

        Reads inside the block see its appends. Other writers wait (up to the
        lock timeout) until the block ends; readers do not.

        .. versionadded:: 0.1.0
        """
        with self._write():
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1

    @contextlib.contextmanager
    def _write(self) -> Iterator[None]:
        if self._depth:
            # Inside transaction(): a savepoint, so a failed append leaves the
            # outer block usable, as a failed statement does in SQLite.
            with self._errors(), self.conn.transaction():
                yield
            return
        if self.readonly:
            raise StoreError(f"{self.name}: this role may not write to the ledger (read-only)")
        try:
            with self._errors(), self.conn.transaction():
                self._execute(f"SET LOCAL lock_timeout = {self._lock_timeout_ms}")
                self._execute("SELECT pg_advisory_xact_lock(%s)", (self._lock_key,))
                yield
                self._refresh_spans()
                if self._touched:
                    # Delivered when the transaction commits, never before.
                    self._execute("SELECT pg_notify(%s, '')", (self._channel,))
        finally:
            self._touched.clear()

    def append(
        self,
        batch: Sequence[NewEvent],
        expected: Mapping[str, int] | None = None,
        *,
        decoded: bool = True,
    ) -> tuple[StoredEvent, ...]:
        """Append *batch* atomically; see `ledger.stores.EventStore.append`."""
        with self._write():
            streams = {item.stream for item in batch} | set(expected or ())
            info = self._stream_info(streams)
            taken = self._taken([item.event_id for item in batch])
            sealed = seal(
                batch=batch,
                expected=expected,
                head=self.head(),
                lookup=info.get,
                id_taken=taken.__contains__,
                now=self._clock(),
            )
            self._insert(sealed)
        return tuple(raw.decode() for raw in sealed) if decoded else ()

    def append_raw(self, raws: Sequence[RawEvent]) -> Head:
        """Append sealed events verbatim; see `ledger.stores.EventStore.append_raw`."""
        with self._write():
            check_continues(self.head(), raws)
            self._insert(raws)
        return self.head()

    def _insert(self, raws: Sequence[RawEvent]) -> None:
        if not raws:
            return
        with (
            self.conn.cursor() as cursor,
            cursor.copy(f"COPY events ({_COLUMNS}) FROM STDIN") as copy,
        ):
            for raw in raws:
                copy.write_row(row_of(raw))
        self._touched.update(raw.stream for raw in raws)

    def _stream_info(self, streams: set[str]) -> dict[str, tuple[int, str]]:
        if not streams:
            return {}
        rows = self._execute(
            "SELECT DISTINCT ON (stream) stream, version, subject FROM events "
            "WHERE stream = ANY(%s) ORDER BY stream, version DESC",
            (list(streams),),
        )
        return {stream: (version, subject) for stream, version, subject in rows}

    def _taken(self, event_ids: list[str]) -> set[str]:
        rows = self._execute("SELECT event_id FROM events WHERE event_id = ANY(%s)", (event_ids,))
        return {row[0] for row in rows}

    # -- the span tables (see ledger.projections.spans) ------------------------------

    def _refresh_spans(self) -> None:
        from ledger.stores import _pg_spans  # noqa: PLC0415

        if self._make_versions():  # a ledger made before them: fill them
            _pg_spans.rebuild(self)
        elif self._touched:
            _pg_spans.refresh(self, self._touched)

    def _make_versions(self) -> bool:
        # Inside a write: create the version table of a ledger made before it.
        from ledger.stores import _pg_spans  # noqa: PLC0415

        if self._has_versions():
            return False
        for statement in _pg_spans.VERSION_SCHEMA:
            self._execute(statement)
        return True

    def _has_versions(self) -> bool:
        # Remembered once seen outside a transaction: one that made it may yet roll back.
        if self._versions:
            return True
        found = "version_spans" in self._tables()
        self._versions = found and self.conn.info.transaction_status.name == "IDLE"
        return found

    def spans_at(self, at: Stamp | None, pattern: str | None) -> _SpansT:
        """
        Return the claim, rebuttal and corroboration spans that contain *at*.

        .. versionadded:: 0.1.0
        """
        from ledger.stores import _pg_spans  # noqa: PLC0415

        with self._errors():
            return _pg_spans.query(self, None if at is None else at.until_us, pattern)

    def chosen_at(
        self, at: Stamp | None, valid_at: Stamp, pattern: str | None
    ) -> dict[str, Choice] | None:
        """
        Return, per claim, the version ``valid_at`` chooses among those standing at *at*.

        ``None`` when the ledger has no version table yet: the caller then replays.

        .. versionadded:: 0.1.0
        """
        from ledger.stores import _pg_spans  # noqa: PLC0415

        with self._errors():
            if not self._has_versions():
                return None
            return _pg_spans.query_chosen(
                self, None if at is None else at.until_us, valid_at, pattern
            )

    def rebuild(self) -> int:
        """
        Recompute every derived table from the events alone; return the streams rebuilt.

        .. versionadded:: 0.1.0
        """
        from ledger.stores import _pg_spans  # noqa: PLC0415

        with self._write():
            self._make_versions()
            return _pg_spans.rebuild(self)

    # -- reading ----------------------------------------------------------------------

    def head(self) -> Head:
        """Return the current head of the log."""
        with self._errors():
            row = self._execute(
                "SELECT seq, hash, recorded_at FROM events ORDER BY seq DESC LIMIT 1"
            ).fetchone()
        if row is None:
            return Head(0, GENESIS_HASH)
        return Head(row[0], bytes(row[1]), row[2])

    def stream_version(self, stream: str) -> int:
        """Return the current version of *stream* (0 when it does not exist)."""
        with self._errors():
            version = self._scalar("SELECT max(version) FROM events WHERE stream = %s", (stream,))
        return 0 if version is None else int(version)

    def get(self, event_id: str) -> StoredEvent | None:
        """Return the stored event with *event_id*, or ``None``."""
        with self._errors():
            row = self._execute(f"{_SELECT} WHERE event_id = %s", (event_id,)).fetchone()
        return None if row is None else _raw(row).decode()

    def read(self, after: int = 0) -> Iterator[StoredEvent]:
        """Yield stored events with ``seq > after`` in order."""
        return decode_all(self.read_raw(after))

    def read_raw(
        self, after: int = 0, *, types: Collection[str] | None = None
    ) -> Iterator[RawEvent]:
        """Yield raw events with ``seq > after`` in order, by pages (*types*: those only)."""
        if types is None:
            return self._pages("TRUE", (), "seq", after)
        return self._pages("type = ANY(%s)", (list(types),), "seq", after)

    def read_seqs(self, seqs: Sequence[int]) -> list[RawEvent]:
        """Return the raw events with the sequence numbers *seqs*, in that order, in one query."""
        with self._errors():
            rows = self._execute(f"{_SELECT} WHERE seq = ANY(%s)", (list(seqs),)).fetchall()
        found = {raw.seq: raw for raw in map(_raw, rows)}
        return [found[seq] for seq in seqs if seq in found]

    def read_stream(self, stream: str) -> Iterator[StoredEvent]:
        """Yield the events of *stream* in version order."""
        return decode_all(self._pages("stream = %s", (stream,), "version", 0))

    def read_streams_holding(self, event_ids: Collection[str]) -> list[RawEvent]:
        """Return the raw events of the streams holding *event_ids*; see `EventStore`."""
        with self._errors():
            rows = self._execute(_HOLDING, (list(event_ids),)).fetchall()
        return [_raw(row) for row in rows]

    def read_subject(self, subject: str, until: Stamp | None = None) -> Iterator[StoredEvent]:
        """Yield *subject*'s events in seq order, up to *until* (stated time as written)."""
        if until is None:
            return decode_all(self._pages("subject = %s", (subject,), "seq", 0))
        where = "subject = %s AND (stated_until IS NULL OR stated_until <= %s)"
        return decode_all(self._pages(where, (subject, until.until_us), "seq", 0))

    def read_streams(self, streams: Sequence[str]) -> dict[str, list[StoredEvent]]:
        """Return the events of each of *streams* in version order, in one query."""
        out: dict[str, list[StoredEvent]] = {stream: [] for stream in streams}
        with self._errors():
            rows = self._execute(
                f"{_SELECT} WHERE stream = ANY(%s) ORDER BY stream, version", (list(streams),)
            )
            for row in rows:
                out[row[2]].append(_raw(row).decode())
        return out

    def _pages(
        self, where: str, params: tuple[object, ...], key: str, after: int
    ) -> Iterator[RawEvent]:
        # The first page is read now, not at the first next(), together with
        # the head it was read at (one statement, one snapshot): later pages
        # stop at that head. See the module's rules.
        first = (
            f"SELECT {_COLUMNS}, (SELECT coalesce(max(seq), 0) FROM events) FROM events "  # noqa: S608
            f"WHERE {where} AND {key} > %s ORDER BY {key} LIMIT {_PAGE}"
        )
        with self._errors():
            rows = self._execute(first, (*params, after)).fetchall()
        if len(rows) < _PAGE:
            return (_raw(row[:-1]) for row in rows)
        rest = f"{_SELECT} WHERE {where} AND {key} > %s AND seq <= %s ORDER BY {key} LIMIT {_PAGE}"
        key_index = 0 if key == "seq" else 3
        return self._paging(rows, rest, params, rows[0][-1], key_index=key_index)

    def _paging(
        self,
        rows: list[tuple[Any, ...]],
        sql: str,
        params: tuple[object, ...],
        size: int,
        *,
        key_index: int,
    ) -> Iterator[RawEvent]:
        for row in rows:
            yield _raw(row[:-1])
        after = rows[-1][key_index]
        while True:
            with self._errors():
                page = self._execute(sql, (*params, after, size)).fetchall()
            for row in page:
                yield _raw(row)
            if len(page) < _PAGE:
                return
            after = page[-1][key_index]

    def subjects(self, pattern: str | None = None) -> list[str]:
        """Return the subjects in the log, sorted; with *pattern*, those it matches."""
        like = "%" if pattern is None else like_prefix(pattern)
        # DISTINCT over the whole log would read every row: skip from one
        # subject to the next through the index instead.
        sql = """
            WITH RECURSIVE s(subject) AS (
                (SELECT subject FROM events WHERE subject LIKE %(like)s
                 ORDER BY subject LIMIT 1)
                UNION ALL
                SELECT (SELECT e.subject FROM events e
                        WHERE e.subject > s.subject AND e.subject LIKE %(like)s
                        ORDER BY e.subject LIMIT 1)
                FROM s WHERE s.subject IS NOT NULL
            )
            SELECT subject FROM s WHERE subject IS NOT NULL
        """
        with self._errors():
            found = [row[0] for row in self._execute(sql, {"like": like})]
        return found if pattern is None else [s for s in found if fnmatchcase(s, pattern)]

    def wait(self, after: int, timeout: float) -> bool:
        """
        Wait for an append past *after*; see `ledger.stores.EventStore.wait`.

        Every write notifies the ledger's channel when it commits; a waiting
        store listens on a second connection of its own, opened at its first
        wait. The head is read after listening starts and again when the
        wait ends, so a notification that was lost, or sent before listening
        began, costs at most *timeout*: the polling fallback.

        .. versionadded:: 0.1.0
        """
        module = _psycopg()
        with self._errors():
            if self._listener is None:
                self._listener = module.connect(self.url, autocommit=True)
                self._listener.execute(f'LISTEN "{self._channel}"')
            if self.head().size > after:
                return True
            # A notifies() generator holds the connection's lock until it is
            # closed; close each before the next. psycopg reads a timeout of 0
            # as "no timeout": never pass it one.
            with contextlib.closing(
                self._listener.notifies(timeout=max(timeout, _BRIEF), stop_after=1)
            ) as notified:
                woken = next(notified, None) is not None
            if woken:
                # Later notifications only say the same again: drop them.
                with contextlib.closing(self._listener.notifies(timeout=_BRIEF)) as rest:
                    for _ in rest:
                        pass
                return True
            return self.head().size > after

    def drop(self) -> None:
        """
        Remove the tables of this ledger, which must hold no events, and close it.

        Undoes the opening that created an empty ledger when what was to fill
        it is refused (`ledger copy`, `ledger restore`): the schema is left as
        it was before.

        Raises:
            StoreError: The ledger holds events; nothing is removed.

        .. versionadded:: 0.1.0
        """
        with self._errors(), self.conn.transaction():
            # The writers' lock: no append can slip in between the check and the drop.
            self._execute("SELECT pg_advisory_xact_lock(%s)", (self._lock_key,))
            size = self._scalar("SELECT count(*) FROM events")
            if size:
                raise StoreError(f"{self.name}: holds {size} events; a ledger is not dropped")
            self._execute(f"DROP TABLE IF EXISTS {', '.join(_TABLES)}")
            self._execute("DROP FUNCTION ledger_events_append_only()")
        self.close()

    def close(self) -> None:
        """Close the connection, and the listening one if a wait opened it."""
        if self._listener is not None:
            self._listener.close()
        self.conn.close()

    def __enter__(self) -> Self:
        """Return the store itself."""
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Close the connection."""
        self.close()


def _raw(row: tuple[Any, ...]) -> RawEvent:
    # Text comes back as str and bytea as bytes (or memoryview): as stored.
    return RawEvent._make(
        (*row[:8], row[8].encode("utf-8"), *row[9:12], bytes(row[12]), bytes(row[13]))
    )


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())


def _translate(name: str, error: Exception) -> LedgerError:  # noqa: PLR0911 - one per kind
    module = _psycopg()
    errors = module.errors
    text = _one_line(error)
    if isinstance(error, errors.UniqueViolation):
        constraint = getattr(error.diag, "constraint_name", None) or ""
        if constraint == "events_event_id":
            return DuplicateIdError(f"an id is already in the ledger ({text})")
        if constraint == "events_stream_version":
            return ConcurrencyError(f"another writer appended to the same stream first ({text})")
    if isinstance(error, errors.LockNotAvailable):
        return StoreError(
            f"{name}: another writer held the ledger past the lock timeout; try again"
        )
    if isinstance(error, errors.DiskFull):
        return StoreError(f"{name}: the disk is full: nothing of this batch was written")
    if isinstance(error, errors.InsufficientPrivilege):
        return StoreError(f"{name}: {text}")
    if isinstance(error, module.OperationalError):
        return StoreError(f"{name}: the connection failed: {text}")
    return StoreError(f"{name}: {text}")
