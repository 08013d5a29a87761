"""
Append to a shared ledger for a few seconds, logging every outcome as JSON lines.

Usage: ``python append_worker.py LEDGER SHARED LOG NAME MODE SEED SECONDS``; LEDGER
is an SQLite file or a PostgreSQL URL.

*SHARED* is a JSON file of ``[claim id, source]`` pairs: claims every worker
revises (as the claim's own source) and rebuts (as another source). The
worker also files claims of its own. It prints ``READY`` once the ledger is
open, waits for a line on stdin (so that all workers start together), then
works for *SECONDS* and prints ``DONE``.

*MODE* says how it appends:

- ``execute``: `Ledger.execute` with the default retries.
- ``no-retry``: `Ledger.execute` on ``Ledger(store, retries=0)``.
- ``stale``: decide a revision or rebuttal outside any transaction, wait
  until another writer moves that claim's stream on (up to half a second),
  then append with the versions it decided on. A stale version must raise
  `ConcurrencyError`; the worker then retries the simple way, with
  `Ledger.execute`, which reads and decides again.

Each line of *LOG* is one outcome: ``{"ok": true, "how": ..., "events":
[[id, seq, stream, version], ...]}`` for an append the worker was told
succeeded, or ``{"ok": false, "type": ..., "ledger_error": ..., "message":
..., "stale": ...}`` for any exception it caught.
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from ledger import (
    AssertClaim,
    Command,
    ConcurrencyError,
    Ledger,
    LedgerError,
    Quantity,
    RebutClaim,
    ReviseClaim,
    StoredEvent,
    parse_stamp,
)
from ledger.commands import StreamFold, decide, event_as_it_stands
from ledger.events import Event
from ledger.stores import EventStore, open_store

SOURCES = ("Source 0", "Source 1", "Source 2", "Source 3")
CLAIMED = parse_stamp("2022-03-01")
FOLLOWED = parse_stamp("2022-03-02")


class StoreView:
    """What `decide` sees, read straight from the store, outside any transaction."""

    def __init__(self, store: EventStore) -> None:
        """Read from *store*."""
        self._store = store

    def stream_of(self, record_id: str) -> StreamFold | None:
        """Return the folded stream holding *record_id*, or ``None``."""
        raws = self._store.read_streams_holding([record_id])
        return StreamFold.of_raw(raws[0].stream, raws) if raws else None

    def event_of(self, record_id: str) -> Event | None:
        """Return *record_id*'s event with every correction applied, or ``None``."""
        stored = self._store.get(record_id)
        if stored is None:
            return None
        events = ((e.event_id, e.event) for e in self._store.read_stream(stored.stream))
        return event_as_it_stands(record_id, events)


def draw(rng: random.Random, shared: list[list[str]], rid: str, *, own: bool) -> Command:
    """Draw a command: a claim of the worker's own (if *own*), or a revision or rebuttal."""
    value = Quantity(amount=rng.randrange(1000), unit="people")
    if own:
        subject = f"concurrency.{rid.split('-', maxsplit=1)[0]}.s{rng.randrange(20)}"
        source = rng.choice(SOURCES)
        return AssertClaim(id=rid, subject=subject, value=value, source=source, stated_at=CLAIMED)
    claim, owner = rng.choice(shared)
    if rng.random() < 0.5:
        return ReviseClaim(id=rid, revises=claim, value=value, source=owner, stated_at=FOLLOWED)
    rebutter = rng.choice([s for s in SOURCES if s != owner])
    counter = value if rng.random() < 0.3 else None
    reason = rng.choice([None, "disputed"])
    return RebutClaim(
        id=rid,
        rebuts=claim,
        source=rebutter,
        stated_at=FOLLOWED,
        counter_value=counter,
        reason=reason,
    )


def stale_append(ledger: Ledger, command: Command, write: Callable[..., None]) -> None:
    """Decide *command*, wait for the stream to move, append as decided; on a lost race, retry."""
    store = ledger.store
    decision = decide(StoreView(store), command)
    target = getattr(command, "revises", None) or getattr(command, "rebuts", None)
    moved = False
    if target is not None:
        version = decision.expected[target]
        deadline = time.monotonic() + 0.5
        while not (moved := store.stream_version(target) != version):
            if time.monotonic() > deadline:
                break
            time.sleep(0.002)
    try:
        stored = store.append(decision.events, decision.expected)
    except ConcurrencyError as e:
        write(error=e, stale=moved)
        # The simple way to retry: execute reads, decides and appends again.
        write(stored=ledger.execute(command), how="retried")
    else:
        write(stored=stored, how="optimistic", stale=moved)


def logger(out: IO[str], name: str, mode: str) -> Callable[..., None]:
    """Return a function that writes one outcome to *out* as a JSON line."""

    def write(
        *,
        stored: tuple[StoredEvent, ...] | None = None,
        error: BaseException | None = None,
        **extra: Any,
    ) -> None:
        line: dict[str, Any] = {"worker": name, "mode": mode, **extra}
        if error is None:
            assert stored is not None  # one of the two is given
            line["ok"] = True
            line["events"] = [[e.event_id, e.seq, e.stream, e.version] for e in stored]
        else:
            line["ok"] = False
            line["type"] = f"{type(error).__module__}.{type(error).__qualname__}"
            line["ledger_error"] = isinstance(error, LedgerError)
            line["message"] = str(error)
        out.write(json.dumps(line) + "\n")
        out.flush()

    return write


def main(  # noqa: PLR0913, PLR0917 - the command line's arguments
    path: str, shared_file: str, log: str, name: str, mode: str, seed: str, seconds: str
) -> None:
    """Append to the ledger at *path* for *seconds*, logging each outcome to *log*."""
    shared = json.loads(Path(shared_file).read_text(encoding="utf-8"))
    rng = random.Random(int(seed))  # noqa: S311 - reproducible test data, not secrets
    with Path(log).open("w", encoding="utf-8") as out:
        write = logger(out, name, mode)
        try:
            store = open_store(path)
        except Exception as e:
            write(error=e, when="opening")
            raise
        with Ledger(store, retries=0 if mode == "no-retry" else 5) as ledger:
            print("READY", flush=True)  # noqa: T201 - the parent waits for this line
            sys.stdin.readline()
            deadline = time.monotonic() + float(seconds)
            n = 0
            while time.monotonic() < deadline:
                n += 1
                command = draw(rng, shared, f"{name}-{n}", own=rng.random() < 0.3)
                try:
                    if mode == "stale" and not isinstance(command, AssertClaim):
                        stale_append(ledger, command, write)
                    else:
                        write(stored=ledger.execute(command), how="execute")
                except Exception as e:  # noqa: BLE001 - the test checks every error the worker saw
                    write(error=e)
                # A pause between appends, as a real client has: without one, SQLite's
                # busy handler lets the writer that just committed take the lock again
                # and again while the others sleep, and the run is mostly one writer.
                time.sleep(rng.uniform(0.001, 0.005))
    print("DONE", flush=True)  # noqa: T201 - the parent reads it as the end of the run


if __name__ == "__main__":
    main(*sys.argv[1:])
