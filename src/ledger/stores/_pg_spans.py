"""
The span tables on PostgreSQL: the same rows as `ledger.stores._spans` keeps in SQLite.

Rules of this module:

- The tables are derived: every row comes from `stream_tables` over the
  events of one stream, and `rebuild` recomputes them all from the log.
- They change only inside the append's transaction, for the streams the
  append touched (and the streams whose rebuttals carry a touched stream as
  their counter-claim), so a committed log and its spans always agree.
- A slice of streams is read in one query, not one query a stream: a round
  trip to the server costs far more than a call into SQLite.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any, Final

from ledger.commands import rebuttal_carrying
from ledger.projections.spans import (
    Choice,
    Spans,
    slices,
    stream_tables,
)
from ledger.stores._spans import (
    _CLAIM_COLUMNS,
    _CORROBORATION_COLUMNS,
    _REBUTTAL_COLUMNS,
    _VERSION_COLUMNS,
    _claim_row,
    _corroboration_row,
    _rebuttal_row,
    _version_row,
    choices_of_rows,
    spans_of_rows,
)
from ledger.stores.postgres import glob_prefix, like_prefix

if TYPE_CHECKING:
    from ledger.stores._base import StoredEvent
    from ledger.stores.postgres import PostgresStore
    from ledger.times import Stamp

__all__ = ["SCHEMA", "VERSION_SCHEMA", "query", "query_chosen", "rebuild", "refresh"]

_TEXT: Final = 'text COLLATE "C"'
SCHEMA: Final = (
    f"""
    CREATE TABLE claim_spans (
        claim_id {_TEXT} NOT NULL, subject {_TEXT} NOT NULL, source text, via text,
        pos_until bigint, pos_start bigint, seq bigint, span_start bigint, span_end bigint,
        value text, as_of text, stated_at text, citation text, revisions integer,
        retracted integer
    )
    """,
    "CREATE INDEX claim_spans_claim ON claim_spans (claim_id)",
    "CREATE INDEX claim_spans_subject ON claim_spans (subject, span_start)",
    "CREATE INDEX claim_spans_start ON claim_spans (span_start, span_end)",
    f"""
    CREATE TABLE rebuttal_spans (
        rebuttal_id {_TEXT} NOT NULL, claim_id {_TEXT} NOT NULL, subject {_TEXT} NOT NULL,
        source text, stated_at text, counter_claim text, reason text, citation text,
        pos_until bigint, pos_start bigint, seq bigint, span_start bigint, span_end bigint
    )
    """,
    "CREATE INDEX rebuttal_spans_claim ON rebuttal_spans (claim_id)",
    "CREATE INDEX rebuttal_spans_subject ON rebuttal_spans (subject, span_start)",
    f"""
    CREATE TABLE corroboration_spans (
        corroboration_id {_TEXT} NOT NULL, claim_id {_TEXT} NOT NULL,
        subject {_TEXT} NOT NULL, source text, stated_at text, citation text,
        pos_until bigint, pos_start bigint, seq bigint, span_start bigint
    )
    """,
    "CREATE INDEX corroboration_spans_claim ON corroboration_spans (claim_id)",
    "CREATE INDEX corroboration_spans_subject ON corroboration_spans (subject, span_start)",
)
VERSION_SCHEMA: Final = (
    f"""
    CREATE TABLE version_spans (
        claim_id {_TEXT} NOT NULL, subject {_TEXT} NOT NULL, first integer,
        pos_until bigint, pos_start bigint, seq bigint, span_end bigint, as_of_until bigint,
        value text, as_of text, stated_at text, citation text
    )
    """,
    "CREATE INDEX version_spans_claim ON version_spans (claim_id)",
    "CREATE INDEX version_spans_subject ON version_spans (subject, pos_until)",
)
"""The table `valid_at` reads, made apart: a ledger made before it gets it on its next write."""

_TABLES: Final = (
    ("claim_spans", _CLAIM_COLUMNS),
    ("rebuttal_spans", _REBUTTAL_COLUMNS),
    ("corroboration_spans", _CORROBORATION_COLUMNS),
    ("version_spans", _VERSION_COLUMNS),
)
_SLICE: Final = 2000  # streams per slice: bounds memory on an import of any size


def _with_rebutting(store: PostgresStore, streams: Iterable[str]) -> set[str]:
    # A rebuttal's span ends where its counter-claim first changes, and the
    # counter-claim is a stream of its own: refresh the rebutted stream too.
    out = set(streams)
    owners = [r for r in map(rebuttal_carrying, out) if r is not None]
    if owners:
        rows = store.conn.execute("SELECT stream FROM events WHERE event_id = ANY(%s)", (owners,))
        out.update(row[0] for row in rows)
    return out


def refresh(store: PostgresStore, streams: Iterable[str]) -> None:
    """Recompute the spans of *streams* from their events, a slice at a time."""
    for events, lapsed in slices(_with_rebutting(store, streams), store.read_streams, _SLICE):
        _refresh(store, events, lapsed)


def _refresh(
    store: PostgresStore,
    events: Mapping[str, Sequence[StoredEvent]],
    lapsed: Mapping[str, int | None],
) -> None:
    rows: tuple[list[tuple[object, ...]], ...] = ([], [], [], [])
    for stored in events.values():
        (claims, rebuttals, corroborations), versions = stream_tables(stored, lapsed)
        rows[0].extend(map(_claim_row, claims))
        rows[1].extend(map(_rebuttal_row, rebuttals))
        rows[2].extend(map(_corroboration_row, corroborations))
        rows[3].extend(map(_version_row, versions))
    targets = list(events)
    for (table, columns), table_rows in zip(_TABLES, rows, strict=True):
        store.conn.execute(f"DELETE FROM {table} WHERE claim_id = ANY(%s)", (targets,))  # noqa: S608
        if table_rows:
            with (
                store.conn.cursor() as cursor,
                cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
            ):
                for row in table_rows:
                    copy.write_row(row)


def rebuild(store: PostgresStore) -> int:
    """Drop every span and recompute them all from the log; return how many streams."""
    for table, _ in _TABLES:
        store.conn.execute(f"DELETE FROM {table}")  # noqa: S608
    streams = [row[0] for row in store.conn.execute("SELECT DISTINCT stream FROM events")]
    refresh(store, streams)
    return len(streams)


def _select(
    store: PostgresStore, table: str, columns: str, at: int | None, pattern: str | None
) -> list[tuple[Any, ...]]:
    where, params = _where(table, at, pattern)
    rows = store.conn.execute(f"SELECT {columns} FROM {table} WHERE {where}", params).fetchall()  # noqa: S608
    return _matching(rows, 1 if table == "claim_spans" else 2, pattern)


def _matching(
    rows: list[tuple[Any, ...]], subject: int, pattern: str | None
) -> list[tuple[Any, ...]]:
    # The LIKE of the query narrowed the rows by the literal prefix; the glob
    # itself is matched here, exactly as the other stores match it.
    if pattern is None or glob_prefix(pattern) == pattern:
        return rows
    return [row for row in rows if fnmatchcase(row[subject], pattern)]


def _where(table: str, at: int | None, pattern: str | None) -> tuple[str, list[object]]:
    clauses: list[str] = []
    params: list[object] = []
    if pattern is not None and glob_prefix(pattern) == pattern:
        # One subject: equality lets the index bound span_start too.
        clauses.append("subject = %s")
        params.append(pattern)
    elif pattern is not None:
        clauses.append("subject LIKE %s")
        params.append(like_prefix(pattern))
    ends = table != "corroboration_spans"
    start = "pos_until" if table == "version_spans" else "span_start"
    if at is None:
        if ends:
            clauses.append("span_end IS NULL")
    else:
        clauses.append(f"{start} <= %s")
        params.append(at)
        if ends:
            clauses.append("(span_end IS NULL OR span_end > %s)")
            params.append(at)
    return " AND ".join(clauses) or "TRUE", params


_STANDING: Final = (
    "SELECT claim_id, first, as_of_until, value, coalesce(as_of, stated_at), stated_at, "
    "citation, subject FROM version_spans WHERE {where} "
    "ORDER BY subject, claim_id, pos_until, pos_start, seq"
)


def query_chosen(
    store: PostgresStore, at: int | None, valid_at: Stamp, pattern: str | None
) -> dict[str, Choice]:
    """Return `choose` for the versions standing at *at* of the subjects asked for."""
    where, params = _where("version_spans", at, pattern)
    rows = store.conn.execute(_STANDING.format(where=where), params).fetchall()
    return choices_of_rows(_matching(rows, 7, pattern), valid_at)


def query(store: PostgresStore, at: int | None, pattern: str | None) -> Spans:
    """Return the spans containing *at* (``None``: the end) of subjects matching *pattern*."""
    return spans_of_rows(
        _select(store, "claim_spans", _CLAIM_COLUMNS, at, pattern),
        _select(store, "rebuttal_spans", _REBUTTAL_COLUMNS, at, pattern),
        _select(store, "corroboration_spans", _CORROBORATION_COLUMNS, at, pattern),
    )
