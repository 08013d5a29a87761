"""
The contested state: who claimed what about each subject, and who disputed it.

Rules of this projection (all transition rules sit here):

- A claim's value is its latest version (the claim or a revision) that was
  not retracted. With ``valid_at``, its latest version whose ``as_of`` is
  known by ``valid_at``; a claim with none is dropped, and for each
  (subject, source) only the claim whose chosen version has the latest
  ``as_of`` remains, a live claim before a retracted one.
- A rebuttal stays in force until its source retracts it. A rebuttal that
  carries a counter-claim also lapses once that counter-claim is revised or
  retracted: the rebutter's latest word then speaks for itself.
- A claim's status is ``retracted`` > ``disputed`` (a rebuttal in force) >
  ``corroborated`` > ``unverified``.
- A subject is ``withdrawn`` when all its claims are retracted; otherwise
  ``contested`` when a live claim is disputed or two live claims disagree
  (`ledger.values.agree`), ``agreed`` when two or more sources all agree, and
  ``single_source`` otherwise. Its spread is the lowest low end and highest
  high end of its live quantities (``None`` where unbounded).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

import attrs

from ledger.events import (
    ClaimAsserted,
    ClaimCorroborated,
    ClaimRebutted,
    ClaimRetracted,
    ClaimRevised,
)
from ledger.stores import StoredEvent
from ledger.times import Stamp
from ledger.values import Number, Quantity, Value, all_agree, ends

__all__ = [
    "ClaimState",
    "Corroboration",
    "Rebuttal",
    "State",
    "SubjectFold",
    "SubjectProjection",
    "SubjectState",
    "claim_status",
    "latest_words",
    "subject_state",
    "summarize",
]


@attrs.frozen(kw_only=True)
class Version:
    """One version of a claim's value: the claim itself or a revision."""

    event_id: str
    value: Value
    as_of: Stamp
    stated_at: Stamp
    citation: str | None
    retracted: bool = False


@attrs.frozen(kw_only=True)
class Rebuttal:
    """
    A rebuttal of a claim, as the state reports it.

    .. versionadded:: 0.1.0
    """

    id: str
    source: str
    stated_at: Stamp
    counter_claim: str | None = None
    reason: str | None = None
    citation: str | None = None
    retracted: bool = False
    lapsed: bool = False

    @property
    def in_force(self) -> bool:
        """Whether the rebuttal still disputes its claim."""
        return not (self.retracted or self.lapsed)

    @classmethod
    def of(cls, event_id: str, event: ClaimRebutted, *, lapsed: bool = False) -> Rebuttal:
        """
        Return the rebuttal stored as *event_id*, as the state reports it.

        .. versionadded:: 0.1.0
        """
        return cls(
            id=event_id,
            source=event.source,
            stated_at=event.stated_at,
            counter_claim=event.counter_claim_id,
            reason=event.reason,
            citation=event.citation,
            lapsed=lapsed,
        )


@attrs.frozen(kw_only=True)
class Corroboration:
    """
    A corroboration of a claim.

    .. versionadded:: 0.1.0
    """

    id: str
    source: str
    stated_at: Stamp
    citation: str | None = None

    @classmethod
    def of(cls, event_id: str, event: ClaimCorroborated) -> Corroboration:
        """
        Return the corroboration stored as *event_id*.

        .. versionadded:: 0.1.0
        """
        return cls(
            id=event_id, source=event.source, stated_at=event.stated_at, citation=event.citation
        )


@attrs.frozen(kw_only=True)
class ClaimFold:
    """Everything folded so far about one claim."""

    id: str
    source: str
    via: str | None
    versions: tuple[Version, ...]
    rebuttals: tuple[str, ...] = ()
    corroborations: tuple[Corroboration, ...] = ()
    retracted: bool = False


@attrs.frozen(kw_only=True)
class SubjectFold:
    """
    The fold of one subject's events: its claims and their rebuttals.

    .. versionadded:: 0.1.0
    """

    subject: str
    claims: Mapping[str, ClaimFold] = attrs.field(factory=dict)
    rebuttals: Mapping[str, Rebuttal] = attrs.field(factory=dict)


class SubjectProjection:
    """
    The projection behind `ledger.Ledger.state`: a pure fold per subject.

    .. versionadded:: 0.1.0
    """

    def __init__(self, subject: str) -> None:
        """Fold the events of *subject*."""
        self.subject = subject

    def initial(self) -> SubjectFold:
        """Return the fold of a subject nobody has claimed anything about."""
        return SubjectFold(subject=self.subject)

    def apply(self, state: SubjectFold, stored: StoredEvent) -> SubjectFold:
        """Return *state* after *stored* (one branch per event type)."""
        event = stored.event
        match event:
            case ClaimAsserted():
                version = Version(
                    event_id=stored.event_id,
                    value=event.value,
                    as_of=event.as_of,
                    stated_at=event.stated_at,
                    citation=event.citation,
                )
                claim = ClaimFold(
                    id=event.claim_id, source=event.source, via=event.via, versions=(version,)
                )
                return _with_claim(state, claim)
            case ClaimRevised():
                claim = state.claims[event.claim_id]
                version = Version(
                    event_id=stored.event_id,
                    value=event.value,
                    as_of=event.as_of,
                    stated_at=event.stated_at,
                    citation=event.citation,
                )
                state = _lapse_counters(state, event.claim_id)
                return _with_claim(state, attrs.evolve(claim, versions=(*claim.versions, version)))
            case ClaimRebutted():
                claim = state.claims[event.claim_id]
                counter = state.claims.get(event.counter_claim_id or "")
                rebuttal = Rebuttal.of(
                    stored.event_id,
                    event,
                    # A counter-claim already revised or withdrawn speaks for itself.
                    lapsed=counter is not None and (len(counter.versions) > 1 or counter.retracted),
                )
                state = attrs.evolve(state, rebuttals={**state.rebuttals, rebuttal.id: rebuttal})
                return _with_claim(
                    state, attrs.evolve(claim, rebuttals=(*claim.rebuttals, rebuttal.id))
                )
            case ClaimRetracted():
                return _retract(state, event)
            case ClaimCorroborated():
                claim = state.claims[event.claim_id]
                corroboration = Corroboration.of(stored.event_id, event)
                return _with_claim(
                    state,
                    attrs.evolve(claim, corroborations=(*claim.corroborations, corroboration)),
                )
            case _:
                # Corrections were applied by the replay engine already.
                return state


def _with_claim(state: SubjectFold, claim: ClaimFold) -> SubjectFold:
    return attrs.evolve(state, claims={**state.claims, claim.id: claim})


def _lapse_counters(state: SubjectFold, claim_id: str) -> SubjectFold:
    lapsed = {
        r.id: attrs.evolve(r, lapsed=True)
        for r in state.rebuttals.values()
        if r.counter_claim == claim_id and not r.lapsed
    }
    return attrs.evolve(state, rebuttals={**state.rebuttals, **lapsed}) if lapsed else state


def _retract(state: SubjectFold, event: ClaimRetracted) -> SubjectFold:
    target = event.retracted_id
    if target in state.rebuttals:
        rebuttal = attrs.evolve(state.rebuttals[target], retracted=True)
        return attrs.evolve(state, rebuttals={**state.rebuttals, target: rebuttal})
    claim = state.claims[event.claim_id]
    if target == claim.id:
        return _with_claim(_lapse_counters(state, claim.id), attrs.evolve(claim, retracted=True))
    versions = tuple(
        attrs.evolve(v, retracted=True) if v.event_id == target else v for v in claim.versions
    )
    return _with_claim(state, attrs.evolve(claim, versions=versions))


@attrs.frozen(kw_only=True)
class ClaimState:
    """
    One claim as it stood.

    Attributes:
        id: The claim's id.
        source: Who claimed it.
        via: Who relayed it, if anyone.
        value: Its current value (latest version within the cut-offs).
        as_of: The time that value describes.
        stated_at: When that value was stated.
        status: ``retracted``, ``disputed``, ``corroborated`` or ``unverified``.
        revisions: How many revisions (not retracted) it has had.
        rebutted_by: The rebuttals in force.
        corroborated_by: The corroborations.
        citation: Where the current value was found.

    .. versionadded:: 0.1.0
    """

    id: str
    source: str
    via: str | None
    value: Value
    as_of: Stamp
    stated_at: Stamp
    status: str
    revisions: int
    rebutted_by: tuple[Rebuttal, ...]
    corroborated_by: tuple[Corroboration, ...]
    citation: str | None = None


@attrs.frozen(kw_only=True)
class SubjectState:
    """
    One subject as it stood.

    Attributes:
        subject: The subject key.
        status: ``contested``, ``agreed``, ``single_source`` or ``withdrawn``.
        low: The lowest low end of its live quantities (``None`` if unbounded
            or if it holds no quantities).
        high: The highest high end, likewise.
        claims: Its claims, in the order they were made.

    .. versionadded:: 0.1.0
    """

    subject: str
    status: str
    low: Number | None
    high: Number | None
    claims: tuple[ClaimState, ...]

    def claim(self, claim_id: str) -> ClaimState:
        """Return the claim with *claim_id*; raise `KeyError` if absent."""
        for claim in self.claims:
            if claim.id == claim_id:
                return claim
        raise KeyError(claim_id)


@attrs.frozen(kw_only=True)
class State:
    """
    The contested state at a moment: every subject asked for.

    .. versionadded:: 0.1.0
    """

    at: Stamp | None
    known_at: Stamp | None
    valid_at: Stamp | None
    subjects: tuple[SubjectState, ...]

    def __getitem__(self, subject: str) -> SubjectState:
        """Return the state of *subject*; raise `KeyError` if it has no claims."""
        for state in self.subjects:
            if state.subject == subject:
                return state
        raise KeyError(subject)

    def __contains__(self, subject: object) -> bool:
        """Return whether *subject* has claims in this state."""
        return any(s.subject == subject for s in self.subjects)


def _pick(claim: ClaimFold, valid_at: Stamp | None) -> tuple[int, Version] | None:
    live = [(i, v) for i, v in enumerate(claim.versions) if not v.retracted]
    if valid_at is not None:
        live = [(i, v) for i, v in live if v.as_of.known_by(valid_at)]
    return live[-1] if live else None


def summarize(fold: SubjectFold, valid_at: Stamp | None = None) -> SubjectState | None:
    """
    Turn a subject's fold into its state; ``None`` if no claim remains.

    .. versionadded:: 0.1.0
    """
    picked: list[tuple[ClaimFold, int, Version]] = []
    for claim in fold.claims.values():
        choice = _pick(claim, valid_at)
        if choice is not None:
            picked.append((claim, *choice))
    if not picked:
        return None
    claims = tuple(_claim_state(fold, claim, index, version) for claim, index, version in picked)
    return subject_state(fold.subject, claims if valid_at is None else latest_words(claims))


def latest_words(claims: Sequence[ClaimState]) -> tuple[ClaimState, ...]:
    """
    Keep each source's latest word about ``valid_at``: its claim with the latest ``as_of``.

    A withdrawn claim is no source's standing word: a live one wins; of
    equals, the later. The claims keep their order.

    .. versionadded:: 0.1.0
    """
    best: dict[str, ClaimState] = {}
    for claim in claims:
        held = best.get(claim.source)
        if held is None or _word(claim) >= _word(held):
            best[claim.source] = claim
    return tuple(claim for claim in claims if best[claim.source] is claim)


def _word(claim: ClaimState) -> tuple[bool, tuple[int, int]]:
    return claim.status != "retracted", claim.as_of.sort_key


def subject_state(subject: str, claims: tuple[ClaimState, ...]) -> SubjectState:
    """
    Return a subject's state from its claims' states (status and spread).

    .. versionadded:: 0.1.0
    """
    live = [c for c in claims if c.status != "retracted"]
    low, high = _spread(live)
    return SubjectState(
        subject=subject, status=_subject_status(live), low=low, high=high, claims=claims
    )


def claim_status(*, retracted: bool, disputed: bool, corroborated: bool) -> str:
    """
    Return a claim's status: ``retracted`` > ``disputed`` > ``corroborated`` > ``unverified``.

    .. versionadded:: 0.1.0
    """
    if retracted:
        return "retracted"
    if disputed:
        return "disputed"
    if corroborated:
        return "corroborated"
    return "unverified"


def _claim_state(fold: SubjectFold, claim: ClaimFold, index: int, version: Version) -> ClaimState:
    rebutted_by = tuple(fold.rebuttals[r] for r in claim.rebuttals if fold.rebuttals[r].in_force)
    status = claim_status(
        retracted=claim.retracted,
        disputed=bool(rebutted_by),
        corroborated=bool(claim.corroborations),
    )
    return ClaimState(
        id=claim.id,
        source=claim.source,
        via=claim.via,
        value=version.value,
        as_of=version.as_of,
        stated_at=version.stated_at,
        status=status,
        revisions=sum(1 for v in claim.versions[1 : index + 1] if not v.retracted),
        rebutted_by=rebutted_by,
        corroborated_by=claim.corroborations,
        citation=version.citation,
    )


def _subject_status(live: list[ClaimState]) -> str:
    if not live:
        return "withdrawn"
    disputed = any(c.status == "disputed" for c in live)
    if disputed or not all_agree([c.value for c in live]):
        return "contested"
    if len({c.source for c in live}) >= 2:
        return "agreed"
    return "single_source"


def _spread(live: list[ClaimState]) -> tuple[Number | None, Number | None]:
    reach = [ends(c.value) for c in live if isinstance(c.value, Quantity)]
    lows, highs = [low for (low, _), _ in reach], [high for _, (high, _) in reach]
    return (
        None if not reach or None in lows else _tidy(min(n for n in lows if n is not None)),
        None if not reach or None in highs else _tidy(max(n for n in highs if n is not None)),
    )


def _tidy(n: Number) -> Number:
    # Tolerance arithmetic leaves trailing zeros (498 * 0.9 = 448.20).
    if isinstance(n, Decimal):
        return int(n) if n == n.to_integral_value() else n.normalize()
    return n
