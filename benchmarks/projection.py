"""
The user-written projection the replay benchmark folds over the whole log.

It is what a reader of the docs would write: count events per type and keep
the latest value of each claim. It follows `ledger.Projection` (``initial``
and ``apply``), and keeps its per-event work small so that replay measures
the engine (reading, decoding, ordering), not the fold.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ledger import StoredEvent, Value

__all__ = ["Tally", "TallyProjection"]


@dataclass
class Tally:
    """Events per type, and the latest value stated for each claim."""

    counts: dict[str, int] = field(default_factory=dict)
    latest: dict[str, Value] = field(default_factory=dict)

    @property
    def events(self) -> int:
        """How many events were folded."""
        return sum(self.counts.values())


class TallyProjection:
    """
    Count events per type and keep the latest value per claim.

    The fold owns its accumulator: `initial` returns a fresh one and `apply`
    updates it in place, which is the usual way to fold a million events
    without copying a dict per event. The same events always give the same
    tally.
    """

    def initial(self) -> Tally:
        return Tally()

    def apply(self, state: Tally, event: StoredEvent) -> Tally:
        kind = event.type
        state.counts[kind] = state.counts.get(kind, 0) + 1
        value = getattr(event.event, "value", None)
        if value is not None:
            state.latest[event.stream] = value
        return state
