"""
The PostgreSQL run: ``python -m benchmarks --events N --postgres URL [--writers 1,4,8]``.

For each number of writers W, a fresh schema on the server at URL gets the
same generated records, imported by W processes at once. Each writer owns
the subjects whose name hashes to it (a record goes where the claim it
refers to went), so no writer refers to a record another has yet to store;
each imports its share 1,000 records a transaction, so the writers'
transactions interleave on the one log. Import speed is all events over the
wall time from the start of the first writer to the end of the last. Then,
on the same ledger: verify (a child process), state of one subject at a
cutoff, and state of every subject at a cutoff.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
import zlib
from pathlib import Path
from typing import IO, Any

from benchmarks import queries

__all__ = ["run", "split", "table"]

CHUNK = 1000
"""Records per import transaction of a writer."""

_REFERENCES = ("revises", "rebuts", "corroborates", "retracts", "corrects")


def split(records: Path, writers: int, folder: Path) -> list[list[Path]]:
    """Split *records* into chunk files per writer, each subject wholly with one writer."""
    folder.mkdir(parents=True, exist_ok=True)
    subject_of: dict[str, str] = {}
    chunks: list[list[Path]] = [[] for _ in range(writers)]
    counts = [CHUNK] * writers
    files: list[IO[str] | None] = [None] * writers
    with records.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if "subject" in record:
                subject = record["subject"]
            else:
                ref = next(record[k] for k in _REFERENCES if k in record)
                # A rebuttal's counter-claim is known by the rebuttal's id + ".counter".
                subject = subject_of.get(ref) or subject_of[ref.removesuffix(".counter")]
            subject_of[record["id"]] = subject
            writer = zlib.crc32(subject.encode()) % writers
            if counts[writer] == CHUNK:
                if files[writer] is not None:
                    files[writer].close()  # type: ignore[union-attr]
                path = folder / f"w{writer}-{len(chunks[writer]):05d}.jsonl"
                chunks[writer].append(path)
                files[writer] = path.open("w", encoding="utf-8")
                counts[writer] = 0
            files[writer].write(line)  # type: ignore[union-attr]
            counts[writer] += 1
    for f in files:
        if f is not None:
            f.close()
    return chunks


def _schema_url(url: str, schema: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


def _fresh_schema(url: str, schema: str) -> None:
    import psycopg  # noqa: PLC0415 - the postgres extra

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.execute(f"CREATE SCHEMA {schema}")


def _import(target: str, chunks: list[list[Path]], root: Path) -> dict[str, Any]:
    from ledger import Ledger  # noqa: PLC0415

    Ledger.open(target).close()  # create the tables first, outside the timing
    start = time.perf_counter()
    children = [
        subprocess.Popen(  # noqa: S603 - our own module, with our own arguments
            [sys.executable, "-m", "benchmarks._child", "import-chunks", target, *map(str, mine)],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for mine in chunks
        if mine
    ]
    results = []
    for child in children:
        out, err = child.communicate()
        if child.returncode != 0:
            raise SystemExit(f"a writer failed:\n{err}")
        results.append(json.loads(out.strip().splitlines()[-1]))
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "events": sum(r["events"] for r in results),
        "records": sum(r["records"] for r in results),
        "writers": results,
    }


def run(args: argparse.Namespace, records: Path, work: Path, root: Path) -> dict[str, Any]:
    """Measure every writer count in ``args.writers`` against ``args.postgres``."""
    from benchmarks.__main__ import _child, _say  # noqa: PLC0415 - shared helpers
    from ledger import Ledger  # noqa: PLC0415

    rows: dict[str, Any] = {}
    for writers in args.writers:
        schema = f"ledger_bench_w{writers}"
        _fresh_schema(args.postgres, schema)
        target = _schema_url(args.postgres, schema)
        chunks = split(records, writers, work / f"chunks-{writers}")
        _say(f"PostgreSQL: importing with {writers} concurrent writer(s)")
        imported = _import(target, chunks, root)
        _say("PostgreSQL: verifying (child process)")
        verified = _child("verify", target)
        rng = random.Random(args.seed)
        with Ledger.open(target, create=False) as opened:
            subjects = opened.store.subjects()
            _say(f"PostgreSQL: state of one subject at a cutoff x {args.queries:,}")
            one = queries.one_subject(opened, subjects, rng, args.queries)
            _say(f"PostgreSQL: state of every subject at a cutoff x {args.full_state_queries:,}")
            full = queries.full_state(opened, rng, args.full_state_queries)
            head = str(opened.head())
        rows[str(writers)] = {
            "events": imported["events"],
            "import_seconds": imported["seconds"],
            "import_events_per_s": imported["events"] / imported["seconds"],
            "verify_ok": verified["ok"],
            "verify_events_per_s": verified["events"] / verified["seconds"],
            "one_subject_median_ms": queries.median(one) * 1000,
            "one_subject_p99_ms": queries.percentile(one, 0.99) * 1000,
            "full_state_median_s": queries.median(full),
            "head": head,
            "writers_detail": imported["writers"],
        }
        if not args.keep:
            _fresh_schema(args.postgres, schema)
            for path in (p for mine in chunks for p in mine):
                path.unlink()
    return rows


def table(rows: dict[str, Any]) -> str:
    """Return the PostgreSQL results as a Markdown table, one column per writer count."""
    metrics = [
        ("events", "events", "{:,.0f}"),
        ("import_events_per_s", "import, events/s (all writers)", "{:,.0f}"),
        ("verify_events_per_s", "verify, events/s", "{:,.0f}"),
        ("one_subject_median_ms", "state of one subject at a cutoff, median ms", "{:.2f}"),
        ("one_subject_p99_ms", "state of one subject at a cutoff, p99 ms", "{:.2f}"),
        ("full_state_median_s", "state of every subject at a cutoff, median s", "{:.3f}"),
    ]
    heads = [f"{w} writer{'s' if w != '1' else ''}" for w in rows]
    lines = [
        f"| measure | {' | '.join(heads)} |",
        f"|---|{'---:|' * len(rows)}",
    ]
    for key, label, fmt in metrics:
        cells = [fmt.format(row[key]) for row in rows.values()]
        lines.append(f"| {label} | {' | '.join(cells)} |")
    ok = all(row["verify_ok"] for row in rows.values())
    lines.append(f"| verify | {' | '.join('OK' if ok else 'FAILED' for _ in rows)} |")
    return "\n".join(lines)
