"""
Output: the shapes the command line prints, as pure functions.

Rules of this module:

- Nothing here does I/O; the command line (`ledger.cli`) writes what these
  functions return.
- Numbers stay exact: a `~decimal.Decimal` stays a `~decimal.Decimal` in the
  JSON shapes (`ledger.codec.dumps_exact` writes it as an exact JSON number)
  and is written with `str` in text and CSV.
- Times are written with `str`, in the precision they were given
  (``"2022-03-02"``, ``"2022-03-02T10:00Z"``); an absent time is ``null``
  in JSON and empty in CSV.

The JSON shapes are a public contract; keys are never renamed or removed
within a major version.

A *value object* is ``{"value", "qualifier", "value_high", "unit"}``:
``value`` is the number (for a quantity) or the text (for a label);
``qualifier`` is one of ``exact``, ``approximately``, ``at_least``,
``more_than``, ``at_most``, ``fewer_than`` or ``range`` for a quantity;
``value_high`` is the high end of a range; ``qualifier``, ``value_high`` and
``unit`` are ``null`` for a label.

`state_json` returns::

    {
      "at": str | null, "known_at": str | null, "valid_at": str | null,
      "subjects": [
        {
          "subject": str,
          "status": "contested" | "agreed" | "single_source" | "withdrawn",
          "low": number | null, "high": number | null,
          "claims": [
            {
              "id": str, "source": str, "via": str | null,
              "value": number | str, "qualifier": str | null,
              "value_high": number | null, "unit": str | null,
              "as_of": str, "stated_at": str,
              "status": "retracted" | "disputed" | "corroborated" | "unverified",
              "revisions": int, "citation": str | null,
              "rebutted_by": [
                {"id": str, "source": str, "stated_at": str,
                 "counter_claim": str | null, "reason": str | null,
                 "citation": str | null}
              ],
              "corroborated_by": [
                {"id": str, "source": str, "stated_at": str, "citation": str | null}
              ]
            }
          ]
        }
      ]
    }

`history_json` returns::

    {
      "subject_or_id": str,
      "changes": [
        {
          "seq": int,
          "kind": "claim" | "revision" | "rebuttal" | "retraction"
                  | "corroboration" | "correction",
          "id": str, "claim_id": str, "subject": str, "source": str | null,
          "previous": value object | null, "value": value object | null,
          "as_of": str | null, "stated_at": str | null, "recorded_at": str,
          "citation": str | null, "note": str | null, "target": str | null,
          "corrections": [
            {"field": str, "entered": ..., "corrected": ...}
          ]
        }
      ]
    }

where a correction's ``entered`` and ``corrected`` are a value object for
``value``, a time string for ``stated_at`` and ``as_of``, and text (or
``null``) for the other fields.

`raw_event_json` returns one stored event exactly as the log holds it::

    {
      "seq": int, "event_id": str, "stream": str, "version": int,
      "subject": str, "recorded_at": str, "type": str, "schema_version": int,
      "data": object, "prev_hash": str, "hash": str
    }

where ``data`` is the stored event data parsed from its JSON bytes, and the
hashes are 64 lowercase hex digits. The index columns a store derives from
``data`` (source, stated time) are left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TypeAlias

from ledger import codec
from ledger.events import CorrectedValue
from ledger.projections.contested import ClaimState, State, SubjectState
from ledger.projections.history import Change, FieldCorrection
from ledger.stores import RawEvent
from ledger.times import Stamp
from ledger.values import Label, Number, Quantity, Value

__all__ = [
    "HISTORY_COLUMNS",
    "STATE_COLUMNS",
    "Json",
    "change_text",
    "event_line",
    "history_json",
    "history_rows",
    "history_table",
    "raw_event_json",
    "spread_text",
    "state_json",
    "state_rows",
    "state_table",
    "table",
    "value_json",
    "value_text",
]

Json: TypeAlias = "bool | int | Decimal | str | list[Json] | dict[str, Json] | None"
"""
Unstructured data that `ledger.codec.dumps_exact` can write.

.. versionadded:: 0.1.0
"""

_DASH = "\N{EN DASH}"


# -- text for people ----------------------------------------------------------


def value_text(value: Value) -> str:
    """
    Return a claimed value as a person reads it.

    ``~498 people`` (approximately), ``>7000 people`` (more than), ``≥10``
    (at least), ``≤10`` (at most), ``<10`` (fewer than), ``498`` (exact); a
    range is its two ends joined by an en dash, then the unit (``10``, en
    dash, ``20 km``). A label is its text as given.

    .. versionadded:: 0.1.0
    """
    return str(value)  # Quantity and Label print as people write them


def _optional_value_text(value: Value | None) -> str:
    return "—" if value is None else value_text(value)


def spread_text(subject: SubjectState) -> str:
    """
    Return the spread of a subject's live quantities, as text.

    The low and high ends are joined by an en dash; an unbounded end is
    ``-∞`` or ``∞``. The unit follows when all live quantities share one.
    Empty when no live claim is a quantity.

    .. versionadded:: 0.1.0
    """
    quantities = [
        c.value for c in subject.claims if c.status != "retracted" and isinstance(c.value, Quantity)
    ]
    if not quantities:
        return ""
    low = "-∞" if subject.low is None else str(subject.low)
    high = "∞" if subject.high is None else str(subject.high)
    units = {q.unit for q in quantities}
    unit = units.pop() if len(units) == 1 else None
    text = low if low == high else f"{low}{_DASH}{high}"
    return text if unit is None else f"{text} {unit}"


def _source_text(claim: ClaimState) -> str:
    return claim.source if claim.via is None else f"{claim.source} via {claim.via}"


def _stamp_text(stamp: Stamp | None) -> str:
    return "" if stamp is None else str(stamp)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "") -> str:
    """
    Return rows as a plain text table with aligned columns and a header line.

    The last column is not padded, so no line ends in blanks.

    .. versionadded:: 0.1.0
    """
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    lines = []
    for row in (headers, *rows):
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row)]
        lines.append((indent + "  ".join(cells)).rstrip())
    return "\n".join(lines)


_STATE_HEADERS = ("ID", "SOURCE", "VALUE", "STATUS", "AS OF", "STATED AT", "REBUTTED BY")


def state_table(state: State) -> str:
    """
    Return the state as text: per subject, its status and spread, then its claims.

    .. versionadded:: 0.1.0
    """
    if not state.subjects:
        return "No claims."
    blocks = []
    for subject in state.subjects:
        spread = spread_text(subject)
        title = f"{subject.subject}: {subject.status}"
        if spread:
            title += f" (spread {spread})"
        rows = [
            [
                claim.id,
                _source_text(claim),
                value_text(claim.value),
                claim.status,
                str(claim.as_of),
                str(claim.stated_at),
                ", ".join(f"{r.id} ({r.source})" for r in claim.rebutted_by),
            ]
            for claim in subject.claims
        ]
        blocks.append(f"{title}\n{table(_STATE_HEADERS, rows, indent='  ')}")
    return "\n\n".join(blocks)


def _field_text(value: CorrectedValue) -> str:
    if isinstance(value, Quantity | Label):
        return value_text(value)
    if value is None:
        return "—"
    if isinstance(value, Stamp):
        return str(value)
    return repr(value)


def _corrections_text(corrections: Sequence[FieldCorrection]) -> str:
    return "; ".join(
        f"{c.field} {_field_text(c.entered)} → {_field_text(c.corrected)}" for c in corrections
    )


def change_text(change: Change) -> str:  # noqa: PLR0911 - a branch per kind
    """
    Return what a history entry changed, in a few words.

    .. versionadded:: 0.1.0
    """
    if change.kind == "claim":
        return _optional_value_text(change.value)
    if change.kind == "revision":
        return f"{_optional_value_text(change.previous)} → {_optional_value_text(change.value)}"
    if change.kind == "rebuttal":
        text = f"disputes {_optional_value_text(change.previous)}"
        return text if change.target is None else f"{text}; counter-claim {change.target}"
    if change.kind == "retraction":
        return (
            f"retracts {change.target}: "
            f"{_optional_value_text(change.previous)} → {_optional_value_text(change.value)}"
        )
    if change.kind == "corroboration":
        return f"confirms {_optional_value_text(change.previous)}"
    if change.kind == "correction":
        text = f"corrects {change.target}: {_corrections_text(change.corrections)}"
        return text if change.note is None else f"{text} ({change.note})"
    return change.kind  # pragma: no cover - the kinds above are all there are


_HISTORY_HEADERS = ("SEQ", "KIND", "ID", "SOURCE", "CHANGE", "STATED AT", "RECORDED AT")


def history_table(changes: Sequence[Change], subject_or_id: str) -> str:
    """
    Return a history as a text table, one line per change.

    .. versionadded:: 0.1.0
    """
    if not changes:
        return f"No changes to {subject_or_id}."
    rows = [
        [
            str(change.seq),
            change.kind,
            change.id,
            change.source or "",
            change_text(change),
            _stamp_text(change.stated_at),
            str(change.recorded_at),
        ]
        for change in changes
    ]
    return table(_HISTORY_HEADERS, rows)


# -- JSON -----------------------------------------------------------------------


def _stamp_json(stamp: Stamp | None) -> str | None:
    return None if stamp is None else str(stamp)


def value_json(value: Value | None) -> Json:
    """
    Return the value object of *value*, or ``None``.

    .. versionadded:: 0.1.0
    """
    return None if value is None else _value_fields(value)


def _value_fields(value: Value) -> dict[str, Json]:
    if isinstance(value, Label):
        return {"value": value.text, "qualifier": None, "value_high": None, "unit": None}
    return {
        "value": value.amount,
        "qualifier": value.qualifier.value,
        "value_high": value.high,
        "unit": value.unit,
    }


def _claim_json(claim: ClaimState) -> Json:
    rebutted: list[Json] = [
        {
            "id": r.id,
            "source": r.source,
            "stated_at": str(r.stated_at),
            "counter_claim": r.counter_claim,
            "reason": r.reason,
            "citation": r.citation,
        }
        for r in claim.rebutted_by
    ]
    corroborated: list[Json] = [
        {"id": c.id, "source": c.source, "stated_at": str(c.stated_at), "citation": c.citation}
        for c in claim.corroborated_by
    ]
    return {
        "id": claim.id,
        "source": claim.source,
        "via": claim.via,
        **_value_fields(claim.value),
        "as_of": str(claim.as_of),
        "stated_at": str(claim.stated_at),
        "status": claim.status,
        "revisions": claim.revisions,
        "citation": claim.citation,
        "rebutted_by": rebutted,
        "corroborated_by": corroborated,
    }


def state_json(state: State) -> dict[str, Json]:
    """
    Return the state in its documented JSON shape (see the module docstring).

    .. versionadded:: 0.1.0
    """
    subjects: list[Json] = []
    for subject in state.subjects:
        claims: list[Json] = [_claim_json(c) for c in subject.claims]
        subjects.append(
            {
                "subject": subject.subject,
                "status": subject.status,
                "low": subject.low,
                "high": subject.high,
                "claims": claims,
            }
        )
    return {
        "at": _stamp_json(state.at),
        "known_at": _stamp_json(state.known_at),
        "valid_at": _stamp_json(state.valid_at),
        "subjects": subjects,
    }


def _corrected_json(value: CorrectedValue) -> Json:
    if isinstance(value, Quantity | Label):
        return value_json(value)
    if isinstance(value, Stamp):
        return str(value)
    return value


def history_json(changes: Sequence[Change], subject_or_id: str) -> dict[str, Json]:
    """
    Return a history in its documented JSON shape (see the module docstring).

    .. versionadded:: 0.1.0
    """
    out: list[Json] = []
    for change in changes:
        corrections: list[Json] = [
            {
                "field": c.field,
                "entered": _corrected_json(c.entered),
                "corrected": _corrected_json(c.corrected),
            }
            for c in change.corrections
        ]
        out.append(
            {
                "seq": change.seq,
                "kind": change.kind,
                "id": change.id,
                "claim_id": change.claim_id,
                "subject": change.subject,
                "source": change.source,
                "previous": value_json(change.previous),
                "value": value_json(change.value),
                "as_of": _stamp_json(change.as_of),
                "stated_at": _stamp_json(change.stated_at),
                "recorded_at": str(change.recorded_at),
                "citation": change.citation,
                "note": change.note,
                "target": change.target,
                "corrections": corrections,
            }
        )
    return {"subject_or_id": subject_or_id, "changes": out}


def raw_event_json(event: RawEvent) -> dict[str, Json]:
    """
    Return a stored event, envelope and hashes included (see the module docstring).

    Raises:
        ValidationError: The stored data is not JSON (the file was edited).

    .. versionadded:: 0.1.0
    """
    data: Json = codec.loads(event.data)
    return {
        "seq": event.seq,
        "event_id": event.event_id,
        "stream": event.stream,
        "version": event.version,
        "subject": event.subject,
        "recorded_at": event.recorded_at,
        "type": event.type,
        "schema_version": event.schema_version,
        "data": data,
        "prev_hash": event.prev_hash.hex(),
        "hash": event.hash.hex(),
    }


_TYPE_WIDTH = max(map(len, codec.EVENT_TYPES))


def event_line(event: RawEvent) -> str:
    """
    Return one stored event as a line of text: seq, recorded time, type, id, subject.

    The columns have fixed widths (the seq's grows past six digits), so lines
    printed one at a time, as ``ledger tail --follow`` does, still line up.

    .. versionadded:: 0.1.0
    """
    return (
        f"{event.seq:>6}  {event.recorded_at}  {event.type:<{_TYPE_WIDTH}}  "
        f"{event.event_id}  {event.subject}"
    )


# -- CSV ------------------------------------------------------------------------

STATE_COLUMNS = (
    "subject",
    "subject_status",
    "low",
    "high",
    "claim_id",
    "source",
    "via",
    "value",
    "qualifier",
    "value_high",
    "unit",
    "value_text",
    "as_of",
    "stated_at",
    "status",
    "revisions",
    "rebutted_by",
    "corroborated_by",
)
"""
The columns of `state_rows`.

.. versionadded:: 0.1.0
"""


def _cell(value: Number | str | None) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def state_rows(state: State) -> list[list[str]]:
    """
    Return one row per claim, the subject's columns repeated (see `STATE_COLUMNS`).

    Numbers are exact; ``rebutted_by`` and ``corroborated_by`` hold record
    ids separated by ``;``; an absent field is an empty cell.

    .. versionadded:: 0.1.0
    """
    rows = []
    for subject in state.subjects:
        for claim in subject.claims:
            value = claim.value
            quantity = value if isinstance(value, Quantity) else None
            rows.append(
                [
                    subject.subject,
                    subject.status,
                    _cell(subject.low),
                    _cell(subject.high),
                    claim.id,
                    claim.source,
                    _cell(claim.via),
                    value.text if isinstance(value, Label) else str(value.amount),
                    "" if quantity is None else quantity.qualifier.value,
                    "" if quantity is None else _cell(quantity.high),
                    "" if quantity is None else _cell(quantity.unit),
                    value_text(value),
                    str(claim.as_of),
                    str(claim.stated_at),
                    claim.status,
                    str(claim.revisions),
                    ";".join(r.id for r in claim.rebutted_by),
                    ";".join(c.id for c in claim.corroborated_by),
                ]
            )
    return rows


HISTORY_COLUMNS = (
    "seq",
    "kind",
    "id",
    "claim_id",
    "subject",
    "source",
    "previous",
    "value",
    "as_of",
    "stated_at",
    "recorded_at",
    "citation",
    "note",
    "target",
    "corrections",
)
"""
The columns of `history_rows`.

.. versionadded:: 0.1.0
"""


def history_rows(changes: Sequence[Change]) -> list[list[str]]:
    """
    Return one row per change (see `HISTORY_COLUMNS`).

    ``previous`` and ``value`` are written as `value_text` writes them;
    ``corrections`` as ``field entered → corrected`` joined by ``;``. The JSON
    form (`history_json`) keeps the values' parts apart.

    .. versionadded:: 0.1.0
    """
    return [
        [
            str(change.seq),
            change.kind,
            change.id,
            change.claim_id,
            change.subject,
            _cell(change.source),
            "" if change.previous is None else value_text(change.previous),
            "" if change.value is None else value_text(change.value),
            _stamp_text(change.as_of),
            _stamp_text(change.stated_at),
            str(change.recorded_at),
            _cell(change.citation),
            _cell(change.note),
            _cell(change.target),
            _corrections_text(change.corrections),
        ]
        for change in changes
    ]
