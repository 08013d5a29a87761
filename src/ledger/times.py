"""Instants as the sources wrote them: ISO 8601 with the precision kept.

Rules of this module:

- A `Stamp` is an interval, not a point: a start and a `Precision`. ``2022-03``
  means all of March 2022, ``2022-03-02T10:15Z`` the whole of that minute. The
  interval runs from `Stamp.start` (inclusive) to `Stamp.end` (exclusive).
- Precision is kept: a stamp prints in the precision it was written in, so
  ``str(parse_stamp(text))`` gives back the same form, in UTC.
- Everything is UTC. A date-time without an offset is read as UTC; one with an
  offset (``Z``, ``+HH:MM``, ``+HHMM``, ``+HH``) is converted to UTC. A bare
  date (``2022``, ``2022-03``, ``2022-03-02``) is a UTC calendar period and
  takes no offset.
- The known-by rule: a stamp is known by a cutoff when its interval ends no
  later than the cutoff's does (``self.end <= cutoff.end``), that is, when the
  latest instant it may mean is no later than the latest instant the cutoff
  may mean. A cutoff written as a day means the end of that day: ``2022-03``
  is known by ``2022-03-31`` but not by ``2022-03-30``.
- Replay orders stamps by `Stamp.sort_key`, ``(until_us, start_us)``: first by
  the end of the interval, then by its start, both as integer microseconds
  since the Unix epoch. Comparison operators follow the same order.
- Range: years 1 to 9999 in UTC, and the whole interval must end at a
  representable instant, so the last period of 9999 (the year ``9999``, the day
  ``9999-12-31``, ...) is refused.
- Every malformed string raises `ledger.errors.TimeFormatError`, quoting it.
"""

from __future__ import annotations

import enum
import functools
import re
from datetime import UTC, datetime, timedelta, timezone

import attrs

from ledger.errors import TimeFormatError

__all__ = ["Precision", "Stamp", "format_utc", "parse_stamp", "until_us", "utc_now"]

_MAX_LENGTH = 64
_SHOWN_PREFIX = 40
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)

# re.ASCII: without it `\d` also matches digits of other scripts ("٢٠٢٢").
_STAMP = re.compile(
    r"""
    (?P<year>\d{4})
    (?:-(?P<month>\d{2})
      (?:-(?P<day>\d{2})
        (?:[Tt\ ](?P<hour>\d{2}):(?P<minute>\d{2})
          (?::(?P<second>\d{2})(?:\.(?P<fraction>\d{1,6}))?)?
          (?P<offset>[Zz]|(?P<sign>[+-])(?P<off_hour>\d{2})(?::?(?P<off_minute>\d{2}))?)?
        )?
      )?
    )?
    """,
    re.ASCII | re.VERBOSE,
)
# Only used to explain a failure: a bare date followed by an offset.
_DATE_WITH_OFFSET = re.compile(
    r"\d{4}(?:-\d{2}(?:-\d{2})?)?(?:[Zz]|[+-]\d{2}(?::?\d{2})?)", re.ASCII
)
_FORMS = "expected YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS[.ffffff]][Z|+HH:MM]"


class Precision(enum.IntEnum):
    """How finely a `Stamp` was written, from coarse to fine.

    .. versionadded:: 0.1.0
    """

    YEAR = enum.auto()
    MONTH = enum.auto()
    DAY = enum.auto()
    MINUTE = enum.auto()
    SECOND = enum.auto()
    MICROSECOND = enum.auto()


_STEPS = {
    Precision.DAY: timedelta(days=1),
    Precision.MINUTE: timedelta(minutes=1),
    Precision.SECOND: timedelta(seconds=1),
    Precision.MICROSECOND: _ONE_US,
}


def _truncate(moment: datetime, precision: Precision) -> datetime:
    """Drop every part of *moment* finer than *precision*."""
    if precision is Precision.YEAR:
        return moment.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    if precision is Precision.MONTH:
        return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if precision is Precision.DAY:
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if precision is Precision.MINUTE:
        return moment.replace(second=0, microsecond=0)
    if precision is Precision.SECOND:
        return moment.replace(microsecond=0)
    return moment


def _end_of(start: datetime, precision: Precision) -> datetime:
    """Return the exclusive end of the period of *precision* that begins at *start*.

    Raises:
        ValueError: If the end falls after year 9999.
        OverflowError: Idem, for steps of a day or less.
    """
    if precision is Precision.YEAR:
        return start.replace(year=start.year + 1)
    if precision is Precision.MONTH:
        if start.month == 12:
            return start.replace(year=start.year + 1, month=1)
        return start.replace(month=start.month + 1)
    return start + _STEPS[precision]


def _micros(moment: datetime) -> int:
    """Return *moment* as integer microseconds since the Unix epoch, exactly."""
    return (moment - _EPOCH) // _ONE_US


def _as_utc(value: datetime) -> datetime:
    """Give a datetime already at UTC offset zero the canonical `UTC` tzinfo."""
    if isinstance(value, datetime) and value.utcoffset() == timedelta(0):
        return value.replace(tzinfo=UTC)
    return value  # Anything else is left for the checks to refuse.


@attrs.frozen(order=False, repr=False)
class Stamp:
    """An instant as written, with its precision: the interval it may mean.

    Build one with `parse_stamp` (or `Stamp.parse`) from text, or with
    `Stamp.from_datetime` from an aware datetime. Equality is by start and
    precision; ordering is by `sort_key`, which agrees with equality.

    Attributes:
        start: The first instant of the interval, an aware UTC datetime
            truncated to *precision*.
        precision: How finely the instant was written.

    .. versionadded:: 0.1.0
    """

    start: datetime = attrs.field(converter=_as_utc)
    precision: Precision
    # Computed once: replay sorts and compares stamps constantly.
    _key: tuple[int, int] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        """Check that *start* is aware UTC and truncated to *precision*.

        Raises:
            TimeFormatError: If it is not, or if the interval ends after 9999.
        """
        start, precision = self.start, self.precision
        if not isinstance(precision, Precision):
            raise TimeFormatError(f"not a Precision: {precision!r}")
        if not isinstance(start, datetime):
            raise TimeFormatError(f"not a datetime: {start!r}")
        if start.tzinfo is not UTC:
            raise TimeFormatError(f"not an aware UTC datetime: {start!r}")
        if _truncate(start, precision) != start:
            raise TimeFormatError(f"not truncated to {precision.name} precision: {start!r}")
        try:
            end = _end_of(start, precision)
        except (ValueError, OverflowError):
            raise TimeFormatError(
                f"{precision.name} period starting {start!r} ends after year 9999"
            ) from None
        object.__setattr__(self, "_key", (_micros(end), _micros(start)))

    @classmethod
    def _known_good(cls, start: datetime, precision: Precision, key: tuple[int, int]) -> Stamp:
        # For a start the parser built truncated and in UTC, with its sort
        # key: the checks of __attrs_post_init__ hold by construction.
        stamp = object.__new__(cls)
        object.__setattr__(stamp, "start", start)
        object.__setattr__(stamp, "precision", precision)
        object.__setattr__(stamp, "_key", key)
        return stamp

    @classmethod
    def parse(cls, text: str) -> Stamp:
        """Parse an ISO 8601 string; the same as `parse_stamp`.

        .. versionadded:: 0.1.0
        """
        return parse_stamp(text)

    @classmethod
    def from_datetime(cls, dt: datetime, precision: Precision = Precision.MICROSECOND) -> Stamp:
        """Return the stamp of *precision* that contains the aware datetime *dt*.

        Args:
            dt: An aware datetime, in any time zone; it is converted to UTC.
            precision: The precision to keep; finer parts of *dt* are dropped.

        Returns:
            The stamp whose interval contains *dt*.

        Raises:
            TimeFormatError: If *dt* is not an aware datetime, or is out of range
                in UTC.

        .. versionadded:: 0.1.0
        """
        return cls(_truncate(_to_utc(dt), precision), precision)

    @property
    def end(self) -> datetime:
        """The exclusive end of the interval: the start of the next period.

        .. versionadded:: 0.1.0
        """
        return _end_of(self.start, self.precision)

    @property
    def start_us(self) -> int:
        """`start` as integer microseconds since the Unix epoch.

        .. versionadded:: 0.1.0
        """
        return self._key[1]

    @property
    def until_us(self) -> int:
        """`end` as integer microseconds since the Unix epoch.

        .. versionadded:: 0.1.0
        """
        return self._key[0]

    @property
    def sort_key(self) -> tuple[int, int]:
        """``(until_us, start_us)``: the order in which replay applies stamps.

        .. versionadded:: 0.1.0
        """
        return self._key

    def known_by(self, cutoff: Stamp) -> bool:
        """Tell whether all this stamp may mean lies no later than *cutoff* may mean.

        That is ``self.end <= cutoff.end``: a cutoff written as a day means the
        end of that day.

        Args:
            cutoff: The stamp to compare with.

        Returns:
            True if this stamp's interval ends no later than *cutoff*'s.

        .. versionadded:: 0.1.0
        """
        return self._key[0] <= cutoff._key[0]

    def isoformat(self) -> str:
        """Return the stamp as ISO 8601 in the precision it was written in.

        Date-times come out in UTC with ``Z``; microseconds always take six digits.

        .. versionadded:: 0.1.0
        """
        s = self.start
        precision = self.precision
        if precision is Precision.YEAR:
            return f"{s.year:04d}"
        if precision is Precision.MONTH:
            return f"{s.year:04d}-{s.month:02d}"
        day = f"{s.year:04d}-{s.month:02d}-{s.day:02d}"
        if precision is Precision.DAY:
            return day
        minute = f"{day}T{s.hour:02d}:{s.minute:02d}"
        if precision is Precision.MINUTE:
            return f"{minute}Z"
        if precision is Precision.SECOND:
            return f"{minute}:{s.second:02d}Z"
        return _format(s)

    def __str__(self) -> str:
        """Return `isoformat`."""
        return self.isoformat()

    def __repr__(self) -> str:
        """Return an expression that rebuilds the stamp."""
        return f"Stamp.parse({self.isoformat()!r})"

    def __lt__(self, other: object) -> bool:
        """Order by `sort_key`."""
        if not isinstance(other, Stamp):
            return NotImplemented
        return self.sort_key < other.sort_key

    def __le__(self, other: object) -> bool:
        """Order by `sort_key`."""
        if not isinstance(other, Stamp):
            return NotImplemented
        return self.sort_key <= other.sort_key

    def __gt__(self, other: object) -> bool:
        """Order by `sort_key`."""
        if not isinstance(other, Stamp):
            return NotImplemented
        return self.sort_key > other.sort_key

    def __ge__(self, other: object) -> bool:
        """Order by `sort_key`."""
        if not isinstance(other, Stamp):
            return NotImplemented
        return self.sort_key >= other.sort_key


def _to_utc(dt: datetime) -> datetime:
    """Convert the aware datetime *dt* to UTC.

    Raises:
        TimeFormatError: If *dt* is not an aware datetime or leaves the range.
    """
    if not isinstance(dt, datetime):
        raise TimeFormatError(f"not a datetime: {dt!r}")
    if dt.utcoffset() is None:
        raise TimeFormatError(f"not an aware datetime: {dt!r}: naive")
    try:
        return dt.astimezone(UTC)
    except (ValueError, OverflowError):
        raise TimeFormatError(
            f"not a datetime in range: {dt!r}: outside years 1..9999 in UTC"
        ) from None


def _bad(text: str, reason: str) -> TimeFormatError:
    """Build the error for *text*, quoted, and why it was refused."""
    return TimeFormatError(f"not an ISO 8601 time: {text!r}: {reason}")


def parse_stamp(text: str) -> Stamp:
    """Parse an ISO 8601 string into a `Stamp`, keeping its precision.

    Accepted forms: ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``, ``YYYY-MM-DDTHH:MM``,
    ``YYYY-MM-DDTHH:MM:SS`` and ``YYYY-MM-DDTHH:MM:SS.f`` with 1 to 6 fraction
    digits (always microsecond precision, even ``.000``). The ``T`` may be
    ``t`` or a space. A date-time may end in ``Z`` (or ``z``), ``+HH:MM``,
    ``+HHMM`` or ``+HH`` (or ``-``); without one it is UTC. Offsets are
    converted to UTC.

    Args:
        text: The string to parse, at most 64 characters.

    Returns:
        The stamp, in UTC.

    Raises:
        TimeFormatError: If *text* is not a string, not one of the forms above,
            names an impossible date or time, or falls outside years 1..9999
            in UTC. The message quotes *text*.

    .. versionadded:: 0.1.0
    """
    if isinstance(text, str) and len(text) <= _MAX_LENGTH:
        return _parse_cached(text)
    return _parse(text)


@functools.lru_cache(maxsize=1 << 13)
def _parse_cached(text: str) -> Stamp:
    # Stored events repeat the same few thousand days and batch times;
    # stamps are immutable, so reading them back can share one object. Kept
    # small: a miss costs about 2 us, and 65,536 entries held 26 MB.
    return _parse_canonical(text) or _parse(text)


# The forms `Stamp.isoformat` writes for a day or finer, so every stamp read
# back from a store; months and years are rare enough for the general path.
_CANONICAL = re.compile(r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{6})?)?Z)?", re.ASCII)
_CANONICAL_FORMS = {  # by length: the precision, and its step in microseconds
    10: (Precision.DAY, 86_400_000_000),
    17: (Precision.MINUTE, 60_000_000),
    20: (Precision.SECOND, 1_000_000),
    27: (Precision.MICROSECOND, 1),
}
_LAST_END_US = _micros(datetime.max.replace(tzinfo=UTC))


def _canonical(text: str) -> tuple[datetime, Precision, tuple[int, int]] | None:
    """Read a canonical UTC form: its start, precision and sort key; ``None`` otherwise.

    Every recorded time and most stated times a store gives back are new to
    any cache, and the general path costs several times as much: the key is
    integer arithmetic on the start. Anything this path cannot read (an
    impossible date, a period ending after 9999) gets ``None``, for `_parse`
    to explain.
    """
    form = _CANONICAL_FORMS.get(len(text))
    if form is None or _CANONICAL.fullmatch(text) is None:
        return None
    try:
        start = datetime.fromisoformat(text)  # Python 3.11 reads the Z as UTC
    except ValueError:
        return None
    if start.tzinfo is None:  # a date alone
        start = start.replace(tzinfo=UTC)
    precision, step = form
    start_us = (start - _EPOCH) // _ONE_US
    if start_us + step > _LAST_END_US:
        return None
    return start, precision, (start_us + step, start_us)


def _parse_canonical(text: str) -> Stamp | None:
    """Parse a canonical UTC form the quick way; ``None`` for anything else."""
    found = _canonical(text)
    return None if found is None else Stamp._known_good(*found)  # noqa: SLF001 - this module's own


def until_us(text: str) -> int:
    """Return ``parse_stamp(text).until_us``, without a stamp for the canonical forms.

    `ledger.integrity.verify` checks each event's stated-until column against
    its stated time, and a log holds many times seen once. Anything but a
    canonical form goes to `parse_stamp`, which answers or explains.

    Raises:
        TimeFormatError: As `parse_stamp`.

    .. versionadded:: 0.1.0
    """
    found = _canonical(text) if isinstance(text, str) else None
    return parse_stamp(text).until_us if found is None else found[2][0]


def _parse(text: str) -> Stamp:
    if not isinstance(text, str):
        shown = repr(text)
        if len(shown) > _MAX_LENGTH:
            shown = shown[:_SHOWN_PREFIX] + "..."
        raise TimeFormatError(
            f"not an ISO 8601 time: {shown}: expected a str, not {type(text).__name__}"
        )
    if len(text) > _MAX_LENGTH:
        raise TimeFormatError(
            f"not an ISO 8601 time: {text[:_SHOWN_PREFIX]!r}... ({len(text)} characters):"
            f" longer than {_MAX_LENGTH} characters"
        )
    if not text:
        raise _bad(text, "empty")
    match = _STAMP.fullmatch(text)
    if match is None:
        if _DATE_WITH_OFFSET.fullmatch(text):
            raise _bad(text, "a date without a time of day takes no offset")
        raise _bad(text, _FORMS)
    parts = match.groupdict()
    precision = _precision_of(parts)
    zone = _offset(text, parts)  # Outside the `try`: TimeFormatError is a ValueError.
    try:
        moment = datetime(
            int(parts["year"]),
            int(parts["month"] or 1),
            int(parts["day"] or 1),
            int(parts["hour"] or 0),
            int(parts["minute"] or 0),
            int(parts["second"] or 0),
            int((parts["fraction"] or "0").ljust(6, "0")),
            tzinfo=zone,
        ).astimezone(UTC)
    except ValueError as exc:
        raise _bad(text, str(exc)) from None
    except OverflowError:
        raise _bad(text, "outside years 1..9999 in UTC") from None
    try:
        return Stamp(moment, precision)
    except TimeFormatError:
        # The interval would end after 9999-12-31T23:59:59.999999.
        raise _bad(text, "the period it names ends after year 9999") from None


def _precision_of(parts: dict[str, str | None]) -> Precision:
    """Return the precision of the finest part present in a match."""
    if parts["fraction"] is not None:
        return Precision.MICROSECOND
    if parts["second"] is not None:
        return Precision.SECOND
    if parts["minute"] is not None:
        return Precision.MINUTE
    if parts["day"] is not None:
        return Precision.DAY
    if parts["month"] is not None:
        return Precision.MONTH
    return Precision.YEAR


def _offset(text: str, parts: dict[str, str | None]) -> timezone:
    """Return the time zone written in a match; UTC when there is none.

    Raises:
        TimeFormatError: If the offset's hours or minutes are out of range.
    """
    if parts["sign"] is None:
        return UTC  # `Z`, or no offset at all: naive date-times are UTC.
    hours = int(parts["off_hour"] or 0)
    minutes = int(parts["off_minute"] or 0)
    if hours > 23:
        raise _bad(text, "offset hour must be in 0..23")
    if minutes > 59:
        raise _bad(text, "offset minute must be in 0..59")
    size = timedelta(hours=hours, minutes=minutes)
    return timezone(-size if parts["sign"] == "-" else size)


def format_utc(dt: datetime) -> str:
    """Format an aware datetime as UTC with microseconds, as in ``recorded_at``.

    The form is always ``YYYY-MM-DDTHH:MM:SS.ffffffZ``.

    Args:
        dt: An aware datetime, in any time zone.

    Returns:
        The instant in UTC.

    Raises:
        TimeFormatError: If *dt* is naive, not a datetime, or out of range in UTC.

    .. versionadded:: 0.1.0
    """
    return _format(_to_utc(dt))


def _format(moment: datetime) -> str:
    """Write a UTC datetime with microseconds and ``Z``."""
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}.{moment.microsecond:06d}Z"
    )


def utc_now() -> datetime:
    """Return the current time as an aware UTC datetime.

    .. versionadded:: 0.1.0
    """
    return datetime.now(UTC)
