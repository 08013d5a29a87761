"""
Append claims to a ledger in small batches, printing what each append stored.

Usage: ``python follow_writer.py LEDGER COUNT SEED``.

It appends *COUNT* claims in batches of one to three (one transaction each),
pausing a few milliseconds between batches as a real client would, and
prints one JSON line ``[seq, id]`` per stored event once its batch has
committed, then ``DONE``. Halfway it prints ``HALF`` and waits for a line on
stdin, so that the test can kill followers while the log is still growing.
"""

from __future__ import annotations

import json
import random
import sys
import time

from ledger import AssertClaim, Ledger, Quantity, parse_stamp

STATED = parse_stamp("2022-03-02")


def main(path: str, count: str, seed: str) -> None:
    """Append *count* claims to the ledger at *path*."""
    rng = random.Random(int(seed))  # noqa: S311 - reproducible test data
    total = int(count)
    n = 0
    paused = False
    with Ledger.open(path, create=False) as ledger:
        while n < total:
            size = min(rng.randint(1, 3), total - n)
            commands = [
                AssertClaim(
                    id=f"w-{n + k}",
                    subject=f"follow.s{rng.randrange(10)}",
                    value=Quantity(amount=rng.randrange(1000), unit="people"),
                    source=f"Source {rng.randrange(4)}",
                    stated_at=STATED,
                )
                for k in range(size)
            ]
            for stored in ledger.execute(*commands):
                print(json.dumps([stored.seq, stored.event_id]), flush=True)  # noqa: T201
            n += size
            if not paused and n >= total // 2:
                paused = True
                print("HALF", flush=True)  # noqa: T201
                sys.stdin.readline()
            time.sleep(rng.uniform(0.002, 0.012))
    print("DONE", flush=True)  # noqa: T201


if __name__ == "__main__":
    main(*sys.argv[1:])
