"""Records: malformed lines, idempotent and atomic import, exact numbers, and the round trip."""

import io
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger import Ledger, RecordError
from ledger.codec import dumps_exact, loads_exact
from ledger.records import MAX_LINE_BYTES, read_lines
from ledger.times import Precision, Stamp
from ledger.values import Label, Qualifier
from strategies import record_ledgers

# -- files ------------------------------------------------------------------

# Stored before each malformed file is tried, so "nothing changed" means something.
BASE = [
    {
        "type": "claim",
        "id": "c1",
        "subject": "a.b",
        "value": 10,
        "unit": "people",
        "source": "A",
        "stated_at": "2022-03-01",
    },
    {
        "type": "rebuttal",
        "id": "rb1",
        "rebuts": "c1",
        "source": "B",
        "stated_at": "2022-03-01",
        "value": 20,
        "unit": "people",
    },
    {"type": "revision", "id": "rv1", "revises": "c1", "value": 12, "stated_at": "2022-03-02"},
    {
        "type": "claim",
        "id": "c2",
        "subject": "control.x",
        "value": "held",
        "source": "B",
        "stated_at": "2022-03-01",
    },
    {"type": "retraction", "id": "rt2", "retracts": "c2", "stated_at": "2022-03-03"},
    {"type": "correction", "id": "k0", "corrects": "c1", "note": "typo", "quote": "ten people"},
]

# New good lines put before each bad line: the second refers to the first.
FRESH = [
    {
        "type": "claim",
        "id": "n1",
        "subject": "a.b",
        "value": 11,
        "source": "C",
        "stated_at": "2022-03-04",
    },
    {
        "type": "corroboration",
        "id": "n2",
        "corroborates": "n1",
        "source": "D",
        "stated_at": "2022-03-05",
    },
]
BAD_LINE = len(FRESH) + 2  # after the fresh lines and one blank line

# One valid record of each type, to be broken one field at a time.
TEMPLATES = {
    "claim": {
        "type": "claim",
        "id": "n9",
        "subject": "a.b",
        "value": 1,
        "source": "A",
        "stated_at": "2022-03-06",
    },
    "revision": {
        "type": "revision",
        "id": "n9",
        "revises": "c1",
        "value": 1,
        "stated_at": "2022-03-06",
    },
    "rebuttal": {
        "type": "rebuttal",
        "id": "n9",
        "rebuts": "c1",
        "source": "C",
        "stated_at": "2022-03-06",
    },
    "retraction": {"type": "retraction", "id": "n9", "retracts": "rv1", "stated_at": "2022-03-06"},
    "corroboration": {
        "type": "corroboration",
        "id": "n9",
        "corroborates": "c1",
        "source": "C",
        "stated_at": "2022-03-06",
    },
    "correction": {"type": "correction", "id": "n9", "corrects": "c1", "note": "typo", "value": 11},
}


def write(path: Path, lines) -> Path:
    """Write records (dicts, or raw bytes for broken lines) one a line."""
    path.write_bytes(
        b"".join((x if isinstance(x, bytes) else dumps_exact(x)) + b"\n" for x in lines)
    )
    return path


def record(kind="claim", *, drop=(), **changes) -> bytes:
    """Return the line of the *kind* template without *drop* and with *changes*."""
    out = {k: v for k, v in TEMPLATES[kind].items() if k not in drop}
    return dumps_exact({**out, **changes})


def claim_with(value: bytes, *, rid: str = "n9", subject: str = "a.b", extra: bytes = b"") -> bytes:
    """Return a claim line whose value is the raw JSON *value*, then *extra* raw fields."""
    head = f'{{"type": "claim", "id": "{rid}", "subject": "{subject}", "value": '.encode()
    return head + value + extra + b', "source": "A", "stated_at": "2022-03-06"}'


@pytest.fixture
def seeded(tmp_path):
    """A memory ledger already holding BASE."""
    ledger = Ledger.memory()
    ledger.import_records(write(tmp_path / "base.jsonl", BASE))
    return ledger


def snapshot(ledger):
    return ledger.head(), list(ledger.events())


# -- malformed records --------------------------------------------------------

REQUIRED = [
    ("claim", "subject"),
    ("claim", "value"),
    ("claim", "source"),
    ("claim", "stated_at"),
    ("revision", "revises"),
    ("revision", "value"),
    ("revision", "stated_at"),
    ("rebuttal", "rebuts"),
    ("rebuttal", "source"),
    ("rebuttal", "stated_at"),
    ("retraction", "retracts"),
    ("retraction", "stated_at"),
    ("corroboration", "corroborates"),
    ("corroboration", "source"),
    ("corroboration", "stated_at"),
    ("correction", "corrects"),
    ("correction", "note"),
]

WHOLE_LINE = [
    pytest.param(b'{"type": "claim", "id": ', "not valid JSON", id="invalid-json"),
    pytest.param(b'[{"type": "claim"}]', "a record is a JSON object", id="json-array"),
    pytest.param(b'"claim"', "a record is a JSON object", id="json-string"),
    pytest.param(b'{"type": "claim", "note": "caf\xe9"}', "not UTF-8", id="latin-1"),
    pytest.param(b'{"note": "\xff\xfe"}', "not UTF-8", id="bad-bytes"),
    pytest.param(
        b'{"type": "claim", "note": "' + b"x" * MAX_LINE_BYTES + b'"}',
        "longest allowed",
        id="over-1-MiB",
    ),
    pytest.param(b"[" * 100_000, "nested too deeply", id="deep-nesting"),
]

IN_A_FIELD = [
    # type and fields
    pytest.param(b'{"type": "clam", "id": "n9"}', "type", "is not one of", id="unknown-type"),
    pytest.param(b'{"id": "n9", "subject": "a.b"}', "type", "is required", id="missing-type"),
    pytest.param(record(colour="red"), "colour", "is not a field", id="unknown-field"),
    pytest.param(record(sourse="A"), "sourse", "is not a field", id="misspelt-field"),
    pytest.param(record("correction", subject="a.c"), "subject", "is not a field", id="fix-subj"),
    # wrong types
    pytest.param(claim_with(b'{"n": 1}'), "value", "not an object", id="value-object"),
    pytest.param(claim_with(b"[498]"), "value", "not an array", id="value-array"),
    pytest.param(claim_with(b"true"), "value", "not a boolean", id="value-bool"),
    pytest.param(record(stated_at=20220302), "stated_at", "ISO 8601", id="stated_at-number"),
    pytest.param(record(source=5), "source", "must be a string", id="source-number"),
    pytest.param(record(source="  "), "source", "must not be empty", id="source-blank"),
    pytest.param(record(subject=5), "subject", "must be a string", id="subject-number"),
    # times
    pytest.param(record(stated_at="2022-02-30"), "stated_at", "2022-02-30", id="feb-30"),
    pytest.param(record(stated_at="2022-13"), "stated_at", "2022-13", id="month-13"),
    pytest.param(record(stated_at="yesterday"), "stated_at", "not an ISO 8601", id="yesterday"),
    pytest.param(record(as_of="2022-03-02+01:00"), "as_of", "no offset", id="day-offset"),
    # numbers
    pytest.param(claim_with(b"NaN"), "value", "NaN", id="nan"),
    pytest.param(claim_with(b"Infinity"), "value", "Infinity", id="infinity"),
    pytest.param(claim_with(b"-Infinity"), "value", "Infinity", id="minus-infinity"),
    pytest.param(claim_with(b"9" * 400), "value", "significant digits", id="400-digits"),
    pytest.param(claim_with(b"9" * 5000), "value", "digits", id="5000-digits"),
    pytest.param(claim_with(b"0." + b"1" * 400), "value", "significant digits", id="400-places"),
    pytest.param(claim_with(b"1e31"), "value", "out of range", id="exponent-31"),
    # qualifiers and ranges
    pytest.param(record(qualifier="range"), "value_high", "needs a high end", id="range-no-high"),
    pytest.param(
        record(value=10, qualifier="range", value_high=5), "value_high", "below", id="high-below"
    ),
    pytest.param(
        record(value=10, value_high=50), "value_high", "only a range", id="high-not-range"
    ),
    pytest.param(
        record(value="held", qualifier="approximately"), "qualifier", "only a number", id="q-label"
    ),
    pytest.param(record(value="held", unit="people"), "unit", "only a number", id="unit-label"),
    pytest.param(record(qualifier="roughly"), "qualifier", "is not one of", id="unknown-qualifier"),
    pytest.param(
        record("rebuttal", unit="people"), "unit", "without a value", id="rebuttal-unit-no-value"
    ),
    # subjects and ids
    pytest.param(record(subject="Casualties.X"), "subject", "dotted lowercase", id="subject-caps"),
    pytest.param(record(subject="a..b"), "subject", "dotted lowercase", id="subject-dots"),
    pytest.param(record(id="-n9"), "id", "not a valid id", id="id-leading-dash"),
    pytest.param(record(id="n 9"), "id", "not a valid id", id="id-space"),
    pytest.param(record(id="x" * 201), "id", "not a valid id", id="id-too-long"),
    pytest.param(record(id=9), "id", "must be a string", id="id-number"),
    pytest.param(
        b'{"type": "claim", "id": "n9", "id": "n8", "subject": "a.b", "value": 1, '
        b'"source": "A", "stated_at": "2022-03-06"}',
        "id",
        "appears twice",
        id="duplicate-key",
    ),
    # references
    pytest.param(
        record("revision", revises="nope"), "revises", "no record 'nope'", id="dangling-revises"
    ),
    pytest.param(
        record("rebuttal", rebuts="nope"), "rebuts", "no record 'nope'", id="dangling-rebuts"
    ),
    pytest.param(
        record("correction", corrects="nope"), "corrects", "no record 'nope'", id="dangling-fix"
    ),
    pytest.param(
        record("retraction", retracts="n2"), "retracts", "can be retracted", id="retract-co"
    ),
    pytest.param(
        record("correction", corrects="k0"), "corrects", "itself a correction", id="fix-a-fix"
    ),
    pytest.param(
        record("correction", drop=("value",), reason="r"), "reason", "no correctable", id="fix-r"
    ),
    pytest.param(
        record("correction", drop=("value",)),
        "corrects",
        "a correction must replace",
        id="correction-without-fields",
    ),
    # rules
    pytest.param(record("rebuttal", source="A"), "source", "its own claim", id="rebut-own"),
    pytest.param(record("corroboration", source="A"), "source", "its own claim", id="co-own"),
    pytest.param(record("revision", source="B"), "source", "only its source", id="revise-other"),
    pytest.param(record("retraction", source="B"), "source", "only its source", id="retract-other"),
    pytest.param(
        record("rebuttal", stated_at="2022-02-01"), "stated_at", "before claim 'c1'", id="early"
    ),
    pytest.param(
        record("revision", revises="c2"),
        "revises",
        "nothing follows a retraction",
        id="after-retraction-1",
    ),
    pytest.param(
        record("rebuttal", rebuts="c2"), "rebuts", "nothing follows", id="after-retraction-2"
    ),
    pytest.param(
        record("corroboration", corroborates="c2"),
        "corroborates",
        "nothing follows",
        id="after-ret-3",
    ),
    pytest.param(
        record("retraction", retracts="c2"), "retracts", "nothing follows", id="after-ret-4"
    ),
    pytest.param(
        record("retraction", retracts="rb1", source="A"), "source", "only its source 'B'", id="rb"
    ),
    # ids already taken
    pytest.param(
        dumps_exact({**BASE[0], "value": 11}),
        "id",
        "already in the ledger (seq 1,",
        id="stored-id-other-content",
    ),
    pytest.param(record("corroboration", id="c1"), "id", "seq 1", id="stored-id-other-kind"),
    pytest.param(
        record(id="n1"), "id", "already used, with other content", id="id-earlier-in-file"
    ),
]


@pytest.mark.parametrize(("bad", "phrase"), WHOLE_LINE)
def test_whole_line_problems_name_no_field(seeded, tmp_path, bad, phrase):
    """A line that is not a JSON object is refused with its line, no field, and nothing stored."""
    before = snapshot(seeded)
    path = write(tmp_path / "bad.jsonl", [*FRESH, b"", bad])
    with pytest.raises(RecordError) as caught:
        seeded.import_records(path)
    error = caught.value
    assert (error.file, error.line, error.field) == (str(path), BAD_LINE, None)
    assert phrase in str(error)
    assert str(error).startswith(f"{path}:{BAD_LINE}: ")
    assert snapshot(seeded) == before


@pytest.mark.parametrize(("bad", "field", "phrase"), IN_A_FIELD)
def test_field_problems_name_the_field(seeded, tmp_path, bad, field, phrase):
    """A bad record is refused naming file, line and field, and nothing of the file is stored."""
    before = snapshot(seeded)
    path = write(tmp_path / "bad.jsonl", [*FRESH, b"", bad])
    with pytest.raises(RecordError) as caught:
        seeded.import_records(path)
    error = caught.value
    assert (error.file, error.line, error.field) == (str(path), BAD_LINE, field)
    assert phrase in str(error)
    assert str(error).startswith(f"{path}:{BAD_LINE}: field {field!r}: ")
    assert snapshot(seeded) == before


@pytest.mark.parametrize(("kind", "field"), REQUIRED)
def test_missing_required_field(seeded, tmp_path, kind, field):
    """Leaving out a required field is refused naming that field, and nothing is stored."""
    before = snapshot(seeded)
    path = write(tmp_path / "bad.jsonl", [*FRESH, b"", record(kind, drop=(field,))])
    with pytest.raises(RecordError) as caught:
        seeded.import_records(path)
    error = caught.value
    assert (error.file, error.line, error.field) == (str(path), BAD_LINE, field)
    assert f"is required in a {kind} record" in str(error)
    assert snapshot(seeded) == before


@pytest.mark.parametrize("kind", sorted(TEMPLATES))
def test_templates_are_valid(seeded, tmp_path, kind):
    """Each template imports as it is, so each refusal above is down to the one change."""
    path = write(tmp_path / "good.jsonl", [*FRESH, b"", record(kind)])
    summary = seeded.import_records(path)
    assert (summary.records, summary.imported) == (3, 3)


def test_reference_to_a_later_line_is_refused(seeded, tmp_path):
    """A record refers only backwards: a reference to a later line fails where it is made."""
    before = snapshot(seeded)
    later = {**TEMPLATES["claim"], "id": "n8"}
    path = write(tmp_path / "bad.jsonl", [*FRESH, record("revision", revises="n8"), later])
    with pytest.raises(RecordError) as caught:
        seeded.import_records(path)
    error = caught.value
    assert (error.file, error.line, error.field) == (str(path), 3, "revises")
    assert "no record 'n8'" in str(error)
    assert snapshot(seeded) == before


@pytest.mark.parametrize("unreadable_first", [False, True])
def test_the_first_bad_line_is_reported_though_records_are_read_ahead(
    seeded, tmp_path, unreadable_first
):
    """The import reads a window of records ahead; the first bad line in the file still wins."""
    before = snapshot(seeded)
    claims = [{**TEMPLATES["claim"], "id": f"w{i}"} for i in range(150)]
    bad = [record("revision", revises="nope"), b"{not json"]
    path = write(tmp_path / "bad.jsonl", [*claims, *(bad[::-1] if unreadable_first else bad)])
    with pytest.raises(RecordError) as caught:
        seeded.import_records(path)
    error = caught.value
    expected = (151, None) if unreadable_first else (151, "revises")
    assert (error.line, error.field) == expected
    assert snapshot(seeded) == before


def test_an_import_reads_what_its_records_name_a_window_at_a_time(tmp_path, monkeypatch):
    """1,201 records, 1,202 events: one store read per 200 lines, and no other.

    The batch hands its events to the store every 1,000 (here in the middle of
    a window, since the rebuttal's counter-claim is an event of its own); the
    ids it found free are still known to be free after that.
    """
    ledger = Ledger.memory()
    asked = []
    read = ledger.store.read_streams_holding

    def counting(ids):
        asked.append(len(ids))
        return read(ids)

    monkeypatch.setattr(ledger.store, "read_streams_holding", counting)
    lines = []
    for i in range(600):
        lines.append({**TEMPLATES["claim"], "id": f"c{i}"})
        lines.append({**TEMPLATES["revision"], "id": f"r{i}", "revises": f"c{i}"})
    lines.insert(1, {**TEMPLATES["rebuttal"], "id": "b0", "rebuts": "c0", "value": 2})
    summary = ledger.import_records(write(tmp_path / "many.jsonl", lines))
    assert (summary.imported, summary.events) == (1201, 1202)
    assert len(asked) == 7


def test_an_error_in_a_second_file_stores_nothing_of_the_first(seeded, tmp_path):
    """Files imported together are one batch: a bad line in the second names it and stores none."""
    before = snapshot(seeded)
    first = write(tmp_path / "first.jsonl", FRESH)
    second = write(
        tmp_path / "second.jsonl", [record("corroboration", corroborates="n1", source="E"), b"{"]
    )
    with pytest.raises(RecordError) as caught:
        seeded.import_records(first, second)
    assert (caught.value.file, caught.value.line) == (str(second), 2)
    assert snapshot(seeded) == before


def test_a_missing_file_is_a_record_error(seeded, tmp_path):
    """A file that cannot be read is refused by name, and nothing is stored."""
    before = snapshot(seeded)
    first = write(tmp_path / "first.jsonl", FRESH)
    with pytest.raises(RecordError) as caught:
        seeded.import_records(first, tmp_path / "missing.jsonl")
    assert caught.value.file == str(tmp_path / "missing.jsonl")
    assert "cannot read" in str(caught.value)
    assert snapshot(seeded) == before


def test_blank_lines_are_ignored_but_counted(seeded, tmp_path):
    """Blank and whitespace-only lines are skipped, yet the line numbers after them count them."""
    path = tmp_path / "blanks.jsonl"
    path.write_bytes(b"\n   \n" + dumps_exact(FRESH[0]) + b"\r\n\t\n\n" + b"{\n")
    with pytest.raises(RecordError) as caught:
        seeded.import_records(path)
    assert caught.value.line == 6
    path.write_bytes(b"\n   \n" + dumps_exact(FRESH[0]) + b"\r\n\t\n\n")
    assert seeded.import_records(path).records == 1


# -- corrections the reference allows -----------------------------------------


@pytest.mark.parametrize("target", ["rv1", "rb1", "rt2"])
def test_via_can_be_corrected_where_the_reference_says(seeded, tmp_path, target):
    """The reference lets a correction replace `via` on a revision, rebuttal and retraction."""
    path = write(
        tmp_path / "fix.jsonl",
        [{"type": "correction", "id": "fix", "corrects": target, "note": "typo", "via": "RIA"}],
    )
    assert seeded.import_records(path).imported == 1


def test_via_can_be_corrected_on_a_corroboration(seeded, tmp_path):
    """The reference lets a correction replace `via` on a corroboration."""
    path = write(
        tmp_path / "fix.jsonl",
        [*FRESH, {"type": "correction", "id": "fix", "corrects": "n2", "note": "x", "via": "RIA"}],
    )
    assert seeded.import_records(path).imported == 3


# -- idempotency --------------------------------------------------------------

EVERY_TYPE = [
    *BASE,
    *FRESH,
    {
        "type": "claim",
        "id": "r1",
        "subject": "a.r",
        "value": 10,
        "qualifier": "range",
        "value_high": 20,
        "source": "A",
        "stated_at": "2022-03-02T10:15Z",
        "as_of": "2022-03",
    },
    {"type": "revision", "id": "r2", "revises": "rb1", "value": 25, "stated_at": "2022-03-06"},
    {"type": "retraction", "id": "r3", "retracts": "rb1", "source": "B", "stated_at": "2022-03-07"},
    {"type": "correction", "id": "r4", "corrects": "c1", "note": "typo", "quote": "ten"},
    {"type": "correction", "id": "r5", "corrects": "r1", "note": "typo", "value_high": 30},
]


def test_importing_twice_stores_once(tmp_path):
    """A second import of the same file skips every record and appends nothing."""
    ledger = Ledger.memory()
    path = write(tmp_path / "all.jsonl", EVERY_TYPE)
    first = ledger.import_records(path)
    assert (first.records, first.imported, first.skipped) == (len(EVERY_TYPE), len(EVERY_TYPE), 0)
    before = snapshot(ledger)
    second = ledger.import_records(path)
    assert (second.records, second.imported, second.skipped) == (
        len(EVERY_TYPE),
        0,
        len(EVERY_TYPE),
    )
    assert second.events == 0
    assert second.head == first.head == str(ledger.head())
    assert snapshot(ledger) == before


def test_records_without_ids_import_twice_idempotently(tmp_path):
    """Records without ids get ids from their content, so a second import skips them."""
    ledger = Ledger.memory()
    anonymous = [{k: v for k, v in r.items() if k != "id"} for r in (BASE[0], BASE[3], FRESH[0])]
    path = write(tmp_path / "anonymous.jsonl", anonymous)
    first = ledger.import_records(path)
    assert first.imported == 3
    ids = [e.event_id for e in ledger.events()]
    assert len(set(ids)) == 3
    before = snapshot(ledger)
    second = ledger.import_records(path)
    assert (second.records, second.imported, second.skipped) == (3, 0, 3)
    assert snapshot(ledger) == before
    # The same records, read afresh, get the same ids.
    other = Ledger.memory()
    other.import_records(path)
    assert [e.event_id for e in other.events()] == ids


def test_a_partly_imported_file_completes(tmp_path):
    """After an import of the first half, importing the whole file stores just the rest."""
    half = len(EVERY_TYPE) // 2
    ledger = Ledger.memory()
    ledger.import_records(write(tmp_path / "half.jsonl", EVERY_TYPE[:half]))
    summary = ledger.import_records(write(tmp_path / "all.jsonl", EVERY_TYPE))
    assert (summary.records, summary.skipped, summary.imported) == (
        len(EVERY_TYPE),
        half,
        len(EVERY_TYPE) - half,
    )
    whole = Ledger.memory()
    whole.import_records(tmp_path / "all.jsonl")
    assert list(ledger.export_records()) == list(whole.export_records())
    assert ledger.state() == whole.state()


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param(
            {
                "type": "revision",
                "id": "x",
                "revises": "c1",
                "value": 13,
                "stated_at": "2022-03-06",
                "as_of": "2022-03-06",
            },
            id="revision-as_of-equal-to-stated_at",
        ),
        pytest.param(
            {
                "type": "rebuttal",
                "id": "x",
                "rebuts": "c1",
                "source": "C",
                "value": 13,
                "stated_at": "2022-03-06",
                "as_of": "2022-03-06",
            },
            id="rebuttal-as_of-equal-to-stated_at",
        ),
        pytest.param(
            {"type": "claim", "id": "x", "subject": "a.b", "value": 13, "source": "C"}
            | {"stated_at": "2022-03-06", "as_of": "2022-03-06"},
            id="claim-as_of-equal-to-stated_at",
        ),
        pytest.param(
            {"type": "revision", "id": "x", "revises": "rv1", "source": "A", "value": 13}
            | {"stated_at": "2022-03-06"},
            id="revision-of-a-revision-naming-its-source",
        ),
        pytest.param(
            {"type": "retraction", "id": "x", "retracts": "rv1", "source": "A"}
            | {"stated_at": "2022-03-06"},
            id="retraction-naming-its-source",
        ),
    ],
)
def test_records_written_out_in_full_import_twice(tmp_path, extra):
    """A record that spells out a default (as_of, source) is still skipped on a second import."""
    ledger = Ledger.memory()
    path = write(tmp_path / "file.jsonl", [*BASE, extra])
    ledger.import_records(path)
    second = ledger.import_records(path)
    assert (second.imported, second.skipped) == (0, len(BASE) + 1)


def test_a_partial_value_correction_imports_twice(tmp_path):
    """A correction of some value fields is skipped on re-import, even after later corrections."""
    ledger = Ledger.memory()
    fixes = [
        {"type": "correction", "id": "k1", "corrects": "c1", "note": "n", "qualifier": "at_least"},
        {"type": "correction", "id": "k2", "corrects": "c1", "note": "n", "value": 5, "unit": "t"},
    ]
    path = write(tmp_path / "file.jsonl", [*BASE, *fixes])
    ledger.import_records(path)
    second = ledger.import_records(path)
    assert (second.imported, second.skipped) == (0, len(BASE) + 2)


# -- exact numbers -------------------------------------------------------------


def no_floats(thing) -> bool:
    """Return whether no float hides anywhere in *thing*."""
    if isinstance(thing, float):
        return False
    if isinstance(thing, dict):
        return all(no_floats(k) and no_floats(v) for k, v in thing.items())
    if isinstance(thing, list | tuple | set | frozenset):
        return all(no_floats(x) for x in thing)
    if attrs.has(type(thing)):
        return all(no_floats(getattr(thing, a.name)) for a in attrs.fields(type(thing)))
    return True


def test_numbers_are_exact(tmp_path):
    """JSON 1.5 is Decimal 1.5, 498.0 is the int 498, 1e3 is 1000: no float anywhere."""
    lines = [
        claim_with(b"1.5", rid="a", subject="x.a"),
        claim_with(b"498.0", rid="b", subject="x.b", extra=b', "qualifier": "approximately"'),
        claim_with(b"1e3", rid="c", subject="x.c"),
        claim_with(b"0.1", rid="d", subject="x.d", extra=b', "qualifier": "range"')[:-1]
        + b', "value_high": 0.30}',
    ]
    ledger = Ledger.memory()
    ledger.import_records(write(tmp_path / "numbers.jsonl", lines))
    amounts = {e.event_id: e.event.value for e in ledger.events()}
    assert amounts["a"].amount == Decimal("1.5")
    assert type(amounts["a"].amount) is Decimal
    assert amounts["b"].amount == 498
    assert type(amounts["b"].amount) is int
    assert amounts["c"].amount == 1000
    assert type(amounts["c"].amount) is int
    assert (amounts["d"].amount, amounts["d"].high) == (Decimal("0.1"), Decimal("0.30"))
    state = ledger.state()
    assert state["x.b"].low == Decimal("448.2")
    assert state["x.d"].high == Decimal("0.3")
    exported = list(ledger.export_records())
    assert no_floats(exported)
    assert no_floats(state)
    assert no_floats(list(ledger.events()))
    assert no_floats(loads_exact(dumps_exact(exported)))
    assert b'"value":1.5' in dumps_exact(exported[0])


def test_thirty_digit_numbers_survive_export(tmp_path):
    """The largest numbers the ledger accepts export, write and import back exactly."""
    big = 123456789012345678901234567890
    lines = [
        claim_with(str(big).encode(), rid="a", subject="x.a"),
        claim_with(b"-9.99999999999999999999999999999e30", rid="b", subject="x.b"),
    ]
    ledger = Ledger.memory()
    ledger.import_records(write(tmp_path / "big.jsonl", lines))
    assert ledger.get("a").event.value.amount == big
    copy = Ledger.memory()
    copy.import_records(export_to(ledger, tmp_path / "export.jsonl"))
    assert copy.state() == ledger.state()


def test_a_thirty_digit_number_in_a_record_without_id_imports(tmp_path):
    """The id made from a record's content copes with the largest numbers the ledger accepts."""
    line = claim_with(b"123456789012345678901234567890")
    anonymous = line.replace(b'"id": "n9", ', b"")
    ledger = Ledger.memory()
    assert ledger.import_records(write(tmp_path / "big.jsonl", [anonymous])).imported == 1


def test_a_quoted_number_is_a_label(tmp_path):
    """A value in quotes is a label, as the reference says, never a number."""
    ledger = Ledger.memory()
    ledger.import_records(write(tmp_path / "f.jsonl", [{**TEMPLATES["claim"], "value": "498"}]))
    assert ledger.get("n9").event.value == Label("498")


# -- reading lines -------------------------------------------------------------


def test_read_lines_counts_blank_lines():
    """read_lines numbers lines from 1, counting blank ones and skipping them."""
    data = b'{"a": 1}\n\n   \n{"b": 2.5}\r\n\t\n{"c": [1]}'
    assert list(read_lines(io.BytesIO(data), "x")) == [
        (1, {"a": 1}),
        (4, {"b": Decimal("2.5")}),
        (6, {"c": [1]}),
    ]


@given(
    st.lists(
        st.one_of(
            st.sampled_from([b"", b" ", b"\t", b"\r", b"  \r"]),
            st.dictionaries(
                st.sampled_from(["type", "id", "value"]),
                st.integers(min_value=-(2**63), max_value=2**63 - 1) | st.text(max_size=5),
                min_size=1,
            ),
        ),
        max_size=20,
    )
)
def test_read_lines_numbers_are_positions(lines):
    """Each object comes with its own 1-based line number, whatever blank lines surround it."""
    data = b"\n".join(x if isinstance(x, bytes) else dumps_exact(x) for x in lines)
    expected = [(n, x) for n, x in enumerate(lines, start=1) if isinstance(x, dict)]
    assert list(read_lines(io.BytesIO(data), "x")) == expected


# -- the round trip ---------------------------------------------------------------

query_stamps = st.builds(
    Stamp.from_datetime,
    st.datetimes(
        min_value=datetime(2022, 2, 20),  # noqa: DTZ001 - hypothesis wants naive bounds
        max_value=datetime(2022, 7, 10),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    st.sampled_from(list(Precision)),
)

AUDITED = (
    "kind",
    "id",
    "claim_id",
    "subject",
    "source",
    "previous",
    "value",
    "as_of",
    "stated_at",
    "citation",
    "note",
    "target",
    "corrections",
)


def audit(changes):
    """Return the parts of a history that do not depend on when it was recorded."""
    return [tuple(getattr(c, name) for name in AUDITED) for c in changes]


def export_to(ledger, path: Path) -> Path:
    return write(path, list(ledger.export_records()))


@given(
    original=record_ledgers(),
    cuts=st.lists(
        st.tuples(st.none() | query_stamps, st.none() | query_stamps), min_size=1, max_size=4
    ),
)
def test_export_imports_to_the_same_state_and_history(tmp_path_factory, original, cuts):
    """Export writes records that import into an empty ledger to the same state and history."""
    path = export_to(original, tmp_path_factory.getbasetemp() / "round-trip.jsonl")
    copy = Ledger.memory()
    summary = copy.import_records(path)
    assert summary.imported == summary.records
    assert copy.state() == original.state()
    for at, valid_at in cuts:
        assert copy.state(at=at, valid_at=valid_at) == original.state(at=at, valid_at=valid_at)
    subjects = {e.subject for e in original.events()}
    claims = {e.stream for e in original.events()}
    assert {e.subject for e in copy.events()} == subjects
    for key in sorted(subjects | claims):
        assert audit(copy.history(key)) == audit(original.history(key))
    assert list(copy.export_records()) == list(original.export_records())
    again = copy.import_records(path)
    assert (again.imported, again.skipped) == (0, summary.records)


@given(original=record_ledgers(), data=st.data())
def test_an_exported_file_imported_in_two_parts_completes(tmp_path_factory, original, data):
    """Importing the first records of an export and then the whole file gives the same ledger."""
    records = list(original.export_records())
    cut = data.draw(st.integers(min_value=0, max_value=len(records)), label="cut")
    base = tmp_path_factory.getbasetemp()
    copy = Ledger.memory()
    copy.import_records(write(base / "part.jsonl", records[:cut]))
    summary = copy.import_records(write(base / "whole.jsonl", records))
    assert (summary.skipped, summary.imported) == (cut, len(records) - cut)
    assert list(copy.export_records()) == records
    assert copy.state() == original.state()


@pytest.mark.parametrize("bad", [b"{", record("rebuttal", source="A")], ids=["json", "rule"])
def test_an_sqlite_ledger_stores_nothing_of_a_bad_file(tmp_path, bad):
    """On SQLite too, a bad line leaves the ledger file exactly as it was."""
    with Ledger.open(tmp_path / "ledger.db") as ledger:
        ledger.import_records(write(tmp_path / "base.jsonl", BASE))
        before = snapshot(ledger)
        with pytest.raises(RecordError):
            ledger.import_records(write(tmp_path / "bad.jsonl", [*FRESH, b"", bad]))
        assert snapshot(ledger) == before
    with Ledger.open(tmp_path / "ledger.db", create=False) as reopened:
        assert snapshot(reopened) == before
        assert reopened.verify().ok


def test_an_export_imports_into_sqlite(tmp_path):
    """An export of a memory ledger imports into an SQLite ledger to the same state and records."""
    memory = Ledger.memory()
    memory.import_records(write(tmp_path / "all.jsonl", EVERY_TYPE))
    with Ledger.open(tmp_path / "ledger.db") as ledger:
        ledger.import_records(export_to(memory, tmp_path / "export.jsonl"))
        assert ledger.state() == memory.state()
        assert list(ledger.export_records()) == list(memory.export_records())
        assert audit(ledger.history("a.b")) == audit(memory.history("a.b"))


def test_the_reference_example_imports(tmp_path):
    """The complete example in docs/reference/records.md imports, with its counter-claim."""
    page = Path(__file__).parent.parent / "docs" / "reference" / "records.md"
    text = page.read_text(encoding="utf-8")
    block = text.split("## A complete example", 1)[1].split("```json\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "example.jsonl"
    path.write_text(block, encoding="utf-8")
    ledger = Ledger.memory()
    summary = ledger.import_records(path)
    assert (summary.records, summary.imported, summary.events) == (7, 7, 8)
    assert ledger.get("ua-adviser-killed.counter") is not None
    bridge = ledger.state()["infrastructure.example_bridge.status"]
    assert bridge.status == "withdrawn"
    assert bridge.claim("wire-bridge").value == Label("damaged")
    assert ledger.get("gazette-bridge").event.stated_at == Stamp.parse("2022-03-04T09:00Z")
    assert ledger.get("ru-mod-killed").event.value.qualifier is Qualifier.APPROXIMATELY


def test_a_partial_value_correction_reads_the_record_it_corrects_once(tmp_path, monkeypatch):
    """Parsing a correction and deciding it need the same record: one read of its stream."""
    ledger = Ledger.memory()
    streams = []
    read_stream = ledger.store.read_stream

    def counting(stream):
        streams.append(stream)
        return read_stream(stream)

    monkeypatch.setattr(ledger.store, "read_stream", counting)
    lines = [
        {**TEMPLATES["claim"], "id": "c1", "value": 10, "unit": "people"},
        {"type": "correction", "id": "k1", "corrects": "c1", "note": "typo", "value": 11},
        {"type": "correction", "id": "k2", "corrects": "c1", "note": "unit", "unit": "soldiers"},
    ]
    ledger.import_records(write(tmp_path / "fix.jsonl", lines))
    assert streams == ["c1", "c1"]  # once per correction: k1 is added before k2 reads c1
    (subject,) = ledger.state().subjects
    (standing,) = subject.claims
    assert (standing.value.amount, standing.value.unit) == (11, "soldiers")
