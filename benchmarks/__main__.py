"""
``python -m benchmarks --events N [--out DIR] [--skip-peer]``: one run, every measurement.

The run generates a records file of N lines, then measures, in this order:
import into a fresh SQLite ledger and verify (each in a child process of its
own, for its peak RSS); the file sizes; state of one subject at a cutoff,
state of every subject at a cutoff, history of one subject, replay through
a user-written projection, and state of every subject with ``valid_at`` and
with ``known_at`` (in this process); the floor (plain sqlite3 on the
same rows); and the peer (the eventsourcing library). It prints a table and
writes ``DIR/results-N.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import functools
import json
import os
import platform
import random
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import benchmarks
import ledger
from benchmarks import floor, queries
from benchmarks.generate import generate
from benchmarks.report import METRICS, evaluate, table
from ledger import Ledger

ROOT = Path(__file__).resolve().parent.parent
"""The folder holding the ``benchmarks`` package: child processes run from it."""

_MB = 1_000_000
_VERIFY_JOBS = 2
"""Processes for the shared-out verify: the cores of the reference machine."""


def _parser() -> argparse.ArgumentParser:
    parser = benchmarks.parser("python -m benchmarks", __doc__, "results-N.json")
    parser.add_argument("--queries", type=int, default=1000, help="one-subject queries")
    parser.add_argument("--history-queries", type=int, default=200, help="history queries")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="results file at N = 10,000 for the one-subject ratio "
        "(default: DIR/results-10000.json when it exists)",
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="measure a PostgreSQL ledger at URL instead (import, verify, state at a cutoff)",
    )
    parser.add_argument(
        "--writers",
        type=lambda text: [int(w) for w in text.split(",")],
        default=[1, 4, 8],
        metavar="1,4,8",
        help="with --postgres: the numbers of concurrent writers to measure (default: 1,4,8)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="also write cProfile reports of import and queries"
    )
    return parser


def _say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def _phase(meta: dict[str, Any], name: str, message: str) -> Iterator[None]:
    """Announce a phase; note its wall time and this process's CPU time in *meta*."""
    _say(message)
    wall, cpu = time.perf_counter(), time.process_time()
    yield
    meta.setdefault("phases", {})[name] = {
        "wall_seconds": round(time.perf_counter() - wall, 3),
        "cpu_seconds": round(time.process_time() - cpu, 3),
    }


def _states(
    meta: dict[str, Any],
    m: dict[str, Any],
    key: str,
    label: str,
    measure: Callable[[], list[float]],
) -> None:
    """Time a state of every subject as *measure* asks it; note its median and its samples."""
    with _phase(meta, key, f"state of every subject {label}"):
        samples = measure()
    m[f"{key}_median_s"] = queries.median(samples)
    meta[f"{key}_seconds"] = samples


def _child(*args: str) -> dict[str, Any]:
    """Run one phase in a fresh interpreter; return what it printed."""
    done = subprocess.run(  # noqa: S603 - our own module, with our own arguments
        [sys.executable, "-m", "benchmarks._child", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"benchmark phase {args[0]!r} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _git(*args: str) -> str | None:
    git = shutil.which("git")
    if git is None:
        return None
    try:
        done = subprocess.run(  # noqa: S603 - read-only git queries
            [git, *args], cwd=ROOT, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return done.stdout.strip()


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def _remove_db(path: Path) -> None:
    for each in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        each.unlink(missing_ok=True)


def _meta(args: argparse.Namespace) -> dict[str, Any]:
    installed = Path(ledger.__file__).resolve().parent
    # The commit names what was measured only when the ledger runs from this
    # checkout (an editable install); say whether its sources were edited.
    here = installed == ROOT / "src" / "ledger"
    dirty = _git("status", "--porcelain", "--", "src") if here else None
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": _git("rev-parse", "--short", "HEAD"),
        "ledger_from_this_checkout": here,
        "src_modified": None if dirty is None else bool(dirty),
        "ledger_version": ledger.__version__,
        "ledger_path": str(installed),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores",
        "load_average": list(os.getloadavg()),
        "seed": args.seed,
        "events": args.events,
        "queries": {
            "one_subject": args.queries,
            "full_state": args.full_state_queries,
            "history": args.history_queries,
        },
    }


def _baseline(args: argparse.Namespace) -> float | None:
    path = args.baseline or args.out / "results-10000.json"
    if args.events == 10_000 or not path.exists():
        return None
    value = json.loads(path.read_text(encoding="utf-8"))["metrics"].get("one_subject_median_ms")
    return float(value) if value else None


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else a / b


def run(args: argparse.Namespace) -> dict[str, Any]:  # noqa: PLR0915 - one phase after another
    """Run every measurement; return the results."""
    n = args.events
    out: Path = args.out
    work = out / f"work-{n}"
    work.mkdir(parents=True, exist_ok=True)
    records = work / f"records-{n}.jsonl"
    db, floor_db, peer_db = work / "ledger.db", work / "floor.db", work / "peer.db"
    for path in (db, floor_db, peer_db):
        _remove_db(path)
    meta = _meta(args)
    m: dict[str, Any] = dict.fromkeys(key for key, _, _ in METRICS)

    with _phase(meta, "generate", f"generating {n:,} records -> {records}"):
        start = time.perf_counter()
        generated = generate(records, n, seed=args.seed)
        m["generate_seconds"] = time.perf_counter() - start
    meta["generated"] = generated.summary()
    m["records_bytes"] = generated.bytes

    with _phase(meta, "import", "importing into a fresh ledger (child process)"):
        imported = _child("import", str(db), str(records))
    meta["import"] = imported
    m["records"] = imported["records"]
    m["events"] = imported["events"]
    m["import_seconds"] = imported["seconds"]
    m["import_events_per_s"] = imported["events"] / imported["seconds"]
    m["import_records_per_s"] = imported["records"] / imported["seconds"]
    m["import_peak_rss_mb"] = imported["peak_rss_kib"] * 1024 / _MB
    m["db_bytes"], m["wal_bytes"] = _size(db), _size(Path(f"{db}-wal"))
    m["size_ratio"] = (m["db_bytes"] + m["wal_bytes"]) / generated.bytes

    with _phase(meta, "verify", "verifying (child process)"):
        verified = _child("verify", str(db))
    meta["verify"] = verified
    m["verify_events_per_s"] = verified["events"] / verified["seconds"]
    with _phase(meta, "verify_jobs", f"verifying in {_VERIFY_JOBS} processes (child process)"):
        shared = _child("verify", str(db), str(_VERIFY_JOBS))
    meta["verify_jobs"] = shared
    m["verify_jobs_events_per_s"] = shared["events"] / shared["seconds"]
    # The walk shared out holds its own process and every worker at once.
    m["verify_peak_rss_mb"] = (
        max(
            verified["peak_rss_kib"],
            shared["peak_rss_kib"] + _VERIFY_JOBS * shared["worker_peak_rss_kib"],
        )
        * 1024
        / _MB
    )

    rng = random.Random(args.seed)
    with Ledger.open(db, create=False) as opened:
        subjects = opened.store.subjects()
        message = f"state of one subject at a cutoff x {args.queries:,}"
        with _phase(meta, "one_subject", message):
            samples = queries.one_subject(opened, subjects, rng, args.queries)
        m["one_subject_median_ms"] = queries.median(samples) * 1000
        m["one_subject_p99_ms"] = queries.percentile(samples, 0.99) * 1000
        every = args.full_state_queries
        _states(
            meta,
            m,
            "full_state",
            f"at a cutoff x {every:,}",
            functools.partial(queries.full_state, opened, rng, every),
        )
        message = f"history of one subject x {args.history_queries:,}"
        with _phase(meta, "history", message):
            samples = queries.history(opened, subjects, rng, args.history_queries)
        m["history_median_ms"] = queries.median(samples) * 1000
        with _phase(meta, "replay", "replay through a user projection"):
            replayed, seconds = queries.replay(opened)
        m["replay_events_per_s"] = replayed / seconds
        meta["replay"] = {"events": replayed, "seconds": seconds}
        # Last, so that the phases before draw the same random questions as
        # in the runs made before these two were measured.
        for key, label, measure in (
            ("valid_state", "with valid_at", queries.valid_state),
            ("known_state", "as known in the last 1 %", queries.known_state),
        ):
            asked = functools.partial(measure, opened, rng, every)
            _states(meta, m, key, f"{label} x {every:,}", asked)

    with _phase(meta, "floor", "floor: sqlite3 executemany of the same rows, then a scan"):
        rows, seconds = floor.insert(db, floor_db)
        m["floor_insert_rows_per_s"] = rows / seconds
        rows, seconds = floor.scan(floor_db)
        m["floor_scan_rows_per_s"] = rows / seconds

    if args.skip_peer:
        meta["peer"] = "skipped (--skip-peer)"
    else:
        from benchmarks import peer  # noqa: PLC0415 - needs the bench extra; only when asked

        message = "peer: eventsourcing append in batches of 1,000, then read and decode"
        with _phase(meta, "peer", message):
            result = peer.run(records, peer_db)
        meta["peer"] = vars(result)
        m["peer_append_events_per_s"] = result.appended / result.append_seconds
        m["peer_read_decode_events_per_s"] = result.read / result.read_seconds

    m["import_vs_peer"] = _ratio(m["import_events_per_s"], m["peer_append_events_per_s"])
    m["import_vs_floor"] = _ratio(m["import_events_per_s"], m["floor_insert_rows_per_s"])
    m["replay_vs_peer"] = _ratio(m["replay_events_per_s"], m["peer_read_decode_events_per_s"])
    m["one_subject_vs_10k"] = _ratio(m["one_subject_median_ms"], _baseline(args))

    if args.profile:
        from benchmarks import profiling  # noqa: PLC0415 - only when asked

        _say("profiling import and one-subject queries")
        reports = profiling.profile(records, work, out, n=n, seed=args.seed, queries_=args.queries)
        meta["profiles"] = [str(p) for p in reports]

    if not args.keep:
        for path in (db, floor_db, peer_db):
            _remove_db(path)
        records.unlink()
        work.rmdir()
    return {"meta": meta, "metrics": m, "targets": evaluate(m)}


def run_postgres(args: argparse.Namespace) -> dict[str, Any]:
    """Generate the records once, then measure PostgreSQL with each number of writers."""
    from benchmarks import postgres  # noqa: PLC0415 - needs the postgres extra; only when asked

    work = args.out / f"work-postgres-{args.events}"
    work.mkdir(parents=True, exist_ok=True)
    records = work / f"records-{args.events}.jsonl"
    meta = _meta(args)
    with _phase(meta, "generate", f"generating {args.events:,} records -> {records}"):
        generate(records, args.events, seed=args.seed)
    with contextlib.closing(__import__("psycopg").connect(args.postgres)) as conn:
        meta["postgres"] = conn.execute("SELECT version()").fetchone()[0]
        meta["postgres_settings"] = dict(
            conn.execute(
                "SELECT name, setting FROM pg_settings WHERE name IN "
                "('fsync', 'synchronous_commit', 'full_page_writes', 'shared_buffers')"
            ).fetchall()
        )
    rows = postgres.run(args, records, work, ROOT)
    if not args.keep:
        shutil.rmtree(work)
    return {"meta": meta, "postgres": rows}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks from the command line."""
    args = _parser().parse_args(argv)
    if args.events < 10:
        _parser().error("--events must be at least 10")
    if args.postgres:
        from benchmarks import postgres  # noqa: PLC0415

        results = run_postgres(args)
        path = args.out / f"results-postgres-{args.events}.json"
        path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        print(postgres.table(results["postgres"]))
        print(f"\nresults: {path}")
        return 0
    if not args.skip_peer and find_spec("eventsourcing") is None:
        _parser().error(
            "the peer needs eventsourcing: pip install -e '.[bench]', or pass --skip-peer"
        )
    results = run(args)
    path = args.out / f"results-{args.events}.json"
    path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(table(results["metrics"], results["targets"], args.events))
    print(f"\nresults: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
