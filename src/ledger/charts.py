"""
Charts: what a plot of one subject shows, as plain data.

Rules of this module:

- Nothing here draws, reads a ledger or imports matplotlib: `chart` turns a
  subject's history (`ledger.projections.history.history`) into a `Chart`,
  and `ledger.plot` draws it.
- The x axis is stated time. A change is placed at the start of the period
  its stated time means (``2022-03-02`` at midnight UTC). History comes in
  replay order, which sorts by the end of that period, so a coarse stamp may
  start before the change drawn just before it: a series' point is never
  placed before its previous point, so each line stays a step function in
  the order the ledger applies it.
- One `Series` per source. A source's value at a moment is the value of its
  claim about the subject that changed most recently and still stands; when
  all of them are retracted its line stops (a point without a value) until
  it claims again.
- A quantity is drawn at its amount (a range at its middle) with, unless it
  is exact, a band over the numbers it allows (`ledger.values.interval`); an
  unbounded end is infinite and reaches the edge of the chart. A label is a
  span from its point to the series' next point, or to the chart's end.
- Rebuttals, corroborations, retractions and corrections are `Marker` s on
  the series of the claim they concern, at the value they concern, at their
  stated time; a correction (which has none) at the stated time of the
  record it corrects.
- The chart runs from its earliest point or marker to the end of *at* when
  given, else to the end of the latest stated period.
- Coordinates are floats: a chart is a picture. The exact values stay in
  `Point.value` and, as people write them, in `Point.text`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Final

import attrs

from ledger.errors import ChartError
from ledger.output import change_text, value_text
from ledger.projections.history import Change
from ledger.times import Stamp
from ledger.values import Label, Qualifier, Quantity, Value, interval

__all__ = ["MARKER_KINDS", "Chart", "Marker", "Point", "Series", "chart"]

MARKER_KINDS: Final = ("rebuttal", "corroboration", "retraction", "correction")
"""
The kinds of change drawn as markers, in the order a legend lists them.

.. versionadded:: 0.1.0
"""

# Room left above and below the values, as a share of their spread; more on
# a side where a band is unbounded, so the band visibly runs off the chart.
_PAD: Final = 0.08
_OPEN_PAD: Final = 0.25


@attrs.frozen(kw_only=True)
class Point:
    """
    One step of a source's line: its value from `at` until the next point.

    Attributes:
        at: Where the step starts (an aware UTC datetime).
        value: The source's value from then on; ``None`` once all its claims
            about the subject are retracted.
        text: *value* as people write it (``~498 people``); empty for ``None``.
        y: Where the line is drawn: the amount, or a range's middle;
            ``None`` for a label or no value.
        band: The numbers a non-exact quantity allows, ``(low, high)``, an
            unbounded end infinite; ``None`` for an exact quantity, a label
            or no value.

    .. versionadded:: 0.1.0
    """

    at: datetime
    value: Value | None
    text: str
    y: float | None
    band: tuple[float, float] | None


@attrs.frozen(kw_only=True)
class Series:
    """
    One source's value over stated time.

    .. versionadded:: 0.1.0
    """

    source: str
    points: tuple[Point, ...]

    @property
    def quantities(self) -> bool:
        """Whether any point of the series is a quantity."""
        return any(isinstance(p.value, Quantity) for p in self.points)

    @property
    def labels(self) -> bool:
        """Whether any point of the series is a label."""
        return any(isinstance(p.value, Label) for p in self.points)

    def segments(self, end: datetime) -> Iterator[tuple[datetime, datetime, Point]]:
        """
        Yield each point with the time it holds until: the next point's, or *end*.

        .. versionadded:: 0.1.0
        """
        for point, after in zip(self.points, (*self.points[1:], None), strict=True):
            yield point.at, end if after is None else after.at, point


@attrs.frozen(kw_only=True)
class Marker:
    """
    A rebuttal, corroboration, retraction or correction, on the series it concerns.

    Attributes:
        kind: One of `MARKER_KINDS`.
        id: The record's id.
        at: Its stated time's start (a correction: that of what it corrects).
        source: Who said it; ``None`` for a correction, which the ledger made.
        series: The source of the claim it concerns: the series it sits on.
        value: The value it concerns (disputed, confirmed, withdrawn or
            corrected), ``None`` if that claim no longer stands.
        y: Where it is drawn: as `Point.y` for *value*.
        text: What it did, in a few words (`ledger.output.change_text`).

    .. versionadded:: 0.1.0
    """

    kind: str
    id: str
    at: datetime
    source: str | None
    series: str
    value: Value | None
    y: float | None
    text: str


@attrs.frozen(kw_only=True)
class Chart:
    """
    Everything a plot of one subject shows.

    Attributes:
        subject: The subject key.
        at: Only what was stated by then, if given.
        known_at: Only what the ledger had recorded by then, if given.
        start: The left edge of the time axis.
        end: The right edge: where the last steps stop.
        series: One per source that claimed a value, in order of first claim.
        markers: In stated order.
        y_range: The value axis ``(low, high)``: every finite value and band
            end with room around them, but never below zero when nothing
            claimed is negative; ``None`` when no quantity is shown.
        units: The units of the quantities shown, in order of appearance.

    .. versionadded:: 0.1.0
    """

    subject: str
    at: Stamp | None
    known_at: Stamp | None
    start: datetime
    end: datetime
    series: tuple[Series, ...]
    markers: tuple[Marker, ...]
    y_range: tuple[float, float] | None
    units: tuple[str, ...]

    @property
    def sources(self) -> tuple[str, ...]:
        """Every source the chart shows: the series', then the markers' own."""
        names = [s.source for s in self.series]
        names += [m.source for m in self.markers if m.source is not None]
        return tuple(dict.fromkeys(names))


def _y(value: Value | None) -> float | None:
    if not isinstance(value, Quantity):
        return None
    if value.qualifier is Qualifier.RANGE and value.high is not None:
        return (float(value.amount) + float(value.high)) / 2
    return float(value.amount)


def _band(value: Value | None) -> tuple[float, float] | None:
    if not isinstance(value, Quantity) or value.qualifier is Qualifier.EXACT:
        return None
    allowed = interval(value)
    low = -math.inf if allowed.low is None else float(allowed.low)
    high = math.inf if allowed.high is None else float(allowed.high)
    return (low, high)


def _point(at: datetime, value: Value | None) -> Point:
    text = "" if value is None else value_text(value)
    return Point(at=at, value=value, text=text, y=_y(value), band=_band(value))


class _Builder:
    """The fold of a history into series and markers: state kept while walking it."""

    def __init__(self) -> None:
        self.source_of: dict[str, str] = {}  # claim id -> its source
        # source -> its standing claims' values, the most recently changed last
        self.standing: dict[str, dict[str, Value]] = {}
        self.points: dict[str, list[Point]] = {}
        self.markers: list[Marker] = []
        self.stated: dict[str, datetime] = {}  # record id -> where it was placed
        self.kind_of: dict[str, str] = {}  # record id -> its kind
        self.retracted: set[str] = set()  # claims retracted as a whole

    def step(self, change: Change) -> None:
        if change.kind == "correction":
            # Corrections were applied by replay already: only a marker is new.
            at = self.stated.get(change.target or "", self._latest())
        else:
            at = change.stated_at.start if change.stated_at is not None else self._latest()
            self.stated[change.id] = at
        self.kind_of[change.id] = change.kind
        if change.kind == "claim" and change.source is not None:
            self.source_of[change.claim_id] = change.source
        owner = self.source_of.get(change.claim_id, change.source or "")
        # Withdrawing a rebuttal leaves the claim's value as it was.
        withdrawn = self.kind_of.get(change.target or "") if change.kind == "retraction" else None
        if withdrawn == "claim":
            self.retracted.add(change.claim_id)
        if change.kind in {"claim", "revision"} or withdrawn in {"claim", "revision"}:
            # As in the state, a retracted claim stays retracted, even if a
            # revision is stated after its retraction in replay order.
            value = None if change.claim_id in self.retracted else change.value
            self._move(owner, change.claim_id, value, at)
        if change.kind in MARKER_KINDS:
            concerned = change.value if change.kind == "correction" else change.previous
            self.markers.append(
                Marker(
                    kind=change.kind,
                    id=change.id,
                    at=at,
                    source=change.source,
                    series=owner,
                    value=concerned,
                    y=_y(concerned),
                    text=change_text(change),
                )
            )

    def _move(self, source: str, claim_id: str, value: Value | None, at: datetime) -> None:
        standing = self.standing.setdefault(source, {})
        standing.pop(claim_id, None)
        if value is not None:
            standing[claim_id] = value
        now = next(reversed(standing.values()), None)
        points = self.points.setdefault(source, [])
        if points:
            at = max(at, points[-1].at)  # never step back: see the module's rules
        points.append(_point(at, now))

    def _latest(self) -> datetime:
        return max(self.stated.values())


def _y_range(series: Sequence[Series], markers: Sequence[Marker]) -> tuple[float, float] | None:
    ends: list[float] = []
    open_low = open_high = False
    for point in (p for s in series for p in s.points):
        if point.y is not None:
            ends.append(point.y)
        if point.band is not None:
            low, high = point.band
            open_low = open_low or math.isinf(low)
            open_high = open_high or math.isinf(high)
            ends += [e for e in point.band if not math.isinf(e)]
    ends += [m.y for m in markers if m.y is not None]
    if not ends:
        return None
    low, high = min(ends), max(ends)
    spread = high - low or abs(high) or 1.0
    bottom = low - spread * (_OPEN_PAD if open_low else _PAD)
    top = high + spread * (_OPEN_PAD if open_high else _PAD)
    if low >= 0:
        # Nobody claimed a negative: start at zero rather than suggest one,
        # even under a band unbounded below ("at most 5000 people").
        bottom = max(bottom, 0.0)
    return (bottom, top)


def chart(
    subject: str,
    changes: Sequence[Change],
    *,
    at: Stamp | None = None,
    known_at: Stamp | None = None,
) -> Chart:
    """
    Return the chart of *subject* from its history.

    Args:
        subject: The subject key.
        changes: Its history, in stated order, as `ledger.Ledger.history`
            returns it for *subject*, with the same *at* (as ``until``) and
            *known_at*. Changes to other subjects are left out.
        at: The cut-off the history was read with: the chart ends with it.
        known_at: The recording cut-off the history was read with (shown in
            the chart's title only).

    Raises:
        ChartError: Nothing about *subject* is in *changes*.

    .. versionadded:: 0.1.0
    """
    own = [c for c in changes if c.subject == subject]
    if not own:
        when = "" if at is None else f" by {at}"
        known = "" if known_at is None else f" as known at {known_at}"
        raise ChartError(f"nothing about {subject!r} was stated{when}{known}: nothing to plot")
    builder = _Builder()
    for change in own:
        builder.step(change)
    series = tuple(Series(source=s, points=tuple(p)) for s, p in builder.points.items())
    markers = tuple(builder.markers)
    times = [p.at for s in series for p in s.points] + [m.at for m in markers]
    start = min(times)
    ends = [c.stated_at.end for c in own if c.stated_at is not None]
    end = max(ends) if at is None else at.end
    units = [
        p.value.unit
        for s in series
        for p in s.points
        if isinstance(p.value, Quantity) and p.value.unit is not None
    ]
    return Chart(
        subject=subject,
        at=at,
        known_at=known_at,
        start=start,
        end=max(end, *times),
        series=series,
        markers=markers,
        y_range=_y_range(series, markers),
        units=tuple(dict.fromkeys(units)),
    )
