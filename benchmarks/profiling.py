"""
Optional profiles (``--profile``): where the import and the one-subject query spend time.

Each phase runs again under `cProfile` in this process, on its own fresh
ledger, and its statistics are written next to the results, sorted by
cumulative time: ``profile-import-N.txt`` and ``profile-one-subject-N.txt``
(and the raw ``.pstats`` files, for ``snakeviz`` or ``pstats``).
"""

from __future__ import annotations

import cProfile
import io
import pstats
import random
from pathlib import Path

from benchmarks import queries
from ledger import Ledger

__all__ = ["profile"]

_SHOWN = 40


def _write(profiler: cProfile.Profile, out: Path, name: str, n: int) -> Path:
    raw = out / f"profile-{name}-{n}.pstats"
    profiler.dump_stats(raw)
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats(pstats.SortKey.CUMULATIVE).print_stats(_SHOWN)
    path = out / f"profile-{name}-{n}.txt"
    path.write_text(text.getvalue(), encoding="utf-8")
    return path


def profile(  # noqa: PLR0913 - the run's paths and knobs
    records: Path, work: Path, out: Path, *, n: int, seed: int, queries_: int
) -> list[Path]:
    """Profile an import of *records* and *queries_* one-subject queries; return the reports."""
    db = work / f"profile-{n}.db"
    for stale in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        stale.unlink(missing_ok=True)
    written = []
    profiler = cProfile.Profile()
    with Ledger.open(db) as ledger:
        profiler.runcall(ledger.import_records, records)
    written.append(_write(profiler, out, "import", n))
    profiler = cProfile.Profile()
    with Ledger.open(db, create=False) as ledger:
        subjects = ledger.store.subjects()
        rng = random.Random(seed)
        profiler.runcall(queries.one_subject, ledger, subjects, rng, queries_)
    written.append(_write(profiler, out, "one-subject", n))
    for stale in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        stale.unlink(missing_ok=True)
    return written
