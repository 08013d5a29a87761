"""
Claimed values: a quantity or a label.

Rules of this module:

- A number is an `int` or a `~decimal.Decimal`, never a `float` or a `bool`.
  Strings are parsed exactly, in plain or exponent notation (``"1.5"``,
  ``"-3"``, ``"1e3"``). NaN and infinities are refused, and so is any number
  with more than `MAX_DIGITS` significant digits or a decimal exponent beyond
  ±30, so a number always stays small enough to compare exactly.
- An integral number is an `int`: ``Decimal("2.0")`` becomes ``2``, so equal
  integers have one representation. A fraction keeps the digits it was given:
  ``Decimal("1.50")`` stays ``Decimal("1.50")``.
- A `Quantity` is an amount with a `Qualifier` and an optional unit. Only a
  range has a high end, and it is never below the amount.
- A `Label` is free text: trimmed and case-folded when compared, kept as given.
- Each quantity stands for an `Interval` of the numbers it allows
  (`interval`). Two quantities agree when their units match (case-folded) and
  their intervals share a number; two labels agree when they are equal after
  trimming and case-folding; a label never agrees with a quantity.
- All arithmetic is exact; nothing here does I/O.
"""

from __future__ import annotations

import decimal
import enum
import functools
import re
import unicodedata
from collections.abc import Sequence
from decimal import Decimal
from typing import Final, TypeAlias

import attrs

from ledger.errors import InvalidValueError

__all__ = [
    "COUNT_UNITS",
    "DEFAULT_TOLERANCE",
    "MAX_DIGITS",
    "End",
    "Interval",
    "Label",
    "Number",
    "Qualifier",
    "Quantity",
    "Value",
    "agree",
    "all_agree",
    "ends",
    "interval",
    "number",
]

Number: TypeAlias = int | Decimal
"""
An exact number: an `int`, or a `~decimal.Decimal` that is not integral.

.. versionadded:: 0.1.0
"""

MAX_DIGITS = 30
"""
The most significant digits a number may have.

.. versionadded:: 0.1.0
"""

DEFAULT_TOLERANCE = Decimal("0.10")
"""
How far, as a share of its amount, an *approximately* quantity reaches.

.. versionadded:: 0.1.0
"""

# The largest decimal exponent (in absolute value) a number may have; together
# with MAX_DIGITS it keeps every number, and every interval end computed from
# one, a few hundred digits at most.
_MAX_EXPONENT = 30
# Plain or exponent notation, ASCII digits only. `Decimal()` alone would also
# take surrounding blanks, "1_000", non-ASCII digits, NaN and Infinity.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
# Interval ends are sums of products of bounded numbers (see above), so this
# precision is never reached; Inexact is trapped to prove it.
_EXACT = decimal.Context(
    prec=1000,
    rounding=decimal.ROUND_HALF_EVEN,
    traps=[decimal.Inexact, decimal.InvalidOperation, decimal.Overflow, decimal.Underflow],
)
_UNIT_MAX = 64
_LABEL_MAX = 500
# Control characters and lone surrogates: neither belongs in text a person
# would read, and surrogates cannot even be encoded as UTF-8.
_BAD_CATEGORIES = frozenset({"Cc", "Cs"})
_SHOW_MAX = 40
# Ints beyond this many bits (about 3000 digits) are refused without being
# converted, since converting is slow and str() refuses beyond 4300 digits.
_HUGE_BITS = 10_000
_PLAIN_INT = 10**MAX_DIGITS


def _show(x: object) -> str:
    """Return a short, safe rendering of *x* for an error message."""
    if isinstance(x, int) and x.bit_length() > _HUGE_BITS:
        return f"an integer of {x.bit_length()} bits"
    text = repr(x) if isinstance(x, str) else str(x)
    if len(text) > _SHOW_MAX:
        text = f"{text[: _SHOW_MAX - 3]}..." + ("'" if isinstance(x, str) else "")
    return text


def number(x: object, field: str = "amount") -> Number:
    """
    Return *x* as an exact number, or raise.

    Args:
        x: An `int`, a `~decimal.Decimal`, or a string in plain or exponent
            notation (``"1.5"``, ``"-3"``, ``"1e3"``).
        field: The name of the field *x* came from, for the error message.

    Returns:
        An `int` if *x* is integral, else *x* as a `~decimal.Decimal` with its
        digits as given.

    Raises:
        InvalidValueError: If *x* is a `float`, a `bool`, another type, a
            string that is not a number, NaN, an infinity, or has more than
            `MAX_DIGITS` significant digits or an exponent beyond ±30.

    .. versionadded:: 0.1.0
    """
    if type(x) is str and len(x) <= MAX_DIGITS and x.isascii() and x.isdigit():
        # A plain count, the commonest amount written and read back: no
        # digit or exponent limit can be exceeded, and int() reads it exactly.
        return int(x)
    if type(x) is int and -_PLAIN_INT < x < _PLAIN_INT:
        return x  # at most 30 digits: inside every limit, and already exact
    return _number(x, field)


def _number(x: object, field: str) -> Number:
    """`number` for what its quick paths do not take."""
    if isinstance(x, bool):
        raise InvalidValueError(
            f"{field}: {x} is a bool, not a number; pass a Decimal, an int or a string"
        )
    if isinstance(x, float):
        raise InvalidValueError(
            f"{field}: float {x!r} is not exact; pass a Decimal, an int or a string such as '1.5'"
        )
    if isinstance(x, int):
        if x.bit_length() > _HUGE_BITS:
            raise _out_of_range(x, field)
        d = Decimal(int(x))
    elif isinstance(x, Decimal):
        d = x
    elif isinstance(x, str):
        if not _NUMBER.fullmatch(x):
            raise InvalidValueError(
                f"{field}: {_show(x)} is not a number the ledger accepts; "
                "write plain or exponent notation such as '1.5', '-3' or '1e3'"
            )
        try:
            d = Decimal(x)
        except decimal.InvalidOperation:
            # Only an exponent too large for the decimal module gets here.
            raise _out_of_range(x, field) from None
    else:
        raise InvalidValueError(
            f"{field}: a {type(x).__name__} is not a number; pass a Decimal, an int or a string"
        )
    return _check(d, x, field)


def _check(d: Decimal, given: object, field: str) -> Number:
    """Bound the finite *d* and return it in its one representation."""
    if not d.is_finite():
        name = "sNaN" if d.is_snan() else "NaN" if d.is_nan() else "Infinity"
        sign = "-" if d.is_signed() and d.is_infinite() else ""
        raise InvalidValueError(f"{field}: {sign}{name} is not a number the ledger accepts")
    if d.is_zero():
        return 0
    coefficient = d.as_tuple().digits
    integral = d == d.to_integral_value()
    # Trailing zeros of an integer only place it, so they do not count; in a
    # fraction they are written on purpose ("1.50") and do.
    digits = len(_strip_zeros(coefficient) if integral else coefficient)
    if digits > MAX_DIGITS:
        raise InvalidValueError(
            f"{field}: {_show(given)} has {digits} significant digits; "
            f"the ledger accepts at most {MAX_DIGITS}"
        )
    if abs(d.adjusted()) > _MAX_EXPONENT:
        raise _out_of_range(given, field)
    if integral:
        return int(d)
    return d if type(d) is Decimal else Decimal(d)


def _strip_zeros(digits: tuple[int, ...]) -> tuple[int, ...]:
    end = len(digits)
    while end > 1 and digits[end - 1] == 0:
        end -= 1
    return digits[:end]


def _out_of_range(given: object, field: str) -> InvalidValueError:
    return InvalidValueError(
        f"{field}: {_show(given)} is out of range; the ledger accepts numbers whose "
        f"magnitude is 0 or from 1E-{_MAX_EXPONENT} to below 1E+{_MAX_EXPONENT + 1}"
    )


class Qualifier(enum.StrEnum):
    """
    How a quantity's amount is meant.

    .. versionadded:: 0.1.0
    """

    EXACT = "exact"
    APPROXIMATELY = "approximately"
    AT_LEAST = "at_least"
    MORE_THAN = "more_than"
    AT_MOST = "at_most"
    FEWER_THAN = "fewer_than"
    RANGE = "range"


_QUALIFIERS: Final = {q.value: q for q in Qualifier}


def _qualifier(x: object) -> Qualifier:
    """Return *x* as a `Qualifier`, accepting its string value."""
    # A dict, not Qualifier(x): the enum's call costs a microsecond a quantity.
    found = _QUALIFIERS.get(x) if isinstance(x, str) else None
    if found is not None:
        return found
    choices = ", ".join(q.value for q in Qualifier)
    raise InvalidValueError(f"qualifier: {_show(x)} is not one of {choices}")


def _high(x: object) -> Number | None:
    """Return the high end of a range, or ``None``."""
    return None if x is None else number(x, field="value_high")


def _text(x: object, field: str, limit: int) -> str:
    """Return *x* if it is non-blank text of at most *limit* characters, else raise."""
    if not isinstance(x, str):
        raise InvalidValueError(f"{field}: must be a string, not {type(x).__name__}")
    if not x.strip():
        raise InvalidValueError(f"{field}: must not be empty or blank")
    if len(x) > limit:
        raise InvalidValueError(f"{field}: {len(x)} characters is over the limit of {limit}")
    for ch in x:
        if unicodedata.category(ch) in _BAD_CATEGORIES:
            raise InvalidValueError(
                f"{field}: contains the control character U+{ord(ch):04X}, which is not allowed"
            )
    return str(x)


def _unit(x: object) -> str | None:
    """Return the unit trimmed, or ``None``."""
    if x is None:
        return None
    if isinstance(x, str):
        return _checked_unit(x)
    return _text(x, "unit", _UNIT_MAX)


@functools.lru_cache(maxsize=4096)
def _checked_unit(x: str) -> str:
    # A ledger names few units, and checking one walks its characters.
    return _text(x.strip(), "unit", _UNIT_MAX)


COUNT_UNITS: frozenset[str] = frozenset(
    {
        "people",
        "persons",
        "civilians",
        "soldiers",
        "troops",
        "children",
        "deaths",
        "casualties",
        "killed",
        "wounded",
        "injured",
        "refugees",
        "prisoners",
        "cases",
        "votes",
        "voters",
        "seats",
        "buildings",
        "vehicles",
        "tanks",
        "aircraft",
    }
)
"""
Units that count things: a quantity in one of them cannot be negative.

.. versionadded:: 0.1.0
"""

_PREFIX = {
    Qualifier.EXACT: "",
    Qualifier.APPROXIMATELY: "~",
    Qualifier.AT_LEAST: "\u2265",
    Qualifier.MORE_THAN: ">",
    Qualifier.AT_MOST: "\u2264",
    Qualifier.FEWER_THAN: "<",
    Qualifier.RANGE: "",
}


@attrs.frozen(kw_only=True)
class Quantity:
    """
    A claimed number: an amount, how it is meant, and its unit.

    Attributes:
        amount: The number claimed; the low end of a range.
        qualifier: How *amount* is meant; a string value is accepted.
        high: The high end of a range, given exactly when *qualifier* is
            `Qualifier.RANGE`, and never below *amount*.
        unit: What is counted or measured (``"people"``, ``"km2"``), trimmed;
            ``None`` for a bare count.

    Raises:
        InvalidValueError: If a field is malformed or the fields do not fit
            together.

    .. versionadded:: 0.1.0
    """

    amount: Number = attrs.field(converter=number)
    qualifier: Qualifier = attrs.field(default=Qualifier.EXACT, converter=_qualifier)
    high: Number | None = attrs.field(default=None, converter=_high)
    unit: str | None = attrs.field(default=None, converter=_unit)

    def __attrs_post_init__(self) -> None:
        """Check that *high* fits *qualifier* and *amount*, and the sign fits *unit*."""
        if self.unit is not None and self.unit.casefold() in COUNT_UNITS and self.amount < 0:
            raise InvalidValueError(
                f"amount: {self.amount} is negative, but {self.unit!r} are counted and "
                "cannot be fewer than none"
            )
        if self.qualifier is Qualifier.RANGE:
            if self.high is None:
                raise InvalidValueError("value_high: a range needs a high end")
            if self.high < self.amount:
                raise InvalidValueError(
                    f"value_high: {self.high} is below the low end {self.amount} of the range"
                )
        elif self.high is not None:
            raise InvalidValueError(
                f"value_high: only a range has a high end, not {self.qualifier.value!r}"
            )

    @property
    def low(self) -> Number:
        """
        The amount, read as the low end of a range.

        .. versionadded:: 0.1.0
        """
        return self.amount

    def __str__(self) -> str:
        """
        Return the quantity as a person would write it: ``~498 people``, ``>7000``.

        .. versionadded:: 0.1.0
        """
        prefix = _PREFIX[self.qualifier]
        text = f"{prefix}{self.amount}"
        if self.qualifier is Qualifier.RANGE:
            text = f"{self.amount}\u2013{self.high}"
        return f"{text} {self.unit}" if self.unit else text


def _label_text(x: object) -> str:
    return _text(x, "label", _LABEL_MAX)


@attrs.frozen
class Label:
    """
    A claimed name or category, such as who controls a town.

    Attributes:
        text: The label as given: not blank, at most 500 characters, no
            control characters. `agree` compares it trimmed and case-folded.

    Raises:
        InvalidValueError: If *text* is malformed.

    .. versionadded:: 0.1.0
    """

    text: str = attrs.field(converter=_label_text)

    def __str__(self) -> str:
        """Return the label's text."""
        return self.text


Value: TypeAlias = Quantity | Label
"""
A claimed value.

.. versionadded:: 0.1.0
"""


def _bound(x: object, field: str) -> Number | None:
    """Return *x* if it is ``None`` or a finite exact number, else raise."""
    if x is None:
        return None
    if isinstance(x, bool) or not isinstance(x, int | Decimal):
        raise InvalidValueError(
            f"{field}: must be an int, a Decimal or None, not {type(x).__name__}"
        )
    if isinstance(x, Decimal) and not x.is_finite():
        raise InvalidValueError(f"{field}: {x} is not a number the ledger accepts")
    return x


def _closed(x: object, field: str) -> bool:
    if not isinstance(x, bool):
        raise InvalidValueError(f"{field}: must be a bool, not {type(x).__name__}")
    return x


def _low(x: object) -> Number | None:
    return _bound(x, "low")


def _high_end(x: object) -> Number | None:
    return _bound(x, "high")


def _low_closed(x: object) -> bool:
    return _closed(x, "low_closed")


def _high_closed(x: object) -> bool:
    return _closed(x, "high_closed")


@attrs.frozen(kw_only=True)
class Interval:
    """
    A non-empty interval of numbers, each end open or closed.

    Attributes:
        low: The low end; ``None`` for minus infinity.
        high: The high end; ``None`` for plus infinity.
        low_closed: Whether *low* itself belongs to the interval; ``False``
            when *low* is ``None``.
        high_closed: Whether *high* itself belongs to the interval; ``False``
            when *high* is ``None``.

    Raises:
        InvalidValueError: If an end is not a finite number or ``None``, an
            infinite end is closed, or the interval is empty.

    .. versionadded:: 0.1.0
    """

    low: Number | None = attrs.field(converter=_low)
    high: Number | None = attrs.field(converter=_high_end)
    low_closed: bool = attrs.field(converter=_low_closed)
    high_closed: bool = attrs.field(converter=_high_closed)

    def __attrs_post_init__(self) -> None:
        """Refuse closed infinite ends and empty intervals."""
        if self.low is None and self.low_closed:
            raise InvalidValueError("low_closed: an infinite low end cannot be closed")
        if self.high is None and self.high_closed:
            raise InvalidValueError("high_closed: an infinite high end cannot be closed")
        if self.low is not None and self.high is not None:
            if self.low > self.high:
                raise InvalidValueError(f"high: {self.high} is below the low end {self.low}")
            if self.low == self.high and not (self.low_closed and self.high_closed):
                raise InvalidValueError(
                    f"interval: equal ends {self.low} must both be closed, else it is empty"
                )

    def contains(self, x: Number) -> bool:
        """
        Return whether the number *x* lies in this interval.

        Raises:
            InvalidValueError: If *x* is not a finite `int` or `~decimal.Decimal`.

        .. versionadded:: 0.1.0
        """
        n = _bound(x, "x")
        if n is None:
            raise InvalidValueError("x: must be an int or a Decimal, not NoneType")
        above_low = self.low is None or self.low < n or (self.low_closed and self.low == n)
        below_high = self.high is None or n < self.high or (self.high_closed and n == self.high)
        return above_low and below_high

    def intersects(self, other: Interval) -> bool:
        """
        Return whether this interval and *other* share at least one number.

        Raises:
            InvalidValueError: If *other* is not an `Interval`.

        .. versionadded:: 0.1.0
        """
        if not isinstance(other, Interval):
            raise InvalidValueError(f"other: must be an Interval, not {type(other).__name__}")
        # The overlap runs from the larger low end to the smaller high end; an
        # end shared by both is in the overlap only if both include it.
        low, low_closed = _larger_low((self.low, self.low_closed), (other.low, other.low_closed))
        high, high_closed = _smaller_high(
            (self.high, self.high_closed), (other.high, other.high_closed)
        )
        if low is None or high is None:
            # Both intervals are non-empty, so an overlap open on one side is too.
            return True
        return low < high or (low == high and low_closed and high_closed)


End: TypeAlias = tuple[Number | None, bool]
"""One end of an interval: its number (``None``: unbounded) and whether it is closed."""


def _larger_low(a: End, b: End) -> End:
    if a[0] is None or (b[0] is not None and b[0] > a[0]):
        return b
    if b[0] is None or a[0] > b[0]:
        return a
    return a[0], a[1] and b[1]


def _smaller_high(a: End, b: End) -> End:
    if a[0] is None or (b[0] is not None and b[0] < a[0]):
        return b
    if b[0] is None or a[0] < b[0]:
        return a
    return a[0], a[1] and b[1]


def _tolerance(tolerance: object) -> Number:
    """Return *tolerance* if it is a bounded exact number >= 0, else raise."""
    if isinstance(tolerance, str) or not isinstance(tolerance, int | Decimal):
        raise InvalidValueError(f"tolerance: must be a Decimal, not {type(tolerance).__name__}")
    t = number(tolerance, field="tolerance")
    if t < 0:
        raise InvalidValueError(f"tolerance: {t} is negative; it must be 0 or more")
    return t


def interval(q: Quantity, tolerance: Decimal = DEFAULT_TOLERANCE) -> Interval:
    """
    Return the interval of numbers the quantity *q* allows.

    ``exact n`` is ``[n, n]``; ``approximately n`` is ``[n - t|n|, n + t|n|]``
    for the tolerance *t*; ``at_least n`` is ``[n, +inf)``; ``more_than n`` is
    ``(n, +inf)``; ``at_most n`` is ``(-inf, n]``; ``fewer_than n`` is
    ``(-inf, n)``; a range is ``[amount, high]``. The unit plays no part.

    Args:
        q: The quantity.
        tolerance: How far an *approximately* quantity reaches, as a share of
            its amount; a `~decimal.Decimal` of 0 or more. An `int` is
            accepted too.

    Returns:
        The interval, its ends computed exactly.

    Raises:
        InvalidValueError: If *q* is not a `Quantity` or *tolerance* is not a
            valid number of 0 or more.

    .. versionadded:: 0.1.0
    """
    low, high = ends(q, tolerance)
    return Interval(low=low[0], high=high[0], low_closed=low[1], high_closed=high[1])


def ends(q: Quantity, tolerance: Decimal = DEFAULT_TOLERANCE) -> tuple[End, End]:
    """
    Return the two ends of `interval` (*q*, *tolerance*), each as ``(number, closed)``.

    The same ends without an `Interval` to hold them: a state of every
    subject takes the spread and the agreement of hundreds of thousands of
    quantities, most of them seen once.

    Raises:
        InvalidValueError: As `interval` does.

    .. versionadded:: 0.1.0
    """
    if not isinstance(q, Quantity):
        raise InvalidValueError(f"q: must be a Quantity, not {type(q).__name__}")
    t = DEFAULT_TOLERANCE if tolerance is DEFAULT_TOLERANCE else _tolerance(tolerance)
    n = q.amount
    low: Number | None = n
    high: Number | None = n
    match q.qualifier:
        case Qualifier.EXACT:
            pass
        case Qualifier.APPROXIMATELY:
            reach = _EXACT.multiply(Decimal(t), _EXACT.abs(Decimal(n)))
            low = _EXACT.subtract(Decimal(n), reach)
            high = _EXACT.add(Decimal(n), reach)
        case Qualifier.AT_LEAST | Qualifier.MORE_THAN:
            high = None
        case Qualifier.AT_MOST | Qualifier.FEWER_THAN:
            low = None
        case Qualifier.RANGE:  # pragma: no branch - the enum is exhausted
            high = q.high
    return (
        (low, low is not None and q.qualifier is not Qualifier.MORE_THAN),
        (high, high is not None and q.qualifier is not Qualifier.FEWER_THAN),
    )


def agree(a: Value, b: Value, tolerance: Decimal = DEFAULT_TOLERANCE) -> bool:
    """
    Return whether two claimed values are compatible.

    Two quantities agree when their units are equal (both ``None``, or equal
    when case-folded) and their intervals (see `interval`) share a number.
    Two labels agree when their texts are equal after trimming and
    case-folding. A label never agrees with a quantity.

    Args:
        a: One value.
        b: The other value.
        tolerance: Passed to `interval` for *approximately* quantities.

    Returns:
        Whether *a* and *b* agree. The relation is symmetric and reflexive.

    Raises:
        InvalidValueError: If *a* or *b* is not a value, or *tolerance* is not
            a valid number of 0 or more.

    .. versionadded:: 0.1.0
    """
    _tolerance(tolerance)
    for name, v in (("a", a), ("b", b)):
        if not isinstance(v, Quantity | Label):
            raise InvalidValueError(
                f"{name}: must be a Quantity or a Label, not {type(v).__name__}"
            )
    if isinstance(a, Label) and isinstance(b, Label):
        return a.text.strip().casefold() == b.text.strip().casefold()
    if isinstance(a, Quantity) and isinstance(b, Quantity):
        if _fold(a.unit) != _fold(b.unit):
            return False
        return interval(a, tolerance).intersects(interval(b, tolerance))
    return False


def all_agree(values: Sequence[Value], tolerance: Decimal = DEFAULT_TOLERANCE) -> bool:
    """
    Return whether every pair of *values* agrees, in linear time.

    The same answer as `agree` on every pair: intervals on a line that meet
    pairwise all share one number (Helly's theorem in one dimension), so it
    is enough to compare the largest low end with the smallest high end.

    .. versionadded:: 0.1.0
    """
    if len(values) < 2:
        return all(agree(v, v, tolerance) for v in values)
    if all(isinstance(v, Label) for v in values):
        return len({v.text.strip().casefold() for v in values if isinstance(v, Label)}) == 1
    quantities = [v for v in values if isinstance(v, Quantity)]
    if len(quantities) != len(values) or len({_fold(q.unit) for q in quantities}) != 1:
        return False
    low, high = ends(quantities[0], tolerance)
    for q in quantities[1:]:
        q_low, q_high = ends(q, tolerance)
        low = _larger_low(low, q_low)
        high = _smaller_high(high, q_high)
    if low[0] is None or high[0] is None:
        return True
    return low[0] < high[0] or (low[0] == high[0] and low[1] and high[1])


def _fold(unit: str | None) -> str | None:
    return None if unit is None else unit.casefold()
