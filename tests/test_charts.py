"""Tests for `ledger.charts`: what a plot shows, computed without drawing."""

import math
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger import Ledger, Quantity, parse_stamp
from ledger.charts import MARKER_KINDS, chart
from ledger.errors import ChartError, LedgerError
from ledger.values import Label
from strategies import record_ledgers, stamps

DAY7 = Path(__file__).parent.parent / "examples" / "day7.jsonl"
KILLED = "casualties.russia.military.killed"
MOD = "Russian Defence Ministry"
ADVISER = "Ukrainian presidential adviser"


@pytest.fixture
def day7():
    ledger = Ledger.memory()
    ledger.import_records(DAY7)
    return ledger


def chart_of(ledger, subject, at=None, known_at=None):
    at_ = None if at is None else parse_stamp(at) if isinstance(at, str) else at
    known = None if known_at is None else parse_stamp(known_at)
    changes = ledger.history(subject, until=at_, known_at=known)
    return chart(subject, changes, at=at_, known_at=known)


def finite(*values):
    return [v for v in values if v is not None and not math.isinf(v)]


# -- the day-7 example ----------------------------------------------------------


def test_day7_toll_has_a_line_per_source_with_its_band(day7):
    """The day-7 toll is two lines, ~498 with its ten per cent band and >7000 open upwards."""
    toll = chart_of(day7, KILLED, at="2022-03-02")
    assert [s.source for s in toll.series] == [MOD, ADVISER]
    (mod,), (adviser,) = (s.points for s in toll.series)
    assert (mod.text, mod.y, mod.band) == ("~498 people", 498.0, (448.2, 547.8))
    assert (adviser.text, adviser.y, adviser.band) == (">7000 people", 7000.0, (7000.0, math.inf))
    assert toll.units == ("people",)
    assert toll.start == datetime(2022, 3, 2, tzinfo=UTC)
    assert toll.end == datetime(2022, 3, 3, tzinfo=UTC)  # the end of the day asked for


def test_day7_rebuttal_is_a_marker_on_the_line_it_disputes(day7):
    """The adviser's rebuttal sits on the ministry's line, at the disputed ~498."""
    (marker,) = chart_of(day7, KILLED).markers
    assert (marker.kind, marker.source, marker.series) == ("rebuttal", ADVISER, MOD)
    assert marker.y == 498.0
    assert marker.id == "ua-adviser-killed"


def test_labels_are_spans_without_a_value_axis(day7):
    """Who controls Kherson is a label: a span to the chart's end, and no value axis."""
    kherson = chart_of(day7, "control.kherson")
    (series,) = kherson.series
    assert series.labels
    assert not series.quantities
    assert kherson.y_range is None
    assert list(series.segments(kherson.end)) == [(kherson.start, kherson.end, series.points[0])]
    assert series.points[0].value == Label("russia")


def test_a_source_that_only_rebuts_is_among_the_sources(day7):
    """The ministry says nothing about the losses but dismisses them: it is shown all the same."""
    losses = chart_of(day7, "casualties.russia.military.losses")
    assert [s.source for s in losses.series] == ["unattributed reports"]
    assert losses.sources == ("unattributed reports", MOD)


def test_nothing_stated_by_the_cutoff_is_a_clear_error(day7):
    """A subject with nothing stated by --at cannot be charted, and the error says so."""
    with pytest.raises(
        ChartError, match=r"nothing about 'control.kherson' was stated by 2022-03-01"
    ):
        chart_of(day7, "control.kherson", at="2022-03-01")
    assert issubclass(ChartError, LedgerError)


def test_a_revision_steps_and_a_retraction_falls_back_then_stops(day7):
    """Revisions move a source's line; retracting the latest falls back; retracting all ends it."""
    day7.revise("ru-mod-killed", Quantity(amount=1351, unit="people"), stated_at="2022-03-25")
    day7.revise(
        "ru-mod-killed", Quantity(amount=1500, unit="people"), stated_at="2022-03-26", id="r2"
    )
    day7.retract("r2", stated_at="2022-03-27")
    day7.retract("ru-mod-killed", stated_at="2022-03-28")
    mod = chart_of(day7, KILLED).series[0]
    assert [p.text for p in mod.points] == [
        "~498 people",
        "1351 people",
        "1500 people",
        "1351 people",
        "",
    ]
    assert mod.points[-1].value is None
    assert [p.at.day for p in mod.points] == [2, 25, 26, 27, 28]


def test_a_correction_is_a_marker_at_the_record_it_corrects(day7):
    """A correction has no stated time: it is drawn where the corrected record was stated."""
    day7.correct("ru-mod-killed", note="typo", value=Quantity(amount=489, unit="people"))
    toll = chart_of(day7, KILLED)
    correction = next(m for m in toll.markers if m.kind == "correction")
    assert (correction.source, correction.series, correction.y) == (None, MOD, 489.0)
    assert correction.at == datetime(2022, 3, 2, tzinfo=UTC)
    assert toll.series[0].points[0].text == "489 people"  # corrections apply everywhere


def test_a_coarse_stamp_never_steps_back(day7):
    """A month stated after a day of it starts earlier, but the line keeps going forward."""
    day7.revise("ru-mod-killed", Quantity(amount=600, unit="people"), stated_at="2022-03")
    points = chart_of(day7, KILLED).series[0].points
    assert [p.at for p in points] == [datetime(2022, 3, 2, tzinfo=UTC)] * 2


def test_counts_never_get_a_negative_axis(day7):
    """An "at most" band is open downwards, but no claim is negative: the axis starts at 0."""
    day7.claim(
        KILLED,
        Quantity(amount=300, qualifier="at_most", unit="people"),
        source="X",
        stated_at="2022-03-03",
    )
    low, high = chart_of(day7, KILLED).y_range
    assert low == 0.0
    assert high > 7000


# -- properties over generated ledgers ------------------------------------------


@given(ledger=record_ledgers(), at=st.none() | stamps())
def test_chart_agrees_with_history_and_state(ledger, at):
    """Each chart ends on the state at its cut-off, marks each change once, and frames it all."""
    state = ledger.state(at=at)
    for subject in sorted({e.subject for e in ledger.events()}):
        changes = ledger.history(subject, until=at)
        if not changes:
            assert subject not in state
            continue
        drawn = chart(subject, changes, at=at)
        # Steps go forward in time and stay inside the chart.
        for series in drawn.series:
            times = [p.at for p in series.points]
            assert times == sorted(times)
            assert drawn.start <= times[0]
            assert times[-1] <= drawn.end
        assert all(drawn.start <= m.at <= drawn.end for m in drawn.markers)
        if at is not None:
            assert drawn.end == at.end
        # The last step of each source is one of its standing claims at the cut-off.
        standing = {}
        for claim in state[subject].claims if subject in state else ():
            if claim.status != "retracted":
                standing.setdefault(claim.source, []).append(claim.value)
        last = {s.source: s.points[-1].value for s in drawn.series}
        assert {s for s, v in last.items() if v is not None} == set(standing)
        for source, values in standing.items():
            assert last[source] in values
        # Every rebuttal, corroboration, retraction and correction is one marker.
        assert Counter(m.kind for m in drawn.markers) == Counter(
            c.kind for c in changes if c.kind in MARKER_KINDS
        )
        assert {c.source for c in changes if c.source is not None} <= set(drawn.sources)
        # The value axis holds every finite value and band end.
        shown = [
            v for s in drawn.series for p in s.points for v in finite(p.y, *(p.band or ()))
        ] + finite(*(m.y for m in drawn.markers))
        if drawn.y_range is None:
            assert not shown
        else:
            low, high = drawn.y_range
            assert low < high
            assert all(low <= v <= high for v in shown)


def test_known_at_before_anything_was_recorded_is_a_clear_error(day7):
    """With known_at before the import, the ledger knew nothing to chart, and the error says so."""
    with pytest.raises(ChartError, match=r"as known at 2000-01-01: nothing to plot"):
        chart_of(day7, KILLED, known_at="2000-01-01")


def test_changes_to_other_subjects_are_left_out(day7):
    """Only the subject asked for is charted, whatever else the changes hold."""
    everything = day7.history(KILLED) + day7.history("control.kherson")
    assert chart(KILLED, everything).sources == (MOD, ADVISER)


def test_a_source_with_two_claims_shows_the_one_it_changed_last(day7):
    """The adviser's own claim and its counter-claim: the line follows whichever moved last."""
    people = "people"
    day7.claim(KILLED, Quantity(amount=9000, unit=people), source=ADVISER, stated_at="2022-03-05")
    day7.revise("ua-adviser-killed", Quantity(amount=10000, unit=people), stated_at="2022-03-06")
    adviser = chart_of(day7, KILLED).series[1]
    assert [p.text for p in adviser.points] == [">7000 people", "9000 people", "10000 people"]
