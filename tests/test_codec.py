"""The codec: canonical bytes, round trips, and upcasting of old data."""

import json
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger import codec
from ledger.errors import UnknownEventTypeError, ValidationError
from ledger.events import ClaimRebutted, ClaimRevised
from ledger.times import parse_stamp
from ledger.values import Label, Quantity
from strategies import claim_values, events

GOLDEN = Path(__file__).parent / "golden"


@given(events())
def test_round_trip_is_identity(event):
    """Decoding the encoded bytes of any event gives the same event."""
    data = codec.encode(event)
    name = codec.event_type(event)
    assert codec.decode(name, codec.SCHEMA_VERSIONS[name], data) == event


@given(events())
def test_encoding_is_canonical(event):
    """Encoded bytes are sorted, compact JSON, and re-encoding them changes nothing."""
    data = codec.encode(event)
    assert codec.dumps(codec.loads(data)) == data
    assert b": " not in data
    assert b", " not in data or b'", "' not in data


@given(claim_values())
def test_value_round_trip(value):
    """A claimed value survives its stored form."""
    assert codec.structure_value(codec.unstructure_value(value)) == value


@given(claim_values())
def test_a_stored_value_reads_back_from_its_bytes(value):
    """value_from_bytes, which the span tables read through, inverts the stored form too."""
    stored = codec.dumps(codec.unstructure_value(value))
    assert codec.value_from_bytes(stored) == value
    assert codec.value_from_bytes(stored.decode()) == value


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"[1]", "value: must be an object"),
        (b'{"label": "held", "unit": "x"}', "a label has no other keys"),
        (b'{"amount": "1", "size": "2"}', "expected a label or an amount"),
        (b'{"amount": "one"}', "one"),
        (b"{", "not valid JSON"),
    ],
)
def test_a_stored_value_that_is_not_one_is_refused(data, match):
    """value_from_bytes refuses what is not a stored value, saying what is wrong."""
    with pytest.raises(ValidationError, match=match):
        codec.value_from_bytes(data)


def test_numbers_are_stored_as_exact_strings():
    """Amounts are stored as strings so no JSON reader can round them."""
    value = Quantity(amount="0.1", unit="people")
    assert codec.unstructure_value(value) == {"amount": "0.1", "unit": "people"}


def test_default_fields_are_left_out():
    """Fields at their default (None, as_of equal to stated_at) are not written."""
    event = ClaimRevised(claim_id="c1", value=Label("held"), stated_at=parse_stamp("2022-03-02"))
    assert codec.loads(codec.encode(event)) == {
        "claim_id": "c1",
        "stated_at": "2022-03-02",
        "value": {"label": "held"},
    }
    later = attrs.evolve(event, as_of=parse_stamp("2022-03-01"))
    assert codec.loads(codec.encode(later))["as_of"] == "2022-03-01"


def test_unknown_type_is_refused():
    """Data of an unknown event type raises a clear error."""
    with pytest.raises(UnknownEventTypeError, match="unknown event type 'ClaimBurned'"):
        codec.decode("ClaimBurned", 1, b"{}")


def test_newer_schema_is_refused():
    """Data written by a newer schema version asks for an upgrade."""
    with pytest.raises(UnknownEventTypeError, match="newer than this library"):
        codec.decode("ClaimRevised", 99, b"{}")


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"[1]", "must be an object"),
        (b"{", "not valid JSON"),
        (b'{"claim_id": "c1", "source": "ria", "stated_at": "2022-03-02", "x": 1}', "x"),
        (b'{"claim_id": "c1", "stated_at": "2022-03-02"}', "source"),
        (b'{"claim_id": "c1", "source": "ria", "stated_at": "2022-02-30"}', "2022-02-30"),
        # Text is taken as read, never made a string: a number is refused by name.
        (b'{"claim_id": 7, "source": "ria", "stated_at": "2022-03-02"}', "^claim_id: must be"),
        (b'{"claim_id": "c1", "source": "B", "stated_at": "2022-03-02", "reason": 1}', "^reason:"),
        (b'{"claim_id": "c1", "source": ["B"], "stated_at": "2022-03-02"}', "^source:"),
    ],
)
def test_malformed_data_is_refused(data, match):
    """Stored data that does not make a valid event raises a ValidationError."""
    with pytest.raises(ValidationError, match=match):
        codec.decode("ClaimRebutted", 2, data)


def test_upcaster_lifts_golden_v1_rebuttal():
    """A rebuttal stored with schema 1 (``counter_claim``) loads as the current event."""
    data = (GOLDEN / "rebuttal-v1.json").read_bytes().strip()
    event = codec.decode("ClaimRebutted", 1, data)
    assert event == ClaimRebutted(
        claim_id="kherson-ru",
        source="kherson.mayor",
        stated_at=parse_stamp("2022-03-02T09:00Z"),
        counter_claim_id="kherson-mayor",
        reason="the city has not fallen",
    )


_ENVELOPE_TEXT = st.text(max_size=12)


@given(
    seq=st.integers(min_value=1, max_value=2**53),
    event_id=_ENVELOPE_TEXT,
    stream=_ENVELOPE_TEXT,
    version=st.integers(min_value=1, max_value=2**31),
    subject=_ENVELOPE_TEXT,
    recorded_at=_ENVELOPE_TEXT,
    type_name=_ENVELOPE_TEXT,
    schema_version=st.integers(min_value=1, max_value=9),
    data=st.dictionaries(_ENVELOPE_TEXT, _ENVELOPE_TEXT, max_size=3).map(codec.dumps),
)
def test_envelope_bytes_are_the_sorted_canonical_json(**fields):
    """The envelope is written without a sort: it must still be `dumps` of the
    whole event with the data embedded as stored, by name or by position."""
    expected = codec.dumps(
        {
            "data": codec.loads(fields["data"]),
            "event_id": fields["event_id"],
            "recorded_at": fields["recorded_at"],
            "schema_version": fields["schema_version"],
            "seq": fields["seq"],
            "stream": fields["stream"],
            "subject": fields["subject"],
            "type": fields["type_name"],
            "version": fields["version"],
        }
    )
    assert codec.envelope_bytes(**fields) == expected
    assert codec.envelope_bytes(*fields.values()) == expected


def test_envelope_bytes_of_a_known_event():
    """Pinned bytes: a change of the envelope would make every stored hash fail."""
    sealed = codec.envelope_bytes(
        seq=1,
        event_id="c1",
        stream="c1",
        version=1,
        subject="s",
        recorded_at="2022-03-02T10:15:30.000000Z",
        type_name="ClaimAsserted",
        schema_version=1,
        data=b'{"b":1,"a":2}',
    )
    assert sealed == (
        b'{"data":{"b":1,"a":2},"event_id":"c1","recorded_at":"2022-03-02T10:15:30.000000Z",'
        b'"schema_version":1,"seq":1,"stream":"c1","subject":"s","type":"ClaimAsserted",'
        b'"version":1}'
    )


@pytest.mark.parametrize(
    ("data", "reason"), [(b"{", "not valid JSON"), (b"[1]", "stored data must be an object")]
)
def test_index_fields_refuses_unreadable_data(data, reason):
    """Data that is not a JSON object is refused with a ValidationError saying so."""
    with pytest.raises(ValidationError, match=reason):
        codec.index_fields(data)


_BLANKS = st.sampled_from(["", " ", "\t", "\r\n", "\u00a0"])
_KEYS = st.sampled_from(["a", "b", "type", 'a"', "x:", "\\", 'q": '])
_NUMBERS = st.integers(min_value=-(10**70), max_value=10**70).map(str) | st.from_regex(
    r"-?[0-9]{1,4}(\.[0-9]{1,4})?([eE][+-]?[0-9]{1,3})?", fullmatch=True
)
_JSON_SCALARS = (
    st.sampled_from(["null", "true", "false", "NaN", "-Infinity", "-0", "1.50", "1e400"])
    | _NUMBERS
    | st.text(max_size=8).map(lambda t: json.dumps(t, ensure_ascii=False))
    | st.text(max_size=8).map(json.dumps)
)


def _object(members: list[tuple[str, str, str, str]]) -> str:
    return "{" + ",".join(f"{json.dumps(k)}{gap}:{after}{v}" for k, gap, after, v in members) + "}"


_JSON_TEXTS = st.recursive(
    _JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]")
        | st.lists(st.tuples(_KEYS, _BLANKS, _BLANKS, inner), max_size=5).map(_object)
    ),
    max_leaves=12,
)


def _outcome(read, text):
    try:
        return "value", read(text)
    except ValidationError as e:
        return "error", str(e)


@given(_JSON_TEXTS)
def test_the_quick_exact_reading_is_the_careful_one(text):
    """orjson's reading, where loads_exact takes it, is exactly what the careful reader gives:
    the same value (no float, every key once) or the same refusal."""
    assert _outcome(codec.loads_exact, text) == _outcome(codec._careful_exact, text)


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1, "a": 2}',
        '{"a" : 1, "a": 2}',
        '{"a\\": ": 1, "b": 2, "b": 3}',
        '{"x": {"a": 1, "a": 1}}',
        '[{"a": 1}, {"a": 2, "a": 3}]',
    ],
)
def test_a_repeated_key_is_refused_however_it_is_spaced(text):
    with pytest.raises(ValidationError, match="appears twice"):
        codec.loads_exact(text)


def test_numbers_read_exactly_whichever_reader_reads_them():
    assert codec.loads_exact('{"v": 1.50, "n": 12345678901234567890123}') == {
        "v": Decimal("1.50"),
        "n": 12345678901234567890123,
    }
    assert codec.loads_exact('{"v": 7}') == {"v": 7}
