"""
Benchmarks for the ledger: ``python -m benchmarks --events N``.

See ``docs/performance.md`` for what is measured, how, and against which
targets. The package is not installed with the ledger; run it from the
repository root with the ledger (and, for the peer, the ``bench`` extra)
installed.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path


def parser(prog: str, doc: str, results: str) -> argparse.ArgumentParser:
    """
    A command line with the options every benchmark command takes.

    *results* names the file it writes into ``--out``, for the help.
    """
    made = argparse.ArgumentParser(prog=prog, description=doc.split("\n\n", maxsplit=1)[0].strip())
    made.add_argument("--events", type=int, required=True, metavar="N", help="records to generate")
    made.add_argument(
        "--out",
        type=Path,
        default=Path(tempfile.gettempdir()) / "ledger-bench",
        metavar="DIR",
        help=f"where {results} goes (default: %(default)s)",
    )
    made.add_argument("--skip-peer", action="store_true", help="do not measure eventsourcing")
    made.add_argument("--seed", type=int, default=2022, help="seed of every random choice")
    made.add_argument("--full-state-queries", type=int, default=10, help="full-state queries")
    made.add_argument("--keep", action="store_true", help="keep the records file and databases")
    return made
