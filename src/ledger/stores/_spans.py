"""
The span tables: the SQLite home of `ledger.projections.spans`.

Rules of this module:

- The tables are derived: every row comes from `stream_tables` over the
  events of one stream, and `rebuild` recomputes them all from the log.
- They change only inside the append's transaction, for the streams the
  append touched (and the streams whose rebuttals carry a touched stream as
  their counter-claim), so a committed log and its spans always agree.
- A query for a moment reads the spans that contain it: no replay.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ledger import codec
from ledger.commands import rebuttal_carrying
from ledger.projections.contested import Corroboration, Rebuttal
from ledger.projections.spans import (
    Choice,
    ClaimSpan,
    CorroborationSpan,
    RebuttalSpan,
    Spans,
    VersionSpan,
    pick,
    slices,
    stream_tables,
)
from ledger.stores._base import StoredEvent, glob_prefix
from ledger.times import Stamp, parse_stamp
from ledger.values import Value

__all__ = [
    "ALL_TABLES",
    "choices_of_rows",
    "create",
    "exists",
    "query",
    "query_chosen",
    "rebuild",
    "refresh",
    "spans_of_rows",
]


_CLAIM_COLUMNS = (
    "claim_id, subject, source, via, pos_until, pos_start, seq, span_start, span_end, value, "
    "as_of, stated_at, citation, revisions, retracted"
)
_REBUTTAL_COLUMNS = (
    "rebuttal_id, claim_id, subject, source, stated_at, counter_claim, reason, citation, "
    "pos_until, pos_start, seq, span_start, span_end"
)
_CORROBORATION_COLUMNS = (
    "corroboration_id, claim_id, subject, source, stated_at, citation, pos_until, pos_start, "
    "seq, span_start"
)
_VERSION_COLUMNS = (
    "claim_id, subject, first, pos_until, pos_start, seq, span_end, as_of_until, value, as_of, "
    "stated_at, citation"
)

# Each table is clustered by subject, then claim: the spans of one subject are
# neighbours in the file, so a query for one subject reads a few pages however
# large the ledger grows, and a refresh finds a claim's spans by its key. A
# state of every subject reads the tables through in that order, which beats
# an index on span_start: late cut-offs match most spans.
_SCHEMA = (
    (
        f"CREATE TABLE IF NOT EXISTS claim_spans ({_CLAIM_COLUMNS}, "
        "PRIMARY KEY (subject, claim_id, span_start)) WITHOUT ROWID"
    ),
    (
        f"CREATE TABLE IF NOT EXISTS rebuttal_spans ({_REBUTTAL_COLUMNS}, "
        "PRIMARY KEY (subject, claim_id, rebuttal_id)) WITHOUT ROWID"
    ),
    (
        f"CREATE TABLE IF NOT EXISTS corroboration_spans ({_CORROBORATION_COLUMNS}, "
        "PRIMARY KEY (subject, claim_id, corroboration_id)) WITHOUT ROWID"
    ),
    (
        # In replay order within each claim: the order valid_at counts them in.
        f"CREATE TABLE IF NOT EXISTS version_spans ({_VERSION_COLUMNS}, "
        "PRIMARY KEY (subject, claim_id, pos_until, pos_start, seq)) WITHOUT ROWID"
    ),
)
ALL_TABLES = ("claim_spans", "rebuttal_spans", "corroboration_spans", "version_spans")

ReadStreams = Callable[[list[str]], Mapping[str, Sequence[StoredEvent]]]
StreamsHolding = Callable[[list[str]], Iterable[str]]


def exists(conn: sqlite3.Connection, tables: Sequence[str] = ALL_TABLES[:3]) -> bool:
    """Return whether the file has *tables* (by default the three a moment reads)."""
    marks = ", ".join("?" * len(tables))
    row = conn.execute(
        f"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ({marks})",  # noqa: S608
        tuple(tables),
    ).fetchone()
    return bool(row[0] == len(tables))


def create(conn: sqlite3.Connection) -> None:
    """Create the span tables and their indexes (inside the caller's transaction)."""
    for statement in _SCHEMA:
        conn.execute(statement)


def _with_rebutting(streams: Iterable[str], streams_holding: StreamsHolding) -> set[str]:
    # A rebuttal's span ends where its counter-claim first changes, and the
    # counter-claim is a stream of its own: refresh the rebutted stream too.
    out = set(streams)
    owners = [r for r in map(rebuttal_carrying, out) if r is not None]
    if owners:
        out.update(streams_holding(owners))
    return out


def refresh(
    conn: sqlite3.Connection,
    streams: Iterable[str],
    read_streams: ReadStreams,
    streams_holding: StreamsHolding,
) -> None:
    """Recompute the spans of *streams* from their events, a slice at a time."""
    for events, lapsed in slices(_with_rebutting(streams, streams_holding), read_streams, _SLICE):
        _refresh(conn, events, lapsed)


_SLICE = 2000  # streams per slice: bounds memory on an import of any size


def _refresh(
    conn: sqlite3.Connection,
    events: Mapping[str, Sequence[StoredEvent]],
    lapsed: Mapping[str, int | None],
) -> None:
    claims: list[tuple[object, ...]] = []
    rebuttals: list[tuple[object, ...]] = []
    corroborations: list[tuple[object, ...]] = []
    versions: list[tuple[object, ...]] = []
    owners: list[tuple[str, str]] = []
    for stream, stored in events.items():
        if not stored:
            continue  # no events, no spans
        owners.append((stored[0].subject, stream))
        spans, versions_of_stream = stream_tables(stored, lapsed)
        claims.extend(map(_claim_row, spans[0]))
        rebuttals.extend(map(_rebuttal_row, spans[1]))
        corroborations.extend(map(_corroboration_row, spans[2]))
        versions.extend(map(_version_row, versions_of_stream))
    for table in ALL_TABLES:
        conn.executemany(f"DELETE FROM {table} WHERE subject = ? AND claim_id = ?", owners)  # noqa: S608
    _insert(conn, "claim_spans", _CLAIM_COLUMNS, claims)
    _insert(conn, "rebuttal_spans", _REBUTTAL_COLUMNS, rebuttals)
    _insert(conn, "corroboration_spans", _CORROBORATION_COLUMNS, corroborations)
    _insert(conn, "version_spans", _VERSION_COLUMNS, versions)


def rebuild(
    conn: sqlite3.Connection, read_streams: ReadStreams, streams_holding: StreamsHolding
) -> int:
    """Drop the span tables and recompute them all from the log; return how many streams."""
    # Dropped, not emptied: a file made before the tables were clustered
    # gets the current layout.
    for table in ALL_TABLES:
        conn.execute(f"DROP TABLE IF EXISTS {table}")
    create(conn)
    streams = [row[0] for row in conn.execute("SELECT DISTINCT stream FROM events")]
    refresh(conn, streams, read_streams, streams_holding)
    return len(streams)


def _insert(
    conn: sqlite3.Connection, table: str, columns: str, rows: list[tuple[object, ...]]
) -> None:
    if rows:
        marks = ", ".join("?" * len(rows[0]))
        conn.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)  # noqa: S608


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _claim_row(span: ClaimSpan) -> tuple[object, ...]:
    return (
        span.claim_id,
        span.subject,
        span.source,
        span.via,
        span.position[0],
        span.position[1],
        span.seq,
        span.start,
        span.end,
        _value_text(span.value),
        _stamp_text(span.as_of),
        _stamp_text(span.stated_at),
        span.citation,
        span.revisions,
        int(span.retracted),
    )


# A refresh writes the same stored times into several rows (a version and
# the claim's spans that show it, times shared by many events): each is
# written out once while it keeps coming back. Not values: 1.5 and 1.50 are
# equal, but each is kept as written.
_stamp_text = functools.lru_cache(maxsize=1 << 13)(Stamp.isoformat)


def _value_text(value: Value) -> str:
    return codec.dumps(codec.unstructure_value(value)).decode()


def _version_row(span: VersionSpan) -> tuple[object, ...]:
    as_of, stated_at = _stamp_text(span.as_of), _stamp_text(span.stated_at)
    return (
        span.claim_id,
        span.subject,
        int(span.first),
        span.position[0],
        span.position[1],
        span.seq,
        span.end,
        span.as_of.until_us,
        _value_text(span.value),
        None if as_of == stated_at else as_of,  # most versions describe when they were stated
        stated_at,
        span.citation,
    )


def _rebuttal_row(span: RebuttalSpan) -> tuple[object, ...]:
    r = span.rebuttal
    return (
        r.id,
        span.claim_id,
        span.subject,
        r.source,
        _stamp_text(r.stated_at),
        r.counter_claim,
        r.reason,
        r.citation,
        span.position[0],
        span.position[1],
        span.seq,
        span.start,
        span.end,
    )


def _corroboration_row(span: CorroborationSpan) -> tuple[object, ...]:
    c = span.corroboration
    return (
        c.id,
        span.claim_id,
        span.subject,
        c.source,
        _stamp_text(c.stated_at),
        c.citation,
        span.position[0],
        span.position[1],
        span.seq,
        span.start,
    )


def query(conn: sqlite3.Connection, at: int | None, pattern: str | None) -> Spans:
    """Return the spans containing *at* (``None``: the end) of subjects matching *pattern*."""
    where, params = _where(at, pattern, ends=True)
    ends_where, ends_params = _where(at, pattern, ends=False)
    return spans_of_rows(
        conn.execute(f"SELECT {_CLAIM_COLUMNS} FROM claim_spans WHERE {where}", params),  # noqa: S608
        conn.execute(f"SELECT {_REBUTTAL_COLUMNS} FROM rebuttal_spans WHERE {where}", params),  # noqa: S608
        conn.execute(
            f"SELECT {_CORROBORATION_COLUMNS} FROM corroboration_spans WHERE {ends_where}",  # noqa: S608
            ends_params,
        ),
    )


# The versions standing at a moment, each claim's in replay order: the key's
# order, so the scan needs no sort.
_STANDING = (
    "SELECT claim_id, first, as_of_until, value, coalesce(as_of, stated_at), stated_at, "
    "citation FROM version_spans WHERE {where} "
    "ORDER BY subject, claim_id, pos_until, pos_start, seq"
)


def query_chosen(
    conn: sqlite3.Connection, at: int | None, valid_at: Stamp, pattern: str | None
) -> dict[str, Choice]:
    """Return `choose` for the versions standing at *at* of the subjects asked for."""
    where, params = _where(at, pattern, ends=True, start="pos_until")
    rows = conn.execute(_STANDING.format(where=where), params)
    return choices_of_rows(rows, valid_at)


def choices_of_rows(rows: Iterable[Sequence[Any]], valid_at: Stamp) -> dict[str, Choice]:
    """
    Choose from rows of ``_STANDING``'s columns (either store's) with `pick`.

    Only the chosen versions' values and times are decoded.
    """
    value, stamp = _decoders()
    out = {}
    picked = pick(((row[0], bool(row[1]), row[2], row) for row in rows), valid_at.until_us)
    for claim_id, (row, revisions) in picked.items():
        out[claim_id] = Choice(
            value=value(row[3]),
            as_of=stamp(row[4]),
            stated_at=stamp(row[5]),
            citation=row[6],
            revisions=revisions,
        )
    return out


def _decoders() -> tuple[Callable[[str | bytes], Value], Callable[[str], Stamp]]:
    # A full state reads hundreds of thousands of rows holding far fewer
    # distinct values and times: decode each once per query.
    values: dict[str | bytes, Value] = {}
    stamps: dict[str, Stamp] = {}

    def value(text: str | bytes) -> Value:
        found = values.get(text)
        if found is None:
            found = values[text] = codec.value_from_bytes(text)
        return found

    def stamp(text: str) -> Stamp:
        found = stamps.get(text)
        if found is None:
            found = stamps[text] = parse_stamp(text)
        return found

    return value, stamp


def spans_of_rows(
    claims: Iterable[Sequence[Any]],
    rebuttals: Iterable[Sequence[Any]],
    corroborations: Iterable[Sequence[Any]],
) -> Spans:
    """Build spans from rows of the three tables, in their column order (either store's)."""
    value, stamp = _decoders()
    return (
        [
            ClaimSpan(
                claim_id=row[0],
                subject=row[1],
                source=row[2],
                via=row[3],
                position=(row[4], row[5]),
                seq=row[6],
                start=row[7],
                end=row[8],
                value=value(row[9]),
                as_of=stamp(row[10]),
                stated_at=stamp(row[11]),
                citation=row[12],
                revisions=row[13],
                retracted=bool(row[14]),
            )
            for row in claims
        ],
        [
            RebuttalSpan(
                rebuttal=Rebuttal(
                    id=row[0],
                    source=row[3],
                    stated_at=stamp(row[4]),
                    counter_claim=row[5],
                    reason=row[6],
                    citation=row[7],
                ),
                claim_id=row[1],
                subject=row[2],
                position=(row[8], row[9]),
                seq=row[10],
                start=row[11],
                end=row[12],
            )
            for row in rebuttals
        ],
        [
            CorroborationSpan(
                corroboration=Corroboration(
                    id=row[0], source=row[3], stated_at=stamp(row[4]), citation=row[5]
                ),
                claim_id=row[1],
                subject=row[2],
                position=(row[6], row[7]),
                seq=row[8],
                start=row[9],
            )
            for row in corroborations
        ],
    )


def _where(
    at: int | None, pattern: str | None, *, ends: bool, start: str = "span_start"
) -> tuple[str, tuple[object, ...]]:
    clauses: list[str] = []
    params: list[object] = []
    if pattern is not None and glob_prefix(pattern) == pattern:
        # One subject: equality seeks its spans by the key.
        clauses.append("subject = ?")
        params.append(pattern)
    elif pattern is not None:
        clauses.append("subject GLOB ?")
        params.append(pattern.replace("[!", "[^"))
    if at is None:
        if ends:
            clauses.append("span_end IS NULL")
    else:
        clauses.append(f"{start} <= ?")
        params.append(at)
        if ends:
            clauses.append("(span_end IS NULL OR span_end > ?)")
            params.append(at)
    return (" AND ".join(clauses) or "1"), tuple(params)
