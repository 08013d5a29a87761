"""
Projections: pure folds over the log, and the replay engine that feeds them.

Rules of the replay engine (`timeline`):

- ``known_at`` keeps only events the ledger had recorded by then; it is the
  only cut-off that can hide a correction.
- Corrections are applied to the events they correct before anything else,
  so a correction counts at every ``at``.
- Events are ordered by stated time (`ledger.times.Stamp.sort_key`), ties
  broken by sequence number. An event never goes before what it refers to:
  its position is the later of its own stated time and its target's, so a
  revision stated within the day of a claim stated as a whole day is replayed
  after it.
- ``at`` keeps the events whose position is known by it: always a prefix of
  the order, which is why replaying a prefix and then the rest equals
  replaying everything.
- A correction is replayed right after the record it corrects.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, Protocol, TypeVar

import attrs

from ledger.events import (
    ClaimCorroborated,
    ClaimRebutted,
    ClaimRetracted,
    ClaimRevised,
    CorrectedValue,
    EntryCorrected,
    Event,
    apply_correction,
)
from ledger.stores import StoredEvent
from ledger.times import Stamp

__all__ = [
    "TARGET_FIELDS",
    "Position",
    "Projection",
    "place",
    "positioned",
    "replay",
    "timeline",
]

S = TypeVar("S")


class Projection(Protocol[S]):
    """
    A pure fold: an initial state and a transition per stored event.

    Implementations keep no clocks, databases or randomness: the same events
    always fold to the same state.

    .. versionadded:: 0.1.0
    """

    def initial(self) -> S:
        """Return the state before any event."""
        ...

    def apply(self, state: S, event: StoredEvent) -> S:
        """Return the state after *event*."""
        ...


TARGET_FIELDS: Final[Mapping[type[Event], str]] = {
    ClaimRevised: "claim_id",
    ClaimRebutted: "claim_id",
    ClaimCorroborated: "claim_id",
    ClaimRetracted: "retracted_id",
    EntryCorrected: "corrected_id",
}
"""The field naming what each kind of event refers to; a claim refers to nothing.

.. versionadded:: 0.1.0
"""

_TARGET: dict[type[Event], Callable[[Any], str]] = {
    cls: operator.attrgetter(name) for cls, name in TARGET_FIELDS.items()
}


Position = tuple[int, int]
"""Where an event stands in replay order: a `ledger.times.Stamp.sort_key`."""

_ORIGIN: Position = (0, 0)
_PLACE_THEN_SEQ = operator.itemgetter(0, 1)


def place(
    position: dict[str, Position], event_id: str, target: str | None, own: Position | None
) -> Position:
    """
    Return where an event stands in replay order, and note it in *position*.

    The rule of `positioned`, for one event given in sequence order: the later
    of its own stated position *own* and its *target*'s position (``None``
    for a correction, which stands where its target does). *position* holds
    the events placed before it, by id.

    .. versionadded:: 0.1.0
    """
    after = _ORIGIN if target is None else position.get(target, _ORIGIN)
    here = after if own is None or own < after else own
    position[event_id] = here
    return here


def positioned(
    events: Iterable[StoredEvent],
    *,
    at: Stamp | None = None,
    known_at: Stamp | None = None,
) -> list[tuple[Position, StoredEvent]]:
    """
    Return the events to replay with their positions, corrected and in order.

    The engine behind `timeline`: the same events, each with the position it
    is replayed at (ties are broken by ``seq``).

    .. versionadded:: 0.1.0
    """
    kept = [e for e in events if known_at is None or e.recorded_at.known_by(known_at)]
    fixes: dict[str, list[tuple[str, CorrectedValue]]] = {}
    for stored in kept:
        if isinstance(stored.event, EntryCorrected):
            fixes.setdefault(stored.event.corrected_id, []).extend(stored.event.fields)
    position: dict[str, Position] = {}
    ordered: list[tuple[Position, int, StoredEvent]] = []
    for stored in kept:
        step, event = stored, stored.event
        if fixes and stored.event_id in fixes:
            event = apply_correction(event, fixes[stored.event_id])
            step = attrs.evolve(stored, event=event)
        target = _TARGET.get(type(event))
        # Unknown targets cannot happen in a ledger the rules built; a log
        # filtered by known_at always holds its targets (they were earlier).
        own = None if isinstance(event, EntryCorrected) else event.stated_at.sort_key
        here = place(position, stored.event_id, None if target is None else target(event), own)
        ordered.append((here, stored.seq, step))
    if at is not None:
        limit = at.until_us
        ordered = [item for item in ordered if item[0][0] <= limit]
    ordered.sort(key=_PLACE_THEN_SEQ)
    return [(pos, stored) for pos, _, stored in ordered]


def timeline(
    events: Iterable[StoredEvent],
    *,
    at: Stamp | None = None,
    known_at: Stamp | None = None,
) -> list[StoredEvent]:
    """
    Return the events to replay, corrected and in stated order.

    Args:
        events: Stored events in sequence order (a whole log, or every event
            of some subjects).
        at: Keep events whose stated time is known by this time.
        known_at: Keep events recorded in the ledger by this time.

    Returns:
        Stored events whose ``event`` has every correction applied, in
        replay order. Corrections are included, right after their target.

    .. versionadded:: 0.1.0
    """
    return [stored for _, stored in positioned(events, at=at, known_at=known_at)]


def replay(
    projection: Projection[S],
    events: Iterable[StoredEvent],
    *,
    at: Stamp | None = None,
    known_at: Stamp | None = None,
) -> S:
    """
    Fold *projection* over *events* in replay order (see `timeline`).

    .. versionadded:: 0.1.0
    """
    return functools.reduce(
        projection.apply, timeline(events, at=at, known_at=known_at), projection.initial()
    )
