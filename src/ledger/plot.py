"""
Plots: draw a `ledger.charts.Chart` with matplotlib, to PNG or SVG.

Rules of this module:

- matplotlib is an optional extra (``pip install 'ledger[plot]'``). It is
  imported only when something is drawn, so ``import ledger.plot`` always
  works; without it, drawing raises `ledger.errors.MissingExtraError` saying
  how to install it.
- Figures are built with the object API (`matplotlib.figure.Figure`), never
  pyplot: no GUI backend, no global figure registry, nothing left open.
- What is drawn comes from `ledger.charts.chart`; this module only decides
  how it looks. Each source has one colour, for its line, its band, its
  label spans and the markers it made. The legend names every source: its
  line (or its spans), and each kind of marker it made.
- SVG output keeps text as text (``svg.fonttype = 'none'``) so it stays
  searchable and small, and carries no date, so the same chart gives the
  same bytes.
"""

from __future__ import annotations

import io
import math
import os
from datetime import datetime
from importlib.util import find_spec
from pathlib import Path
from typing import IO, TYPE_CHECKING, Final

from ledger.charts import MARKER_KINDS, Chart, Marker, Series, chart
from ledger.errors import ChartError, MissingExtraError, UnknownReferenceError
from ledger.times import Stamp, parse_stamp

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ledger.ledger import Ledger, TimeLike

__all__ = [
    "FORMATS",
    "INSTALL_HINT",
    "available",
    "figure",
    "plot_subject",
    "render",
    "save",
    "subject_chart",
    "svg",
]

FORMATS: Final = ("png", "svg")
"""
The file types `save` writes, by the file's extension.

.. versionadded:: 0.1.0
"""

INSTALL_HINT: Final = "pip install 'ledger[plot]'"
"""
How to install what plotting needs.

.. versionadded:: 0.1.0
"""

# tab10 without its grey, which reads as "nothing" next to the others.
_COLOURS: Final = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#ff7f0e",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#bcbd22",
    "#17becf",
)
_LEDGER_COLOUR: Final = "#444444"  # corrections: the ledger's own hand
_MARKERS: Final = {"rebuttal": "X", "corroboration": "P", "retraction": "v", "correction": "D"}
_BAND_ALPHA: Final = 0.18
_OPEN_BAND_ALPHA: Final = 0.08
_CHAR_SHARE: Final = 0.011  # of the time axis, taken by one character of small text
_EDGE_SHARE: Final = 0.2  # of the time axis, from the right, where labels turn leftwards
_FEW_STEPS: Final = 12  # up to this many steps in all, each is labelled with its value
_SPAN_ALPHA: Final = 0.55
_WIDTH: Final = 9.0  # inches
_DPI: Final = 120


def available() -> bool:
    """
    Return whether matplotlib is installed, so that charts can be drawn.

    .. versionadded:: 0.1.0
    """
    return find_spec("matplotlib") is not None


def _matplotlib() -> None:
    """Import matplotlib's figure machinery, or say how to get it."""
    try:
        import matplotlib as mpl  # noqa: PLC0415 - optional: imported only to draw
    except ImportError:
        raise MissingExtraError(
            f"plotting needs matplotlib, which is not installed; install it with: {INSTALL_HINT}"
        ) from None
    mpl.use("Agg")  # never a GUI, even where a display is available


def _stamp(value: TimeLike | None) -> Stamp | None:
    return value if value is None or isinstance(value, Stamp) else parse_stamp(value)


def _format(path: str | os.PathLike[str]) -> str:
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        given = f"'.{suffix}'" if suffix else "no extension"
        raise ChartError(
            f"{os.fspath(path)}: cannot tell the image type from {given}; "
            f"end the file name in {' or '.join('.' + f for f in FORMATS)}"
        )
    return suffix


def _colours(chart: Chart) -> dict[str | None, str]:
    colours: dict[str | None, str] = {
        source: _COLOURS[i % len(_COLOURS)] for i, source in enumerate(chart.sources)
    }
    colours[None] = _LEDGER_COLOUR
    return colours


def _title(chart: Chart) -> str:
    parts = []
    if chart.at is not None:
        parts.append(f"as stated by {chart.at}")
    if chart.known_at is not None:
        parts.append(f"as recorded by {chart.known_at}")
    return chart.subject + (f" ({', '.join(parts)})" if parts else "")


def figure(chart: Chart) -> Figure:
    """
    Draw *chart* and return the matplotlib figure.

    Quantities are drawn on a value axis, one step line per source with its
    band; labels as spans, one row per source; markers on the line or row
    they concern.

    Raises:
        MissingExtraError: matplotlib is not installed.

    .. versionadded:: 0.1.0
    """
    _matplotlib()
    from matplotlib.figure import Figure  # noqa: PLC0415 - optional dependency

    quantities = [s for s in chart.series if s.quantities]
    labels = [s for s in chart.series if s.labels]
    rows = [s.source for s in labels]
    # Every series starts with a claim, so it has a quantity or a label (or both).
    # A row of spans is about a third of an inch; the value axis gets three inches.
    heights = ([3.2] if quantities else []) + ([0.6 + 0.35 * len(rows)] if labels else [])
    fig = Figure(figsize=(_WIDTH, sum(heights) + 1.6), dpi=_DPI, layout="constrained")
    axes = fig.subplots(len(heights), 1, sharex=True, height_ratios=heights, squeeze=False)[:, 0]
    colours = _colours(chart)
    value_axes = axes[0] if quantities else None
    label_axes = axes[-1] if labels else None
    if value_axes is not None:
        every = sum(len(s.points) for s in quantities) <= _FEW_STEPS
        for series in quantities:
            _draw_line(value_axes, chart, series, colours[series.source], every=every)
        value_axes.set_ylim(*(chart.y_range or (0.0, 1.0)))  # quantities always have one
        value_axes.set_ylabel(", ".join(chart.units) or "value")
        value_axes.grid(visible=True, axis="y", alpha=0.3)
    if label_axes is not None:
        for row, series in enumerate(labels):
            _draw_spans(label_axes, chart, series, row, colours[series.source])
        label_axes.set_yticks(range(len(rows)), rows)
        label_axes.set_ylim(len(rows) - 0.5, -0.5)
    for marker in chart.markers:
        _draw_marker(marker, value_axes, label_axes, rows, colours)
    axes[0].set_title(_title(chart), loc="left", fontsize="medium")
    _time_axis(axes[-1], chart)
    _legend(fig, chart, colours)
    return fig


def _x(moment: datetime) -> float:
    """Return *moment* as matplotlib's date number (its axes take floats)."""
    from matplotlib.dates import date2num  # noqa: PLC0415 - optional dependency

    return float(date2num(moment))  # type: ignore[no-untyped-call]


def _stepped(series: Series, end: datetime) -> tuple[list[float], list[float]]:
    xs: list[float] = []
    ys: list[float] = []
    for start, _, point in series.segments(end):
        xs.append(_x(start))
        ys.append(float("nan") if point.y is None else point.y)
    xs.append(_x(end))
    ys.append(ys[-1])
    return xs, ys


def _draw_line(axes: Axes, chart: Chart, series: Series, colour: str, *, every: bool) -> None:
    xs, ys = _stepped(series, chart.end)
    axes.step(xs, ys, where="post", color=colour, linewidth=2, label=series.source)
    low, high = axes.get_ylim() if chart.y_range is None else chart.y_range
    steps = list(series.segments(chart.end))
    for start, stop, point in steps:
        if point.band is None:
            continue
        # An unbounded band says little and covers a lot: keep it faint.
        alpha = _OPEN_BAND_ALPHA if math.isinf(point.band[0] + point.band[1]) else _BAND_ALPHA
        bottom, top = max(point.band[0], low), min(point.band[1], high)
        axes.fill_between(
            [_x(start), _x(stop)], bottom, top, color=colour, alpha=alpha, linewidth=0
        )
    # Every value when there are few; on a busy chart only where each line ends.
    left, right = _x(chart.start), _x(chart.end)
    for start, _, point in steps if every else steps[-1:]:
        if point.y is None:
            continue
        x = _x(start)
        # A step that starts near the right edge is labelled leftwards from the edge,
        # so its text stays inside the chart.
        near_edge = (right - x) < (right - left) * _EDGE_SHARE
        axes.annotate(
            point.text,
            (right, point.y) if near_edge else (x, point.y),
            xytext=(-4, 4) if near_edge else (4, 4),
            textcoords="offset points",
            ha="right" if near_edge else "left",
            fontsize="small",
            color=colour,
        )


def _draw_spans(axes: Axes, chart: Chart, series: Series, row: int, colour: str) -> None:
    whole = _x(chart.end) - _x(chart.start)
    # Consecutive steps with the same label read as one span.
    spans: list[tuple[float, float, str]] = []
    for start, stop, point in series.segments(chart.end):
        if point.value is None or point.y is not None:
            continue  # withdrawn, or a quantity drawn on the value axis
        left, right = _x(start), _x(stop)
        if spans and spans[-1][2] == point.text and spans[-1][1] == left:
            left = spans.pop()[0]
        spans.append((left, right, point.text))
    for left, right, text in spans:
        axes.broken_barh([(left, right - left)], (row - 0.35, 0.7), color=colour, alpha=_SPAN_ALPHA)
        if (right - left) / whole >= _CHAR_SHARE * (len(text) + 2):  # only where it fits
            axes.text((left + right) / 2, row, text, ha="center", va="center", fontsize="small")


def _draw_marker(
    marker: Marker,
    value_axes: Axes | None,
    label_axes: Axes | None,
    rows: list[str],
    colours: dict[str | None, str],
) -> None:
    style = {
        "marker": _MARKERS[marker.kind],
        "markersize": 9,
        "markerfacecolor": colours[marker.source],
        "markeredgecolor": "white",
        "linestyle": "none",
        "zorder": 5,
    }
    if marker.y is not None and value_axes is not None:
        value_axes.plot([_x(marker.at)], [marker.y], **style)  # type: ignore[arg-type]
    elif label_axes is not None and marker.series in rows:
        label_axes.plot([_x(marker.at)], [rows.index(marker.series)], **style)  # type: ignore[arg-type]
    elif value_axes is not None:  # pragma: no branch - label-only charts have every row
        # The claim no longer stands, so there is no value to sit on: the foot of the axis.
        value_axes.plot(
            [_x(marker.at)],
            [0.02],
            transform=value_axes.get_xaxis_transform(),
            **style,  # type: ignore[arg-type]
        )


def _time_axis(axes: Axes, chart: Chart) -> None:
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter  # noqa: PLC0415

    locator = AutoDateLocator()  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    start, end = _x(chart.start), _x(chart.end)
    # A little room on the left, so markers at the first step are not cut in half.
    axes.set_xlim(start - (end - start) * 0.02, end)
    axes.set_xlabel("stated time (UTC)")


def _legend(fig: Figure, chart: Chart, colours: dict[str | None, str]) -> None:
    from matplotlib.lines import Line2D  # noqa: PLC0415 - optional dependency
    from matplotlib.patches import Patch  # noqa: PLC0415

    handles: list[Line2D | Patch] = []
    for series in chart.series:
        colour = colours[series.source]
        if series.quantities:
            handles.append(Line2D([], [], color=colour, linewidth=2, label=series.source))
        else:
            handles.append(Patch(color=colour, alpha=_SPAN_ALPHA, label=series.source))
    made = dict.fromkeys((m.kind, m.source) for m in chart.markers)
    for kind in MARKER_KINDS:
        for made_kind, source in made:
            if made_kind != kind:
                continue
            who = "the ledger" if source is None else source
            handles.append(
                Line2D(
                    [],
                    [],
                    marker=_MARKERS[kind],
                    markersize=9,
                    markerfacecolor=colours[source],
                    markeredgecolor="white",
                    linestyle="none",
                    label=f"{kind} by {who}",
                )
            )
    fig.legend(handles=handles, loc="outside lower center", ncols=2, fontsize="small")


def render(chart: Chart, fmt: str) -> bytes:
    """
    Return *chart* drawn as an image of type *fmt* (``png`` or ``svg``).

    Raises:
        ChartError: *fmt* is not one of `FORMATS`.
        MissingExtraError: matplotlib is not installed.

    .. versionadded:: 0.1.0
    """
    if fmt not in FORMATS:
        raise ChartError(f"cannot draw a {fmt!r} image; the types are {', '.join(FORMATS)}")
    fig = figure(chart)
    buffer = io.BytesIO()
    _write(fig, buffer, fmt)
    return buffer.getvalue()


def _write(fig: Figure, stream: IO[bytes], fmt: str) -> None:
    import matplotlib as mpl  # noqa: PLC0415 - optional dependency

    # No date, creator version or random ids: the same chart, the same bytes.
    metadata = {"Date": None, "Creator": None} if fmt == "svg" else {"Software": None}
    with mpl.rc_context({"svg.fonttype": "none", "svg.hashsalt": "ledger"}):
        fig.savefig(stream, format=fmt, metadata=metadata)


def save(chart: Chart, path: str | os.PathLike[str]) -> Figure:
    """
    Draw *chart* to *path*, PNG or SVG by its extension; return the figure.

    The extension is checked before anything is drawn.

    Raises:
        ChartError: The extension is neither ``.png`` nor ``.svg``, or *path*
            cannot be written.
        MissingExtraError: matplotlib is not installed.

    .. versionadded:: 0.1.0
    """
    fmt = _format(path)
    fig = figure(chart)
    try:
        with Path(path).open("wb") as f:
            _write(fig, f, fmt)
    except OSError as e:
        raise ChartError(f"{os.fspath(path)}: cannot write: {e.strerror}") from None
    return fig


def svg(chart: Chart) -> str:
    """
    Return *chart* drawn as SVG text.

    Raises:
        MissingExtraError: matplotlib is not installed.

    .. versionadded:: 0.1.0
    """
    return render(chart, "svg").decode("utf-8")


def plot_subject(
    ledger: Ledger,
    subject: str,
    path: str | os.PathLike[str],
    *,
    at: TimeLike | None = None,
    known_at: TimeLike | None = None,
) -> Figure:
    """
    Draw *subject* as the ledger holds it to *path* (``.png`` or ``.svg``).

    Args:
        ledger: The ledger to read.
        subject: A subject key.
        path: Where to write; the extension picks the image type.
        at: Only what was stated by then, as in `ledger.Ledger.state`.
        known_at: Only what the ledger had recorded by then.

    Returns:
        The drawn figure (its legend names every source).

    Raises:
        UnknownReferenceError: *subject* is not a subject in the ledger.
        ChartError: Nothing about it by *at*, or a bad extension.
        MissingExtraError: matplotlib is not installed.

    .. versionadded:: 0.1.0
    """
    _format(path)
    return save(subject_chart(ledger, subject, at=at, known_at=known_at), path)


def subject_chart(
    ledger: Ledger,
    subject: str,
    *,
    at: TimeLike | None = None,
    known_at: TimeLike | None = None,
) -> Chart:
    """
    Return the chart of *subject* as the ledger holds it (nothing is drawn).

    Raises:
        UnknownReferenceError: *subject* is not a subject in the ledger.
        ChartError: Nothing about it was stated by *at*.

    .. versionadded:: 0.1.0
    """
    at_, known_ = _stamp(at), _stamp(known_at)
    if subject not in ledger.store.subjects(subject):
        raise UnknownReferenceError(f"{subject!r} is not a subject in the ledger")
    changes = ledger.history(subject, until=at_, known_at=known_)
    return chart(subject, changes, at=at_, known_at=known_)
