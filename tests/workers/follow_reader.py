"""
Follow a ledger from Python until SIGTERM: print each event, or keep a read model.

Usage: ``python follow_reader.py MODE LEDGER [AFTER | CHECKPOINT]``.

- ``follow LEDGER AFTER``: `Ledger.follow` from *AFTER*, printing one JSON
  line ``[seq, id]`` per event, flushed.
- ``run LEDGER CHECKPOINT``: a `ProjectionRunner` folding the ids of the
  events, in log order, into a `SqliteCheckpoint` in *CHECKPOINT*; it saves
  every few events, so a kill lands between saves as often as not.

SIGTERM stops either one cleanly (exit status 0); the test also kills them
with SIGKILL midway and starts them again.
"""

from __future__ import annotations

import json
import signal
import sys
import threading

from ledger import Ledger, ProjectionRunner, SqliteCheckpoint, StoredEvent


class EventIds:
    """The ids of the events folded, in order: a fold that shows any loss or repeat."""

    def initial(self) -> tuple[str, ...]:
        """Start with no ids."""
        return ()

    def apply(self, state: tuple[str, ...], event: StoredEvent) -> tuple[str, ...]:
        """Add *event*'s id."""
        return (*state, event.event_id)


def main(mode: str, path: str, where: str) -> None:
    """Follow the ledger at *path* until SIGTERM."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with Ledger.open(path, create=False) as ledger:
        print("READY", flush=True)  # noqa: T201
        if mode == "follow":
            for stored in ledger.follow(after=int(where), poll=0.1, stop=stop):
                print(json.dumps([stored.seq, stored.event_id]), flush=True)  # noqa: T201
        else:
            checkpoint = SqliteCheckpoint(where, "ids", state_type=tuple[str, ...])
            runner = ProjectionRunner(ledger.store, EventIds(), checkpoint, save_every=7)
            runner.run(wait=True, poll=0.1, stop=stop)
            checkpoint.close()
    print("STOPPED", flush=True)  # noqa: T201


if __name__ == "__main__":
    main(*sys.argv[1:])
