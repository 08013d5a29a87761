"""
``python -m benchmarks.ceilings --events N [--out DIR]``: how close this design can get.

Five of the twelve targets are not met (see docs/performance.md). This
measures, on one generated records file and side by side with the peer and
the floor, the least each one's work costs in this design:

- import: the ledger's import as shipped, and the same import with the span
  refresh at commit switched off (what parsing, validating, deciding,
  hashing and inserting cost without any derived table);
- replay: the replay as shipped, and a plain read of the whole log in log
  order, every event decoded, with no ordering and no fold;
- full state: ``Ledger.state(at=T)``, and the same answer built straight
  from the span rows, without span objects (checked equal to it);
- file size: the events table alone, and with its indexes (SQLite's
  ``dbstat``), against the records file.

No target is judged here; the rates are compared with the peer's and the
floor's from the same run. It prints a table and writes
``DIR/ceilings-N.json``; its working files in ``DIR/ceilings-N/`` are deleted
afterwards unless ``--keep`` is given.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import itertools
import json
import operator
import random
import shutil
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import benchmarks
from benchmarks import floor, queries
from benchmarks.generate import generate
from ledger import Ledger
from ledger.projections.contested import (
    ClaimState,
    Corroboration,
    Rebuttal,
    SubjectState,
    claim_status,
    subject_state,
)
from ledger.stores import _spans
from ledger.times import parse_stamp

_POSITION = operator.itemgetter(0, 1, 2)  # pos_until, pos_start, seq: replay order
_REBUTTALS = (
    "SELECT rebuttal_id, claim_id, source, stated_at, counter_claim, reason, citation, "
    "pos_until, pos_start, seq FROM rebuttal_spans "
    "WHERE span_start <= ? AND (span_end IS NULL OR span_end > ?)"
)
_CORROBORATIONS = (
    "SELECT corroboration_id, claim_id, source, stated_at, citation, pos_until, pos_start, "
    "seq FROM corroboration_spans WHERE span_start <= ?"
)
_CLAIMS = (  # ordered as replay orders each subject's claims
    "SELECT subject, claim_id, source, via, value, as_of, stated_at, citation, revisions, "
    "retracted FROM claim_spans WHERE span_start <= ? AND (span_end IS NULL OR span_end > ?) "
    "ORDER BY subject, pos_until, pos_start, seq"
)


def _parser() -> argparse.ArgumentParser:
    return benchmarks.parser("python -m benchmarks.ceilings", __doc__, "ceilings-N.json")


def _timed(work: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = work()
    return result, time.perf_counter() - start


def _import(db: Path, records: Path) -> tuple[int, float]:
    # As the benchmark's import child times it: from opening to closing.
    def work() -> int:
        with Ledger.open(db) as ledger:
            ledger.import_records(records)
            return ledger.head().size

    return _timed(work)


def _no_refresh(*_: object) -> None:
    """Stand-in for the span refresh at commit: leave the span tables empty."""


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    # As the ledger pauses it for a replay or a state: both build many objects.
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _read_decoded(ledger: Ledger) -> tuple[int, float]:
    # Every event read and decoded in log order: the replay's work without
    # its ordering or fold.
    with _collector_paused():
        return _timed(lambda: sum(1 for _ in ledger.store.read()))


def states_from_rows(conn: sqlite3.Connection, until_us: int) -> tuple[SubjectState, ...]:
    """
    The subject states at a cutoff, built straight from the SQLite span rows.

    What `Ledger.state` answers, without the span objects in between: the
    claims come ordered by subject and replay position from SQL, each value
    and time is decoded once, and each claim becomes its `ClaimState`.
    """
    value, stamp = _spans._decoders()  # noqa: SLF001 - the shipped path's own
    at = (until_us, until_us)
    disputes: dict[str, list[tuple[Any, ...]]] = {}
    for r in conn.execute(_REBUTTALS, at):
        rebuttal = Rebuttal(
            id=r[0],
            source=r[2],
            stated_at=stamp(r[3]),
            counter_claim=r[4],
            reason=r[5],
            citation=r[6],
        )
        disputes.setdefault(r[1], []).append((r[7], r[8], r[9], rebuttal))
    confirms: dict[str, list[tuple[Any, ...]]] = {}
    for r in conn.execute(_CORROBORATIONS, at[:1]):
        corroboration = Corroboration(id=r[0], source=r[2], stated_at=stamp(r[3]), citation=r[4])
        confirms.setdefault(r[1], []).append((r[5], r[6], r[7], corroboration))
    rows = conn.execute(_CLAIMS, at)
    plain = {  # the status of a claim neither rebutted nor corroborated
        retracted: claim_status(retracted=retracted, disputed=False, corroborated=False)
        for retracted in (False, True)
    }
    states = []
    for subject, claims in itertools.groupby(rows, operator.itemgetter(0)):
        built = []
        for r in claims:
            rebutted, confirmed = disputes.get(r[1], ()), confirms.get(r[1], ())
            if rebutted or confirmed:
                status = claim_status(
                    retracted=bool(r[9]), disputed=bool(rebutted), corroborated=bool(confirmed)
                )
                rebutted_by = tuple(x[3] for x in sorted(rebutted, key=_POSITION))
                corroborated_by = tuple(x[3] for x in sorted(confirmed, key=_POSITION))
            else:
                status, rebutted_by, corroborated_by = plain[bool(r[9])], (), ()
            built.append(
                ClaimState(
                    id=r[1],
                    source=r[2],
                    via=r[3],
                    value=value(r[4]),
                    as_of=stamp(r[5]),
                    stated_at=stamp(r[6]),
                    status=status,
                    revisions=r[8],
                    rebutted_by=rebutted_by,
                    corroborated_by=corroborated_by,
                    citation=r[7],
                )
            )
        states.append(subject_state(subject, tuple(built)))
    return tuple(states)


def _full_states(ledger: Ledger, db: Path, cutoffs: list[str]) -> dict[str, float]:
    # Each way warms the process-wide caches of values and times for the
    # other, so the two take turns at going first.
    samples: dict[str, list[float]] = {"shipped": [], "rows": []}
    with _reading(db) as conn, _collector_paused():
        for i, at in enumerate(cutoffs):
            until = parse_stamp(at).until_us
            ways = {
                "shipped": lambda at=at: ledger.state(at=at).subjects,
                "rows": lambda until=until: states_from_rows(conn, until),
            }
            answers = {}
            for way in sorted(ways, reverse=i % 2 == 1):
                answers[way], seconds = _timed(ways[way])
                samples[way].append(seconds)
            if answers["rows"] != answers["shipped"]:
                raise SystemExit(f"the states built from rows differ from Ledger.state at {at}")
            del answers
    return {
        "full_state_median_s": queries.median(samples["shipped"]),
        "full_state_from_rows_median_s": queries.median(samples["rows"]),
    }


def _reading(db: Path) -> contextlib.closing[sqlite3.Connection]:
    return contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True))


def _count(db: Path, table: str) -> int:
    with _reading(db) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608 - ours


def _sizes(db: Path) -> dict[str, int]:
    with _reading(db) as conn:
        pages = dict(conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"))
        owners = dict(conn.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'index'"))
    events = pages.get("events", 0)
    indexes = sum(size for name, size in pages.items() if owners.get(name) == "events")
    spans = sum(pages.get(table, 0) for table in _spans.ALL_TABLES)
    return {"events_table_bytes": events, "events_index_bytes": indexes, "span_bytes": spans}


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Measure everything at ``args.events``; return the results."""
    work = args.out / f"ceilings-{args.events}"
    shutil.rmtree(work, ignore_errors=True)  # fresh files for every import
    work.mkdir(parents=True)
    try:
        return _measure(args, work)
    finally:
        if not args.keep:
            shutil.rmtree(work)


def _measure(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    records = work / "records.jsonl"
    shipped_db, bare_db = work / "ledger.db", work / "no-spans.db"
    generate(records, args.events, seed=args.seed)
    m: dict[str, Any] = {"records": args.events, "records_bytes": records.stat().st_size}

    events, seconds = _import(shipped_db, records)
    m["events"] = events
    m["import_events_per_s"] = events / seconds
    with mock.patch.object(_spans, "refresh", _no_refresh):
        events, seconds = _import(bare_db, records)
    m["import_without_spans_events_per_s"] = events / seconds
    m["claim_spans_without_refresh"] = _count(bare_db, "claim_spans")

    with Ledger.open(shipped_db) as ledger:
        count, seconds = _read_decoded(ledger)
        m["read_decode_events_per_s"] = count / seconds
        count, seconds = queries.replay(ledger)
        m["replay_events_per_s"] = count / seconds
        rng = random.Random(args.seed)
        cutoffs = [queries.cutoff(rng) for _ in range(args.full_state_queries)]
        m.update(_full_states(ledger, shipped_db, cutoffs))
    m.update(_sizes(shipped_db))

    rows, seconds = floor.insert(shipped_db, work / "floor.db")
    m["floor_insert_rows_per_s"] = rows / seconds
    if not args.skip_peer:
        from benchmarks import peer  # noqa: PLC0415 - only with the bench extra

        result = peer.run(records, work / "peer.db")
        m["peer_append_events_per_s"] = result.appended / result.append_seconds
        m["peer_read_decode_events_per_s"] = result.read / result.read_seconds
    return m


def _lines(m: dict[str, Any]) -> Iterator[tuple[str, str]]:
    append, read = m.get("peer_append_events_per_s"), m.get("peer_read_decode_events_per_s")
    insert, size = m["floor_insert_rows_per_s"], m["records_bytes"]
    for name, rate in (
        ("import as shipped", m["import_events_per_s"]),
        ("import without the span refresh", m["import_without_spans_events_per_s"]),
    ):
        yield name, f"{rate:10,.0f} ev/s  {_times(rate, append)} peer  {rate / insert:5.2f}x floor"
    for name, rate in (
        ("replay as shipped", m["replay_events_per_s"]),
        ("read + decode, log order, no fold", m["read_decode_events_per_s"]),
    ):
        yield name, f"{rate:10,.0f} ev/s  {_times(rate, read)} peer"
    yield "full state as shipped: median", f"{m['full_state_median_s']:10.3f} s"
    yield "full state from the rows: median", f"{m['full_state_from_rows_median_s']:10.3f} s"
    events, indexes = m["events_table_bytes"], m["events_index_bytes"]
    yield "events table / records file", f"{events / size:10.2f} x"
    yield "events table + its indexes / records", f"{(events + indexes) / size:10.2f} x"
    yield "span tables / records file", f"{m['span_bytes'] / size:10.2f} x"


def _times(rate: float, peer_rate: float | None) -> str:
    return "    --" if peer_rate is None else f"{rate / peer_rate:5.2f}x"


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.events < 10:  # the least the generator makes
        parser.error("--events must be at least 10")
    m = run(args)
    print(f"ceilings of the design at N = {args.events:,} ({m['events']:,} events)")
    for name, shown in _lines(m):
        print(f"{name:<40}{shown}")
    out = args.out / f"ceilings-{args.events}.json"
    out.write_text(json.dumps(m, indent=2, sort_keys=True) + "\n")
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
