"""
Replay the day-7 article to a date, as a short script using the library.

Run it from the repository root: ``python docs/examples/replay_to_date.py``.
"""

from pathlib import Path

from ledger import Ledger

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "day7.jsonl"

with Ledger.memory() as ledger:
    summary = ledger.import_records(EXAMPLE)
    print(f"imported {summary.imported} records as {summary.events} events")

    # What stood at the end of 2 March 2022, day 7 of the invasion?
    state = ledger.state(at="2022-03-02", subjects="casualties.russia.*")
    for subject in state.subjects:
        print(subject.subject, subject.status)
        for claim in subject.claims:
            disputed_by = ", ".join(r.source for r in claim.rebutted_by) or "nobody"
            print(f"  {claim.source}: {claim.value} ({claim.status}; disputed by {disputed_by})")

    # The day before, nothing had been said yet.
    print("subjects known on 2022-03-01:", len(ledger.state(at="2022-03-01").subjects))
