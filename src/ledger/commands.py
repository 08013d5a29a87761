"""
Commands and the pure decision that turns them into events.

Rules of this module (each broken rule raises a `RuleError` and decides
nothing, so the ledger stays exactly as it was):

- Ids are unique across the whole log.
- References must exist: in the ledger, or earlier in the same batch.
- A revision or retraction comes from the source of what it changes; a
  rebuttal or corroboration comes from a different source.
- Nothing follows a retraction except a correction.
- A revision, rebuttal, corroboration or retraction cannot be stated before
  the record it changes: its stated interval may not end before that
  record's begins.

`decide(view, command)` reads only what the `RecordView` tells it about
existing records, so it is a pure function the shell can call inside or
outside a transaction, for one command or a whole import.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from typing import Protocol

import attrs

from ledger import codec
from ledger.errors import DuplicateIdError, RuleError, UnknownReferenceError, ValidationError
from ledger.events import (
    ClaimAsserted,
    ClaimCorroborated,
    ClaimRebutted,
    ClaimRetracted,
    ClaimRevised,
    CorrectedValue,
    EntryCorrected,
    Event,
    apply_correction,
)
from ledger.stores import NewEvent, RawEvent
from ledger.times import Stamp, parse_stamp
from ledger.values import Value

__all__ = [
    "AssertClaim",
    "Command",
    "CorrectEntry",
    "CorroborateClaim",
    "Decision",
    "RebutClaim",
    "RecordInfo",
    "RecordView",
    "RetractRecord",
    "ReviseClaim",
    "StreamFold",
    "counter_claim_id",
    "decide",
    "event_as_it_stands",
]

CORRECTABLE_BY_KIND: Mapping[str, frozenset[str]] = {
    "claim": frozenset({"value", "stated_at", "as_of", "source", "via", "citation", "quote"}),
    "revision": frozenset({"value", "stated_at", "as_of", "via", "citation", "quote"}),
    "rebuttal": frozenset({"stated_at", "source", "reason", "via", "citation", "quote"}),
    "retraction": frozenset({"stated_at", "via", "citation", "quote"}),
    "corroboration": frozenset({"stated_at", "source", "via", "citation", "quote"}),
}
"""Which fields a correction may replace, by the kind of record it corrects.

A record's ``note`` is not among them: a correction's own note says why it
was made, and the records format has one ``note`` field per line.
"""

KIND_OF: Mapping[type[Event], str] = {
    ClaimAsserted: "claim",
    ClaimRevised: "revision",
    ClaimRebutted: "rebuttal",
    ClaimRetracted: "retraction",
    ClaimCorroborated: "corroboration",
    EntryCorrected: "correction",
}

KIND_BY_TYPE: Mapping[str, str] = {cls.__name__: kind for cls, kind in KIND_OF.items()}
"""The kind of record each stored event type names."""


def counter_claim_id(rebuttal_id: str) -> str:
    """
    Return the id given to the counter-claim a rebuttal carries.

    .. versionadded:: 0.1.0
    """
    return f"{rebuttal_id}.counter"


def rebuttal_carrying(claim_id: str) -> str | None:
    """
    Return the id of the rebuttal that would carry *claim_id* as its counter-claim.

    The inverse of `counter_claim_id`, read off the id's form alone: for a
    claim that merely has an id of that form, the answer names no rebuttal
    (or some other record), so callers take it as a hint to look up.

    .. versionadded:: 0.1.0
    """
    return claim_id.removesuffix(".counter") if claim_id.endswith(".counter") else None


@attrs.frozen(kw_only=True)
class AssertClaim:
    """
    Record that *source* claimed *value* for *subject*.

    .. versionadded:: 0.1.0
    """

    id: str
    subject: str
    value: Value
    source: str
    stated_at: Stamp
    as_of: Stamp | None = None
    via: str | None = None
    citation: str | None = None
    quote: str | None = None
    note: str | None = None


@attrs.frozen(kw_only=True)
class ReviseClaim:
    """
    Record that a claim's source restated it with a new value.

    *revises* is the id of the claim, of an earlier revision of it, or of a
    rebuttal carrying a counter-claim (then the counter-claim is revised).

    .. versionadded:: 0.1.0
    """

    id: str
    revises: str
    value: Value
    stated_at: Stamp
    as_of: Stamp | None = None
    source: str | None = None
    via: str | None = None
    note: str | None = None
    citation: str | None = None
    quote: str | None = None


@attrs.frozen(kw_only=True)
class RebutClaim:
    """
    Record that *source* disputed a claim, optionally with a counter-value.

    .. versionadded:: 0.1.0
    """

    id: str
    rebuts: str
    source: str
    stated_at: Stamp
    counter_value: Value | None = None
    counter_as_of: Stamp | None = None
    reason: str | None = None
    via: str | None = None
    citation: str | None = None
    quote: str | None = None
    note: str | None = None


@attrs.frozen(kw_only=True)
class RetractRecord:
    """
    Record that a source withdrew a claim, a revision or a rebuttal of its own.

    .. versionadded:: 0.1.0
    """

    id: str
    retracts: str
    stated_at: Stamp
    source: str | None = None
    via: str | None = None
    note: str | None = None
    citation: str | None = None
    quote: str | None = None


@attrs.frozen(kw_only=True)
class CorroborateClaim:
    """
    Record that another source confirmed a claim.

    .. versionadded:: 0.1.0
    """

    id: str
    corroborates: str
    source: str
    stated_at: Stamp
    via: str | None = None
    citation: str | None = None
    quote: str | None = None
    note: str | None = None


@attrs.frozen(kw_only=True)
class CorrectEntry:
    """
    Fix the ledger's own transcription of an earlier record.

    .. versionadded:: 0.1.0
    """

    id: str
    corrects: str
    fields: Mapping[str, CorrectedValue]
    note: str


Command = AssertClaim | ReviseClaim | RebutClaim | RetractRecord | CorroborateClaim | CorrectEntry
"""Anything a user can ask the ledger to record."""


@attrs.frozen(kw_only=True)
class RecordInfo:
    """
    What the rules need to know about one stored record, corrections applied.

    A fold keeps this much of each record, not its whole event, so that an
    import can keep many claims folded at once and fold one again from its
    stored rows without decoding them (`StreamFold.of_raw`). The rare rule
    that needs the whole event asks the view for it (`RecordView.event_of`).

    Attributes:
        id: The record's id.
        kind: ``claim``, ``revision``, ``rebuttal``, ``retraction``,
            ``corroboration`` or ``correction``.
        stream: The claim the record is filed under.
        source: The record's own source, where it has one.
        stated_at: When the record was stated, where it has a time.
        counter_claim: The id of the counter-claim a rebuttal carries.
        retracted: Whether the record itself was retracted.

    .. versionadded:: 0.1.0
    """

    id: str
    kind: str
    stream: str
    source: str | None = None
    stated_at: Stamp | None = None
    counter_claim: str | None = None
    retracted: bool = False


@attrs.frozen(kw_only=True)
class StreamFold:
    """
    The records of one claim's stream, folded from its events.

    Attributes:
        stream: The claim's id.
        subject: The claim's subject (empty until the claim is folded).
        version: How many events the fold has seen.
        records: Every record of the stream by id.

    .. versionadded:: 0.1.0
    """

    stream: str
    subject: str = ""
    version: int = 0
    records: Mapping[str, RecordInfo] = attrs.field(factory=dict)

    @property
    def claim(self) -> RecordInfo:
        """The claim that opens the stream."""
        return self.records[self.stream]

    def apply(self, event_id: str, event: Event) -> StreamFold:
        """Return the fold with one more event of this stream."""
        return _folded(self, [_step(self.stream, event_id, event)])

    @classmethod
    def of(cls, stream: str, events: Iterable[tuple[str, Event]]) -> StreamFold:
        """Fold a stream's ``(event_id, event)`` pairs in version order."""
        return _folded(cls(stream=stream), (_step(stream, i, event) for i, event in events))

    @classmethod
    def of_raw(cls, stream: str, raws: Iterable[RawEvent]) -> StreamFold:
        """
        Fold a stream's stored rows in version order.

        Equal to `of` over the decoded events (a property in the tests),
        without decoding them: the kind, source and stated time are the rows'
        own columns, which `ledger.integrity.verify` holds to the hashed data.
        Only a correction, or an event of an older schema, is decoded.
        """
        return _folded(cls(stream=stream), (_raw_step(stream, raw) for raw in raws))


_Step = tuple[RecordInfo, str | None, str | None, tuple[str, Mapping[str, CorrectedValue]] | None]
"""One event as a fold takes it: the record, a claim's subject, what it retracts or corrects."""


def _folded(fold: StreamFold, steps: Iterable[_Step]) -> StreamFold:
    # One copy of the records for any number of steps: folding a stream
    # of k events copies k records, not k * k / 2.
    records = dict(fold.records)
    subject, version = fold.subject, fold.version
    for info, claim_subject, retracts, corrects in steps:
        if retracts is not None:
            records[retracts] = attrs.evolve(records[retracts], retracted=True)
        if corrects is not None:
            target = records[corrects[0]]
            source = corrects[1].get("source", target.source)
            stated_at = corrects[1].get("stated_at", target.stated_at)
            records[target.id] = attrs.evolve(
                target,
                source=source if isinstance(source, str) else target.source,
                stated_at=stated_at if isinstance(stated_at, Stamp) else target.stated_at,
            )
        records[info.id] = info
        subject = claim_subject or subject
        version += 1
    return StreamFold(stream=fold.stream, subject=subject, version=version, records=records)


def _step(stream: str, event_id: str, event: Event) -> _Step:
    source = getattr(event, "source", None)
    info = RecordInfo(
        id=event_id,
        kind=KIND_OF[type(event)],
        stream=stream,
        source=None if source is None else sys.intern(source),
        stated_at=getattr(event, "stated_at", None),
        counter_claim=getattr(event, "counter_claim_id", None),
    )
    if isinstance(event, EntryCorrected):
        return info, None, None, (event.corrected_id, dict(event.fields))
    if isinstance(event, ClaimRetracted):
        return info, None, event.retracted_id, None
    return info, getattr(event, "subject", None), None, None


def _raw_step(stream: str, raw: RawEvent) -> _Step:
    kind = KIND_BY_TYPE.get(raw.type)
    if (
        kind is None
        or kind == "correction"
        or raw.schema_version != codec.SCHEMA_VERSIONS[raw.type]
    ):
        return _step(stream, raw.event_id, codec.decode(raw.type, raw.schema_version, raw.data))
    counter = _text_field(raw, "counter_claim_id", required=False) if kind == "rebuttal" else None
    info = RecordInfo(
        id=raw.event_id,
        kind=kind,
        stream=stream,
        source=None if raw.source is None else sys.intern(raw.source),  # a few, repeated
        stated_at=None if raw.stated_at is None else parse_stamp(raw.stated_at),
        counter_claim=counter,
    )
    if kind == "retraction":
        return info, None, _text_field(raw, "retracted_id"), None
    return info, raw.subject if kind == "claim" else None, None, None


def _text_field(raw: RawEvent, name: str, *, required: bool = True) -> str | None:
    data = codec.loads(raw.data)
    value = data.get(name) if isinstance(data, dict) else None
    if isinstance(value, str) or (value is None and not required):
        return value
    raise ValidationError(f"{raw.type} {raw.event_id!r}: stored data has no {name}")


def event_as_it_stands(record_id: str, events: Iterable[tuple[str, Event]]) -> Event | None:
    """
    Return *record_id*'s event from its stream's events, every correction applied.

    .. versionadded:: 0.1.0
    """
    found: Event | None = None
    for event_id, event in events:
        if event_id == record_id:
            found = event
        elif (
            found is not None
            and isinstance(event, EntryCorrected)
            and event.corrected_id == record_id
        ):
            found = apply_correction(found, event.fields)
    return found


class RecordView(Protocol):
    """
    What `decide` may ask about the ledger.

    .. versionadded:: 0.1.0
    """

    def stream_of(self, record_id: str) -> StreamFold | None:
        """Return the folded stream holding *record_id*, or ``None`` if no record has it."""
        ...

    def event_of(self, record_id: str) -> Event | None:
        """Return *record_id*'s event with every correction applied, or ``None``."""
        ...


@attrs.frozen(kw_only=True)
class Decision:
    """
    The events a command decided, and the stream versions they were decided on.

    .. versionadded:: 0.1.0
    """

    events: tuple[NewEvent, ...]
    expected: Mapping[str, int]


def decide(view: RecordView, command: Command) -> Decision:
    """
    Check *command* against the ledger's rules and return its events.

    Args:
        view: What the ledger holds (and what the batch so far adds).
        command: The command to decide.

    Returns:
        The events to append, and the versions of the streams they touch.

    Raises:
        RuleError: A rule is broken (see the module's rules).
        DuplicateIdError: An id is taken.
        UnknownReferenceError: A referenced record does not exist.
        ValidationError: A field is malformed.

    .. versionadded:: 0.1.0
    """
    _fresh(view, command.id, "id")
    match command:
        case AssertClaim():
            return _assert(command)
        case ReviseClaim():
            return _revise(view, command)
        case RebutClaim():
            return _rebut(view, command)
        case RetractRecord():
            return _retract(view, command)
        case CorroborateClaim():
            return _corroborate(view, command)
        case CorrectEntry():
            return _correct(view, command)


def _fresh(view: RecordView, record_id: str, field: str) -> None:
    if view.stream_of(record_id) is not None:
        raise DuplicateIdError(f"{field}: {record_id!r} is already in the ledger")


def _find(view: RecordView, record_id: str, field: str) -> tuple[StreamFold, RecordInfo]:
    fold = view.stream_of(record_id)
    if fold is None:
        raise UnknownReferenceError(f"{field}: no record {record_id!r} in the ledger")
    return fold, fold.records[record_id]


def _live_claim(fold: StreamFold, field: str) -> RecordInfo:
    claim = fold.claim
    if claim.retracted:
        raise RuleError(
            f"{field}: claim {claim.id!r} was retracted; nothing follows a retraction "
            "except a correction"
        )
    return claim


def _not_before(stated_at: Stamp, target: RecordInfo, field: str) -> None:
    target_at = target.stated_at
    if target_at is not None and stated_at.end <= target_at.start:
        raise RuleError(
            f"stated_at: {stated_at} is before {target.kind} {target.id!r} "
            f"(stated {target_at}) that {field} changes"
        )


def _claim_target(view: RecordView, record_id: str, field: str) -> tuple[StreamFold, RecordInfo]:
    """Resolve a reference that must land on a live claim or one of its revisions."""
    fold, target = _find(view, record_id, field)
    if target.kind not in {"claim", "revision"}:
        raise RuleError(f"{field}: {record_id!r} is a {target.kind}, not a claim or a revision")
    claim = _live_claim(fold, field)
    if target.retracted:
        raise RuleError(
            f"{field}: {target.kind} {record_id!r} was retracted; nothing follows a retraction "
            "except a correction"
        )
    return fold, claim


def _assert(command: AssertClaim) -> Decision:
    event = ClaimAsserted(
        claim_id=command.id,
        subject=command.subject,
        value=command.value,
        source=command.source,
        stated_at=command.stated_at,
        as_of=command.as_of or command.stated_at,
        via=command.via,
        citation=command.citation,
        quote=command.quote,
        note=command.note,
    )
    return Decision(
        events=(NewEvent(event_id=command.id, stream=command.id, event=event),),
        expected={command.id: 0},
    )


def _revise(view: RecordView, command: ReviseClaim) -> Decision:
    fold, target = _find(view, command.revises, "revises")
    if target.kind == "rebuttal":
        if target.retracted:
            raise RuleError(
                f"revises: rebuttal {command.revises!r} was retracted; nothing follows a "
                "retraction except a correction"
            )
        counter = target.counter_claim
        if counter is None:
            raise RuleError(
                f"revises: rebuttal {command.revises!r} carries no counter-claim to revise"
            )
        fold, target = _find(view, counter, "revises")
    fold, claim = _claim_target(view, target.id, "revises")
    if command.source is not None and command.source != claim.source:
        raise RuleError(
            f"source: {command.source!r} cannot revise claim {claim.id!r}; only its source "
            f"{claim.source!r} can"
        )
    _not_before(command.stated_at, claim, "the revision")
    event = ClaimRevised(
        claim_id=claim.id,
        value=command.value,
        stated_at=command.stated_at,
        as_of=command.as_of or command.stated_at,
        via=command.via,
        note=command.note,
        citation=command.citation,
        quote=command.quote,
    )
    return Decision(
        events=(NewEvent(event_id=command.id, stream=claim.id, event=event),),
        expected={claim.id: fold.version},
    )


def _rebut(view: RecordView, command: RebutClaim) -> Decision:
    fold, claim = _claim_target(view, command.rebuts, "rebuts")
    if command.source == claim.source:
        raise RuleError(
            f"source: {command.source!r} cannot rebut its own claim {claim.id!r}; "
            "revise or retract it instead"
        )
    _not_before(command.stated_at, claim, "the rebuttal")
    events: list[NewEvent] = []
    expected = {claim.id: fold.version}
    counter_id = None
    if command.counter_value is not None:
        counter_id = counter_claim_id(command.id)
        _fresh(view, counter_id, "id")
        counter = _assert(
            AssertClaim(
                id=counter_id,
                subject=fold.subject,
                value=command.counter_value,
                source=command.source,
                stated_at=command.stated_at,
                as_of=command.counter_as_of,
                via=command.via,
                citation=command.citation,
                quote=command.quote,
            )
        )
        events.extend(counter.events)
        expected.update(counter.expected)
    rebuttal = ClaimRebutted(
        claim_id=claim.id,
        source=command.source,
        stated_at=command.stated_at,
        counter_claim_id=counter_id,
        reason=command.reason,
        via=command.via,
        citation=command.citation,
        quote=command.quote,
        note=command.note,
    )
    events.append(NewEvent(event_id=command.id, stream=claim.id, event=rebuttal))
    return Decision(events=tuple(events), expected=expected)


def _retract(view: RecordView, command: RetractRecord) -> Decision:
    fold, target = _find(view, command.retracts, "retracts")
    if target.kind not in {"claim", "revision", "rebuttal"}:
        raise RuleError(
            f"retracts: {command.retracts!r} is a {target.kind}; only a claim, a revision "
            "or a rebuttal can be retracted"
        )
    _live_claim(fold, "retracts")
    if target.retracted:
        raise RuleError(f"retracts: {target.kind} {target.id!r} was already retracted")
    owner = target.source if target.kind == "rebuttal" else fold.claim.source
    if command.source is not None and command.source != owner:
        raise RuleError(
            f"source: {command.source!r} cannot retract {target.kind} {target.id!r}; "
            f"only its source {owner!r} can"
        )
    _not_before(command.stated_at, target, "the retraction")
    event = ClaimRetracted(
        claim_id=fold.stream,
        retracted_id=target.id,
        source=owner or "",
        stated_at=command.stated_at,
        via=command.via,
        note=command.note,
        citation=command.citation,
        quote=command.quote,
    )
    return Decision(
        events=(NewEvent(event_id=command.id, stream=fold.stream, event=event),),
        expected={fold.stream: fold.version},
    )


def _corroborate(view: RecordView, command: CorroborateClaim) -> Decision:
    fold, claim = _claim_target(view, command.corroborates, "corroborates")
    if command.source == claim.source:
        raise RuleError(
            f"source: {command.source!r} cannot corroborate its own claim {claim.id!r}; "
            "corroboration comes from another source"
        )
    _not_before(command.stated_at, claim, "the corroboration")
    event = ClaimCorroborated(
        claim_id=claim.id,
        source=command.source,
        stated_at=command.stated_at,
        via=command.via,
        citation=command.citation,
        quote=command.quote,
        note=command.note,
    )
    return Decision(
        events=(NewEvent(event_id=command.id, stream=claim.id, event=event),),
        expected={claim.id: fold.version},
    )


def _check_corrected_source(fold: StreamFold, target: RecordInfo, source: object) -> None:
    """Keep the source rules true after a correction of a source."""
    if source is None:
        return
    if target.kind in {"rebuttal", "corroboration"} and source == fold.claim.source:
        raise RuleError(
            f"source: {target.kind} {target.id!r} must come from another source than its "
            f"claim's ({source!r})"
        )
    if target.kind == "claim":
        others = {
            r.source
            for r in fold.records.values()
            if r.kind in {"rebuttal", "corroboration"} and not r.retracted
        }
        if source in others:
            raise RuleError(
                f"source: {source!r} rebuts or corroborates claim {target.id!r}, so it "
                "cannot be the claim's own source"
            )


def _correct(view: RecordView, command: CorrectEntry) -> Decision:
    fold, target = _find(view, command.corrects, "corrects")
    if target.kind == "correction":
        raise RuleError(
            f"corrects: {command.corrects!r} is itself a correction; correct the original "
            "record again instead (the latest correction of a field wins)"
        )
    allowed = CORRECTABLE_BY_KIND[target.kind]
    for name in command.fields:
        if name not in allowed:
            raise RuleError(
                f"{name}: {target.kind} {target.id!r} has no correctable field {name!r} "
                f"(correctable: {', '.join(sorted(allowed))})"
            )
    _check_corrected_source(fold, target, command.fields.get("source"))
    event = view.event_of(target.id)
    if event is None:  # the view found the stream but not the record: a broken view
        raise UnknownReferenceError(f"corrects: no record {command.corrects!r} in the ledger")
    try:
        apply_correction(event, command.fields.items())
    except ValidationError as e:
        field, _, reason = str(e).partition(": ")
        raise RuleError(
            f"{field}: the corrected {target.kind} {target.id!r} would be invalid: {reason}"
        ) from None
    event = EntryCorrected(corrected_id=target.id, fields=dict(command.fields), note=command.note)
    return Decision(
        events=(NewEvent(event_id=command.id, stream=fold.stream, event=event),),
        expected={fold.stream: fold.version},
    )
