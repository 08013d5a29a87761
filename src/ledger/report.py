"""
Reports: the contested state at a moment as one HTML page for an editor.

Rules of this module:

- `report_html` is pure: it turns a state, the subjects' histories and
  (optionally) their charts as SVG into one HTML string. `build_report` is
  the shell that reads a ledger and draws the charts.
- The page stands alone: styles are inline, there is no script at all, and
  nothing is fetched. A Content-Security-Policy in the page itself forbids
  every fetch but ``data:`` images, which is how charts are embedded, so a
  chart's SVG never runs as part of the page either.
- Every text that comes from the ledger (sources, values, reasons, notes,
  citations, quotes, ids, subjects) is escaped with `html.escape`; citations
  are shown as text, never as links. Element ids are numbered, never made
  from ledger text.
- The same ledger, moment and options give the same bytes: the page carries
  the ledger's checkpoint (`ledger.stores.Head`), not the time it was made.
"""

from __future__ import annotations

import base64
import html
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Final

from ledger import plot
from ledger.charts import chart
from ledger.output import change_text, spread_text, value_text
from ledger.projections.contested import ClaimState, State, SubjectState
from ledger.projections.history import Change
from ledger.times import Stamp, parse_stamp
from ledger.values import Quantity

if TYPE_CHECKING:
    from ledger.ledger import Ledger, TimeLike

__all__ = ["CONTENT_SECURITY_POLICY", "build_report", "report_html"]

CONTENT_SECURITY_POLICY: Final = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
"""
The page's own policy: inline styles and ``data:`` images, nothing else.

.. versionadded:: 0.1.0
"""

_STATUS_ORDER: Final = ("contested", "agreed", "single_source", "withdrawn")
_STATUS_WORDS: Final = {
    "contested": "contested",
    "agreed": "agreed",
    "single_source": "single source",
    "withdrawn": "withdrawn",
}
_QUALIFIER_WORDS: Final = {
    "exact": "exactly",
    "approximately": "approximately",
    "at_least": "at least",
    "more_than": "more than",
    "at_most": "at most",
    "fewer_than": "fewer than",
    "range": "a range",
}

_CSS: Final = """
:root { --ink: #1d1d1f; --muted: #5f6368; --line: #d9dce1; --paper: #ffffff;
  --contested: #b3261e; --agreed: #1e7b34; --single_source: #5f6368; --withdrawn: #8a6d00; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 72rem; padding: 1.5rem; color: var(--ink);
  background: var(--paper); font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
h2 { font-size: 1.2rem; margin: 0; font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
h3 { font-size: 1rem; margin: 0; }
.meta { color: var(--muted); margin: 0 0 1rem; }
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .9em;
  overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .3rem .5rem;
  border-bottom: 1px solid var(--line); overflow-wrap: break-word; }
.history td:nth-child(-n+2) { white-space: nowrap; }
th { font-weight: 600; color: var(--muted); font-size: .85rem; }
.status { display: inline-block; padding: 0 .45rem; border-radius: .6rem; font-size: .8rem;
  font-weight: 600; color: #fff; vertical-align: middle; font-family: system-ui, sans-serif; }
.status.contested { background: var(--contested); }
.status.agreed { background: var(--agreed); }
.status.single_source { background: var(--single_source); }
.status.withdrawn { background: var(--withdrawn); }
.subject { border-top: 3px solid var(--line); margin-top: 2rem; padding-top: 1rem; }
.subject.contested { border-top-color: var(--contested); }
.spread { color: var(--muted); margin: .25rem 0 .75rem; }
.sources { display: grid; gap: .75rem;
  grid-template-columns: repeat(auto-fit, minmax(15rem, 1fr)); }
.claim { border: 1px solid var(--line); border-radius: .4rem; padding: .75rem; }
.claim.disputed { border-left: 4px solid var(--contested); }
.claim.corroborated { border-left: 4px solid var(--agreed); }
.claim.retracted { opacity: .6; }
.claim .value { font-size: 1.5rem; font-weight: 650; margin: .2rem 0 0; }
.claim .how { color: var(--muted); margin: 0 0 .4rem; font-size: .85rem; }
.claim dl { display: grid; grid-template-columns: auto 1fr; gap: .1rem .6rem; margin: .4rem 0;
  font-size: .85rem; }
.claim dt { color: var(--muted); }
.claim dd { margin: 0; overflow-wrap: break-word; min-width: 0; }
.claim ul { margin: .3rem 0 0; padding-left: 1.1rem; font-size: .85rem; }
.via { font-weight: 400; color: var(--muted); }
figure { margin: 1rem 0 0; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); }
details { margin-top: .75rem; }
summary { cursor: pointer; font-weight: 600; }
.history td { font-size: .85rem; }
.empty { color: var(--muted); font-style: italic; }
footer { color: var(--muted); font-size: .8rem; margin-top: 2.5rem; }
@media print { body { max-width: none; padding: 0; } .subject { break-inside: avoid-page; } }
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _when(state: State) -> str:
    parts = []
    if state.at is not None:
        parts.append(f"as stated by {state.at}")
    if state.known_at is not None:
        parts.append(f"as recorded by {state.known_at}")
    return ", ".join(parts) or "everything the ledger holds"


def _counts(subjects: Sequence[SubjectState]) -> str:
    counts = Counter(s.status for s in subjects)
    shown = [f"{counts[s]} {_STATUS_WORDS[s]}" for s in _STATUS_ORDER if counts[s]]
    noun = "subject" if len(subjects) == 1 else "subjects"
    return f"{len(subjects)} {noun}" + (f": {', '.join(shown)}" if shown else "")


def _status(status: str) -> str:
    return f'<span class="status {_e(status)}">{_e(_STATUS_WORDS.get(status, status))}</span>'


def _summary(subjects: Sequence[SubjectState]) -> str:
    rows = []
    for number, subject in enumerate(subjects, 1):
        sources = ", ".join(dict.fromkeys(c.source for c in subject.claims))
        rows.append(
            f'<tr><td><a href="#subject-{number}"><code>{_e(subject.subject)}</code></a></td>'
            f"<td>{_status(subject.status)}</td><td>{_e(spread_text(subject))}</td>"
            f"<td>{_e(sources)}</td></tr>"
        )
    return (
        '<table class="summary"><thead><tr><th>Subject</th><th>Status</th><th>Spread</th>'
        f"<th>Sources</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _claim(claim: ClaimState) -> str:
    via = "" if claim.via is None else f' <span class="via">via {_e(claim.via)}</span>'
    how = "a label"
    if isinstance(claim.value, Quantity):
        how = _QUALIFIER_WORDS[claim.value.qualifier.value]
    facts = [
        ("Status", _e(claim.status)),
        ("Stated", _e(claim.stated_at)),
        ("About", _e(claim.as_of)),
        ("Revisions", _e(claim.revisions)),
        ("Citation", _e(claim.citation or "—")),
        ("Claim id", f"<code>{_e(claim.id)}</code>"),
    ]
    items = "".join(f"<dt>{name}</dt><dd>{value}</dd>" for name, value in facts)
    disputes = "".join(
        f"<li>Disputed by <b>{_e(r.source)}</b> on {_e(r.stated_at)}"
        + ("" if r.reason is None else f": {_e(r.reason)}")
        + ("" if r.counter_claim is None else f" (own figure: <code>{_e(r.counter_claim)}</code>)")
        + "</li>"
        for r in claim.rebutted_by
    )
    confirms = "".join(
        f"<li>Confirmed by <b>{_e(c.source)}</b> on {_e(c.stated_at)}"
        + ("" if c.citation is None else f" ({_e(c.citation)})")
        + "</li>"
        for c in claim.corroborated_by
    )
    lists = "".join(
        f'<ul class="{kind}">{items}</ul>'
        for kind, items in (("rebuttals", disputes), ("corroborations", confirms))
        if items
    )
    return (
        f'<article class="claim {_e(claim.status)}"><h3>{_e(claim.source)}{via}</h3>'
        f'<p class="value">{_e(value_text(claim.value))}</p><p class="how">{_e(how)}</p>'
        f"<dl>{items}</dl>{lists}</article>"
    )


def _history(changes: Sequence[Change]) -> str:
    if not changes:
        return '<p class="empty">No changes.</p>'
    rows = "".join(
        f"<tr><td>{_e(c.stated_at or '')}</td><td>{_e(c.kind)}</td><td>{_e(c.source or '')}</td>"
        f"<td>{_e(change_text(c))}</td><td>{_e(c.citation or '')}</td>"
        f"<td>{_e(c.note or '')}</td><td>{_e(c.recorded_at)} (#{_e(c.seq)})</td></tr>"
        for c in changes
    )
    return (
        '<table class="history"><thead><tr><th>Stated</th><th>Kind</th><th>Source</th>'
        "<th>Change</th><th>Citation</th><th>Note or reason</th><th>Recorded (seq)</th>"
        f"</tr></thead><tbody>{rows}</tbody></table>"
    )


def _figure(subject: str, svg: str) -> str:
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    alt = f"Chart of {subject}: each source's value over stated time"
    return f'<figure><img alt="{_e(alt)}" src="data:image/svg+xml;base64,{data}"></figure>'


def _subject(number: int, subject: SubjectState, changes: Sequence[Change], svg: str | None) -> str:
    spread = spread_text(subject)
    claims = "".join(_claim(c) for c in subject.claims)
    noun = "change" if len(changes) == 1 else "changes"
    return (
        f'<section class="subject {_e(subject.status)}" id="subject-{number}">'
        f"<h2>{_e(subject.subject)} {_status(subject.status)}</h2>"
        + (f'<p class="spread">Spread: {_e(spread)}</p>' if spread else "")
        + f'<div class="sources">{claims}</div>'
        + ("" if svg is None else _figure(subject.subject, svg))
        + f"<details open><summary>History ({len(changes)} {noun})</summary>"
        f"{_history(changes)}</details></section>"
    )


def report_html(
    state: State,
    histories: Mapping[str, Sequence[Change]],
    *,
    charts: Mapping[str, str] | None = None,
    head: str | None = None,
    title: str = "Contested claims",
) -> str:
    """
    Return the report of *state* as one self-contained HTML page.

    Args:
        state: The contested state to report (`ledger.Ledger.state`).
        histories: Each subject's history, read with the same cut-offs; a
            subject left out shows no history.
        charts: Each subject's chart as SVG text (`ledger.plot.svg`), shown
            as an image; a subject left out shows none.
        head: The ledger's checkpoint, ``SIZE:HASH``, printed so a reader
            can check the report against the ledger.
        title: The page's heading.

    .. versionadded:: 0.1.0
    """
    charts = charts or {}
    when = _when(state)
    sections = "".join(
        _subject(n, s, histories.get(s.subject, ()), charts.get(s.subject))
        for n, s in enumerate(state.subjects, 1)
    )
    if not state.subjects:
        sections = '<p class="empty">No claims.</p>'
    checkpoint = ""
    if head is not None:
        checkpoint = (
            f" Ledger checkpoint <code>{_e(head)}</code>; check it with "
            f"<code>ledger verify DB --against {_e(head)}</code>."
        )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_e(CONTENT_SECURITY_POLICY)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}, {_e(when)}</title><style>{_CSS}</style></head>\n<body>"
        f"<header><h1>{_e(title)}</h1>"
        f'<p class="meta">{_e(when.capitalize())}. {_e(_counts(state.subjects))}.{checkpoint}</p>'
        f"</header><nav>{_summary(state.subjects) if state.subjects else ''}</nav>"
        f"<main>{sections}</main>"
        "<footer>Made by <code>ledger report</code>. Every figure is a claim by the source "
        "named beside it, not a verified fact; times are UTC.</footer>"
        "</body></html>\n"
    )


def _stamp(value: TimeLike | None) -> Stamp | None:
    return value if value is None or isinstance(value, Stamp) else parse_stamp(value)


def build_report(
    ledger: Ledger,
    *,
    at: TimeLike | None = None,
    known_at: TimeLike | None = None,
    subjects: str | None = None,
    charts: bool | None = None,
) -> str:
    """
    Read *ledger* and return its report as one HTML page (see `report_html`).

    Args:
        ledger: The ledger to read.
        at: Only what was stated by then, as in `ledger.Ledger.state`.
        known_at: Only what the ledger had recorded by then.
        subjects: An exact subject key or a glob such as ``casualties.*``.
        charts: Embed a chart per subject: ``True`` requires matplotlib
            (``pip install 'ledger[plot]'``), ``False`` leaves them out, and
            ``None`` embeds them when matplotlib is installed.

    Raises:
        MissingExtraError: *charts* is ``True`` and matplotlib is missing.

    .. versionadded:: 0.1.0
    """
    at_, known_ = _stamp(at), _stamp(known_at)
    state = ledger.state(at=at_, known_at=known_, subjects=subjects)
    histories = {
        s.subject: ledger.history(s.subject, until=at_, known_at=known_) for s in state.subjects
    }
    if charts is None:
        charts = plot.available()
    drawn: dict[str, str] = {}
    if charts:
        # Every subject in the state has history by the same cut-offs, so each has a chart.
        for subject, changes in histories.items():
            drawn[subject] = plot.svg(chart(subject, changes, at=at_, known_at=known_))
    return report_html(state, histories, charts=drawn, head=str(ledger.head()))
