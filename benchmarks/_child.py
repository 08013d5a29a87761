"""
One measured phase in a process of its own, so its peak memory is its own.

``python -m benchmarks._child import DB RECORDS`` imports a records file
into a fresh ledger; ``python -m benchmarks._child verify DB [JOBS]`` walks the hash
chain, in JOBS processes; ``python -m benchmarks._child import-chunks DB FILE...`` imports
files one after another, one transaction each (a writer of the PostgreSQL
run). Each prints one JSON object: the phase's counts, its wall time, the
process's CPU time, and its own peak resident set size (``VmHWM``, KiB).
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

from ledger import Ledger


def _import(db: str, records: str) -> dict[str, Any]:
    start = time.perf_counter()
    with Ledger.open(db) as ledger:
        summary = ledger.import_records(records)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "records": summary.records,
        "imported": summary.imported,
        "skipped": summary.skipped,
        "events": summary.events,
        "head": summary.head,
    }


def _import_chunks(db: str, *files: str) -> dict[str, Any]:
    start = time.perf_counter()
    records = events = 0
    with Ledger.open(db) as ledger:
        for path in files:
            summary = ledger.import_records(path)
            records += summary.records
            events += summary.events
    return {"seconds": time.perf_counter() - start, "records": records, "events": events}


def _verify(db: str, jobs: str = "1") -> dict[str, Any]:
    start = time.perf_counter()
    with Ledger.open(db, create=False) as ledger:
        report = ledger.verify(jobs=int(jobs))
    seconds = time.perf_counter() - start
    # With jobs > 1 the walk happens in worker processes: count their memory.
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "seconds": seconds,
        "ok": report.ok,
        "events": report.size,
        "jobs": int(jobs),
        "worker_peak_rss_kib": workers,
    }


def _peak_rss_kib(usage: resource.struct_rusage) -> int:
    """
    Return this process's own peak RSS in KiB.

    Linux keeps ``ru_maxrss`` across ``execve``, so a child forked from a
    big parent reports the parent's size; ``VmHWM`` belongs to the new
    program alone. Elsewhere, fall back to ``ru_maxrss``.
    """
    try:
        with Path("/proc/self/status").open(encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return usage.ru_maxrss


def main(argv: list[str]) -> int:
    phase, *args = argv
    phases = {"import": _import, "import-chunks": _import_chunks, "verify": _verify}
    result = phases[phase](*args)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["peak_rss_kib"] = _peak_rss_kib(usage)
    # CPU time next to wall time shows how much other processes slowed the phase.
    result["cpu_seconds"] = usage.ru_utime + usage.ru_stime
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
