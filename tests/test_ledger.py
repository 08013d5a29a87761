"""The rules of `Ledger`: each refusal names the field and the ids, and writes nothing."""

import contextlib
import itertools
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from ledger import Ledger
from ledger.commands import (
    AssertClaim,
    CorrectEntry,
    CorroborateClaim,
    RebutClaim,
    RetractRecord,
    ReviseClaim,
)
from ledger.errors import (
    ConcurrencyError,
    DuplicateIdError,
    RuleError,
    StoreError,
    UnknownReferenceError,
    ValidationError,
)
from ledger.events import ClaimAsserted, ClaimRevised
from ledger.stores import SqliteStore
from ledger.times import parse_stamp
from ledger.values import Label, Quantity

SUBJECT = "control.kherson"
START = datetime(2026, 1, 1, 12, tzinfo=UTC)


def daily(start=START):
    """Return a fake clock that moves on by one day at every call, from *start*."""
    count = itertools.count()
    return lambda: start + timedelta(days=next(count))


@pytest.fixture(params=["memory", "sqlite"])
def ledger(request):
    """An empty ledger on each backend."""
    if request.param == "memory":
        book = Ledger.memory(clock=daily())
    else:
        book = Ledger(SqliteStore(":memory:", clock=daily()))
    with book:
        yield book


@pytest.fixture
def claimed(ledger):
    """A ledger holding claim ``c1`` by Russia, stated 2022-03-05."""
    ledger.claim(SUBJECT, "russia", source="Russia", stated_at="2022-03-05", id="c1")
    return ledger


def snapshot(ledger):
    """Return everything a refused command must leave alone."""
    return ledger.head(), list(ledger.events())


@contextlib.contextmanager
def refused(ledger, error, field, *ids):
    """Expect exactly *error*, a message opening with *field* and naming *ids*, and no write."""
    before = snapshot(ledger)
    with pytest.raises(error) as caught:
        yield caught
    assert type(caught.value) is error
    message = str(caught.value)
    assert field is None or message.startswith(f"{field}:"), message
    for record_id in ids:
        assert repr(record_id) in message, message
    assert snapshot(ledger) == before


# -- ids are unique ------------------------------------------------------------


def test_a_reused_claim_id_is_refused(claimed):
    """A second claim with a taken id raises DuplicateIdError naming it."""
    with refused(claimed, DuplicateIdError, "id", "c1"):
        claimed.claim(SUBJECT, "ukraine", source="Ukraine", stated_at="2022-03-06", id="c1")


def test_a_reused_rebuttal_id_is_refused(claimed):
    """A record reusing a rebuttal's id raises DuplicateIdError naming it."""
    claimed.rebut("c1", source="Ukraine", stated_at="2022-03-06", id="b1")
    with refused(claimed, DuplicateIdError, "id", "b1"):
        claimed.rebut("c1", source="Mayor", stated_at="2022-03-07", id="b1")
    with refused(claimed, DuplicateIdError, "id", "b1"):
        claimed.claim(SUBJECT, "ukraine", source="Mayor", stated_at="2022-03-07", id="b1")


def test_a_reused_id_for_a_revision_is_refused(claimed):
    """A revision may not take the id of the claim it revises."""
    with refused(claimed, DuplicateIdError, "id", "c1"):
        claimed.revise("c1", "ukraine", stated_at="2022-03-06", id="c1")


def test_a_taken_counter_claim_id_is_refused(claimed):
    """A rebuttal with a value is refused when ``<id>.counter`` is taken already."""
    claimed.claim(SUBJECT, "ukraine", source="Mayor", stated_at="2022-03-05", id="b1.counter")
    with refused(claimed, DuplicateIdError, "id", "b1.counter"):
        claimed.rebut("c1", source="Ukraine", stated_at="2022-03-06", id="b1", value="ukraine")


def test_an_id_given_twice_in_one_execute_is_refused(claimed):
    """Two commands of one batch with the same id write neither."""
    stamp = parse_stamp("2022-03-06")
    first = AssertClaim(id="c2", subject=SUBJECT, value=Label("x"), source="A", stated_at=stamp)
    second = AssertClaim(id="c2", subject=SUBJECT, value=Label("y"), source="B", stated_at=stamp)
    with refused(claimed, DuplicateIdError, "id", "c2"):
        claimed.execute(first, second)


# -- who may say what ------------------------------------------------------------


def test_a_revision_from_another_source_is_refused(claimed):
    """Only a claim's source can revise it."""
    with refused(claimed, RuleError, "source", "Ukraine", "c1", "Russia"):
        claimed.revise("c1", "ukraine", stated_at="2022-03-06", source="Ukraine")


def test_a_revision_naming_the_claims_source_is_accepted(claimed):
    """A revision that names the claim's own source is recorded in its stream."""
    (stored,) = claimed.revise("c1", "ukraine", stated_at="2022-03-06", source="Russia", id="r1")
    assert stored.stream == "c1"
    assert stored.event == ClaimRevised(
        claim_id="c1", value=Label("ukraine"), stated_at=parse_stamp("2022-03-06")
    )


def test_a_retraction_of_a_claim_from_another_source_is_refused(claimed):
    """Only a claim's source can retract it."""
    with refused(claimed, RuleError, "source", "Ukraine", "c1", "Russia"):
        claimed.retract("c1", stated_at="2022-03-06", source="Ukraine")


def test_a_retraction_of_a_rebuttal_from_another_source_is_refused(claimed):
    """Only a rebuttal's source can retract it, not the source of the claim it rebuts."""
    claimed.rebut("c1", source="Ukraine", stated_at="2022-03-06", id="b1")
    with refused(claimed, RuleError, "source", "Russia", "b1", "Ukraine"):
        claimed.retract("b1", stated_at="2022-03-07", source="Russia")
    (stored,) = claimed.retract("b1", stated_at="2022-03-07", source="Ukraine", id="x1")
    assert stored.event.source == "Ukraine"
    assert stored.event.retracted_id == "b1"


def test_a_retraction_without_a_source_takes_the_owners(claimed):
    """A retraction that names no source is filed under the source of what it retracts."""
    (stored,) = claimed.retract("c1", stated_at="2022-03-06", id="x1")
    assert stored.event.source == "Russia"


def test_rebutting_ones_own_claim_is_refused(claimed):
    """A rebuttal comes from another source than the claim's."""
    with refused(claimed, RuleError, "source", "Russia", "c1"):
        claimed.rebut("c1", source="Russia", stated_at="2022-03-06")


def test_corroborating_ones_own_claim_is_refused(claimed):
    """A corroboration comes from another source than the claim's."""
    with refused(claimed, RuleError, "source", "Russia", "c1"):
        claimed.corroborate("c1", source="Russia", stated_at="2022-03-06")


# -- nothing follows a retraction --------------------------------------------------

AFTER_RETRACTION = {
    "revises": lambda book: book.revise("c1", "ukraine", stated_at="2022-03-08"),
    "rebuts": lambda book: book.rebut("c1", source="Ukraine", stated_at="2022-03-08"),
    "corroborates": lambda book: book.corroborate("c1", source="Ukraine", stated_at="2022-03-08"),
    "retracts": lambda book: book.retract("c1", stated_at="2022-03-08"),
}


@pytest.mark.parametrize("field", AFTER_RETRACTION)
def test_nothing_but_a_correction_follows_a_claims_retraction(claimed, field):
    """Revising, rebutting, corroborating or retracting a retracted claim is refused."""
    claimed.retract("c1", stated_at="2022-03-07", id="x1")
    with refused(claimed, RuleError, field, "c1") as caught:
        AFTER_RETRACTION[field](claimed)
    assert "retracted" in str(caught.value)


def test_a_correction_follows_a_retraction(claimed):
    """A retracted claim can still be corrected, and the correction shows."""
    claimed.retract("c1", stated_at="2022-03-07", id="x1")
    (stored,) = claimed.correct("c1", note="misread", value="ukraine", id="f1")
    assert stored.stream == "c1"
    claim = claimed.state()[SUBJECT].claim("c1")
    assert claim.value == Label("ukraine")
    assert claim.status == "retracted"


def test_a_retracted_revision_cannot_be_revised_or_rebutted(claimed):
    """A retracted revision takes nothing but a correction, though its claim lives on."""
    claimed.revise("c1", "ukraine", stated_at="2022-03-06", id="r1")
    claimed.retract("r1", stated_at="2022-03-07")
    with refused(claimed, RuleError, "revises", "r1"):
        claimed.revise("r1", "russia", stated_at="2022-03-08")
    with refused(claimed, RuleError, "rebuts", "r1"):
        claimed.rebut("r1", source="Ukraine", stated_at="2022-03-08")
    with refused(claimed, RuleError, "retracts", "r1"):
        claimed.retract("r1", stated_at="2022-03-08")
    claimed.revise("c1", "contested", stated_at="2022-03-08")
    claimed.correct("r1", note="typo", value="Ukraine")


def test_a_retracted_rebuttal_cannot_be_retracted_again(claimed):
    """A rebuttal is retracted once."""
    claimed.rebut("c1", source="Ukraine", stated_at="2022-03-06", id="b1")
    claimed.retract("b1", stated_at="2022-03-07")
    with refused(claimed, RuleError, "retracts", "b1"):
        claimed.retract("b1", stated_at="2022-03-08")


def test_a_retracted_rebuttal_cannot_be_revised_through(claimed):
    """Revising through a retracted rebuttal's id is refused: only a correction follows it."""
    claimed.rebut("c1", source="Mayor", stated_at="2022-03-06", id="b1", value="ukraine")
    claimed.retract("b1", stated_at="2022-03-07")
    with refused(claimed, RuleError, "revises", "b1"):
        claimed.revise("b1", "russia", stated_at="2022-03-08")


def test_a_rebuttal_of_a_retracted_claim_cannot_be_retracted(claimed):
    """Once a claim is retracted, even its rebuttals take nothing but corrections."""
    claimed.rebut("c1", source="Ukraine", stated_at="2022-03-06", id="b1")
    claimed.retract("c1", stated_at="2022-03-07")
    with refused(claimed, RuleError, "retracts", "c1"):
        claimed.retract("b1", stated_at="2022-03-08")


# -- nothing is stated before what it changes ------------------------------------------


def test_a_revision_stated_before_its_claim_is_refused(claimed):
    """A revision of a claim stated 2022-03-05 cannot be stated 2022-03-01."""
    with refused(claimed, RuleError, "stated_at", "c1") as caught:
        claimed.revise("c1", "ukraine", stated_at="2022-03-01")
    assert "2022-03-01" in str(caught.value)
    assert "2022-03-05" in str(caught.value)


def test_a_revision_within_the_day_of_its_claim_is_accepted(claimed):
    """A revision at 10:00 on the day a claim was stated may follow it."""
    claimed.revise("c1", "ukraine", stated_at="2022-03-05T10:00Z", id="r1")
    assert claimed.state()[SUBJECT].claim("c1").value == Label("ukraine")


@pytest.mark.parametrize(
    ("claimed_at", "revised_at", "allowed"),
    [
        ("2022-03-05T10:00Z", "2022-03-05", True),  # the day overlaps the minute
        ("2022-03-05T10:00Z", "2022-03-04", False),  # the day ends before the minute
        ("2022-03-05T10:00Z", "2022-03-05T09:59Z", False),
        ("2022-03-05T10:00Z", "2022-03-05T10:00Z", True),
        ("2022-03-05", "2022-03", True),  # the month overlaps the day
        ("2022-03-05", "2022-02", False),
    ],
)
def test_a_revision_may_not_end_before_its_claim_begins(ledger, claimed_at, revised_at, allowed):
    """The time rule compares intervals: a revision's period may not end before the claim's."""
    ledger.claim(SUBJECT, "russia", source="Russia", stated_at=claimed_at, id="c1")
    if allowed:
        ledger.revise("c1", "ukraine", stated_at=revised_at)
    else:
        with refused(ledger, RuleError, "stated_at", "c1"):
            ledger.revise("c1", "ukraine", stated_at=revised_at)


def test_a_retraction_stated_before_its_claim_is_refused(claimed):
    """A claim cannot be retracted before it was stated."""
    with refused(claimed, RuleError, "stated_at", "c1"):
        claimed.retract("c1", stated_at="2022-03-04")


def test_a_retraction_stated_before_its_revision_is_refused(claimed):
    """A retraction is compared with the record it retracts, not only with the claim."""
    claimed.revise("c1", "ukraine", stated_at="2022-03-10", id="r1")
    with refused(claimed, RuleError, "stated_at", "r1"):
        claimed.retract("r1", stated_at="2022-03-08")


def test_a_retraction_stated_before_its_rebuttal_is_refused(claimed):
    """A rebuttal cannot be retracted before it was stated."""
    claimed.rebut("c1", source="Ukraine", stated_at="2022-03-10", id="b1")
    with refused(claimed, RuleError, "stated_at", "b1"):
        claimed.retract("b1", stated_at="2022-03-08")


def test_rebuttals_and_corroborations_stated_before_their_claim_are_refused(claimed):
    """A rebuttal or corroboration cannot be stated before the claim it concerns."""
    with refused(claimed, RuleError, "stated_at", "c1"):
        claimed.rebut("c1", source="Ukraine", stated_at="2022-03-04")
    with refused(claimed, RuleError, "stated_at", "c1"):
        claimed.corroborate("c1", source="Ukraine", stated_at="2022-03-04")


def test_the_time_rule_uses_the_corrected_time(claimed):
    """After a correction moves a claim later, a revision between the two times is refused."""
    claimed.correct("c1", note="wrong day", stated_at="2022-03-09")
    with refused(claimed, RuleError, "stated_at", "c1") as caught:
        claimed.revise("c1", "ukraine", stated_at="2022-03-07")
    assert "2022-03-09" in str(caught.value)


# -- references must exist -------------------------------------------------------

UNKNOWN = {
    "revises": lambda book: book.revise("nope", "x", stated_at="2022-03-06"),
    "rebuts": lambda book: book.rebut("nope", source="Ukraine", stated_at="2022-03-06"),
    "retracts": lambda book: book.retract("nope", stated_at="2022-03-06"),
    "corroborates": lambda book: book.corroborate("nope", source="Ukraine", stated_at="2022-03-06"),
    "corrects": lambda book: book.correct("nope", note="typo", value="x"),
}


@pytest.mark.parametrize("field", UNKNOWN)
def test_a_reference_to_an_unknown_id_is_refused(claimed, field):
    """Every reference names a record the ledger (or the batch) holds."""
    with refused(claimed, UnknownReferenceError, field, "nope"):
        UNKNOWN[field](claimed)


def test_a_reference_to_an_earlier_command_of_the_batch_is_accepted(ledger):
    """A command may refer to a record made earlier in the same batch."""
    stamp = parse_stamp("2022-03-05")
    stored = ledger.execute(
        AssertClaim(id="c1", subject=SUBJECT, value=Label("x"), source="A", stated_at=stamp),
        ReviseClaim(id="r1", revises="c1", value=Label("y"), stated_at=stamp),
        RebutClaim(id="b1", rebuts="r1", source="B", stated_at=stamp, counter_value=Label("z")),
        ReviseClaim(id="r2", revises="b1", value=Label("x"), stated_at=stamp),
    )
    assert [(s.event_id, s.stream, s.version) for s in stored] == [
        ("c1", "c1", 1),
        ("r1", "c1", 2),
        ("b1.counter", "b1.counter", 1),
        ("b1", "c1", 3),
        ("r2", "b1.counter", 2),
    ]


def test_a_reference_to_a_later_command_of_the_batch_is_refused(ledger):
    """A batch is decided in order: a command cannot refer to one after it."""
    stamp = parse_stamp("2022-03-05")
    with refused(ledger, UnknownReferenceError, "revises", "c1"):
        ledger.execute(
            ReviseClaim(id="r1", revises="c1", value=Label("y"), stated_at=stamp),
            AssertClaim(id="c1", subject=SUBJECT, value=Label("x"), source="A", stated_at=stamp),
        )


# -- what each kind of record may refer to -------------------------------------------


def test_revising_a_rebuttal_without_a_counter_claim_is_refused(claimed):
    """Only a rebuttal that carries a counter-claim can be revised through its id."""
    claimed.rebut("c1", source="Ukraine", stated_at="2022-03-06", id="b1")
    with refused(claimed, RuleError, "revises", "b1"):
        claimed.revise("b1", "ukraine", stated_at="2022-03-07")


def test_a_rebuttal_with_a_value_files_a_counter_claim(claimed):
    """A rebuttal with a value creates claim ``<id>.counter`` by the rebutter, on the subject."""
    counter, rebuttal = claimed.rebut(
        "c1", source="Mayor", stated_at="2022-03-06", id="b1", value="ukraine", as_of="2022-03-04"
    )
    assert counter.event_id == counter.stream == "b1.counter"
    assert counter.event == ClaimAsserted(
        claim_id="b1.counter",
        subject=SUBJECT,
        value=Label("ukraine"),
        source="Mayor",
        stated_at=parse_stamp("2022-03-06"),
        as_of=parse_stamp("2022-03-04"),
    )
    assert rebuttal.event_id == "b1"
    assert rebuttal.stream == "c1"
    assert rebuttal.event.counter_claim_id == "b1.counter"


def test_revising_through_a_rebuttal_revises_its_counter_claim(claimed):
    """``revise(rebuttal_id)`` lands in the counter-claim's stream and changes its value."""
    claimed.rebut("c1", source="Mayor", stated_at="2022-03-06", id="b1", value="ukraine")
    (stored,) = claimed.revise("b1", "contested", stated_at="2022-03-07", id="r1")
    assert stored.stream == "b1.counter"
    assert stored.event.claim_id == "b1.counter"
    counter = claimed.state()[SUBJECT].claim("b1.counter")
    assert counter.value == Label("contested")
    assert counter.revisions == 1
    with refused(claimed, RuleError, "source", "Russia", "b1.counter", "Mayor"):
        claimed.revise("b1", "russia", stated_at="2022-03-08", source="Russia")


def test_rebutting_a_rebuttal_is_refused(claimed):
    """Only a claim or a revision can be rebutted or corroborated."""
    claimed.rebut("c1", source="Ukraine", stated_at="2022-03-06", id="b1")
    with refused(claimed, RuleError, "rebuts", "b1"):
        claimed.rebut("b1", source="Mayor", stated_at="2022-03-07")
    with refused(claimed, RuleError, "corroborates", "b1"):
        claimed.corroborate("b1", source="Mayor", stated_at="2022-03-07")


def test_retracting_a_corroboration_or_a_correction_is_refused(claimed):
    """Only a claim, a revision or a rebuttal can be retracted."""
    claimed.corroborate("c1", source="Ukraine", stated_at="2022-03-06", id="k1")
    claimed.correct("c1", note="typo", value="Russia", id="f1")
    with refused(claimed, RuleError, "retracts", "k1"):
        claimed.retract("k1", stated_at="2022-03-07")
    with refused(claimed, RuleError, "retracts", "f1"):
        claimed.retract("f1", stated_at="2022-03-07")


def test_correcting_a_correction_is_refused(claimed):
    """A correction is corrected by correcting the original record again."""
    claimed.correct("c1", note="typo", value="Russia", id="f1")
    with refused(claimed, RuleError, "corrects", "f1"):
        claimed.correct("f1", note="typo again", value="russia")


# The fields each kind of record may have corrected, as docs/reference/records.md lists
# them ("value fields" are value and as_of here; a record's note is not
# correctable, since in a correction the note is the reason for it).
DOCUMENTED = {
    "claim": {"value", "as_of", "stated_at", "source", "via", "citation", "quote"},
    "revision": {"value", "as_of", "stated_at", "via", "citation", "quote"},
    "rebuttal": {"stated_at", "source", "reason", "via", "citation", "quote"},
    "retraction": {"stated_at", "via", "citation", "quote"},
    "corroboration": {"stated_at", "source", "via", "citation", "quote"},
}
REPLACEMENTS = {
    "value": Label("ukraine"),
    "as_of": parse_stamp("2022-03-05"),
    "stated_at": parse_stamp("2022-03-20"),
    "source": "Someone Else",
    "via": "Example Wire",
    "citation": "https://example.org/fixed",
    "quote": "the fixed quote",
    "note": "a new note",
    "reason": "a new reason",
}
RECORD_OF_KIND = {
    "claim": "c1",
    "revision": "r1",
    "rebuttal": "b1",
    "retraction": "x1",
    "corroboration": "k1",
}


@pytest.fixture
def one_of_each():
    """A memory ledger with a claim, a revision, a rebuttal, a retraction and a corroboration."""
    claimed = Ledger.memory(clock=daily())
    claimed.claim(SUBJECT, "russia", source="Russia", stated_at="2022-03-05", id="c1")
    claimed.revise("c1", "ukraine", stated_at="2022-03-06", id="r1", note="first")
    claimed.rebut("c1", source="Ukraine", stated_at="2022-03-06", id="b1", note="n")
    claimed.retract("b1", stated_at="2022-03-07", id="x1", note="n")
    claimed.corroborate("c1", source="Mayor", stated_at="2022-03-07", id="k1", note="n")
    return claimed


@pytest.mark.parametrize(
    ("kind", "name"),
    [(kind, name) for kind, names in DOCUMENTED.items() for name in sorted(names)],
)
def test_a_documented_field_can_be_corrected(one_of_each, kind, name):
    """Each field docs/reference/records.md lists for a kind is accepted in a correction."""
    one_of_each.execute(
        CorrectEntry(
            id="f1", corrects=RECORD_OF_KIND[kind], fields={name: REPLACEMENTS[name]}, note="fix"
        )
    )


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        (kind, name)
        for kind, names in DOCUMENTED.items()
        for name in sorted(REPLACEMENTS.keys() - names)
    ],
)
def test_a_field_a_kind_does_not_have_cannot_be_corrected(one_of_each, kind, name):
    """A correction of a field the kind lacks (or of a record's note) is refused, naming it."""
    record_id = RECORD_OF_KIND[kind]
    with refused(one_of_each, RuleError, name) as caught:
        one_of_each.execute(
            CorrectEntry(id="f1", corrects=record_id, fields={name: REPLACEMENTS[name]}, note="x")
        )
    assert kind in str(caught.value)


def test_a_refused_correction_names_the_record(one_of_each):
    """The refusal of an uncorrectable field says which record the correction was for."""
    with refused(one_of_each, RuleError, "value", "b1"):
        one_of_each.execute(
            CorrectEntry(id="f1", corrects="b1", fields={"value": Label("x")}, note="typo")
        )


@pytest.mark.parametrize("record_id", ["b1", "k1"])
def test_a_correction_cannot_give_a_rebuttal_the_claims_source(one_of_each, record_id):
    """A corrected rebuttal or corroboration still comes from another source than the claim."""
    with refused(one_of_each, RuleError, "source", "Russia"):
        one_of_each.correct(record_id, note="misattributed", source="Russia")


def test_a_correction_cannot_give_a_claim_its_rebutters_source(claimed):
    """Correcting a claim's source to its rebutter's would make the rebuttal its own."""
    claimed.rebut("c1", source="Ukraine", stated_at="2022-03-06", id="b1")
    with refused(claimed, RuleError, "source", "Ukraine", "c1"):
        claimed.correct("c1", note="misattributed", source="Ukraine")


def test_a_correction_that_would_make_a_record_invalid_is_refused(claimed):
    """A blank source is refused when the corrected claim is checked."""
    with refused(claimed, RuleError, None, "c1") as caught:
        claimed.correct("c1", note="misattributed", source="  ")
    assert "source" in str(caught.value)


def test_a_number_for_a_field_other_than_value_is_refused(claimed):
    """`Ledger.correct` accepts a bare number only for ``value``."""
    with refused(claimed, ValidationError, "citation"):
        claimed.correct("c1", note="typo", citation=5)


def test_a_correction_with_a_bare_number_corrects_to_an_exact_quantity(ledger):
    """``correct(value=489)`` stores an exact quantity."""
    ledger.claim("casualties.x", 498, source="A", stated_at="2022-03-02", id="c1")
    ledger.correct("c1", note="typo", value=489, stated_at="2022-03-03")
    claim = ledger.state()["casualties.x"].claim("c1")
    assert claim.value == Quantity(amount=489)
    assert claim.stated_at == parse_stamp("2022-03-03")


# -- atomic writes -------------------------------------------------------------------


def test_an_execute_whose_third_command_breaks_a_rule_writes_nothing(claimed):
    """Three commands are decided together; the third's refusal drops the first two."""
    stamp = parse_stamp("2022-03-06")
    with refused(claimed, RuleError, "source", "Russia", "c1"):
        claimed.execute(
            ReviseClaim(id="r1", revises="c1", value=Label("ukraine"), stated_at=stamp),
            CorroborateClaim(id="k1", corroborates="c1", source="Ukraine", stated_at=stamp),
            RebutClaim(id="b1", rebuts="c1", source="Russia", stated_at=stamp),
        )
    assert claimed.get("r1") is None
    assert claimed.get("k1") is None


def test_a_batch_block_that_raises_writes_nothing(claimed):
    """An error inside ``with ledger.batch()`` appends none of its commands."""
    before = snapshot(claimed)
    stamp = parse_stamp("2022-03-06")

    def give_up():
        with claimed.batch() as batch:
            batch.add(ReviseClaim(id="r1", revises="c1", value=Label("ukraine"), stated_at=stamp))
            batch.add(RetractRecord(id="x1", retracts="c1", stated_at=stamp))
            raise KeyError("the caller gave up")

    with pytest.raises(KeyError):
        give_up()
    assert snapshot(claimed) == before


def test_a_batch_sees_its_own_commands_and_appends_them_together(claimed):
    """Each `Batch.add` is decided against the batch so far; all are appended at the end."""
    before = claimed.head()
    stamp = parse_stamp("2022-03-06")
    with claimed.batch() as batch:
        batch.add(RetractRecord(id="x1", retracts="c1", stated_at=stamp))
        with pytest.raises(RuleError, match="retracted"):
            batch.add(ReviseClaim(id="r1", revises="c1", value=Label("x"), stated_at=stamp))
        assert batch.stream_of("x1").claim.retracted
        assert claimed.head() == before
    stored = list(claimed.events(after=before.size))
    assert [s.event_id for s in stored] == ["x1"]


def test_the_ledger_closes_its_store_on_leaving_the_block(tmp_path):
    """``with Ledger.open(...)`` closes the SQLite connection, also after an error."""
    with Ledger.open(tmp_path / "x.db") as book:
        book.claim(SUBJECT, "russia", source="Russia", stated_at="2022-03-05", id="c1")
    with pytest.raises(sqlite3.ProgrammingError):
        book.store.conn.execute("SELECT 1")
    with pytest.raises(RuntimeError), Ledger.open(tmp_path / "x.db") as other:
        raise RuntimeError
    with pytest.raises(sqlite3.ProgrammingError):
        other.store.conn.execute("SELECT 1")


def test_an_sqlite_ledger_persists_across_reopening(tmp_path):
    """What one `Ledger.open` wrote, the next one reads back, state, head and chain."""
    path = tmp_path / "x.db"
    with Ledger.open(path, clock=daily()) as book:
        book.claim(SUBJECT, "russia", source="Russia", stated_at="2022-03-05", id="c1")
        book.rebut("c1", source="Mayor", stated_at="2022-03-06", id="b1", value="ukraine")
        book.correct("c1", note="typo", citation="https://example.org")
        state, head, events = book.state(), book.head(), list(book.events())
    with Ledger.open(path, create=False) as again:
        assert again.state() == state
        assert again.head() == head
        assert list(again.events()) == events
        assert again.verify(against=head).ok
        again.revise("b1", "russia", stated_at="2022-03-07")
        assert again.state()[SUBJECT].status == "agreed"


def test_history_of_an_unknown_key_is_refused(claimed):
    """`Ledger.history` names what it could not find."""
    with pytest.raises(UnknownReferenceError, match="'nope'"):
        claimed.history("nope")


# -- optimistic concurrency -----------------------------------------------------------


class ShortLocks:
    """
    A hand-written fake: an SQLite store that cannot hold its lock while the ledger decides.

    Its `transaction` holds nothing, so each append commits on its own and a
    writer can overtake between a read and the append, as with a store that
    only checks stream versions.
    """

    def __init__(self, inner):
        self.inner = inner

    def __getattr__(self, name):
        return getattr(self.inner, name)

    @contextlib.contextmanager
    def transaction(self):
        yield


def revise_first(a):
    a.revise("c1", "contested", stated_at="2022-03-06", id="r-a")


def racing(tmp_path, *, retries, winner=revise_first):
    """
    Open A and B on one file; before B's first append goes through, *winner* has A write.

    Returns A, B and the list of B's append attempts (event ids).
    """
    path = tmp_path / "race.db"
    a = Ledger.open(path, clock=daily())
    a.claim(SUBJECT, "russia", source="Russia", stated_at="2022-03-05", id="c1")
    inner = SqliteStore(path, clock=daily(START + timedelta(hours=1)))
    b = Ledger(ShortLocks(inner), retries=retries)
    attempts = []

    def losing_once(batch, expected=None, *, decoded=True):
        attempts.append([e.event_id for e in batch])
        if len(attempts) == 1:
            winner(a)
        return inner.append(batch, expected, decoded=decoded)

    b.store.append = losing_once
    return a, b, attempts


def test_a_lost_race_is_decided_again_and_retried(tmp_path):
    """When another writer moves the stream first, `execute` reads again and succeeds."""
    a, b, attempts = racing(tmp_path, retries=5)
    with a, b:
        b.revise("c1", "ukraine", stated_at="2022-03-07", id="r-b")
        assert attempts == [["r-b"], ["r-b"]]
        assert [(e.event_id, e.version) for e in a.events()] == [
            ("c1", 1),
            ("r-a", 2),
            ("r-b", 3),
        ]
        assert a.state()[SUBJECT].claim("c1").value == Label("ukraine")
        assert a.verify().ok


def test_a_lost_race_without_retries_raises_and_writes_nothing(tmp_path):
    """With ``retries=0`` the clash reaches the caller and B's batch is not stored."""
    a, b, attempts = racing(tmp_path, retries=0)
    with a, b:
        with pytest.raises(ConcurrencyError, match="'c1'"):
            b.revise("c1", "ukraine", stated_at="2022-03-07", id="r-b")
        assert len(attempts) == 1
        assert [e.event_id for e in a.events()] == ["c1", "r-a"]
        assert b.get("r-b") is None
        assert b.head() == a.head()


def test_a_retry_decides_again_against_what_the_winner_wrote(tmp_path):
    """If the winner retracted the claim, the retry refuses the loser's revision by the rules."""
    a, b, attempts = racing(
        tmp_path, retries=5, winner=lambda a: a.retract("c1", stated_at="2022-03-06")
    )
    with a, b:
        with pytest.raises(RuleError, match="retracted"):
            b.revise("c1", "ukraine", stated_at="2022-03-07", id="r-b")
        assert len(attempts) == 1
        assert b.get("r-b") is None


def test_on_sqlite_no_writer_overtakes_a_decision(tmp_path):
    """`execute` holds the write lock from reading to appending, so another writer waits."""
    path = tmp_path / "race.db"
    with Ledger.open(path) as b, Ledger(SqliteStore(path, busy_timeout=0.05)) as a:
        a.claim(SUBJECT, "russia", source="Russia", stated_at="2022-03-05", id="c1")
        append = b.store.append
        refused_writes = []

        def overtaking(batch, expected=None, *, decoded=True):
            with pytest.raises(StoreError, match="locked") as caught:
                a.revise("c1", "contested", stated_at="2022-03-06", id="r-a")
            refused_writes.append(caught.value)
            return append(batch, expected, decoded=decoded)

        b.store.append = overtaking
        b.revise("c1", "ukraine", stated_at="2022-03-07", id="r-b")
        assert len(refused_writes) == 1
        assert [(e.event_id, e.version) for e in a.events()] == [("c1", 1), ("r-b", 2)]
