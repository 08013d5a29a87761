"""
History: every change to a subject or a claim, in stated order.

This is how a user audits a number: each entry says what the value was, what
it became, who said so, when it was said, when the ledger recorded it, its
sequence number and its citation. Corrections appear as corrections: what
was entered, what it was corrected to, and why.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from ledger.events import (
    ClaimAsserted,
    ClaimCorroborated,
    ClaimRebutted,
    ClaimRetracted,
    ClaimRevised,
    CorrectedValue,
    EntryCorrected,
    Event,
)
from ledger.projections import timeline
from ledger.stores import StoredEvent
from ledger.times import Stamp
from ledger.values import Value

__all__ = ["Change", "FieldCorrection", "history"]


@attrs.frozen(kw_only=True)
class FieldCorrection:
    """
    One field a correction replaced.

    .. versionadded:: 0.1.0
    """

    field: str
    entered: CorrectedValue
    corrected: CorrectedValue


@attrs.frozen(kw_only=True)
class Change:
    """
    One entry of a history.

    Attributes:
        kind: ``claim``, ``revision``, ``rebuttal``, ``retraction``,
            ``corroboration`` or ``correction``.
        id: The record's id.
        claim_id: The claim it concerns.
        subject: The claim's subject.
        source: Who said it (``None`` for a correction: the ledger did).
        previous: The claim's value before this change, if it had one (for a
            rebuttal or corroboration: the value it disputed or confirmed).
        value: The claim's value after it; ``None`` for a rebuttal or a
            corroboration, which change no value (a counter-value is a claim
            of its own and has its own entry).
        as_of: The time the value describes, where there is one.
        stated_at: When it was said (for a correction: when the corrected
            record was, as corrected).
        recorded_at: When the ledger recorded it.
        seq: Its sequence number in the log.
        citation: Where it was found.
        note: Its note or reason (for a correction: why).
        target: For a retraction or correction, the record it concerns.
        corrections: For a correction, each field entered and corrected.

    .. versionadded:: 0.1.0
    """

    kind: str
    id: str
    claim_id: str
    subject: str
    source: str | None
    previous: Value | None
    value: Value | None
    as_of: Stamp | None
    stated_at: Stamp | None
    recorded_at: Stamp
    seq: int
    citation: str | None = None
    note: str | None = None
    target: str | None = None
    corrections: tuple[FieldCorrection, ...] = ()


def _current(claim_id: str, versions: list[tuple[str, Value]], retracted: set[str]) -> Value | None:
    if claim_id in retracted:
        # A withdrawn claim stays withdrawn, as in the state, even when a
        # revision recorded before the retraction is stated after it.
        return None
    live = [value for event_id, value in versions if event_id not in retracted]
    return live[-1] if live else None


def history(
    events: Iterable[StoredEvent],
    *,
    since: Stamp | None = None,
    until: Stamp | None = None,
    known_at: Stamp | None = None,
) -> list[Change]:
    """
    Return the changes in *events* (one subject's or one claim's), in stated order.

    Args:
        events: Stored events in sequence order.
        since: Leave out changes stated wholly before this time begins.
        until: Leave out changes not known by this time.
        known_at: Only what the ledger had recorded by this time.

    .. versionadded:: 0.1.0
    """
    events = list(events)
    originals: dict[str, Event] = {e.event_id: e.event for e in events}
    subjects = {e.stream: e.subject for e in events}
    sources: dict[str, str] = {}
    versions: dict[str, list[tuple[str, Value]]] = {}
    retracted: set[str] = set()
    changes: list[Change] = []
    shown: set[str] = set()
    for stored in timeline(events, at=until, known_at=known_at):
        event = stored.event
        claim_id = stored.stream
        claim_versions = versions.setdefault(claim_id, [])
        previous = _current(claim_id, claim_versions, retracted)
        after = previous
        if isinstance(event, ClaimAsserted | ClaimRevised):
            if isinstance(event, ClaimAsserted):
                sources[claim_id] = event.source
            claim_versions.append((stored.event_id, event.value))
            after = _current(claim_id, claim_versions, retracted)
        elif isinstance(event, ClaimRetracted):
            retracted.add(event.retracted_id)
            after = _current(claim_id, claim_versions, retracted)
        entry = _entry(stored, event, previous, after, subjects[claim_id], sources, originals)
        if isinstance(event, EntryCorrected):
            if event.corrected_id in shown:
                changes.append(entry)
            continue
        if since is not None and entry.stated_at is not None and entry.stated_at.end <= since.start:
            continue
        shown.add(stored.event_id)
        changes.append(entry)
    return changes


def _entry(  # noqa: PLR0913, PLR0917 - what one entry is built from
    stored: StoredEvent,
    event: Event,
    previous: Value | None,
    after: Value | None,
    subject: str,
    sources: dict[str, str],
    originals: dict[str, Event],
) -> Change:
    # Built once, with the value after the change: an entry is the hot
    # object of a history, and attrs.evolve would build it again.
    common = {
        "id": stored.event_id,
        "claim_id": stored.stream,
        "subject": subject,
        "recorded_at": stored.recorded_at,
        "seq": stored.seq,
        "previous": previous,
    }
    match event:
        case ClaimAsserted():
            return Change(
                kind="claim",
                source=event.source,
                value=after,
                as_of=event.as_of,
                stated_at=event.stated_at,
                citation=event.citation,
                note=event.note,
                **common,  # type: ignore[arg-type]
            )
        case ClaimRevised():
            return Change(
                kind="revision",
                source=sources.get(stored.stream),
                value=after,
                as_of=event.as_of,
                stated_at=event.stated_at,
                citation=event.citation,
                note=event.note,
                **common,  # type: ignore[arg-type]
            )
        case ClaimRebutted():
            return Change(
                kind="rebuttal",
                source=event.source,
                value=None,
                as_of=None,
                stated_at=event.stated_at,
                citation=event.citation,
                note=event.reason,
                target=event.counter_claim_id,
                **common,  # type: ignore[arg-type]
            )
        case ClaimRetracted():
            return Change(
                kind="retraction",
                source=event.source,
                value=after,
                as_of=None,
                stated_at=event.stated_at,
                citation=event.citation,
                note=event.note,
                target=event.retracted_id,
                **common,  # type: ignore[arg-type]
            )
        case ClaimCorroborated():
            return Change(
                kind="corroboration",
                source=event.source,
                value=None,
                as_of=None,
                stated_at=event.stated_at,
                citation=event.citation,
                note=event.note,
                **common,  # type: ignore[arg-type]
            )
        case EntryCorrected():
            original = originals[event.corrected_id]
            return Change(
                kind="correction",
                source=None,
                value=previous,
                as_of=None,
                stated_at=None,
                note=event.note,
                target=event.corrected_id,
                corrections=tuple(
                    FieldCorrection(field=name, entered=getattr(original, name), corrected=new)
                    for name, new in event.fields
                ),
                **common,  # type: ignore[arg-type]
            )
    raise AssertionError(type(event))  # pragma: no cover - the match is exhaustive
