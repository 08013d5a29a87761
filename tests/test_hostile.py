"""
Hostile input: generated malformed records files are refused by line and field, and change nothing.

`malformed_files` builds a records file of a few valid records, then one line
broken in one of the ways listed in `FAULTS`, then maybe more valid lines.
Each property runs once per fault kind, so a kind the ledger mishandles shows
up as its own failing test id. `tests/test_records.py` pins the refusals by
example; this file is the generative side.
"""

import calendar
import json
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import Ledger, RecordError
from ledger.cli import cli
from ledger.errors import ValidationError
from ledger.events import check_text
from ledger.records import FIELDS, MAX_LINE_BYTES, REQUIRED
from ledger.values import COUNT_UNITS, MAX_DIGITS, Qualifier

# -- writing lines ------------------------------------------------------------


class Raw(str):
    """JSON text written into a line as it stands: NaN, 400 digits, deep nesting."""

    __slots__ = ()


def encode(record: dict[str, Any]) -> bytes:
    """Return one record as an ASCII JSON line; `Raw` values go in verbatim, keys in order."""
    parts = (
        f"{json.dumps(key)}: {value if isinstance(value, Raw) else json.dumps(value)}"
        for key, value in record.items()
    )
    return ("{" + ", ".join(parts) + "}").encode("ascii")


# -- what the ledger and each file hold ---------------------------------------

# Stored before every hostile file is tried, so "nothing changed" means something.
BASE = [
    {
        "type": "claim",
        "id": "base-c1",
        "subject": "casualties.base.killed",
        "value": 100,
        "qualifier": "approximately",
        "unit": "people",
        "source": "Src A",
        "stated_at": "2022-03-01",
    },
    {
        "type": "rebuttal",
        "id": "base-rb1",
        "rebuts": "base-c1",
        "source": "Src B",
        "stated_at": "2022-03-01",
        "value": 300,
        "qualifier": "more_than",
        "unit": "people",
    },
    {
        "type": "claim",
        "id": "base-c2",
        "subject": "control.base",
        "value": "held",
        "source": "Src B",
        "stated_at": "2022-03-01",
    },
    {"type": "retraction", "id": "base-rt2", "retracts": "base-c2", "stated_at": "2022-03-02"},
]

# The valid claim every file opens with; the broken record refers to it.
CLAIM_ID = "h-c1"
CLAIM_DAY = "2022-03-02"
OPENING_CLAIM = {
    "type": "claim",
    "id": CLAIM_ID,
    "subject": "casualties.h.killed",
    "value": 1,
    "unit": "people",
    "source": "Src A",
    "stated_at": CLAIM_DAY,
}

# One valid record of each type, valid right after the opening lines.
TEMPLATES: dict[str, dict[str, Any]] = {
    "claim": {
        "type": "claim",
        "id": "h-bad",
        "subject": "casualties.h.wounded",
        "value": 5,
        "unit": "people",
        "source": "Src A",
        "stated_at": "2022-03-04",
        "note": "n",
    },
    "revision": {
        "type": "revision",
        "id": "h-bad",
        "revises": CLAIM_ID,
        "value": 7,
        "unit": "people",
        "stated_at": "2022-03-04",
        "quote": "q",
    },
    "rebuttal": {
        "type": "rebuttal",
        "id": "h-bad",
        "rebuts": CLAIM_ID,
        "source": "Src B",
        "stated_at": "2022-03-04",
        "value": 9,
        "qualifier": "at_least",
        "unit": "people",
        "reason": "r",
    },
    "retraction": {
        "type": "retraction",
        "id": "h-bad",
        "retracts": CLAIM_ID,
        "source": "Src A",
        "stated_at": "2022-03-04",
        "via": "v",
    },
    "corroboration": {
        "type": "corroboration",
        "id": "h-bad",
        "corroborates": CLAIM_ID,
        "source": "Src C",
        "stated_at": "2022-03-04",
        "citation": "c",
    },
    "correction": {
        "type": "correction",
        "id": "h-bad",
        "corrects": CLAIM_ID,
        "note": "typo",
        "value": 6,
    },
}
REFERENCE = {
    "revision": "revises",
    "rebuttal": "rebuts",
    "retraction": "retracts",
    "corroboration": "corroborates",
    "correction": "corrects",
}
TEXT_FIELDS = ("source", "via", "citation", "quote", "note", "reason")
TIME_FIELDS = ("stated_at", "as_of")
QUALIFIERS = frozenset(q.value for q in Qualifier)
WITH_VALUE = ("claim", "revision", "rebuttal", "correction")

# Whole-line faults name no field.
WHOLE_LINE = None


class Fault(NamedTuple):
    """A broken line, the field its error must name, and lines that must follow it."""

    line: bytes
    field: str | None
    follow: tuple[bytes, ...] = ()


# -- the pieces of a file -----------------------------------------------------

ids = st.from_regex(r"[a-z0-9][a-z0-9._:/-]{0,20}", fullmatch=True)
early_days = st.dates(date(1000, 1, 1), date(2022, 3, 1)).map(date.isoformat)
ends = st.sampled_from([b"\n", b"\r\n"])
blank_lines = st.lists(st.sampled_from([b"", b"  ", b"\t", b" \r"]), max_size=2)


@st.composite
def opening(draw: st.DrawFn) -> list[bytes]:
    """Valid lines first: the claim, maybe a revision and a corroboration, maybe blank lines."""
    records = [replace(OPENING_CLAIM, "value", draw(st.integers(0, 10**6)))]
    if draw(st.booleans()):
        records.append(
            {
                "type": "revision",
                "id": "h-r1",
                "revises": CLAIM_ID,
                "value": draw(st.integers(0, 10**6)),
                "stated_at": "2022-03-03",
            }
        )
    if draw(st.booleans()):
        records.append(
            {
                "type": "corroboration",
                "id": "h-co1",
                "corroborates": "base-c1",
                "source": "Src C",
                "stated_at": "2022-03-03",
            }
        )
    lines: list[bytes] = []
    for record in records:
        lines.extend(draw(blank_lines))
        lines.append(encode(record))
    lines.extend(draw(blank_lines))
    return lines


@st.composite
def closing(draw: st.DrawFn) -> list[bytes]:
    """Valid lines after the broken one, never reached."""
    count = draw(st.integers(0, 2))
    return [
        encode(
            {
                "type": "claim",
                "id": f"h-after-{i}",
                "subject": "casualties.h.after",
                "value": i,
                "source": "Src D",
                "stated_at": "2022-03-05",
            }
        )
        for i in range(count)
    ]


def template(draw: st.DrawFn, kinds: tuple[str, ...] = tuple(TEMPLATES)) -> dict[str, Any]:
    """Draw a copy of one valid template, sometimes without its id."""
    record = dict(TEMPLATES[draw(st.sampled_from(kinds))])
    if draw(st.booleans()):
        del record["id"]  # the id is then made from the content
    return record


def replace(record: dict[str, Any], field: str, value: object) -> dict[str, Any]:
    """Return *record* with *field* set to *value*, keeping the key order."""
    return {**record, field: value}


def wrong_types(*, numbers: bool = True) -> st.SearchStrategy[object]:
    """JSON values that are not strings or null (nor numbers, unless *numbers*), falsy ones too."""
    others = st.one_of(
        st.booleans(),
        st.lists(st.integers(0, 9) | st.text(max_size=3), max_size=3),
        st.dictionaries(st.text(max_size=3), st.integers(0, 9), max_size=2),
    )
    if not numbers:
        return others
    return others | st.integers(-(10**6), 10**6) | st.sampled_from([Raw("1.5"), Raw("-0.0")])


# -- the faults ---------------------------------------------------------------


@st.composite
def invalid_json(draw: st.DrawFn) -> Fault:
    """Break the JSON syntax of a valid line: cut it, drop a quote, add a comma, and so on."""
    line = encode(template(draw))
    how = draw(st.sampled_from(["cut", "quote", "comma", "single", "bare-key", "colon"]))
    if how == "cut":
        line = line[: draw(st.integers(1, len(line) - 1))]
    elif how == "quote":
        quotes = [i for i, byte in enumerate(line) if byte == ord('"')]
        at = draw(st.sampled_from(quotes))
        line = line[:at] + line[at + 1 :]
    elif how == "comma":
        line = line[:-1] + b", }"
    elif how == "single":
        line = line.replace(b'"', b"'")
    elif how == "bare-key":
        line = line.replace(b'"type"', b"type", 1)
    else:
        line = line.replace(b'": ', b'" ', 1)
    return Fault(line, WHOLE_LINE)


@st.composite
def not_an_object(draw: st.DrawFn) -> Fault:
    """Write valid JSON that is not an object: an array of the record, a string, a number."""
    record = encode(template(draw))
    line = draw(
        st.sampled_from([b"[" + record + b"]", b'"claim"', b"42", b"-1.5", b"true", b"null", b"[]"])
    )
    return Fault(line, WHOLE_LINE)


@st.composite
def wrong_type(draw: st.DrawFn) -> Fault:
    """Give one field (type, id, a reference, a text, a time, the value) a value of a wrong type."""
    record = template(draw)
    field = draw(st.sampled_from(sorted(set(record) - {"qualifier"})))
    bad = draw(wrong_types(numbers=field != "value"))
    return Fault(encode(replace(record, field, bad)), field)


@st.composite
def wrong_qualifier(draw: st.DrawFn) -> Fault:
    """Give a number's qualifier a value of a wrong type, or a string that is no qualifier."""
    record = template(draw, WITH_VALUE)
    bad = draw(wrong_types() | st.text(max_size=12).filter(lambda q: q not in QUALIFIERS))
    return Fault(encode(replace(record, "qualifier", bad)), "qualifier")


@st.composite
def missing_field(draw: st.DrawFn) -> Fault:
    """Leave out the type or a field the record's type requires."""
    record = template(draw)
    field = draw(st.sampled_from(["type", *REQUIRED[record["type"]]]))
    if draw(st.booleans()):
        return Fault(encode({k: v for k, v in record.items() if k != field}), field)
    return Fault(encode(replace(record, field, None)), field)  # null is missing too


@st.composite
def unknown_field(draw: st.DrawFn) -> Fault:
    """Add a field the record's type does not have, at any place in the object."""
    record = template(draw)
    name = draw(
        st.sampled_from(["sourse", "Value", "value ", "subject", "revises", "id\x00", "\ud800"])
        | st.text(max_size=12)
    )
    if name in FIELDS[record["type"]]:
        name = f"{name}_x"
    items = list(record.items())
    items.insert(draw(st.integers(0, len(items))), (name, draw(st.integers(0, 9) | st.text())))
    return Fault(encode(dict(items)), name)


@st.composite
def unknown_type(draw: st.DrawFn) -> Fault:
    """Give the type field a string that names no record type."""
    record = template(draw)
    kind = draw(st.sampled_from(["Claim", "claims", " claim", "event"]) | st.text(max_size=12))
    if kind in FIELDS:
        kind = f"{kind}s"
    return Fault(encode(replace(record, "type", kind)), "type")


@st.composite
def impossible_time(draw: st.DrawFn) -> str:
    """A time in the accepted shape whose date or time of day cannot exist."""
    year = draw(st.integers(1, 9999))
    month = draw(st.integers(1, 12))
    day = draw(st.integers(1, calendar.monthrange(year, month)[1]))
    how = draw(st.sampled_from(["day", "month", "zero-day", "hour", "minute", "second", "year"]))
    if how == "day":
        last = calendar.monthrange(year, month)[1]
        if last == 31:
            month, last = 4, 30
        return f"{year:04}-{month:02}-{draw(st.integers(last + 1, 31)):02}"
    if how == "month":
        return f"{year:04}-{draw(st.sampled_from([0, *range(13, 100)])):02}"
    if how == "zero-day":
        return f"{year:04}-{month:02}-00"
    if how == "year":
        return draw(st.sampled_from(["0000", "0000-01", "0000-12-31"]))
    clock = {"hour": "{:02}:00Z", "minute": "10:{:02}Z", "second": "10:15:{:02}Z"}[how]
    bad = draw(st.integers(24 if how == "hour" else 60, 99))
    return f"{year:04}-{month:02}-{day:02}T" + clock.format(bad)


malformed_times = st.one_of(
    st.sampled_from(
        [
            "",
            "yesterday",
            "2022/03/02",
            "02-03-2022",
            "2022-3-2",
            "2022-03-02T10Z",
            "2022-03-02+01:00",
            "2022-03-02T10:15+24:00",
            "2022-03-02T10:15:30.1234567Z",
            "\uff12\uff10\uff12\uff12",
        ]
    ),
    st.text(st.characters(categories=["L", "P", "Zs"]), max_size=20),
)


@st.composite
def bad_time(draw: st.DrawFn) -> Fault:
    """Give stated_at or as_of a date that cannot exist or a string that is not a time."""
    record = template(draw)
    fields = [f for f in TIME_FIELDS if f in FIELDS[record["type"]]]
    if record["type"] in {"rebuttal", "retraction", "corroboration"}:
        fields = ["stated_at"]  # as_of only goes with a value; keep to one fault
    field = draw(st.sampled_from(fields))
    return Fault(encode(replace(record, field, draw(impossible_time() | malformed_times))), field)


@st.composite
def stated_too_early(draw: st.DrawFn) -> Fault:
    """State a revision, rebuttal, retraction or corroboration before the claim it changes."""
    record = template(draw, ("revision", "rebuttal", "retraction", "corroboration"))
    day = draw(early_days)
    return Fault(encode(replace(record, "stated_at", day)), "stated_at")


@st.composite
def dangling_reference(draw: st.DrawFn) -> Fault:
    """Refer to an id that is neither in the ledger nor on an earlier line."""
    record = template(draw, tuple(REFERENCE))
    field = REFERENCE[record["type"]]
    return Fault(encode(replace(record, field, "ghost-" + draw(ids))), field)


@st.composite
def self_reference(draw: st.DrawFn) -> Fault:
    """Give a record a reference to its own id."""
    record = template(draw, tuple(REFERENCE))
    field = REFERENCE[record["type"]]
    rid = "self-" + draw(ids)
    return Fault(encode({**record, "id": rid, field: rid}), field)


@st.composite
def mutual_reference(draw: st.DrawFn) -> Fault:
    """Write two records that refer to each other: the first refers forward, to the second."""
    first = template(draw, tuple(REFERENCE))
    second = template(draw, tuple(REFERENCE))
    field = REFERENCE[first["type"]]
    a, b = "loop-a-" + draw(ids), "loop-b-" + draw(ids)
    first = {**first, "id": a, field: b}
    second = {**second, "id": b, REFERENCE[second["type"]]: a}
    return Fault(encode(first), field, (encode(second),))


non_numbers = st.sampled_from([Raw("NaN"), Raw("Infinity"), Raw("-Infinity")])


@st.composite
def not_a_number(draw: st.DrawFn) -> Fault:
    """Put NaN or an infinity in a field: the value, a range's high end, or any other."""
    record = template(draw)
    if draw(st.booleans()) and record["type"] in WITH_VALUE:
        field = draw(st.sampled_from(["value", "value_high"]))
        if field == "value_high":
            record = {**record, "qualifier": "range"}
    else:
        field = draw(st.sampled_from(sorted(record)))
    bad = draw(non_numbers)
    if draw(st.booleans()):
        bad = Raw(f"[1, {bad}]")  # nested in an array, it is still refused under its key
    return Fault(encode(replace(record, field, bad)), field)


@st.composite
def huge_number(draw: st.DrawFn) -> Fault:
    """Write a number of over 30 significant digits (400 among them) or with a huge exponent."""
    digits = draw(st.sampled_from([MAX_DIGITS + 1, 64, 65, 400]) | st.integers(MAX_DIGITS + 1, 400))
    lead = draw(st.integers(10 ** (digits - 2), 10 ** (digits - 1) - 1))
    body = f"{lead}7"  # first and last digit nonzero: every digit is significant
    text = draw(
        st.sampled_from(
            [
                body,
                f"-{body}",
                f"0.{body}",
                f"{body[0]}.{body[1:]}e5",
                "1e31",
                "1e-31",
                "1" + "0" * 400,
                "1e9999999999999999999",  # beyond what a Decimal can hold (found by fuzzing)
                "1.5e-9999999999999999999",
            ]
        )
    )
    record = template(draw)
    if draw(st.booleans()) and record["type"] in WITH_VALUE:
        field = draw(st.sampled_from(["value", "value_high"]))
        if field == "value_high":
            record = {**record, "qualifier": "range"}
    else:
        field = draw(st.sampled_from(sorted(record)))
    return Fault(encode(replace(record, field, Raw(text))), field)


@st.composite
def negative_count(draw: st.DrawFn) -> Fault:
    """Claim, revise, rebut or correct to a negative amount of a counted unit such as people."""
    record = template(draw, WITH_VALUE)
    amount = draw(
        st.integers(max_value=-1).map(str)
        | st.decimals(max_value=Decimal("-0.001"), places=3, allow_nan=False).map(str)
    )
    unit = draw(st.sampled_from(sorted(COUNT_UNITS)))
    unit = draw(st.sampled_from([unit, unit.upper(), unit.title()]))
    record = replace(record, "value", Raw(amount))
    if record["type"] != "correction" or draw(st.booleans()):
        record["unit"] = unit  # a correction may also inherit 'people' from the claim
    return Fault(encode(record), "value")


INVALID_UTF8 = [b"\xff", b"\xfe", b"\x80", b"\xc0\x80", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80"]


@st.composite
def non_utf8(draw: st.DrawFn) -> Fault:
    """Put bytes that are not UTF-8 anywhere in a valid line."""
    line = encode(template(draw))
    at = draw(st.integers(0, len(line)))
    return Fault(line[:at] + draw(st.sampled_from(INVALID_UTF8)) + line[at:], WHOLE_LINE)


@st.composite
def raw_nul(draw: st.DrawFn) -> Fault:
    """Put a raw NUL byte anywhere in a valid line; JSON allows none, even inside a string."""
    line = encode(template(draw))
    at = draw(st.integers(0, len(line)))
    return Fault(line[:at] + b"\x00" + line[at:], WHOLE_LINE)


printable = st.text(st.characters(codec="utf-8", exclude_categories=["Cc"]), max_size=8)


def text_field(draw: st.DrawFn, record: dict[str, Any]) -> str:
    """Draw a text field of the record's type."""
    return draw(st.sampled_from([f for f in TEXT_FIELDS if f in FIELDS[record["type"]]]))


@st.composite
def nul_escape(draw: st.DrawFn) -> Fault:
    """Put a \\u0000 escape in a text field, the id or the subject: valid JSON, refused text."""
    record = template(draw)
    choices = [text_field(draw, record), "id"]
    if record["type"] == "claim":
        choices.append("subject")
    field = draw(st.sampled_from(choices))
    text = draw(printable) + "\x00" + draw(printable)
    return Fault(encode(replace(record, field, text)), field)


@st.composite
def bad_label_or_unit(draw: st.DrawFn) -> Fault:
    """Give a label or a unit a control character, a lone surrogate, or nothing but blanks."""
    record = template(draw, ("claim", "revision", "rebuttal"))
    bad = draw(
        st.sampled_from(["\x00", "\x07", "\ud800", "\udfff"]).map(lambda c: f"a{c}b")
        | st.sampled_from(["", " ", "\t"])
    )
    if draw(st.booleans()):
        record = {k: v for k, v in record.items() if k not in {"qualifier", "unit"}}
        return Fault(encode(replace(record, "value", bad)), "value")
    return Fault(encode(replace(record, "unit", bad)), "unit")


@st.composite
def lone_surrogate(draw: st.DrawFn) -> Fault:
    """Put a \\ud800-style escape in a text field: valid JSON, but no UTF-8 can hold it."""
    record = template(draw)
    field = text_field(draw, record)
    surrogate = chr(draw(st.integers(0xD800, 0xDFFF)))
    return Fault(encode(replace(record, field, draw(printable) + surrogate)), field)


# A 10 MiB line, ten times the longest a records file may hold: built once, and
# `malformed_files` draws nothing else with it, so Hypothesis tries it once.
HUGE_LINE = encode({**TEMPLATES["claim"], "note": "x" * (10 * MAX_LINE_BYTES)})


def huge_line() -> st.SearchStrategy[Fault]:
    """The one 10 MiB line."""
    return st.just(Fault(HUGE_LINE, WHOLE_LINE))


def nested(depth: int, *, objects: bool) -> Raw:
    """Return JSON nested *depth* levels deep, in arrays or in objects."""
    if objects:
        return Raw('{"a": ' * depth + "1" + "}" * depth)
    return Raw("[" * depth + "]" * depth)


@st.composite
def deep_nesting(draw: st.DrawFn) -> Fault:
    """Nest arrays or objects 10,000 (or 20,000) deep in a field: refused as a whole line."""
    record = template(draw)
    field = draw(st.sampled_from(sorted(record)))
    depth = draw(st.sampled_from([10_000, 20_000]))
    bad = nested(depth, objects=draw(st.booleans()))
    return Fault(encode(replace(record, field, bad)), WHOLE_LINE)


# Depths are drawn from fixed values, so shrinking never lands next to a limit that
# moves with the stack: Hypothesis runs tests with the recursion limit raised to
# about 2,000 frames, where a plain process has 1,000. orjson, which the ledger
# writes with, stops at 255 levels whatever the stack.
@st.composite
def nested_value(draw: st.DrawFn) -> Fault:
    """Nest arrays or objects up to 400 deep in the value: JSON reads that, the ledger refuses."""
    record = template(draw, WITH_VALUE)
    depth = draw(st.sampled_from([2, 10, 254, 255, 256, 300, 400]))
    bad = nested(depth, objects=draw(st.booleans()))
    return Fault(encode(replace(record, "value", bad)), "value")


@st.composite
def nested_line(draw: st.DrawFn) -> Fault:
    """Make the whole line an array nested as deep as JSON reads at the present limit, or deeper."""
    limit = sys.getrecursionlimit()  # 3/4 of it: JSON reads it, a recursive walk of it overflows
    depth = draw(st.sampled_from([64, limit * 3 // 4, 5 * limit]))
    return Fault(bytes(nested(depth, objects=False), "ascii"), WHOLE_LINE)


FAULTS: dict[str, Callable[[], st.SearchStrategy[Fault]]] = {
    "invalid-json": invalid_json,
    "not-an-object": not_an_object,
    "wrong-type": wrong_type,
    "wrong-qualifier": wrong_qualifier,
    "missing-field": missing_field,
    "unknown-field": unknown_field,
    "unknown-type": unknown_type,
    "bad-time": bad_time,
    "stated-too-early": stated_too_early,
    "dangling-reference": dangling_reference,
    "self-reference": self_reference,
    "mutual-reference": mutual_reference,
    "nan-infinity": not_a_number,
    "huge-number": huge_number,
    "negative-count": negative_count,
    "non-utf8": non_utf8,
    "raw-nul": raw_nul,
    "nul-escape": nul_escape,
    "bad-label-or-unit": bad_label_or_unit,
    "lone-surrogate": lone_surrogate,
    "10-mib-line": huge_line,
    "deep-nesting": deep_nesting,
    "nested-value": nested_value,
    "nested-line": nested_line,
}
"""Each fault kind, by the label `malformed_files` reports."""


class Case(NamedTuple):
    """A malformed file, the line and field its error must name, and the kind of fault."""

    data: bytes
    line: int
    field: str | None
    label: str

    def __repr__(self) -> str:
        """Show the fault and the start of the data: a 10 MiB repr helps nobody."""
        data = self.data if len(self.data) <= 2000 else self.data[:2000] + b"..."
        return (
            f"Case(label={self.label!r}, line={self.line}, field={self.field!r}, "
            f"size={len(self.data)}, data={data!r})"
        )


@st.composite
def malformed_files(draw: st.DrawFn, kinds: tuple[str, ...] = tuple(FAULTS)) -> Case:
    """Valid records, then one broken line of a kind drawn from *kinds*, then maybe more."""
    label = draw(st.sampled_from(kinds))
    fault = draw(FAULTS[label]())
    if fault.line is HUGE_LINE:  # nothing else drawn: one example is all there is
        return Case(encode(OPENING_CLAIM) + b"\n" + HUGE_LINE + b"\n", 2, fault.field, label)
    lines = draw(opening())
    line = len(lines) + 1
    lines = [*lines, fault.line, *fault.follow, *draw(closing())]
    data = b"".join(text + draw(ends) for text in lines)
    if draw(st.booleans()):
        data = data.removesuffix(b"\n").removesuffix(b"\r")  # no newline at the end
    return Case(data, line, fault.field, label)


@st.composite
def valid_files(draw: st.DrawFn) -> bytes:
    """The same files with the broken line left whole: they must import."""
    lines = [*draw(opening()), encode(template(draw)), *draw(closing())]
    return b"".join(text + draw(ends) for text in lines)


# -- fixtures -----------------------------------------------------------------


class Pristine(NamedTuple):
    """A ledger file holding BASE: its bytes, head and records."""

    data: bytes
    head: object
    records: list[dict[str, Any]]

    def __repr__(self) -> str:
        """Keep the database's bytes out of Hypothesis's reports."""
        return f"Pristine(head={self.head}, size={len(self.data)})"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Pristine:
    """An SQLite ledger holding BASE, closed so its WAL is checkpointed into the main file."""
    folder = tmp_path_factory.mktemp("pristine")
    base = folder / "base.jsonl"
    base.write_bytes(b"".join(encode(r) + b"\n" for r in BASE))
    with Ledger.open(folder / "ledger.db") as ledger:
        ledger.import_records(base)
        head, records = ledger.head(), list(ledger.export_records())
    return Pristine((folder / "ledger.db").read_bytes(), head, records)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """A folder the examples reuse: Hypothesis refuses function-scoped fixtures such as tmp_path."""
    return tmp_path_factory.mktemp("hostile")


def fresh_db(folder: Path, pristine: Pristine) -> Path:
    """Write a copy of the pristine ledger, with no WAL left over from an earlier example."""
    db = folder / "ledger.db"
    for leftover in (folder / "ledger.db-wal", folder / "ledger.db-shm"):
        leftover.unlink(missing_ok=True)
    db.write_bytes(pristine.data)
    return db


def assert_unchanged(db: Path, pristine: Pristine) -> None:
    """The closed ledger file is byte for byte the pristine one, and reads the same."""
    assert not Path(f"{db}-wal").exists()
    assert db.read_bytes() == pristine.data
    with Ledger.open(db, create=False) as ledger:
        assert ledger.head() == pristine.head
        assert list(ledger.export_records()) == pristine.records
    assert db.read_bytes() == pristine.data


def write_case(folder: Path, case: Case) -> Path:
    path = folder / "hostile.jsonl"
    path.write_bytes(case.data)
    return path


# -- the properties -----------------------------------------------------------


@settings(max_examples=30)
@given(data=valid_files())
def test_the_unbroken_files_import(data, pristine, workdir):
    """Each file with its broken line left whole imports, so every refusal below is the fault's."""
    path = workdir / "valid.jsonl"
    path.write_bytes(data)
    db = fresh_db(workdir, pristine)
    with Ledger.open(db) as ledger:
        summary = ledger.import_records(path)
    assert summary.imported == summary.records > 0


@pytest.mark.parametrize("kind", list(FAULTS))
@settings(max_examples=30)
@given(data=st.data())
def test_the_library_refuses_by_line_and_field(kind, data, pristine, workdir):
    """A malformed file raises RecordError naming its line and field, and the file is unchanged."""
    case = data.draw(malformed_files((kind,)), label="case")
    db, path = fresh_db(workdir, pristine), write_case(workdir, case)
    with Ledger.open(db) as ledger:
        with pytest.raises(RecordError) as caught:
            ledger.import_records(path)
        assert ledger.head() == pristine.head
    error = caught.value
    assert (error.file, error.line, error.field) == (str(path), case.line, case.field), str(error)
    assert_unchanged(db, pristine)


@pytest.mark.parametrize("kind", list(FAULTS))
@settings(max_examples=20)
@given(data=st.data())
def test_the_command_line_prints_one_error_line(kind, data, pristine, workdir):
    """`ledger import` of a malformed file exits 2 with one line, `Error: FILE:LINE: ...`."""
    case = data.draw(malformed_files((kind,)), label="case")
    db, path = fresh_db(workdir, pristine), write_case(workdir, case)
    result = CliRunner().invoke(cli, ["import", str(db), str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""
    where = f"Error: {path}:{case.line}: " + (f"field {case.field!r}: " if case.field else "")
    assert result.stderr.startswith(where), result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert_unchanged(db, pristine)


SUBPROCESS_CASES = {
    "invalid-json": (encode(TEMPLATES["claim"])[:-9], None),
    "non-utf8": (encode(TEMPLATES["claim"]).replace(b"Src A", b"Src \xff"), None),
    "dangling-reference": (encode({**TEMPLATES["revision"], "revises": "ghost"}), "revises"),
    "deep-nesting": (encode({**TEMPLATES["claim"], "value": nested(10_000, objects=False)}), None),
    "nested-line": (bytes(nested(700, objects=False), "ascii"), None),
    "lone-surrogate": (encode({**TEMPLATES["claim"], "note": "a\ud800"}), "note"),
}


@pytest.mark.parametrize(("bad", "field"), SUBPROCESS_CASES.values(), ids=list(SUBPROCESS_CASES))
def test_a_real_process_shows_no_traceback(bad, field, pristine, tmp_path):
    """A real `python -m ledger import` of a malformed file exits 2 with one line, no traceback."""
    db = fresh_db(tmp_path, pristine)
    path = tmp_path / "hostile.jsonl"
    path.write_bytes(encode(OPENING_CLAIM) + b"\n" + bad + b"\n")
    done = subprocess.run(
        [sys.executable, "-m", "ledger", "import", str(db), str(path)],
        capture_output=True,
        text=True,
        errors="replace",
        check=False,
        timeout=120,
    )
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    where = f"Error: {path}:2: " + (f"field {field!r}: " if field else "")
    assert done.stderr.startswith(where), done.stderr
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert_unchanged(db, pristine)


_TRICKY = st.sampled_from([" ", "\t", "\n", "\u3000", "\u00a0", "\x00", "\ud800", "\udfff", "é"])


@given(st.lists(st.one_of(st.characters(), _TRICKY), max_size=12).map("".join))
def test_free_text_is_refused_exactly_when_blank_or_holding_a_nul_or_a_lone_surrogate(text):
    """`check_text` takes quick paths (ASCII, no copy); it refuses what its plain rule refuses."""
    bad = not text.strip() or "\x00" in text or any(0xD800 <= ord(c) <= 0xDFFF for c in text)
    try:
        check_text(text, "note")
    except ValidationError:
        refused = True
    else:
        refused = False
    assert refused == bad


# -- what the fuzzer found ------------------------------------------------------

ROOT = Path(__file__).parent.parent
FINDINGS = sorted((ROOT / "fuzz" / "findings").glob("*.input"))


@pytest.mark.parametrize("finding", FINDINGS, ids=[f.stem for f in FINDINGS])
def test_fuzz_findings_are_refused(finding, tmp_path):
    """Each input the fuzzer found escaping as a crash is refused with a RecordError instead."""
    seed = tmp_path / "seed.jsonl"  # what fuzz/fuzz_records.py stores first
    day7 = (ROOT / "examples" / "day7.jsonl").read_bytes()
    seed.write_bytes(b"".join(day7.splitlines(keepends=True)[:4]))
    ledger = Ledger.memory()
    ledger.import_records(seed)
    head = ledger.head()
    with pytest.raises(RecordError) as caught:
        ledger.import_records(finding)
    assert (caught.value.file, ledger.head()) == (str(finding), head)
    assert caught.value.line >= 1
