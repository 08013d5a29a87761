"""The fast path: state read from spans equals state by replay, and spans rebuild from events."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import (
    AssertClaim,
    Ledger,
    Quantity,
    RebutClaim,
    RetractRecord,
    SqliteStore,
    parse_stamp,
)
from strategies import batches, cutoffs_for, ledger_commands


def clock():
    """Return a clock that moves one day per reading, from 2026-01-01."""
    moments = (datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=n) for n in range(10**6))
    return lambda: next(moments)


def build(groups) -> Ledger:
    """Return an SQLite ledger (in memory) holding the batches of commands."""
    ledger = Ledger(SqliteStore(":memory:", clock=clock()))
    for group in groups:
        ledger.execute(*group)
    return ledger


@settings(max_examples=150)
@given(st.data())
def test_spans_answer_as_replay_does(data):
    """For random ledgers and cut-offs, the spans give the state a full replay gives."""
    commands = data.draw(ledger_commands())
    ledger = build(data.draw(batches(commands)))
    for at in [None, *data.draw(st.lists(cutoffs_for(commands), min_size=1, max_size=4))]:
        assert ledger.state(at=at) == ledger.replayed_state(at=at)
        assert ledger.state(at=at, subjects="c*") == ledger.replayed_state(at=at, subjects="c*")


@settings(max_examples=50)
@given(st.data())
def test_known_at_and_valid_at_agree_with_replay(data):
    """Cut-offs on the recorded and the valid axes give the replayed answer too."""
    commands = data.draw(ledger_commands())
    groups = data.draw(batches(commands))
    ledger = build(groups)
    at, valid_at = data.draw(cutoffs_for(commands)), data.draw(cutoffs_for(commands))
    known_at = f"2026-01-{data.draw(st.integers(min_value=1, max_value=len(groups))):02d}"
    for kwargs in (
        {"known_at": known_at},
        {"valid_at": valid_at},
        {"at": at, "known_at": known_at},
    ):
        assert ledger.state(**kwargs) == ledger.replayed_state(**kwargs)


@settings(max_examples=50)
@given(st.data())
def test_rebuild_recomputes_the_same_spans(data):
    """Dropping every span and rebuilding from the events alone changes no answer."""
    commands = data.draw(ledger_commands())
    ledger = build(data.draw(batches(commands)))
    cutoffs = [None, *data.draw(st.lists(cutoffs_for(commands), min_size=1, max_size=3))]
    before = [ledger.state(at=at) for at in cutoffs]
    store = ledger.store
    assert isinstance(store, SqliteStore)
    for table in ("claim_spans", "rebuttal_spans", "corroboration_spans"):
        store.db.conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed names
    assert store.rebuild() > 0
    assert [ledger.state(at=at) for at in cutoffs] == before


def test_a_file_without_spans_gets_them_on_its_next_write(tmp_path):
    """A ledger file written before spans existed is indexed on the next write."""
    path = tmp_path / "old.db"
    with Ledger.open(path) as ledger:
        ledger.claim("control.kherson", "russia", source="Russia", stated_at="2022-03-02", id="k")
        for table in ("claim_spans", "rebuttal_spans", "corroboration_spans"):
            ledger.store.db.conn.execute(f"DROP TABLE {table}")  # type: ignore[attr-defined]
    with Ledger.open(path) as ledger:
        assert ledger.store.spans_at(None, None) is None
        assert ledger.state()["control.kherson"].status == "single_source"  # by replay
        ledger.claim("control.kherson", "ukraine", source="Ukraine", stated_at="2022-03-03")
        assert ledger.store.spans_at(None, None) is not None
        assert ledger.state() == ledger.replayed_state()
        assert ledger.state()["control.kherson"].status == "contested"


def test_retracting_a_rebuttal_of_a_counter_claim_does_not_lapse_it():
    """A counter-claim lapses when revised or withdrawn, not when a rebuttal of it is retracted."""

    def at(minute):
        return parse_stamp(f"2022-03-01T00:{minute:02d}Z")

    ledger = build(
        [
            [
                AssertClaim(
                    id="c0", subject="s", value=Quantity(amount=90), source="a", stated_at=at(0)
                )
            ],
            [
                RebutClaim(
                    id="b1",
                    rebuts="c0",
                    source="b",
                    stated_at=at(1),
                    counter_value=Quantity(amount=7),
                ),
                RebutClaim(id="b2", rebuts="b1.counter", source="a", stated_at=at(2)),
                RetractRecord(id="x3", retracts="b2", stated_at=at(3)),
            ],
        ]
    )
    state = ledger.state()
    assert state == ledger.replayed_state()
    assert [r.id for r in state["s"].claims[0].rebutted_by] == ["b1"]
