"""
Write the golden files of schema version 1: stored events and the states they project to.

Run ONCE, when the files were first made (ledger 0.1.0.dev0), and committed:

    PYTHONPATH=src python tests/golden/make_golden.py

Never re-run it to "fix" tests/test_golden.py. The files record what today's
version stored; a failing golden test means a later change no longer reads
those bytes, or projects them differently. Ship an upcaster (see
`ledger.codec.UPCASTERS`) or fix the projection, and keep the files as they
are. The script refuses to overwrite them.

The log is the day-7 example (examples/day7.jsonl) followed by later,
made-up records (they are not in the article) so that every event type is
stored: revisions, a retraction, a corroboration and corrections, with a
fixed clock so recorded times are fixed too.
"""

import itertools
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ledger import Ledger, Quantity, codec
from ledger.output import raw_event_json, state_json

HERE = Path(__file__).resolve().parent
DAY7 = HERE.parent.parent / "examples" / "day7.jsonl"
EVENTS = HERE / "day7-events-v1.jsonl"
STATES = HERE / "day7-state-v1.json"

# Each `state` command line the golden state file answers, without the ledger path.
CUTOFFS = [
    "state",
    "state --at 2022-03-02",
    "state --at 2022-03-04",
    "state --known-at 2022-03-03T12:00:00Z",
    "state --valid-at 2022-03-03",
    "state --at 2022-03-05 --subject casualties.*",
]


def clock():
    """Return a clock that starts on 2022-03-03 at noon and moves on an hour a reading."""
    count = itertools.count()
    start = datetime(2022, 3, 3, 12, tzinfo=UTC)
    return lambda: start + timedelta(hours=next(count))


def people(amount, qualifier="exact"):
    return Quantity(amount=amount, qualifier=qualifier, unit="people")


def fill(ledger):
    """Import the day-7 example, then the later made-up records, a few batches of them."""
    ledger.import_records(DAY7)
    ledger.revise(
        "reports-kharkiv-killed",
        people(34, "approximately"),
        stated_at="2022-03-03",
        id="reports-kharkiv-killed-r1",
        note="made up for the golden files",
    )
    ledger.corroborate(
        "ru-kherson",
        source="Kherson regional administration",
        stated_at="2022-03-03T09:30Z",
        id="kherson-admin-confirms",
    )
    ledger.retract(
        "reports-talks-round2-date",
        stated_at="2022-03-03",
        id="reports-talks-round2-date-withdrawn",
        note="made up for the golden files",
    )
    ledger.correct(
        "reports-kharkiv-wounded",
        note="transcription: the report said 113",
        value=people(113),
        id="reports-kharkiv-wounded-fix",
    )
    ledger.revise(
        "ua-adviser-killed.counter",
        people(9000, "more_than"),
        stated_at="2022-03-04",
        as_of="2022-03-04",
        id="ua-adviser-killed-r1",
    )
    ledger.correct(
        "ru-mod-wounded",
        note="entered the wrong day",
        stated_at="2022-03-02T14:00Z",
        id="ru-mod-wounded-fix",
    )
    ledger.retract(
        "ru-mod-dismisses-losses",
        stated_at="2022-03-05",
        source="Russian Defence Ministry",
        id="ru-mod-dismissal-withdrawn",
    )


def main():
    for path in (EVENTS, STATES):
        if path.exists():
            sys.exit(f"{path} exists: golden files are written once and never regenerated")
    with (
        tempfile.TemporaryDirectory() as folder,
        Ledger.open(Path(folder) / "golden.db", clock=clock()) as ledger,
    ):
        fill(ledger)
        assert ledger.verify().ok
        lines = [codec.dumps_exact(raw_event_json(raw)) + b"\n" for raw in ledger.store.read_raw()]
        states = {}
        for line in CUTOFFS:
            words = line.split()[1:]
            options = dict(zip(words[::2], words[1::2], strict=True))
            state = ledger.state(
                at=options.get("--at"),
                known_at=options.get("--known-at"),
                valid_at=options.get("--valid-at"),
                subjects=options.get("--subject"),
            )
            states[line] = state_json(state)
    EVENTS.write_bytes(b"".join(lines))
    STATES.write_bytes(codec.dumps_exact(states, indent=True) + b"\n")


if __name__ == "__main__":
    main()
