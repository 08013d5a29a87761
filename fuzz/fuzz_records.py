#!/usr/bin/env python3
"""
Coverage-guided fuzzing of the records parser with atheris.

Each fuzz input is taken as a whole records file. It goes through
`ledger.records.read_lines` and `ledger.records.parse_record` (with a lookup
that finds nothing), then through `Ledger.import_records` into an in-memory
ledger that already holds a few records. The rules checked:

- Only a `ledger.errors.LedgerError` may escape; anything else propagates, so
  atheris reports it as a crash with the input that caused it.
- A refused import raises a `ledger.errors.RecordError` that names this file
  and a line of it, and leaves the ledger exactly as it was (same head, same
  events).

Run it from the repository root; ``fuzz/README.md`` has the fork-mode command.
New inputs go to the first folder, so keep ``fuzz/corpus`` second::

    mkdir -p /tmp/fuzz-corpus
    PYTHONPATH=src .venv/bin/python fuzz/fuzz_records.py /tmp/fuzz-corpus fuzz/corpus \
        -dict=fuzz/records.dict -max_len=8192 -max_total_time=660
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["ledger"]):
    from ledger import Ledger
    from ledger.errors import LedgerError, RecordError
    from ledger.records import parse_record, read_lines

# Stored in the ledger before each input is imported: the first four records
# of the day-7 example. Inputs can then refer to records that exist (and the
# corpus file day7-1.jsonl takes the idempotent, skipped path), and "nothing
# changed" is a claim about real content.
_EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "day7.jsonl"
SEED = b"".join(_EXAMPLE.read_bytes().splitlines(keepends=True)[:4])

# One file per process, removed after every use: libFuzzer ends its processes
# without running atexit handlers, and fork mode starts many of them.
_DIR = Path(tempfile.gettempdir()) / "ledger-fuzz"
_INPUT = _DIR / f"{os.getpid()}.jsonl"


@contextlib.contextmanager
def _file(data: bytes) -> Iterator[Path]:
    """Hold *data* in this process's records file for the length of the block."""
    _DIR.mkdir(exist_ok=True)
    _INPUT.write_bytes(data)
    try:
        yield _INPUT
    finally:
        _INPUT.unlink(missing_ok=True)


def _nothing(_: str) -> None:
    return None


def _parse_alone(data: bytes) -> None:
    """Read and parse every line on its own, with no records to refer to."""
    try:
        for _, obj in read_lines(io.BytesIO(data), "fuzz.jsonl"):
            with contextlib.suppress(LedgerError):
                parse_record(obj, _nothing)
    except LedgerError:
        pass


def _import(data: bytes) -> None:
    """Import the input into a seeded memory ledger; a refusal must change nothing."""
    ledger = Ledger.memory()
    with _file(SEED) as seed:
        ledger.import_records(seed)
    head = ledger.head()
    events = list(ledger.events())
    try:
        with _file(data) as path:
            ledger.import_records(path)
    except RecordError as e:
        if e.file != str(_INPUT) or e.line < 1:
            raise AssertionError(f"the error names {e.file}:{e.line}: {e}") from e
        if ledger.head() != head or list(ledger.events()) != events:
            raise AssertionError(f"a refused import changed the ledger: {e}") from e
    except LedgerError as e:
        # Allowed by the rule "only LedgerError escapes", but the records
        # reference promises every refusal names its line: report it too.
        raise AssertionError(f"{type(e).__name__} without a line: {e}") from e


def test_one_input(data: bytes) -> None:
    """Run one fuzz input through the parser and the importer."""
    _parse_alone(data)
    _import(data)


def main() -> None:
    """Start atheris with the command-line arguments (corpus folders, libFuzzer flags)."""
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
