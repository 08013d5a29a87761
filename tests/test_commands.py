"""The folds `decide` reads: from stored rows, equal to the fold of the decoded events."""

import pytest
from hypothesis import given

from ledger import Batch, Ledger
from ledger.commands import (
    KIND_OF,
    AssertClaim,
    CorrectEntry,
    ReviseClaim,
    StreamFold,
    event_as_it_stands,
)
from ledger.errors import RuleError, ValidationError
from ledger.events import ClaimRetracted
from ledger.stores import SqliteStore
from ledger.times import parse_stamp
from ledger.values import Quantity
from strategies import record_ledgers


def _streams(raws):
    streams = {}
    for raw in raws:
        streams.setdefault(raw.stream, []).append(raw)
    return streams


@given(ledger=record_ledgers())
def test_a_fold_of_stored_rows_equals_the_fold_of_their_decoded_events(ledger):
    """`StreamFold.of_raw` reads the columns; it must agree with `StreamFold.of` everywhere."""
    sqlite = SqliteStore(":memory:")
    sqlite.append_raw(list(ledger.store.read_raw()))
    for store in (ledger.store, sqlite):
        for stream, raws in _streams(store.read_raw()).items():
            typed = StreamFold.of(stream, ((raw.event_id, raw.decode().event) for raw in raws))
            assert StreamFold.of_raw(stream, raws) == typed
            assert (
                StreamFold.of_raw(stream, store.read_streams_holding([raws[-1].event_id])) == typed
            )
    sqlite.close()


@given(ledger=record_ledgers())
def test_a_fold_holds_each_record_as_it_stands_after_its_corrections(ledger):
    """A record's kind, source, stated time and counter-claim are those of its corrected event."""
    for stream, raws in _streams(ledger.store.read_raw()).items():
        events = [(raw.event_id, raw.decode().event) for raw in raws]
        fold = StreamFold.of(stream, events)
        assert fold.version == len(events)
        assert fold.subject == raws[0].subject
        retracted = {e.retracted_id for _, e in events if isinstance(e, ClaimRetracted)}
        for record_id, record in fold.records.items():
            event = event_as_it_stands(record_id, events)
            assert record.kind == KIND_OF[type(event)]
            assert record.source == getattr(event, "source", None)
            assert record.stated_at == getattr(event, "stated_at", None)
            assert record.counter_claim == getattr(event, "counter_claim_id", None)
            assert record.retracted == (record_id in retracted)
        assert event_as_it_stands("no-such-record", events) is None


def test_a_stored_row_missing_what_the_rules_read_is_refused_by_name():
    """A hand-edited retraction without its target fails with the record and the field."""
    ledger_rows = _day_rows()
    retraction = next(raw for raw in ledger_rows if raw.type == "ClaimRetracted")
    edited = retraction._replace(data=b'{"claim_id":"c1","source":"Russia"}')
    missing = "ClaimRetracted 'x1': stored data has no retracted_id"
    with pytest.raises(ValidationError, match=missing):
        StreamFold.of_raw("c1", [*(r for r in ledger_rows if r.seq < retraction.seq), edited])


def _day_rows():
    with Ledger.memory() as ledger:
        ledger.claim("control.kherson", "russia", source="Russia", stated_at="2022-03-05", id="c1")
        ledger.retract("c1", stated_at="2022-03-06", id="x1")
        return list(ledger.store.read_raw())


@pytest.mark.parametrize("chunk", [1, 1000])
def test_a_correction_in_a_batch_reads_the_record_it_corrects_wherever_it_is(chunk):
    """
    `Batch.event_of` sees a record in the store or still waiting in the batch.

    With ``chunk=1`` every event reaches the store as it is decided; with 1000
    the claim and its revision are still in the batch when the correction comes.
    """
    stamp = parse_stamp("2022-03-05")
    with Ledger.memory() as ledger, ledger.store.transaction():
        batch = Batch(ledger.store, chunk=chunk)
        value = Quantity(amount=498, unit="people")
        batch.add(AssertClaim(id="c1", subject="a.b", value=value, source="R", stated_at=stamp))
        batch.add(ReviseClaim(id="r1", revises="c1", value=value, stated_at=stamp))
        fixed = Quantity(amount=499, unit="people")
        batch.add(CorrectEntry(id="k1", corrects="r1", fields={"value": fixed}, note="typo"))
        assert batch.event_of("r1").value == fixed
        assert batch.event_of("c1").value == value
        assert batch.event_of("nope") is None
        with pytest.raises(RuleError, match="the corrected claim 'c1' would be invalid"):
            batch.add(CorrectEntry(id="k2", corrects="c1", fields={"source": ""}, note="x"))


def test_an_id_the_batch_found_free_is_taken_once_the_batch_adds_it():
    """The view remembers an id no record has only until it adds events."""
    stamp = parse_stamp("2022-03-05")
    value = Quantity(amount=1, unit="people")
    with Ledger.memory() as ledger, ledger.batch() as batch:
        assert batch.stream_of("c1") is None
        assert batch.stream_of("c1") is None
        batch.add(AssertClaim(id="c1", subject="a.b", value=value, source="R", stated_at=stamp))
        assert batch.stream_of("c1").claim.id == "c1"
        assert batch.stream_of("r1") is None
        batch.add(ReviseClaim(id="r1", revises="c1", value=value, stated_at=stamp))
        assert batch.stream_of("r1").version == 2
