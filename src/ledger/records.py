"""
Records: the JSON Lines interchange format (see ``docs/reference/records.md``).

Rules of this module:

- A records file is UTF-8, one JSON object a line; blank lines are ignored.
  Numbers are read exactly; unknown fields are errors.
- Import is atomic: every line is decided first, and the whole file is
  appended in one batch or not at all. Every error names file, line and
  field.
- Import is idempotent by id: a record whose id is stored with the same
  content is skipped and counted; with other content it is an error. A
  record without an id gets one derived from its content.
- Export writes, for each stored record, the record that imports back to the
  same events, so state and history survive the round trip.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO, Final, Protocol

import attrs

from ledger import codec
from ledger.commands import (
    KIND_OF,
    AssertClaim,
    Command,
    CorrectEntry,
    CorroborateClaim,
    RebutClaim,
    RecordView,
    RetractRecord,
    ReviseClaim,
    StreamFold,
    counter_claim_id,
    event_as_it_stands,
)
from ledger.errors import LedgerError, RecordError, RuleError, ValidationError
from ledger.events import (
    ClaimAsserted,
    ClaimCorroborated,
    ClaimRebutted,
    ClaimRetracted,
    ClaimRevised,
    CorrectedValue,
    EntryCorrected,
    Event,
    check_id,
    check_subject,
    check_text,
)
from ledger.stores import StoredEvent
from ledger.times import Stamp, parse_stamp
from ledger.values import Label, Qualifier, Quantity, Value

__all__ = [
    "MAX_LINE_BYTES",
    "ImportSummary",
    "command_of",
    "export_records",
    "import_records",
    "parse_record",
    "read_lines",
    "record_of",
]

MAX_LINE_BYTES: Final = 1 << 20
"""The longest line a records file may hold (1 MiB)."""

_TEXT = ("source", "via", "citation", "quote", "note")
_VALUE = ("value", "qualifier", "value_high", "unit", "as_of")
_COMMON = frozenset({"type", "id", "stated_at", *_TEXT})
FIELDS: Final[Mapping[str, frozenset[str]]] = {
    "claim": _COMMON | {"subject", *_VALUE},
    "revision": _COMMON | {"revises", *_VALUE},
    "rebuttal": _COMMON | {"rebuts", "reason", *_VALUE},
    "retraction": _COMMON | {"retracts"},
    "corroboration": _COMMON | {"corroborates"},
    "correction": frozenset(
        {"type", "id", "corrects", "note", "stated_at", "source", "via", "citation", "quote"}
        | {"reason", *_VALUE}
    ),
}
REQUIRED: Final[Mapping[str, tuple[str, ...]]] = {
    "claim": ("subject", "value", "source", "stated_at"),
    "revision": ("revises", "value", "stated_at"),
    "rebuttal": ("rebuts", "source", "stated_at"),
    "retraction": ("retracts", "stated_at"),
    "corroboration": ("corroborates", "source", "stated_at"),
    "correction": ("corrects", "note"),
}


@attrs.frozen(kw_only=True)
class ImportSummary:
    """
    What an import did.

    Attributes:
        records: Records read (blank lines aside).
        imported: Records newly stored.
        skipped: Records already stored with the same content.
        events: Events appended.
        head: The log's checkpoint after the import.

    .. versionadded:: 0.1.0
    """

    records: int
    imported: int
    skipped: int
    events: int
    head: str


# -- reading ----------------------------------------------------------------


def read_lines(stream: BinaryIO, name: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """
    Yield ``(line number, object)`` for each record in a binary stream.

    Raises:
        RecordError: A line is too long, not UTF-8, not JSON, or not an object.

    .. versionadded:: 0.1.0
    """
    number = 0
    while raw := stream.readline(MAX_LINE_BYTES + 1):
        number += 1
        if len(raw) > MAX_LINE_BYTES:
            raise RecordError(
                f"line is {len(raw):,} bytes; the longest allowed is {MAX_LINE_BYTES:,}",
                file=name,
                line=number,
            )
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise RecordError(
                f"not UTF-8 (byte {e.start + 1} of the line)", file=name, line=number
            ) from None
        if not text.strip():
            continue
        try:
            obj = codec.loads_exact(text)
        except ValidationError as e:
            raise _located(e, name, number) from None
        if not isinstance(obj, dict):
            raise RecordError(
                f"a record is a JSON object, not {type(obj).__name__}", file=name, line=number
            )
        yield number, obj


# -- record -> command ------------------------------------------------------


def _text(obj: Mapping[str, Any], name: str) -> str | None:
    value = obj.get(name)
    if value is not None and not isinstance(value, str):
        raise ValidationError(f"must be a string, not {_json_type(value)}")
    return None if value is None else check_text(value, name)


def _json_type(value: object) -> str:
    return {
        bool: "a boolean",
        int: "a number",
        Decimal: "a number",
        str: "a string",
        list: "an array",
        dict: "an object",
    }.get(type(value), type(value).__name__)


def _time(obj: Mapping[str, Any], name: str) -> Stamp | None:
    value = obj.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"a time is an ISO 8601 string, not {_json_type(value)}")
    return parse_stamp(value)


_QUALIFIERS = frozenset(q.value for q in Qualifier)


def _value(obj: Mapping[str, Any], base: Value | None = None) -> Value:  # noqa: C901
    """Build the value from the value fields; a correction inherits those it leaves out."""
    raw = obj["value"] if "value" in obj else _raw_value(base)
    if isinstance(raw, str):
        for name in ("qualifier", "value_high", "unit"):
            if obj.get(name) is not None:
                raise _FieldError(name, "only a number takes a qualifier, a high end or a unit")
        try:
            return Label(raw)
        except LedgerError as e:
            raise _FieldError("value", _reason_of(str(e))) from None
    if isinstance(raw, bool) or not isinstance(raw, int | Decimal):
        raise _FieldError("value", f"must be a number or a label, not {_json_type(raw)}")
    inherit = base if isinstance(base, Quantity) else None
    qualifier = obj.get("qualifier") if "qualifier" in obj else inherit and inherit.qualifier
    if qualifier is None:
        qualifier = Qualifier.EXACT
    if not isinstance(qualifier, str):
        raise _FieldError("qualifier", f"must be a string, not {_json_type(qualifier)}")
    if qualifier not in _QUALIFIERS:
        raise _FieldError(
            "qualifier", f"{qualifier!r} is not one of {', '.join(q.value for q in Qualifier)}"
        )
    unit = obj.get("unit") if "unit" in obj else inherit and inherit.unit
    if obj.get("value_high") is not None:
        high = obj["value_high"]
        if qualifier != Qualifier.RANGE:
            raise _FieldError("value_high", "only a range has a high end; add qualifier 'range'")
    else:
        high = inherit.high if inherit and qualifier == Qualifier.RANGE else None
    try:
        return Quantity(amount=raw, qualifier=qualifier, high=high, unit=unit)
    except LedgerError as e:
        field = {"amount": "value", None: "value"}.get(_field_of(str(e)), _field_of(str(e)))
        raise _FieldError(field or "value", _reason_of(str(e))) from None


def _raw_value(base: Value | None) -> object:
    if isinstance(base, Label):
        return base.text
    if isinstance(base, Quantity):
        return base.amount
    return None


class _FieldError(Exception):
    """A problem in one field, before the file and line are known."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


_FIELD_PREFIX = re.compile(r"^([a-z_]+): (.*)$", re.DOTALL)


def _field_of(message: str) -> str | None:
    match = _FIELD_PREFIX.match(message)
    return match.group(1) if match else None


def _reason_of(message: str) -> str:
    match = _FIELD_PREFIX.match(message)
    return match.group(2) if match else message


def _get(
    convert: Callable[[Mapping[str, Any], str], Any], obj: Mapping[str, Any], name: str
) -> Any:
    try:
        return convert(obj, name)
    except _FieldError:
        raise
    except LedgerError as e:
        raise _FieldError(name, _reason_of(str(e))) from None


def record_id(obj: Mapping[str, Any]) -> str:
    """
    Return the record's id, or one derived from its content when it has none.

    .. versionadded:: 0.1.0
    """
    given = obj.get("id")
    if given is not None:
        try:
            return check_id(given, "id")
        except ValidationError as e:
            raise _FieldError("id", _reason_of(str(e))) from None
    try:
        canonical = codec.dumps_exact(dict(obj))
    except ValidationError as e:
        raise _FieldError("id", f"none given, and none can be derived: the record {e}") from None
    digest = hashlib.sha256(canonical).hexdigest()[:16]
    return f"{obj['type']}-{digest}"


def parse_record(obj: Mapping[str, Any], view: RecordView) -> Command:
    """
    Turn one record object into the command it stands for.

    Args:
        obj: The parsed JSON object.
        view: Finds existing records (the ledger plus the batch so far, such
            as a `ledger.Batch`); a correction that replaces only some
            value fields takes the rest from the record it corrects.

    Raises:
        ValidationError: With the offending field as the message's prefix
            (``"unit: ..."``); `read_records` turns it into a `RecordError`.

    .. versionadded:: 0.1.0
    """
    try:
        return _parse(obj, view)
    except _FieldError as e:
        raise ValidationError(f"{e.field}: {e.reason}", field=e.field) from None


def _parse(obj: Mapping[str, Any], view: RecordView) -> Command:  # noqa: C901, PLR0912 - a branch per type
    kind = obj.get("type")
    if not isinstance(kind, str) or kind not in FIELDS:
        shown = kind if isinstance(kind, str) else _json_type(kind)
        raise _FieldError(
            "type", f"{shown!r} is not one of {', '.join(FIELDS)}" if kind else "is required"
        )
    unknown = sorted(set(obj) - FIELDS[kind])
    if unknown:
        raise _FieldError(unknown[0], f"is not a field of a {kind} record")
    for name in REQUIRED[kind]:
        if obj.get(name) is None:
            raise _FieldError(name, f"is required in a {kind} record")
    for name in ("subject", "revises", "rebuts", "retracts", "corroborates", "corrects"):
        if name in obj and not isinstance(obj[name], str):
            raise _FieldError(name, f"must be a string, not {_json_type(obj[name])}")
    if kind == "claim":
        _get(lambda o, n: check_subject(o[n]), obj, "subject")
    text = {name: _get(_text, obj, name) for name in (*_TEXT, "reason") if name in FIELDS[kind]}
    stated = _get(_time, obj, "stated_at")
    as_of = _get(_time, obj, "as_of") if "as_of" in obj else None
    has_value = obj.get("value") is not None
    if kind == "rebuttal" and not has_value:
        for name in ("qualifier", "value_high", "unit", "as_of"):
            if obj.get(name) is not None:
                raise _FieldError(name, "a rebuttal without a value takes no value fields")
    # Every field is checked before an id is derived from them all.
    if kind == "correction":
        return _correction(obj, view)
    value = _value(obj) if has_value else None
    rid = record_id(obj)
    if value is None and kind in {"claim", "revision"}:
        raise _FieldError("value", f"is required in a {kind} record")
    if kind == "claim":
        return AssertClaim(
            id=rid,
            subject=obj["subject"],
            value=value,  # type: ignore[arg-type]  # checked just above
            stated_at=stated,
            as_of=as_of,
            **text,
        )
    if kind == "revision":
        return ReviseClaim(
            id=rid,
            revises=obj["revises"],
            value=value,  # type: ignore[arg-type]  # checked just above
            stated_at=stated,
            as_of=as_of,
            **text,
        )
    if kind == "rebuttal":
        return RebutClaim(
            id=rid,
            rebuts=obj["rebuts"],
            stated_at=stated,
            counter_value=value,
            counter_as_of=as_of,
            **text,
        )
    if kind == "retraction":
        return RetractRecord(id=rid, retracts=obj["retracts"], stated_at=stated, **text)
    return CorroborateClaim(id=rid, corroborates=obj["corroborates"], stated_at=stated, **text)


def _correction(obj: Mapping[str, Any], view: RecordView) -> CorrectEntry:
    fields: dict[str, CorrectedValue] = {}
    if any(name in obj for name in ("value", "qualifier", "value_high", "unit")):
        base = getattr(view.event_of(obj["corrects"]), "value", None)
        if base is None and obj.get("value") is None:
            raise _FieldError("value", "is required to correct a record that holds no value")
        fields["value"] = _value(obj, base)
    for name in ("stated_at", "as_of"):
        if name in obj:
            fields[name] = _get(_time, obj, name)
    for name in ("source", "via", "citation", "quote", "reason"):
        if name in obj:
            fields[name] = _get(_text, obj, name)
    if not fields:
        raise _FieldError("corrects", "a correction must replace at least one field")
    note = _get(_text, obj, "note")
    return CorrectEntry(id=record_id(obj), corrects=obj["corrects"], fields=fields, note=note)


# -- import -----------------------------------------------------------------


def import_records(
    ledger: Any,
    files: Iterable[str | Path],
    *,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """
    Import records files into *ledger* atomically and idempotently.

    Args:
        ledger: The `ledger.Ledger` to import into.
        files: Paths of records files, imported in order as one batch.
        progress: Called after each record with the bytes read so far, all
            files counted.

    Returns:
        Counts of what was read, imported and skipped.

    Raises:
        RecordError: A record is malformed or breaks a rule; it names file,
            line and field, and nothing at all was imported.

    .. versionadded:: 0.1.0
    """
    records = imported = skipped = 0
    done = 0  # bytes of the files before the current one
    start = ledger.head().size
    with ledger.batch(keep=False) as batch:
        for path in files:
            name = str(path)
            try:
                handle = Path(path).open("rb")  # noqa: SIM115 - closed below
            except OSError as e:
                raise RecordError(f"cannot read: {e.strerror}", file=name, line=0) from None
            with handle:
                for number, obj in _prefetched(read_lines(handle, name), batch):
                    records += 1
                    try:
                        command = parse_record(obj, batch)
                    except ValidationError as e:
                        raise _located(e, name, number) from None
                    if batch.stream_of(command.id) is not None:
                        batch.flush()  # so the store holds it, earlier in this file or not
                        stored = ledger.store.get(command.id)
                        _same_or_fail(ledger, stored, obj, batch, name, number, start)
                        skipped += 1
                        continue
                    try:
                        batch.add(command)
                    except (RuleError, ValidationError) as e:
                        # The record's fault; a store's (disk full, lock) passes through.
                        raise _located(e, name, number) from None
                    imported += 1
                    if progress is not None:
                        progress(done + handle.tell())
                done += handle.tell()
    events = batch.count
    return ImportSummary(
        records=records,
        imported=imported,
        skipped=skipped,
        events=events,
        head=str(ledger.head()),
    )


_WINDOW = 200
"""Records read ahead, so the streams they refer to are read in one query (a round trip)."""

_REFERENCES = ("revises", "rebuts", "retracts", "corroborates", "corrects")


class _Prefetching(Protocol):
    def prefetch(self, record_ids: Iterable[str]) -> None: ...


def _prefetched(
    lines: Iterator[tuple[int, dict[str, Any]]], batch: _Prefetching
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield *lines* as they come, after asking *batch* for every id a window of them names."""
    window: list[tuple[int, dict[str, Any]]] = []
    try:
        for line in lines:
            window.append(line)
            if len(window) == _WINDOW:
                yield from _ahead(window, batch)
                window = []
    except RecordError:
        # A line that cannot be read comes after the lines before it: those
        # are decided first, and may fail first.
        yield from _ahead(window, batch)
        raise
    yield from _ahead(window, batch)


def _ahead(
    window: list[tuple[int, dict[str, Any]]], batch: _Prefetching
) -> Iterator[tuple[int, dict[str, Any]]]:
    ids: list[str] = []
    for _, obj in window:
        ids.extend(ref for name in ("id", *_REFERENCES) if isinstance(ref := obj.get(name), str))
        rid = obj.get("id")
        if obj.get("type") == "rebuttal" and obj.get("value") is not None and isinstance(rid, str):
            ids.append(counter_claim_id(rid))  # the counter-claim it will carry
    batch.prefetch(ids)
    yield from window


def _located(error: LedgerError, name: str, number: int) -> RecordError:
    message = str(error)
    # A field the raiser named wins; rule errors name theirs as a prefix.
    field = getattr(error, "field", None)
    if field is None:
        field = _field_of(message)
    reason = message.removeprefix(f"{field}: ") if field is not None else message
    return RecordError(reason, file=name, line=number, field=field)


def _same_or_fail(  # noqa: PLR0913, PLR0917 - the context an error message needs
    ledger: Any,
    stored: StoredEvent,
    obj: Mapping[str, Any],
    view: RecordView,
    name: str,
    number: int,
    start: int,
) -> None:
    if isinstance(stored.event, EntryCorrected):
        # A correction that gives only some value fields took the rest from
        # the record as it stood just before it, not as it stands now.
        earlier = [
            (e.event_id, e.event)
            for e in ledger.store.read_stream(stored.stream)
            if e.version < stored.version
        ]
        view = _Before(view, stored.stream, earlier)
    try:
        command = parse_record(obj, view)
    except ValidationError:
        command = None
    existing = command_of(stored, ledger.store.get)
    same = command is not None and existing is not None
    if same and _normal(existing, view) == _normal(command, view):  # type: ignore[arg-type]
        return
    kind = KIND_OF[type(stored.event)]
    where = (
        "already used, with other content, earlier in this import"
        if stored.seq > start
        else ("already in the ledger")
    )
    raise RecordError(
        f"id {stored.event_id!r} is {where} (seq {stored.seq}, a {kind})"
        + ("" if stored.seq > start else " with other content"),
        file=name,
        line=number,
        field="id",
    )


class _Before:
    """A view of the ledger with one stream as it stood before a later event."""

    def __init__(self, view: RecordView, stream: str, earlier: list[tuple[str, Event]]) -> None:
        self._view = view
        self._earlier = earlier
        self._fold = StreamFold.of(stream, earlier)

    def stream_of(self, record_id: str) -> StreamFold | None:
        return self._fold if record_id in self._fold.records else self._view.stream_of(record_id)

    def event_of(self, record_id: str) -> Event | None:
        if record_id in self._fold.records:
            return event_as_it_stands(record_id, self._earlier)
        return self._view.event_of(record_id)


def _normal(command: Command, view: RecordView) -> Command:
    """Resolve references to the claim they land on, so equal records compare equal."""

    def claim_of(ref: str) -> str:
        fold = view.stream_of(ref)
        if fold is None:
            return ref
        counter = fold.records[ref].counter_claim
        return counter if counter is not None else fold.stream

    if isinstance(command, ReviseClaim):
        as_of = None if command.as_of == command.stated_at else command.as_of
        return attrs.evolve(command, revises=claim_of(command.revises), source=None, as_of=as_of)

    def stream_of(ref: str) -> str:
        fold = view.stream_of(ref)
        return ref if fold is None else fold.stream

    if isinstance(command, RebutClaim):
        as_of = None if command.counter_as_of == command.stated_at else command.counter_as_of
        return attrs.evolve(command, rebuts=stream_of(command.rebuts), counter_as_of=as_of)
    if isinstance(command, CorroborateClaim):
        return attrs.evolve(command, corroborates=stream_of(command.corroborates))
    if isinstance(command, RetractRecord):
        return attrs.evolve(command, source=None)
    if isinstance(command, AssertClaim | ReviseClaim) and command.as_of == command.stated_at:
        return attrs.evolve(command, as_of=None)
    return command


# -- export -----------------------------------------------------------------


def command_of(  # noqa: C901, PLR0911 - a branch per event type
    stored: StoredEvent, get: Callable[[str], StoredEvent | None]
) -> Command | None:
    """
    Return the command that records *stored* (as entered), or ``None`` for a counter-claim.

    A counter-claim is part of its rebuttal's record; *get* finds it.

    .. versionadded:: 0.1.0
    """
    event = stored.event
    rid = stored.event_id
    as_of = (
        None
        if getattr(event, "as_of", None) == getattr(event, "stated_at", None)
        else getattr(event, "as_of", None)
    )
    match event:
        case ClaimAsserted():
            if rid.endswith(".counter"):
                owner = get(rid.removesuffix(".counter"))
                if (
                    owner is not None
                    and isinstance(owner.event, ClaimRebutted)
                    and owner.event.counter_claim_id == rid
                ):
                    return None
            return AssertClaim(
                id=rid,
                subject=event.subject,
                value=event.value,
                source=event.source,
                stated_at=event.stated_at,
                as_of=as_of,
                via=event.via,
                citation=event.citation,
                quote=event.quote,
                note=event.note,
            )
        case ClaimRevised():
            return ReviseClaim(
                id=rid,
                revises=event.claim_id,
                value=event.value,
                stated_at=event.stated_at,
                as_of=as_of,
                via=event.via,
                note=event.note,
                citation=event.citation,
                quote=event.quote,
            )
        case ClaimRebutted():
            counter = get(event.counter_claim_id) if event.counter_claim_id else None
            counter_event = counter.event if counter is not None else None
            counter_value = counter_as_of = None
            if isinstance(counter_event, ClaimAsserted):
                counter_value = counter_event.value
                if counter_event.as_of != counter_event.stated_at:
                    counter_as_of = counter_event.as_of
            return RebutClaim(
                id=rid,
                rebuts=event.claim_id,
                source=event.source,
                stated_at=event.stated_at,
                counter_value=counter_value,
                counter_as_of=counter_as_of,
                reason=event.reason,
                via=event.via,
                citation=event.citation,
                quote=event.quote,
                note=event.note,
            )
        case ClaimRetracted():
            return RetractRecord(
                id=rid,
                retracts=event.retracted_id,
                stated_at=event.stated_at,
                source=event.source,
                via=event.via,
                note=event.note,
                citation=event.citation,
                quote=event.quote,
            )
        case ClaimCorroborated():
            return CorroborateClaim(
                id=rid,
                corroborates=event.claim_id,
                source=event.source,
                stated_at=event.stated_at,
                via=event.via,
                citation=event.citation,
                quote=event.quote,
                note=event.note,
            )
        case EntryCorrected():
            return CorrectEntry(
                id=rid, corrects=event.corrected_id, fields=dict(event.fields), note=event.note
            )
    return None  # pragma: no cover - the match is exhaustive


def _value_fields(value: Value, *, explicit: bool = False) -> dict[str, Any]:
    if isinstance(value, Label):
        return {"value": value.text}
    out: dict[str, Any] = {"value": value.amount}
    if value.qualifier is not Qualifier.EXACT or explicit:
        out["qualifier"] = value.qualifier.value
    if value.high is not None or explicit:
        out["value_high"] = value.high
    if value.unit is not None or explicit:
        out["unit"] = value.unit
    return out


def record_of(command: Command) -> dict[str, Any]:
    """
    Return the record object for *command*, as `export_records` writes it.

    .. versionadded:: 0.1.0
    """
    kind, ref = {
        AssertClaim: ("claim", None),
        ReviseClaim: ("revision", "revises"),
        RebutClaim: ("rebuttal", "rebuts"),
        RetractRecord: ("retraction", "retracts"),
        CorroborateClaim: ("corroboration", "corroborates"),
        CorrectEntry: ("correction", "corrects"),
    }[type(command)]
    out: dict[str, Any] = {"type": kind, "id": command.id}
    if ref is not None:
        out[ref] = getattr(command, ref)
    if isinstance(command, CorrectEntry):
        out["note"] = command.note
        for name, new in command.fields.items():
            if name == "value" and isinstance(new, Quantity | Label):
                out.update(_value_fields(new, explicit=True))
            else:
                out[name] = str(new) if isinstance(new, Stamp) else new
        return out
    for field in attrs.fields(type(command)):
        name = field.name
        if name in {"id", ref}:
            continue
        given = getattr(command, name)
        if given is None:
            continue
        if name in {"value", "counter_value"}:
            out.update(_value_fields(given))
        elif name == "counter_as_of":
            out["as_of"] = str(given)
        else:
            out[name] = str(given) if isinstance(given, Stamp) else given
    return out


def export_records(
    events: Iterable[StoredEvent], get: Callable[[str], StoredEvent | None]
) -> Iterator[dict[str, Any]]:
    """
    Yield one record object per stored record, in sequence order.

    Importing them into an empty ledger rebuilds the same state and history.

    .. versionadded:: 0.1.0
    """
    for stored in events:
        command = command_of(stored, get)
        if command is not None:
            yield record_of(command)
