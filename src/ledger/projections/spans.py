"""
Spans: each claim's state as a step function of the stated axis.

The fast path behind `ledger.Ledger.state`. Instead of replaying events at
query time, the store keeps, for every claim, the spans of ``at`` over which
its value, revision count and retraction stay the same, for every
rebuttal and corroboration the span over which it counts, and for every
version of a claim's value the span over which it stands (what ``valid_at``
chooses from). A query for a moment then picks the spans that contain it.

Rules of this module:

- Spans are computed per stream by a pure function of the stream's events
  (corrections applied, positions as `ledger.projections.positioned` gives
  them), so they can always be rebuilt from the log alone.
- A span covers ``start <= at < end`` on the ``until`` axis (integer
  microseconds, `ledger.times.Stamp.until_us`); ``end`` is ``None`` for
  "from then on".
- A rebuttal counts from its own position until its source retracts it or
  its counter-claim is first revised or retracted (that position is passed
  in, since the counter-claim is a stream of its own).
- A version stands from its own position until its source retracts that
  version; a retraction of the whole claim leaves its versions standing (the
  claim's span says it is retracted).
- These rules restate `ledger.projections.contested`; a property test keeps
  the two equal for random ledgers and cut-offs.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

import attrs

from ledger.events import (
    ClaimAsserted,
    ClaimCorroborated,
    ClaimRebutted,
    ClaimRetracted,
    ClaimRevised,
)
from ledger.projections import Position, positioned
from ledger.projections.contested import (
    ClaimState,
    Corroboration,
    Rebuttal,
    SubjectState,
    claim_status,
    latest_words,
    subject_state,
)
from ledger.stores import StoredEvent
from ledger.times import Stamp
from ledger.values import Value

__all__ = [
    "Choice",
    "ClaimSpan",
    "CorroborationSpan",
    "RebuttalSpan",
    "Spans",
    "VersionSpan",
    "choose",
    "containing",
    "first_change",
    "lapses",
    "pick",
    "slices",
    "state_from_spans",
    "stream_spans",
    "stream_tables",
    "stream_versions",
]


@attrs.frozen(kw_only=True)
class ClaimSpan:
    """
    A claim as it stood for every ``at`` in ``[start, end)``.

    .. versionadded:: 0.1.0
    """

    claim_id: str
    subject: str
    source: str
    via: str | None
    position: Position
    seq: int
    start: int
    end: int | None
    value: Value
    as_of: Stamp
    stated_at: Stamp
    citation: str | None
    revisions: int
    retracted: bool


@attrs.frozen(kw_only=True)
class RebuttalSpan:
    """
    A rebuttal in force for every ``at`` in ``[start, end)``.

    .. versionadded:: 0.1.0
    """

    rebuttal: Rebuttal
    claim_id: str
    subject: str
    position: Position
    seq: int
    start: int
    end: int | None


@attrs.frozen(kw_only=True)
class CorroborationSpan:
    """
    A corroboration, counted for every ``at`` from ``start`` on.

    .. versionadded:: 0.1.0
    """

    corroboration: Corroboration
    claim_id: str
    subject: str
    position: Position
    seq: int
    start: int


@attrs.frozen(kw_only=True)
class VersionSpan:
    """
    One version of a claim's value, standing for every ``at`` in ``[start, end)``.

    The claim itself or a revision, from its position until its source
    retracts that version. What ``valid_at`` chooses from: the latest version
    whose ``as_of`` is known by then, among those that stand at ``at``.

    .. versionadded:: 0.1.0
    """

    claim_id: str
    subject: str
    event_id: str
    first: bool
    position: Position
    seq: int
    start: int
    end: int | None
    value: Value
    as_of: Stamp
    stated_at: Stamp
    citation: str | None


@attrs.frozen(kw_only=True)
class Choice:
    """
    The version of a claim that ``valid_at`` chooses, and its revisions by then.

    .. versionadded:: 0.1.0
    """

    value: Value
    as_of: Stamp
    stated_at: Stamp
    citation: str | None
    revisions: int


Spans = tuple[list[ClaimSpan], list[RebuttalSpan], list[CorroborationSpan]]
"""A claim's (or many claims') spans of each kind, as `stream_spans` returns them."""


@attrs.frozen
class _Version:
    event_id: str
    value: Value
    as_of: Stamp
    stated_at: Stamp
    citation: str | None


def first_change(events: Iterable[StoredEvent]) -> int | None:
    """
    Return where a claim is first revised or itself retracted (``until_us``).

    A rebuttal carrying this claim as its counter-claim lapses from there on.
    Retracting a rebuttal or a revision in the stream is no such change.

    .. versionadded:: 0.1.0
    """
    for position, stored in positioned(events):
        event = stored.event
        if isinstance(event, ClaimRevised) or (
            isinstance(event, ClaimRetracted) and event.retracted_id == event.claim_id
        ):
            return position[0]
    return None


def lapses(
    streams: Mapping[str, Sequence[StoredEvent]],
    read_streams: Callable[[list[str]], Mapping[str, Sequence[StoredEvent]]],
) -> dict[str, int | None]:
    """
    Return `first_change` of every counter-claim the rebuttals in *streams* carry.

    A counter-claim is a stream of its own, often one of *streams* already:
    only the others are read, all at once, with *read_streams*.

    .. versionadded:: 0.1.0
    """
    wanted = _counter_claims(streams)
    missing = sorted(wanted - streams.keys())
    read = read_streams(missing) if missing else {}
    return {c: first_change(streams[c] if c in streams else read[c]) for c in wanted}


Slice = tuple[dict[str, Sequence[StoredEvent]], dict[str, int | None]]
"""A slice of streams to refresh: their events by stream, and the `lapses` they need."""


def slices(
    streams: Iterable[str],
    read_streams: Callable[[list[str]], Mapping[str, Sequence[StoredEvent]]],
    size: int,
) -> Iterator[Slice]:
    """
    Yield every stream of *streams* once, about *size* at a time, read with *read_streams*.

    A counter-claim that is to be refreshed too joins the slice of the
    rebuttal that needs it, so its events are read and decoded once, not
    once for its own spans and again for the rebuttal's.

    .. versionadded:: 0.1.0
    """
    pending = dict.fromkeys(sorted(streams))  # an ordered set
    while pending:
        chunk = list(itertools.islice(pending, size))
        for stream in chunk:
            del pending[stream]
        events = dict(read_streams(chunk))
        joining = [c for c in _counter_claims(events) if c in pending]
        if joining:
            for stream in joining:
                del pending[stream]
            events.update(read_streams(joining))
        yield events, lapses(events, read_streams)


def _counter_claims(streams: Mapping[str, Sequence[StoredEvent]]) -> set[str]:
    return {
        e.event.counter_claim_id
        for events in streams.values()
        for e in events
        if isinstance(e.event, ClaimRebutted) and e.event.counter_claim_id is not None
    }


_Steps = list[tuple[Position, StoredEvent]]


def stream_spans(events: Iterable[StoredEvent], lapses: Mapping[str, int | None]) -> Spans:
    """
    Return the spans of one claim's stream.

    Args:
        events: Every stored event of the stream, in ``seq`` order.
        lapses: For each counter-claim a rebuttal in this stream carries,
            where it was first revised or retracted (`first_change`).

    .. versionadded:: 0.1.0
    """
    return _spans_of(positioned(events), lapses)


def stream_tables(
    events: Iterable[StoredEvent], lapses: Mapping[str, int | None]
) -> tuple[Spans, list[VersionSpan]]:
    """
    Return `stream_spans` and `stream_versions` of one stream, putting its events in order once.

    What a store keeps for a stream.

    .. versionadded:: 0.1.0
    """
    steps = positioned(events)
    return _spans_of(steps, lapses), _versions_of(steps)


def _spans_of(  # noqa: C901, PLR0912 - one walk over a stream, a branch per event type
    steps: _Steps, lapses: Mapping[str, int | None]
) -> Spans:
    claims: list[ClaimSpan] = []
    rebutting: list[tuple[Position, StoredEvent, ClaimRebutted]] = []
    corroborations: list[CorroborationSpan] = []
    versions: list[_Version] = []
    dead: set[str] = set()
    retracted = False
    ends: dict[str, int] = {}  # rebuttal id -> where its source retracted it
    head: tuple[ClaimAsserted, Position, int] | None = None
    # The span still open: what a reader sees of it (its key), and where it starts.
    shown: tuple[Any, ...] | None = None
    since = 0
    last = len(steps) - 1
    for index, (position, stored) in enumerate(steps):
        event = stored.event
        if isinstance(event, ClaimRevised | ClaimAsserted):
            if isinstance(event, ClaimAsserted):
                head = (event, position, stored.seq)
            versions.append(
                _Version(stored.event_id, event.value, event.as_of, event.stated_at, event.citation)
            )
        elif isinstance(event, ClaimRetracted):
            if event.retracted_id == stored.stream:
                retracted = True
            else:
                dead.add(event.retracted_id)
                ends.setdefault(event.retracted_id, position[0])
        elif isinstance(event, ClaimRebutted):
            rebutting.append((position, stored, event))
        elif isinstance(event, ClaimCorroborated):
            corroborations.append(
                CorroborationSpan(
                    corroboration=Corroboration.of(stored.event_id, event),
                    claim_id=stored.stream,
                    subject=stored.subject,
                    position=position,
                    seq=stored.seq,
                    start=position[0],
                )
            )
        if head is None or (index < last and steps[index + 1][0][0] == position[0]):
            continue  # spans change only between stated moments
        live = [v for v in versions if v.event_id not in dead] if dead else versions
        key = None
        if live:  # a log the rules built always has one; a raw one may not
            current = live[-1]
            revisions = len(live) - 1 if live[0] is versions[0] else len(live)
            key = (
                head,
                stored.subject,
                current.value,
                current.as_of,
                current.stated_at,
                current.citation,
                revisions,
                retracted,
            )
        if key == shown:
            continue  # nothing a reader sees changed here
        if shown is not None:
            claims.append(_claim_span(shown, since, position[0]))
        shown, since = key, position[0]
    if shown is not None:
        claims.append(_claim_span(shown, since, None))
    rebuttals = []
    for position, stored, event in rebutting:
        stops = [ends.get(stored.event_id), lapses.get(event.counter_claim_id or "")]
        end = min((s for s in stops if s is not None), default=None)
        if end is None or end > position[0]:
            rebuttals.append(
                RebuttalSpan(
                    rebuttal=Rebuttal.of(stored.event_id, event),
                    claim_id=stored.stream,
                    subject=stored.subject,
                    position=position,
                    seq=stored.seq,
                    start=position[0],
                    end=end,
                )
            )
    return claims, rebuttals, corroborations


def stream_versions(events: Iterable[StoredEvent]) -> list[VersionSpan]:
    """
    Return the version spans of one claim's stream, in replay order.

    A version counts from its position until the retraction of that version
    (not of the claim: a retracted claim keeps its versions, and the claim's
    span says it is retracted). One retracted where it was stated never
    counts, and has no span.

    .. versionadded:: 0.1.0
    """
    return _versions_of(positioned(events))


def _versions_of(steps: _Steps) -> list[VersionSpan]:
    retracted: dict[str, int] = {}
    for position, stored in steps:
        event = stored.event
        if isinstance(event, ClaimRetracted) and event.retracted_id != stored.stream:
            retracted.setdefault(event.retracted_id, position[0])
    versions: list[VersionSpan] = []
    first = True
    for position, stored in steps:
        event = stored.event
        if not isinstance(event, ClaimAsserted | ClaimRevised):
            continue
        end = retracted.get(stored.event_id)
        if end is None or end > position[0]:
            versions.append(
                VersionSpan(
                    claim_id=stored.stream,
                    subject=stored.subject,
                    event_id=stored.event_id,
                    first=first,
                    position=position,
                    seq=stored.seq,
                    start=position[0],
                    end=end,
                    value=event.value,
                    as_of=event.as_of,
                    stated_at=event.stated_at,
                    citation=event.citation,
                )
            )
        first = False
    return versions


def containing(spans: Spans, at: int | None) -> Spans:
    """
    Keep the spans that contain *at* (``until_us``; ``None``: from the last moment on).

    What a store's query for a moment selects (`ledger.stores.EventStore.spans_at`):
    a claim or rebuttal span with ``start <= at < end``, or with no end for
    ``None``; a corroboration from its start on.

    .. versionadded:: 0.1.0
    """
    claims, rebuttals, corroborations = spans
    return (
        [c for c in claims if _stands(c.start, c.end, at)],
        [r for r in rebuttals if _stands(r.start, r.end, at)],
        [c for c in corroborations if _stands(c.start, None, at)],
    )


def _claim_span(shown: tuple[Any, ...], start: int, end: int | None) -> ClaimSpan:
    (head, position, seq), subject, value, as_of, stated_at, citation, revisions, retracted = shown
    return ClaimSpan(
        claim_id=head.claim_id,
        subject=subject,
        source=head.source,
        via=head.via,
        position=position,
        seq=seq,
        start=start,
        end=end,
        value=value,
        as_of=as_of,
        stated_at=stated_at,
        citation=citation,
        revisions=revisions,
        retracted=retracted,
    )


def state_from_spans(
    claims: Iterable[ClaimSpan],
    rebuttals: Iterable[RebuttalSpan],
    corroborations: Iterable[CorroborationSpan],
    *,
    chosen: Mapping[str, Choice] | None = None,
) -> tuple[SubjectState, ...]:
    """
    Assemble subject states from the spans that contain one moment.

    Claims keep the order replay gives them (by position, then ``seq``), and so
    do their rebuttals and corroborations; subjects are sorted.

    With *chosen* (`choose` for a ``valid_at``), each claim shows the version
    chosen for it, a claim with none is left out, and each source keeps one
    claim, as `ledger.projections.contested.summarize` does.

    .. versionadded:: 0.1.0
    """
    disputes = _by(rebuttals, "claim_id")
    confirms = _by(corroborations, "claim_id")
    by_subject = _by(claims, "subject")
    # A state of every subject builds a ClaimState for each of hundreds of
    # thousands of claims, most neither rebutted nor corroborated: the loop is
    # inline, and such a claim's status is looked up, not worked out again.
    plain = {retracted: _status(retracted, (), ()) for retracted in (False, True)}
    none: tuple[()] = ()
    states = []
    for subject in sorted(by_subject):
        spans = by_subject[subject]
        if len(spans) > 1:
            spans.sort(key=_REPLAY_ORDER)
        built = []
        for span in spans:
            claim_id = span.claim_id
            # What the claim shows: its span's version, or the one chosen for valid_at.
            shown: ClaimSpan | Choice | None = span if chosen is None else chosen.get(claim_id)
            if shown is None:
                continue
            rebutted = disputes.get(claim_id, none)
            confirmed = confirms.get(claim_id, none)
            if rebutted or confirmed:
                status = _status(span.retracted, rebutted, confirmed)
                rebutted_by = tuple([r.rebuttal for r in sorted(rebutted, key=_REPLAY_ORDER)])
                corroborated_by = tuple(
                    [c.corroboration for c in sorted(confirmed, key=_REPLAY_ORDER)]
                )
            else:
                status, rebutted_by, corroborated_by = plain[span.retracted], none, none
            built.append(
                ClaimState(
                    id=claim_id,
                    source=span.source,
                    via=span.via,
                    value=shown.value,
                    as_of=shown.as_of,
                    stated_at=shown.stated_at,
                    status=status,
                    revisions=shown.revisions,
                    rebutted_by=rebutted_by,
                    corroborated_by=corroborated_by,
                    citation=shown.citation,
                )
            )
        if chosen is None:
            states.append(subject_state(subject, tuple(built)))
        elif built:
            states.append(subject_state(subject, latest_words(built)))
    return tuple(states)


def choose(versions: Iterable[VersionSpan], at: int | None, valid_at: Stamp) -> dict[str, Choice]:
    """
    Return each claim's latest version standing at *at* with ``as_of`` known by *valid_at*.

    *at* is ``until_us`` (``None``: from the last moment on). A claim with no
    such version has no choice. Its revisions count the versions standing
    up to the one chosen, the claim's own first version aside. The stores
    choose from their rows with `pick`, as this does.

    .. versionadded:: 0.1.0
    """
    standing = sorted(
        (v for v in versions if _stands(v.start, v.end, at)),
        key=lambda v: (v.claim_id, v.position, v.seq),
    )
    picked = pick(((v.claim_id, v.first, v.as_of.until_us, v) for v in standing), valid_at.until_us)
    return {
        claim_id: Choice(
            value=v.value,
            as_of=v.as_of,
            stated_at=v.stated_at,
            citation=v.citation,
            revisions=revisions,
        )
        for claim_id, (v, revisions) in picked.items()
    }


_T = TypeVar("_T")


def pick(
    standing: Iterable[tuple[str, bool, int, _T]], valid_until: int
) -> dict[str, tuple[_T, int]]:
    """
    Return, per claim, the last version whose ``as_of`` ends by *valid_until*, and its revisions.

    Args:
        standing: ``(claim_id, first, as_of_until, version)`` for the versions
            standing at a moment, each claim's together and in replay order.
        valid_until: ``valid_at.until_us``.

    .. versionadded:: 0.1.0
    """
    chosen: dict[str, tuple[_T, int]] = {}
    claim, count, lead = None, 0, False
    for claim_id, first, as_of_until, version in standing:
        if claim_id != claim:
            claim, count, lead = claim_id, 0, first
        count += 1
        if as_of_until <= valid_until:
            chosen[claim_id] = (version, count - lead)
    return chosen


def _stands(start: int, end: int | None, at: int | None) -> bool:
    # Whether [start, end) contains `at`; with no `at` (the last moment on), whether it has no end.
    if at is None:
        return end is None
    return start <= at and (end is None or end > at)


_REPLAY_ORDER = operator.attrgetter("position", "seq")
_K = TypeVar("_K")


def _by(items: Iterable[_K], name: str) -> dict[str, list[_K]]:
    # The items grouped by one of their text fields, each group in the items' order.
    groups: dict[str, list[_K]] = {}
    key = operator.attrgetter(name)
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return groups


def _status(retracted: bool, rebutted: Sequence[object], confirmed: Sequence[object]) -> str:
    return claim_status(retracted=retracted, disputed=bool(rebutted), corroborated=bool(confirmed))
