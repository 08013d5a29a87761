"""Tests for `ledger.values`: numbers, quantities, labels, intervals and agreement."""

from __future__ import annotations

from decimal import Decimal, localcontext

import pytest
from hypothesis import given, reject
from hypothesis import strategies as st

from ledger.errors import InvalidValueError
from ledger.values import (
    DEFAULT_TOLERANCE,
    MAX_DIGITS,
    Interval,
    Label,
    Number,
    Qualifier,
    Quantity,
    Value,
    agree,
    all_agree,
    ends,
    interval,
    number,
)

# --- Strategies (self-contained, to move to tests/strategies.py later) ------

UNITS = (None, "km", "KM", "tonnes", "USD")  # units that may be negative; see COUNT_UNITS


def _decimal(coefficient: int, exponent: int) -> Decimal:
    # Built from a string so no context precision can round it.
    return Decimal(f"{coefficient}E{exponent}")


def raw_numbers() -> st.SearchStrategy[int | Decimal]:
    """Valid inputs to `number`, as ints and Decimals in any representation."""
    return st.one_of(
        st.integers(-20, 20),
        st.integers(-(10**MAX_DIGITS), 10**MAX_DIGITS),
        st.decimals(min_value=-100, max_value=100, places=2),
        st.builds(
            _decimal,
            st.integers(-(10**MAX_DIGITS) + 1, 10**MAX_DIGITS - 1),
            st.integers(-30, 0),
        ),
    )


def numbers() -> st.SearchStrategy[Number]:
    """Valid ledger numbers, each in its one representation."""
    return raw_numbers().map(number)


def tolerances() -> st.SearchStrategy[Decimal]:
    """Tolerances of 0 or more, including 0 and the default."""
    return st.one_of(
        st.just(Decimal(0)),
        st.just(DEFAULT_TOLERANCE),
        st.decimals(min_value=0, max_value=3, places=3),
    )


def units() -> st.SearchStrategy[str | None]:
    """Units from a small set, so that equal units are common."""
    return st.sampled_from(UNITS)


@st.composite
def quantities(draw: st.DrawFn) -> Quantity:
    """Quantities of every qualifier, with units from a small set."""
    qualifier = draw(st.sampled_from(Qualifier))
    amount = draw(numbers())
    high = None
    if qualifier is Qualifier.RANGE:
        other = draw(st.one_of(st.just(amount), numbers()))
        amount, high = min(amount, other), max(amount, other)
    return Quantity(amount=amount, qualifier=qualifier, high=high, unit=draw(units()))


def labels() -> st.SearchStrategy[Label]:
    """Labels, both arbitrary text and a few names in varying case and spacing."""
    text = st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=40).filter(
        str.strip
    )
    names = st.sampled_from(["Kherson", " kherson", "KHERSON  ", "Russia", "Ukraine"])
    return st.one_of(text, names).map(Label)


def claim_values() -> st.SearchStrategy[Value]:
    """Any claimed value: a quantity or a label."""
    return st.one_of(quantities(), labels())


def _exact(x: Number) -> Decimal:
    return Decimal(x)


def iv(notation: str) -> Interval:
    """Build an interval from notation such as ``"[1, 2)"`` or ``"(-inf, 3]"``."""
    low, high = (end.strip() for end in notation[1:-1].split(","))
    return Interval(
        low=None if low == "-inf" else number(low, "low"),
        high=None if high == "+inf" else number(high, "high"),
        low_closed=notation[0] == "[",
        high_closed=notation[-1] == "]",
    )


def _fold(unit: str | None) -> str | None:
    return None if unit is None else unit.casefold()


# --- number ----------------------------------------------------------------


@given(raw_numbers())
def test_number_is_idempotent(x):
    """Normalising a normalised number changes neither its value nor its form."""
    n = number(x)
    again = number(n)
    assert again == n == x
    assert type(again) is type(n)
    if isinstance(n, Decimal):
        assert isinstance(again, Decimal)
        assert again.as_tuple() == n.as_tuple()


@given(raw_numbers())
def test_integral_numbers_become_int(x):
    """An integral number comes back as an int, a fraction as the Decimal it was."""
    n = number(x)
    if Decimal(x) == Decimal(x).to_integral_value():
        assert type(n) is int
    else:
        assert type(n) is Decimal
        assert n.as_tuple() == Decimal(x).as_tuple()


@given(raw_numbers())
def test_number_parses_its_own_string(x):
    """The string form of a number normalises to the same number."""
    assert number(str(x)) == number(x)
    assert type(number(str(x))) is type(number(x))


@given(
    st.one_of(
        st.integers(-(10**40), 10**40),
        st.sampled_from([sign * (10**30 + d) for sign in (1, -1) for d in (-1, 0, 1)]),
    )
)
def test_ints_read_as_their_decimal(x):
    """Ints take a quick path; it gives what the Decimal of the same int gives, or refuses alike."""
    try:
        expected = number(Decimal(x))
    except InvalidValueError:
        with pytest.raises(InvalidValueError):
            number(x)
    else:
        assert number(x) == expected == x
        assert type(number(x)) is int


@given(st.from_regex(r"[0-9]{1,40}", fullmatch=True))
def test_digit_strings_read_as_their_decimal(text):
    """Plain counts take a quick path; it gives what the Decimal of the same digits gives."""
    try:
        expected = number(Decimal(text))
    except InvalidValueError:
        with pytest.raises(InvalidValueError):
            number(text)
    else:
        assert number(text) == expected
        assert type(number(text)) is int


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (Decimal(2), 2),
        (Decimal("2.0"), 2),
        (Decimal("1E+3"), 1000),
        (Decimal("-0.0"), 0),
        ("1.5", Decimal("1.5")),
        ("-3", -3),
        ("1e3", 1000),
        ("+2.50", Decimal("2.50")),
        (".5", Decimal("0.5")),
        (10**30, 10**30),
        ("0.000000000000000000000000000001", Decimal("1E-30")),
    ],
)
def test_number_accepts(given, expected):
    """Ints, Decimals and numeric strings normalise to the expected number."""
    result = number(given)
    assert result == expected
    assert type(result) is type(expected)


def test_number_keeps_fraction_digits():
    """A fraction keeps its trailing zeros."""
    n = number(Decimal("1.50"))
    assert isinstance(n, Decimal)
    assert n.as_tuple() == Decimal("1.50").as_tuple()


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        (1.5, "float"),
        (1.0, "float"),
        (True, "bool"),
        (False, "bool"),
        (None, "NoneType"),
        (Decimal("NaN"), "NaN is not a number the ledger accepts"),
        (Decimal("sNaN"), "sNaN"),
        (Decimal("Infinity"), "Infinity"),
        (Decimal("-Infinity"), "-Infinity"),
        ("NaN", "not a number"),
        ("inf", "not a number"),
        ("-inf", "not a number"),
        ("", "not a number"),
        ("1_000", "not a number"),
        (" 1", "not a number"),
        ("1 ", "not a number"),
        ("0x10", "not a number"),
        ("\u0661", "not a number"),
        ("1e99999999999999999999", "out of range"),
        pytest.param("9" * 400, "400 significant digits", id="400-digit-str"),
        pytest.param(int("9" * 400), "400 significant digits", id="400-digit-int"),
        pytest.param(10**400, "out of range", id="10**400"),
        pytest.param(10**5000, "out of range", id="10**5000"),
        (10**31, "out of range"),
        (Decimal("1E-31"), "out of range"),
        (int("1" * 31), "31 significant digits"),
        (Decimal("0." + "1" * 31), "31 significant digits"),
    ],
)
def test_number_rejects(bad, says):
    """Floats, bools, non-numbers, NaN, infinities and oversized numbers are refused."""
    with pytest.raises(InvalidValueError, match=f"^amount: .*{says}"):
        number(bad)


def test_number_names_the_field():
    """The error message names the field it was given."""
    with pytest.raises(InvalidValueError, match=r"^value_high: "):
        number(1.5, field="value_high")


def test_number_message_is_short_for_huge_input():
    """A huge input is not echoed in full."""
    with pytest.raises(InvalidValueError) as info:
        number("7" * 10_000)
    assert len(str(info.value)) < 200


# --- Quantity and Label -------------------------------------------------------


@given(quantities())
def test_quantity_fields_are_normalised(q):
    """Every generated quantity holds normalised numbers and a Qualifier."""
    assert isinstance(q.qualifier, Qualifier)
    assert number(q.amount) == q.amount
    assert q.low == q.amount
    assert (q.high is None) == (q.qualifier is not Qualifier.RANGE)


def test_quantity_converts_its_fields():
    """Strings for amount, qualifier and high are parsed; the unit is trimmed."""
    q = Quantity(amount="1.0", qualifier="range", high="2.50", unit="  km ")
    assert q == Quantity(amount=1, qualifier=Qualifier.RANGE, high=Decimal("2.50"), unit="km")
    assert type(q.amount) is int


def test_quantity_defaults_to_exact_without_unit():
    """A bare amount is an exact count."""
    q = Quantity(amount=3)
    assert (q.qualifier, q.high, q.unit) == (Qualifier.EXACT, None, None)


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"amount": 1, "qualifier": "range"}, "^value_high: a range needs a high end"),
        ({"amount": 2, "qualifier": "range", "high": 1}, "^value_high: 1 is below"),
        ({"amount": 1, "high": 2}, "^value_high: only a range"),
        ({"amount": 1, "qualifier": "at_least", "high": 2}, "^value_high: only a range"),
        ({"amount": 1, "qualifier": "range", "high": 2.0}, "^value_high: float"),
        ({"amount": 1, "qualifier": "bogus"}, "^qualifier: 'bogus' is not one of"),
        ({"amount": 1, "qualifier": "EXACT"}, "^qualifier: "),
        ({"amount": 1, "qualifier": 0}, "^qualifier: "),
        ({"amount": 1.5}, "^amount: float"),
        ({"amount": Decimal("NaN")}, "^amount: NaN"),
        ({"amount": 1, "unit": ""}, "^unit: "),
        ({"amount": 1, "unit": "   "}, "^unit: "),
        ({"amount": 1, "unit": "k\x00m"}, "^unit: .*U\\+0000"),
        ({"amount": 1, "unit": "x" * 65}, "^unit: 65 characters"),
        ({"amount": 1, "unit": 5}, "^unit: must be a string"),
    ],
)
def test_quantity_rejects(fields, says):
    """Malformed quantities are refused with a message naming the field."""
    with pytest.raises(InvalidValueError, match=says):
        Quantity(**fields)


def test_range_may_be_a_single_point():
    """A range whose ends are equal is allowed."""
    assert Quantity(amount=5, qualifier="range", high=Decimal("5.0")).high == 5


def test_label_keeps_text_as_given():
    """A label's text is stored untrimmed."""
    assert Label("  Kherson ").text == "  Kherson "


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty or blank"),
        ("  \t ", "empty or blank"),
        ("Kher\x00son", "U\\+0000"),
        ("Kher\nson", "U\\+000A"),
        ("\ud800", "U\\+D800"),
        ("x" * 501, "501 characters"),
        (None, "must be a string"),
        (5, "must be a string"),
    ],
)
def test_label_rejects(text, says):
    """Empty, blank, oversized or control-character labels are refused."""
    with pytest.raises(InvalidValueError, match=f"^label: .*{says}"):
        Label(text)


def test_label_of_500_characters_is_allowed():
    """The length limit is inclusive."""
    assert len(Label("x" * 500).text) == 500


# --- Interval -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (iv("(1, +inf)"), iv("[1, 1]"), False),
        (iv("[1, +inf)"), iv("[1, 1]"), True),
        (iv("[1, 2]"), iv("[2, 3]"), True),
        (iv("[1, 2)"), iv("[2, 3]"), False),
        (iv("[1, 2]"), iv("(2, 3]"), False),
        (iv("(-inf, 2)"), iv("(2, +inf)"), False),
        (iv("(-inf, 2]"), iv("[2, +inf)"), True),
        (iv("(-inf, +inf)"), iv("[5, 5]"), True),
        (iv("(-inf, 1]"), iv("(-inf, 0)"), True),
        (iv("[0, +inf)"), iv("(1, +inf)"), True),
        (iv("[1, 2]"), iv("[3, 4]"), False),
        (iv("[1.5, 2]"), iv("[1, 1.50]"), True),
    ],
)
def test_intersects(a, b, expected):
    """Intersection respects open and closed ends, in both directions."""
    assert a.intersects(b) is expected
    assert b.intersects(a) is expected


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ((2, 1, True, True), "^high: 1 is below"),
        ((1, 1, True, False), "^interval: equal ends"),
        ((1, 1, False, True), "^interval: equal ends"),
        ((None, 1, True, True), "^low_closed: "),
        ((1, None, True, True), "^high_closed: "),
        ((1.0, 2, True, True), "^low: "),
        ((1, True, True, True), "^high: "),
        ((Decimal("NaN"), 2, True, True), "^low: "),
        ((1, 2, 1, True), "^low_closed: "),
    ],
)
def test_interval_rejects(args, says):
    """Empty intervals, closed infinite ends and non-numbers are refused."""
    names = ("low", "high", "low_closed", "high_closed")
    with pytest.raises(InvalidValueError, match=says):
        Interval(**dict(zip(names, args, strict=True)))


def test_interval_methods_reject_bad_arguments():
    """`contains` wants a number and `intersects` an interval."""
    i = iv("[1, 2]")
    with pytest.raises(InvalidValueError, match=r"^x: "):
        i.contains(1.5)  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match=r"^x: "):
        i.contains(None)  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match=r"^other: "):
        i.intersects((1, 2))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("qualifier", "expected"),
    [
        ("exact", iv("[10, 10]")),
        ("approximately", iv("[9, 11]")),
        ("at_least", iv("[10, +inf)")),
        ("more_than", iv("(10, +inf)")),
        ("at_most", iv("(-inf, 10]")),
        ("fewer_than", iv("(-inf, 10)")),
    ],
)
def test_interval_of_each_qualifier(qualifier, expected):
    """Each qualifier maps to the interval the module documents."""
    assert interval(Quantity(amount=10, qualifier=qualifier)) == expected


def test_interval_of_range_and_negative_approximation():
    """A range spans its ends, and a negative approximation keeps low below high."""
    assert interval(Quantity(amount=1, qualifier="range", high=3)) == iv("[1, 3]")
    assert interval(Quantity(amount=-10, qualifier="approximately")) == iv("[-11, -9]")


def test_interval_is_exact_for_long_numbers():
    """The ends of an approximation of a 30-digit number are not rounded."""
    n = number("1.23456789012345678901234567891")
    got = interval(Quantity(amount=n, qualifier="approximately"), Decimal("0.07"))
    with localcontext() as ctx:
        ctx.prec = 200
        assert got.low == n - Decimal("0.07") * n
        assert got.high == n + Decimal("0.07") * n
    assert got.low != n * Decimal("0.93")  # what 28-digit rounding would give


@pytest.mark.parametrize("bad", [Decimal(-1), Decimal("-0.01"), 0.1, "0.1", Decimal("NaN"), None])
def test_tolerance_must_be_a_decimal_of_zero_or_more(bad):
    """A negative, float, string or NaN tolerance is refused by interval and agree."""
    q = Quantity(amount=1, qualifier="approximately")
    with pytest.raises(InvalidValueError, match=r"^tolerance: "):
        interval(q, bad)
    with pytest.raises(InvalidValueError, match=r"^tolerance: "):
        agree(q, q, bad)


def test_interval_rejects_a_label():
    """Only quantities have intervals."""
    with pytest.raises(InvalidValueError, match=r"^q: "):
        interval(Label("x"))  # type: ignore[arg-type]


@given(quantities(), tolerances())
def test_interval_is_never_empty(q, t):
    """Every quantity's interval contains its amount or lies next to it."""
    i = interval(q, t)
    assert i.intersects(i)
    if q.qualifier not in {Qualifier.MORE_THAN, Qualifier.FEWER_THAN}:
        assert i.contains(q.amount)
    else:
        assert not i.contains(q.amount)


@given(quantities(), tolerances())
def test_ends_are_the_ends_of_the_interval(q, t):
    """`ends` gives `interval`'s ends as (number, closed) pairs, for the state's spread."""
    i = interval(q, t)
    assert ends(q, t) == ((i.low, i.low_closed), (i.high, i.high_closed))
    with pytest.raises(InvalidValueError, match=r"^q: "):
        ends(Label("x"))  # type: ignore[arg-type]


@given(numbers(), numbers())
def test_interval_of_range_contains_both_ends(a, b):
    """A range's interval contains its low and its high end."""
    low, high = min(a, b), max(a, b)
    i = interval(Quantity(amount=low, qualifier="range", high=high))
    assert i.contains(low)
    assert i.contains(high)


# --- agree --------------------------------------------------------------------


@given(claim_values(), tolerances())
def test_agree_is_reflexive(v, t):
    """Every value agrees with itself, at any tolerance."""
    assert agree(v, v, t)


@given(claim_values(), claim_values(), tolerances())
def test_agree_is_symmetric(a, b, t):
    """Agreement does not depend on the order of the values."""
    assert agree(a, b, t) == agree(b, a, t)


@given(st.data(), numbers(), units(), tolerances())
def test_exact_values_agree_iff_equal(data, n, unit, t):
    """Two exact quantities with the same unit agree exactly when their amounts are equal."""
    m = data.draw(st.one_of(st.just(n), numbers()))
    a = Quantity(amount=n, unit=unit)
    b = Quantity(amount=m, unit=unit)
    assert agree(a, b, t) == (n == m)


@given(numbers(), units(), units())
def test_units_must_match(n, unit_a, unit_b):
    """Equal amounts agree only when the units are equal, case-folded."""
    same = _fold(unit_a) == _fold(unit_b)
    assert agree(Quantity(amount=n, unit=unit_a), Quantity(amount=n, unit=unit_b)) == same


@given(numbers(), units(), tolerances())
def test_more_than_never_agrees_with_exact_same(n, unit, t):
    """``more_than n`` excludes ``n`` itself, as ``fewer_than n`` does."""
    exact = Quantity(amount=n, unit=unit)
    assert not agree(Quantity(amount=n, qualifier="more_than", unit=unit), exact, t)
    assert not agree(Quantity(amount=n, qualifier="fewer_than", unit=unit), exact, t)


@given(st.data(), numbers(), tolerances())
def test_approximately_agrees_with_exact_within_tolerance(data, n, t):
    """``approximately n`` agrees with ``exact m`` iff ``|m - n| <= t * |n|``."""
    with localcontext() as ctx:
        ctx.prec = 500
        reach = t * abs(_exact(n))
        candidates = [n + reach, n - reach, n + reach + Decimal("1E-30"), n - reach / 2]
    m = data.draw(st.one_of(numbers(), st.sampled_from(candidates)))
    try:
        m = number(m)
    except InvalidValueError:
        reject()
    with localcontext() as ctx:
        ctx.prec = 500
        expected = abs(_exact(m) - _exact(n)) <= t * abs(_exact(n))
    approximately = Quantity(amount=n, qualifier="approximately")
    assert agree(approximately, Quantity(amount=m), t) == expected


@given(st.data(), numbers(), tolerances())
def test_at_least_agrees_with_exact_iff_not_below(data, n, t):
    """``at_least n`` agrees with ``exact m`` iff ``m >= n``."""
    m = data.draw(st.one_of(st.just(n), numbers()))
    assert agree(Quantity(amount=n, qualifier="at_least"), Quantity(amount=m), t) == (m >= n)


@given(quantities(), labels(), tolerances())
def test_label_never_agrees_with_quantity(q, label, t):
    """A label and a quantity never agree, whichever comes first."""
    assert not agree(q, label, t)
    assert not agree(label, q, t)


def test_labels_agree_when_trimmed_and_case_folded():
    """Labels compare trimmed and case-folded, not as given."""
    assert agree(Label("  Kherson "), Label("KHERSON"))
    assert agree(Label("Straße"), Label("STRASSE"))
    assert not agree(Label("Kherson"), Label("Kharkiv"))


def test_quantities_agree_when_intervals_meet():
    """Overlapping claims in the same unit agree; disjoint ones do not."""
    assert agree(Quantity(amount=100, qualifier="approximately"), Quantity(amount=110))
    assert not agree(Quantity(amount=100, qualifier="approximately"), Quantity(amount=111))
    assert agree(
        Quantity(amount=5, qualifier="at_most", unit="km"),
        Quantity(amount=1, qualifier="range", high=5, unit="KM"),
    )
    assert not agree(Quantity(amount=5, unit="km"), Quantity(amount=5))


def test_agree_rejects_non_values():
    """Only quantities and labels can be compared."""
    with pytest.raises(InvalidValueError, match=r"^b: "):
        agree(Label("x"), "x")  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match=r"^a: "):
        agree(3, Quantity(amount=3))  # type: ignore[arg-type]


def test_qualifier_values():
    """The qualifiers' string values are the ones stored."""
    assert [q.value for q in Qualifier] == [
        "exact",
        "approximately",
        "at_least",
        "more_than",
        "at_most",
        "fewer_than",
        "range",
    ]


@pytest.mark.parametrize("unit", ["people", "Soldiers", "casualties"])
def test_counted_units_refuse_negative_amounts(unit):
    """A quantity of counted things (people, soldiers) cannot be negative."""
    with pytest.raises(InvalidValueError, match="amount: -3 is negative"):
        Quantity(amount=-3, unit=unit)
    assert Quantity(amount=0, unit=unit).amount == 0


def test_other_units_allow_negative_amounts():
    """A change or a balance may be negative when its unit is not a count."""
    assert str(Quantity(amount=-3, unit="USD")) == "-3 USD"


@given(st.lists(claim_values(), max_size=6), tolerances())
def test_all_agree_is_agree_on_every_pair(values, tolerance):
    """all_agree answers exactly as agree does on every pair, in one pass."""
    pairwise = all(agree(a, b, tolerance) for a in values for b in values)
    assert all_agree(values, tolerance) == pairwise
