"""Tests for `ledger.times`: parsing, precision, the known-by rule and ordering."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.errors import TimeFormatError
from ledger.times import (
    Precision,
    Stamp,
    _parse,
    _parse_canonical,
    format_utc,
    parse_stamp,
    until_us,
    utc_now,
)

ONE_US = timedelta(microseconds=1)


def naive(*args):
    """Build a naive datetime: Hypothesis bounds are naive, and some inputs must be."""
    return datetime(*args)  # noqa: DTZ001


def utc(*args):
    """Build an aware UTC datetime."""
    return naive(*args).replace(tzinfo=UTC)


# The last period of year 9999 has no representable end, so stamps stop short of it.
moments = st.datetimes(
    min_value=naive(1, 1, 1),
    max_value=naive(9998, 12, 31, 23, 59, 59, 999999),
    timezones=st.just(UTC),
)
precisions = st.sampled_from(Precision)
wide_stamps = st.builds(Stamp.from_datetime, moments, precisions)
# Stamps crowded into a few days, so that equal ends and equal stamps turn up.
near_stamps = st.builds(
    Stamp.from_datetime,
    st.datetimes(
        min_value=naive(2022, 2, 27),
        max_value=naive(2022, 3, 2, 0, 1),
        timezones=st.just(UTC),
    ),
    precisions,
)
stamps = st.one_of(wide_stamps, near_stamps)
# Times of day a year away from the ends of the range, to be written with any offset.
offset_stamps = st.builds(
    Stamp.from_datetime,
    st.datetimes(
        min_value=naive(2, 1, 1),
        max_value=naive(9997, 12, 31, 23, 59, 59, 999999),
        timezones=st.just(UTC),
    ),
    st.sampled_from([Precision.MINUTE, Precision.SECOND, Precision.MICROSECOND]),
)
offsets = st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59)


@pytest.mark.parametrize(
    ("text", "start", "precision"),
    [
        ("2022", utc(2022, 1, 1), Precision.YEAR),
        ("2022-03", utc(2022, 3, 1), Precision.MONTH),
        ("2022-03-02", utc(2022, 3, 2), Precision.DAY),
        ("2022-03-02T10:15", utc(2022, 3, 2, 10, 15), Precision.MINUTE),
        ("2022-03-02T10:15Z", utc(2022, 3, 2, 10, 15), Precision.MINUTE),
        ("2022-03-02T10:15:30Z", utc(2022, 3, 2, 10, 15, 30), Precision.SECOND),
        ("2022-03-02T10:15:30.123456Z", utc(2022, 3, 2, 10, 15, 30, 123456), Precision.MICROSECOND),
        ("2022-03-02T10:15:30.5Z", utc(2022, 3, 2, 10, 15, 30, 500000), Precision.MICROSECOND),
        ("2022-03-02T10:15:30.000", utc(2022, 3, 2, 10, 15, 30), Precision.MICROSECOND),
        ("2022-03-02 10:15:30", utc(2022, 3, 2, 10, 15, 30), Precision.SECOND),
        ("2022-03-02t10:15z", utc(2022, 3, 2, 10, 15), Precision.MINUTE),
        ("2020-02-29", utc(2020, 2, 29), Precision.DAY),
        ("0001", utc(1, 1, 1), Precision.YEAR),
        ("9998", utc(9998, 1, 1), Precision.YEAR),
        ("9999-12-30", utc(9999, 12, 30), Precision.DAY),
    ],
)
def test_parse_examples(text, start, precision):
    """Each accepted form parses to its start instant and its precision."""
    stamp = parse_stamp(text)
    assert stamp.start == start
    assert stamp.start.tzinfo is UTC
    assert stamp.precision is precision
    assert Stamp.parse(text) == stamp


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2022", "2022"),
        ("2022-03", "2022-03"),
        ("2022-03-02", "2022-03-02"),
        ("2022-03-02T10:15", "2022-03-02T10:15Z"),
        ("2022-03-02 10:15z", "2022-03-02T10:15Z"),
        ("2022-03-02T10:15:30Z", "2022-03-02T10:15:30Z"),
        ("2022-03-02T10:15:30.123456Z", "2022-03-02T10:15:30.123456Z"),
        ("2022-03-02T10:15:30.1Z", "2022-03-02T10:15:30.100000Z"),
        ("2022-03-02T10:15:30.000", "2022-03-02T10:15:30.000000Z"),
        ("0001-01-01", "0001-01-01"),
    ],
)
def test_output_keeps_precision(text, expected):
    """A stamp prints in the precision it was written in, in UTC with Z."""
    stamp = parse_stamp(text)
    assert str(stamp) == expected
    assert stamp.isoformat() == expected
    assert repr(stamp) == f"Stamp.parse({expected!r})"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2022-03-02T01:30+02:00", "2022-03-01T23:30Z"),
        ("2022-03-02T01:30+0200", "2022-03-01T23:30Z"),
        ("2022-03-02T01:30+02", "2022-03-01T23:30Z"),
        ("2022-03-02T01:30Z", "2022-03-02T01:30Z"),
        ("2022-03-02T01:30+00:00", "2022-03-02T01:30Z"),
        ("2022-03-02T01:30-00:00", "2022-03-02T01:30Z"),
        ("2022-03-01T22:30-05:30", "2022-03-02T04:00Z"),
        ("2022-03-02T01:30:15+05:45", "2022-03-01T19:45:15Z"),
        ("2022-03-02T01:30:15.25-01:00", "2022-03-02T02:30:15.250000Z"),
        ("2022-12-31T23:30-01:00", "2023-01-01T00:30Z"),
        ("0001-01-01T00:30-01:00", "0001-01-01T01:30Z"),
    ],
)
def test_offsets_convert_to_utc(text, expected):
    """A date-time with an offset converts to UTC and keeps its precision."""
    stamp = parse_stamp(text)
    assert str(stamp) == expected
    assert stamp == parse_stamp(expected)


BAD_STRINGS = [
    "",
    " ",
    "2022-03-02 ",
    " 2022-03-02",
    "2022-03-02\n",
    "x2022",
    "22",
    "20220",
    "+2022",
    "-0001",
    "0000",
    "2022-3",
    "2022-13",
    "2022-00",
    "2022-02-30",
    "2021-02-29",
    "2022-03-32",
    "20220302",
    "2022-03-02T",
    "2022-03-02T10",
    "2022-03-02T1015",
    "2022-03-02T24:00",
    "2022-03-02T10:60",
    "2022-03-02T23:59:60",
    "2022-03-02T10:15:30.",
    "2022-03-02T10:15:30.1234567",
    "2022-03-02T10:15:30,5",
    "2022-03-02T10:15+24:00",
    "2022-03-02T10:15+02:60",
    "2022-03-02T10:15+2",
    "2022-03-02T10:15 Z",
    "2022-03-02T10:15ZZ",
    "2022Z",
    "2022-03-02Z",
    "2022-03-02+01:00",
    "2022-W09",
    "2022-W09-3",
    "2022-061",
    "\uff12\uff10\uff12\uff12",  # fullwidth digits
    "\u0662\u0660\u0662\u0662-03-02",  # Arabic-Indic digits
    "9999",
    "9999-12",
    "9999-12-31",
    "9999-12-31T23:59Z",
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:59.999999Z",
    "0001-01-01T00:30+01:00",
    "9999-12-31T23:30-01:00",
    "yesterday",
]


@pytest.mark.parametrize("text", BAD_STRINGS)
def test_bad_strings_raise_quoting_the_input(text):
    """Every malformed string raises TimeFormatError whose message quotes it."""
    with pytest.raises(TimeFormatError) as info:
        parse_stamp(text)
    message = str(info.value)
    assert message.startswith(f"not an ISO 8601 time: {text!r}: ")
    assert len(message) > len(f"not an ISO 8601 time: {text!r}: ")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("2022-02-30", "day is out of range for month"),
        ("2022-13", "month must be in 1..12"),
        ("2022-03-02T24:00", "hour must be in 0..23"),
        ("2022-03-02T23:59:60", "second must be in 0..59"),
        ("2022-03-02Z", "a date without a time of day takes no offset"),
        ("2022-03-02T10:15+24:00", "offset hour must be in 0..23"),
        ("0001-01-01T00:30+01:00", "outside years 1..9999 in UTC"),
        ("9999", "ends after year 9999"),
        ("2022-W09-3", "expected YYYY, YYYY-MM, YYYY-MM-DD or"),
    ],
)
def test_bad_strings_say_what_is_wrong(text, reason):
    """The message names what is wrong with the string."""
    with pytest.raises(TimeFormatError, match=re.escape(reason)):
        parse_stamp(text)


def test_time_format_error_is_a_value_error():
    """A caller may catch bad time strings as ValueError."""
    with pytest.raises(ValueError, match="not an ISO 8601 time"):
        parse_stamp("2022-02-30")


@pytest.mark.parametrize("value", [None, 2022, 2022.0, b"2022", ["2022"], utc(2022, 1, 1)])
def test_non_strings_raise_time_format_error(value):
    """A value that is not a string raises TimeFormatError naming its type, not TypeError."""
    with pytest.raises(TimeFormatError) as info:
        parse_stamp(value)
    assert f"expected a str, not {type(value).__name__}" in str(info.value)


@pytest.mark.parametrize("text", BAD_STRINGS)
def test_until_us_refuses_what_parse_refuses(text):
    """The quick end of a stamp refuses every malformed string with the parser's message."""
    with pytest.raises(TimeFormatError) as expected:
        parse_stamp(text)
    with pytest.raises(TimeFormatError) as got:
        until_us(text)
    assert str(got.value) == str(expected.value)


@given(stamps)
def test_until_us_is_the_end_of_the_stamp(stamp):
    """The quick end equals the parsed stamp's, for every precision."""
    assert until_us(str(stamp)) == stamp.until_us


@given(offset_stamps, offsets)
def test_until_us_of_a_time_with_an_offset(stamp, offset_minutes):
    """A time written with an offset (not a canonical form) ends where its stamp does."""
    local = stamp.start.astimezone(timezone(timedelta(minutes=offset_minutes)))
    text = local.isoformat(timespec=_TIMESPEC[stamp.precision])
    assert until_us(text) == stamp.until_us


_TIMESPEC = {
    Precision.MINUTE: "minutes",
    Precision.SECOND: "seconds",
    Precision.MICROSECOND: "microseconds",
}


@given(
    st.from_regex(
        r"\A\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{6})?)?Z)?\Z",
        alphabet=st.sampled_from("0123456789-:.TZ"),
    )
)
def test_until_us_agrees_with_parse_on_any_canonical_shape(text):
    """Any digits in the canonical forms (impossible dates, hour 99, year 9999):
    the quick end answers what the parser answers, or refuses as it does."""
    try:
        expected = parse_stamp(text).until_us
    except TimeFormatError as e:
        with pytest.raises(TimeFormatError, match=re.escape(str(e))):
            until_us(text)
    else:
        assert until_us(text) == expected


@pytest.mark.parametrize("value", [None, 2022, b"2022-01-01"])
def test_until_us_refuses_non_strings(value):
    """A value that is not a string is refused as `parse_stamp` refuses it."""
    with pytest.raises(TimeFormatError, match=f"not {type(value).__name__}"):
        until_us(value)


def test_long_strings_are_refused_with_a_truncated_quote():
    """A string over 64 characters is refused and only a prefix of it is quoted."""
    text = "2022-03-02T10:15:30.123456Z" + "0" * 1000
    with pytest.raises(TimeFormatError, match="longer than 64 characters") as info:
        parse_stamp(text)
    message = str(info.value)
    assert repr(text[:40]) in message
    assert len(message) < 200


def test_sixty_four_characters_are_read():
    """A string of exactly 64 characters is still parsed, not refused for length."""
    with pytest.raises(TimeFormatError, match="expected YYYY"):
        parse_stamp("2022-03-02" + "x" * 54)


@pytest.mark.parametrize(
    ("text", "end"),
    [
        ("2022", utc(2023, 1, 1)),
        ("2022-03", utc(2022, 4, 1)),
        ("2022-12", utc(2023, 1, 1)),
        ("2022-02", utc(2022, 3, 1)),
        ("2022-03-02", utc(2022, 3, 3)),
        ("2022-02-28", utc(2022, 3, 1)),
        ("2022-03-02T23:59Z", utc(2022, 3, 3)),
        ("2022-03-02T10:15Z", utc(2022, 3, 2, 10, 16)),
        ("2022-03-02T10:15:59Z", utc(2022, 3, 2, 10, 16)),
        ("2022-03-02T10:15:30.999999Z", utc(2022, 3, 2, 10, 15, 31)),
        ("9999-12-31T23:59:59.999998Z", utc(9999, 12, 31, 23, 59, 59, 999999)),
    ],
)
def test_end_is_the_start_of_the_next_period(text, end):
    """The end of a stamp is the exclusive end of the period it names."""
    assert parse_stamp(text).end == end


@pytest.mark.parametrize(
    ("text", "start_us", "until_us"),
    [
        ("1970-01-01T00:00:00.000000Z", 0, 1),
        ("1970-01-01", 0, 86_400_000_000),
        ("1970", 0, 365 * 86_400_000_000),
        ("1969-12-31T23:59:59Z", -1_000_000, 0),
        ("0001", -62_135_596_800_000_000, -62_104_060_800_000_000),
        ("9999-12-31T23:59:59.999998Z", 253_402_300_799_999_998, 253_402_300_799_999_999),
    ],
)
def test_microseconds_are_exact_integers(text, start_us, until_us):
    """start_us and until_us are exact integer microseconds since the epoch."""
    stamp = parse_stamp(text)
    assert stamp.start_us == start_us
    assert stamp.until_us == until_us
    assert type(stamp.until_us) is int
    assert stamp.sort_key == (until_us, start_us)


@pytest.mark.parametrize(
    ("text", "cutoff", "known"),
    [
        ("2022-03", "2022-03-31", True),
        ("2022-03", "2022-03-30", False),
        ("2022-03", "2022-03-31T23:59Z", True),
        ("2022-03", "2022-03-31T23:58Z", False),
        ("2022-03", "2022", True),
        ("2022", "2022-12", True),
        ("2022", "2022-11", False),
        ("2022-03-02", "2022-03-02", True),
        ("2022-03-02", "2022-03-01", False),
        ("2022-03-02", "2022-03-02T23:59:59.999999Z", True),
        ("2022-03-02", "2022-03-02T23:59:59.999998Z", False),
        ("2022-03-02", "2022-03-02T23:59:59Z", True),
        ("2022-03-02", "2022-03-02T23:59Z", True),
        ("2022-03-02", "2022-03-02T23:58Z", False),
        ("2022-03-02", "2022-03-03T01:30+02:00", False),
        ("2022-03-02", "2022-03-03T01:59+02:00", True),
        ("2022-03-02", "2022-03-03T00:00:00.000000Z", True),
        ("2022-03-02T23:59:59.999999Z", "2022-03-02", True),
        ("2022-03-03T00:00:00.000000Z", "2022-03-02", False),
        ("2022-03-02T10:15Z", "2022-03-02T10:15:59Z", True),
        ("2022-03-02T10:15Z", "2022-03-02T10:15:58Z", False),
        ("2022-03-02T10:15:30Z", "2022-03-02T10:15:30.999999Z", True),
        ("2022-03-02T10:15:30.999999Z", "2022-03-02T10:15:30Z", True),
        ("2022-03-02T10:15:31.000000Z", "2022-03-02T10:15:30Z", False),
    ],
)
def test_known_by_boundaries(text, cutoff, known):
    """A stamp is known by a cutoff exactly when it ends no later than the cutoff ends."""
    assert parse_stamp(text).known_by(parse_stamp(cutoff)) is known


def test_sorting_follows_the_end_then_the_start():
    """Stamps sort by the end of their period, then by its start."""
    texts = ["2022", "2022-03-31", "2022-03", "2022-03-01", "2022-03-31T23:59Z", "2021-12-31"]
    ordered = sorted(parse_stamp(text) for text in texts)
    assert [str(stamp) for stamp in ordered] == [
        "2021-12-31",
        "2022-03-01",
        "2022-03",
        "2022-03-31",
        "2022-03-31T23:59Z",
        "2022",
    ]


def test_comparisons_with_other_types():
    """A stamp equals no other type and refuses to be ordered against one."""
    stamp = parse_stamp("2022-03-02")
    assert stamp != "2022-03-02"
    assert stamp != stamp.start
    with pytest.raises(TypeError):
        _ = stamp < "2022-03-03"
    with pytest.raises(TypeError):
        _ = stamp <= stamp.end
    with pytest.raises(TypeError):
        _ = stamp > 0
    with pytest.raises(TypeError):
        _ = stamp >= None


def test_equal_stamps_hash_alike():
    """Stamps of one instant written in different zones are equal and hash alike."""
    first = parse_stamp("2022-03-02T01:30+02:00")
    second = parse_stamp("2022-03-01T23:30Z")
    assert first == second
    assert len({first, second}) == 1
    assert first != parse_stamp("2022-03-01T23:30:00Z")


def test_stamps_are_frozen():
    """A stamp cannot be changed after it is built."""
    stamp = parse_stamp("2022-03-02")
    with pytest.raises(AttributeError):
        stamp.precision = Precision.YEAR


@pytest.mark.parametrize(
    ("start", "precision", "reason"),
    [
        (naive(2022, 3, 2), Precision.DAY, "not an aware UTC datetime"),
        (
            datetime(2022, 3, 2, tzinfo=timezone(timedelta(hours=1))),
            Precision.DAY,
            "not an aware UTC datetime",
        ),
        (utc(2022, 3, 2, 10), Precision.DAY, "not truncated to DAY precision"),
        (utc(2022, 3, 2), Precision.MONTH, "not truncated to MONTH precision"),
        (utc(2022, 3, 1, 0, 0, 1), Precision.MINUTE, "not truncated to MINUTE precision"),
        (utc(2022, 3, 1, 0, 0, 1, 5), Precision.SECOND, "not truncated to SECOND precision"),
        (utc(9999, 1, 1), Precision.YEAR, "ends after year 9999"),
        (utc(2022, 3, 2), 3, "not a Precision"),
        ("2022-03-02", Precision.DAY, "not a datetime"),
    ],
)
def test_constructor_checks_its_fields(start, precision, reason):
    """Building a stamp directly refuses a naive, non-UTC or untruncated start."""
    with pytest.raises(TimeFormatError, match=reason):
        Stamp(start, precision)


@pytest.mark.parametrize("zone", [timezone(timedelta(0)), ZoneInfo("UTC"), ZoneInfo("Etc/GMT")])
def test_constructor_accepts_any_zero_offset_zone(zone):
    """A start at offset zero in another tzinfo is accepted and stored with UTC."""
    stamp = Stamp(datetime(2022, 3, 2, tzinfo=zone), Precision.DAY)
    assert stamp.start.tzinfo is UTC
    assert stamp == parse_stamp("2022-03-02")


def test_from_datetime_converts_and_truncates():
    """from_datetime converts to UTC and drops parts finer than the precision."""
    moment = datetime(2022, 3, 2, 1, 30, 15, 250, tzinfo=timezone(timedelta(hours=2)))
    assert str(Stamp.from_datetime(moment)) == "2022-03-01T23:30:15.000250Z"
    assert str(Stamp.from_datetime(moment, Precision.SECOND)) == "2022-03-01T23:30:15Z"
    assert str(Stamp.from_datetime(moment, Precision.MINUTE)) == "2022-03-01T23:30Z"
    assert str(Stamp.from_datetime(moment, Precision.DAY)) == "2022-03-01"
    assert str(Stamp.from_datetime(moment, Precision.MONTH)) == "2022-03"
    assert str(Stamp.from_datetime(moment, Precision.YEAR)) == "2022"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (naive(2022, 3, 2), "naive"),
        ("2022-03-02", "not a datetime"),
        (naive(1, 1, 1).replace(tzinfo=timezone(timedelta(hours=1))), "outside years 1..9999"),
        (naive(9999, 12, 31, 23, 59, 59, 999999).replace(tzinfo=UTC), "ends after year 9999"),
    ],
)
def test_from_datetime_refuses_bad_input(value, reason):
    """from_datetime refuses naive datetimes, other types and instants out of range."""
    with pytest.raises(TimeFormatError, match=reason):
        Stamp.from_datetime(value)


def test_format_utc():
    """format_utc writes UTC with six fraction digits and Z, whatever the zone."""
    moment = datetime(2022, 3, 2, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    assert format_utc(moment) == "2022-03-01T23:30:00.000000Z"
    assert format_utc(utc(2022, 3, 2, 10, 15, 30, 7)) == "2022-03-02T10:15:30.000007Z"
    assert format_utc(utc(1, 1, 1)) == "0001-01-01T00:00:00.000000Z"
    assert (
        format_utc(naive(9999, 12, 31, 23, 59, 59, 999999).replace(tzinfo=UTC))
        == "9999-12-31T23:59:59.999999Z"
    )


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (naive(2022, 3, 2), "naive"),
        ("2022-03-02T00:00:00.000000Z", "not a datetime"),
        (
            naive(9999, 12, 31, 23, 59, 59, 999999).replace(tzinfo=timezone(timedelta(hours=-1))),
            "outside years 1..9999",
        ),
    ],
)
def test_format_utc_refuses_bad_input(value, reason):
    """format_utc refuses naive datetimes, other types and instants out of range."""
    with pytest.raises(TimeFormatError, match=reason):
        format_utc(value)


def test_utc_now_is_aware_utc():
    """utc_now returns the current instant as an aware UTC datetime."""
    before = datetime.now(UTC)
    now = utc_now()
    after = datetime.now(UTC)
    assert now.tzinfo is UTC
    assert before <= now <= after


def test_precision_runs_coarse_to_fine():
    """Precision members are ordered from the coarsest to the finest."""
    assert list(Precision) == sorted(Precision)
    assert [p.name for p in Precision] == [
        "YEAR",
        "MONTH",
        "DAY",
        "MINUTE",
        "SECOND",
        "MICROSECOND",
    ]


@given(stamps)
def test_round_trip(stamp):
    """Parsing the text of a stamp gives back the same stamp."""
    again = parse_stamp(str(stamp))
    assert again == stamp
    assert again.precision is stamp.precision
    assert str(again) == str(stamp)


@given(offset_stamps, offsets)
def test_round_trip_through_an_offset(stamp, offset_minutes):
    """A date-time written in any offset parses back to the same UTC stamp."""
    local = stamp.start.astimezone(timezone(timedelta(minutes=offset_minutes)))
    sign = "-" if offset_minutes < 0 else "+"
    hours, minutes = divmod(abs(offset_minutes), 60)
    written = Stamp.from_datetime(local.replace(tzinfo=UTC), stamp.precision)
    text = str(written).removesuffix("Z") + f"{sign}{hours:02d}:{minutes:02d}"
    assert parse_stamp(text) == stamp


@given(moments, precisions)
def test_from_datetime_contains_its_instant(moment, precision):
    """The stamp built from a datetime covers that datetime."""
    stamp = Stamp.from_datetime(moment, precision)
    assert stamp.start <= moment < stamp.end
    assert stamp.precision is precision


@given(stamps)
def test_end_is_after_start(stamp):
    """Every stamp ends after it starts, and the microsecond keys agree."""
    assert stamp.end > stamp.start
    assert stamp.until_us > stamp.start_us
    assert stamp.until_us - stamp.start_us == (stamp.end - stamp.start) // ONE_US


@given(stamps)
def test_known_by_itself(stamp):
    """Every stamp is known by itself."""
    assert stamp.known_by(stamp)


@given(stamps, stamps, stamps)
def test_known_by_is_transitive(a, b, c):
    """If a is known by b and b by c, then a is known by c."""
    if a.known_by(b) and b.known_by(c):
        assert a.known_by(c)


@given(stamps, stamps)
def test_known_by_is_total(a, b):
    """Of any two stamps, one is known by the other."""
    assert a.known_by(b) or b.known_by(a)


@given(stamps, stamps)
def test_known_by_follows_the_ends(a, b):
    """a is known by b exactly when a ends no later than b."""
    assert a.known_by(b) is (a.end <= b.end)


@given(stamps, precisions)
def test_known_by_a_finer_stamp_of_its_last_instant(stamp, precision):
    """A stamp is known by any finer stamp holding its last instant, and vice versa."""
    precision = max(precision, stamp.precision)
    cutoff = Stamp.from_datetime(stamp.end - ONE_US, precision)
    assert stamp.known_by(cutoff)
    assert cutoff.known_by(stamp)
    assert cutoff.until_us == stamp.until_us


@given(stamps, precisions)
def test_not_known_by_a_strictly_finer_stamp_of_its_start(stamp, precision):
    """A stamp is not known by a strictly finer stamp holding its first instant."""
    if precision > stamp.precision:
        cutoff = Stamp.from_datetime(stamp.start, precision)
        assert not stamp.known_by(cutoff)
        assert cutoff.known_by(stamp)


@given(st.lists(stamps, max_size=12))
def test_sorting_agrees_with_known_by(items):
    """In a list sorted by sort_key, every stamp is known by every later one."""
    ordered = sorted(items, key=lambda stamp: stamp.sort_key)
    assert sorted(items) == ordered
    for earlier, later in itertools.pairwise(ordered):
        assert earlier.known_by(later)


@given(stamps, stamps)
def test_ordering_matches_sort_key_and_equality(a, b):
    """Comparison operators follow sort_key, and equal keys mean equal stamps."""
    assert (a < b) is (a.sort_key < b.sort_key)
    assert (a <= b) is (a.sort_key <= b.sort_key)
    assert (a > b) is (a.sort_key > b.sort_key)
    assert (a >= b) is (a.sort_key >= b.sort_key)
    assert (a == b) is (a.sort_key == b.sort_key)


@given(
    st.one_of(
        st.text(alphabet="0123456789-:.+TtZz ", max_size=40),
        st.text(max_size=70),
        st.from_regex(
            r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:?\d{2})?",
            fullmatch=True,
        ),
    )
)
def test_any_text_parses_or_raises_time_format_error(text):
    """Any string either parses to a stamp that prints back to itself or raises TimeFormatError."""
    outcome = _parse_or_error(text)
    if isinstance(outcome, Stamp):
        assert parse_stamp(str(outcome)) == outcome
    else:
        shown = text if len(text) <= 64 else text[:40]
        assert repr(shown) in str(outcome)


def _parse_or_error(text):
    """Return the stamp *text* parses to, or the TimeFormatError it raises."""
    try:
        return parse_stamp(text)
    except TimeFormatError as error:
        return error


# -- the quick path for the canonical forms ------------------------------------


@given(stamps)
def test_the_quick_path_reads_every_written_stamp_as_the_general_one(stamp):
    """Stored stamps go through a quick parser; it gives exactly the general parser's stamp."""
    text = str(stamp)
    quick = _parse_canonical(text)
    if stamp.precision in {Precision.YEAR, Precision.MONTH}:
        assert quick is None  # left to the general path
    else:
        assert quick is not None
        assert (quick, quick.sort_key, quick.start.tzinfo) == (stamp, stamp.sort_key, UTC)
    assert parse_stamp(text) == stamp


@given(st.from_regex(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{6})?)?Z)?", fullmatch=True))
def test_the_quick_path_agrees_or_steps_aside(text):
    """On text of the canonical shapes the quick path answers as the general one, or not at all."""
    quick = _parse_canonical(text)
    try:
        general = _parse(text)
    except TimeFormatError:
        assert quick is None
    else:
        assert quick is None or (quick, quick.sort_key) == (general, general.sort_key)


@pytest.mark.parametrize(
    "text", ["2022-02-30", "2022-13-01", "2022-03-04T24:00Z", "2022-03-04T10:60:00Z", "9999-12-31"]
)
def test_the_quick_path_leaves_bad_stamps_to_the_general_error(text):
    """What the quick path cannot read still fails with the general path's message."""
    with pytest.raises(TimeFormatError, match="not an ISO 8601 time"):
        parse_stamp(text)
