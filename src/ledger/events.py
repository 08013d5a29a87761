"""
Events: the facts the log is made of.

Rules of this module:

- Events are frozen attrs classes named in the past tense; they hold data and
  no behaviour.
- `stated_at` is when something was said in the world; `as_of` is the time a
  value describes and defaults to `stated_at`.
- Every event belongs to the stream of one claim: a revision, rebuttal,
  corroboration or retraction is appended to the stream of the claim it is
  about, a correction to the stream of the record it corrects.
- The id of a record is not part of the event: the store keeps it in the
  envelope (`StoredEvent.event_id`). A claim's id is also its stream.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, cast

import attrs

from ledger.errors import InvalidSubjectError, ValidationError
from ledger.times import Stamp
from ledger.values import Label, Quantity, Value

__all__ = [
    "CORRECTABLE",
    "ClaimAsserted",
    "ClaimCorroborated",
    "ClaimRebutted",
    "ClaimRetracted",
    "ClaimRevised",
    "CorrectedValue",
    "EntryCorrected",
    "Event",
    "apply_correction",
    "check_id",
    "check_subject",
    "check_text",
]

_SUBJECT = re.compile(r"[a-z0-9_]+(?:[.-][a-z0-9_]+)*", re.ASCII)
_SUBJECT_MAX = 200
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]*", re.ASCII)
_ID_MAX = 200
_TEXT_MAX = 10_000
_SURROGATE = re.compile("[\ud800-\udfff]")


def check_subject(subject: object) -> str:
    """
    Return *subject* if it is a dotted lowercase key, else raise.

    A subject is lowercase ASCII words of letters, digits and ``_`` joined by
    dots (``casualties.russia.military.killed``, ``control.kherson``); a
    hyphen may join words inside a part (``talks.round-2``).

    Raises:
        InvalidSubjectError: With the offending key quoted.

    .. versionadded:: 0.1.0
    """
    if not isinstance(subject, str):
        raise InvalidSubjectError(f"subject must be a string, not {type(subject).__name__}")
    if len(subject) > _SUBJECT_MAX or not _SUBJECT.fullmatch(subject):
        raise InvalidSubjectError(
            f"subject {subject[:_SUBJECT_MAX]!r} is not a dotted lowercase key "
            "such as 'control.kherson'"
        )
    return subject


def check_id(value: object, field: str = "id") -> str:
    """
    Return *value* if it is a usable record id, else raise.

    Ids start with a letter or digit and use letters, digits and ``. _ : / -``.

    Raises:
        ValidationError: Naming *field* and quoting the value.

    .. versionadded:: 0.1.0
    """
    if not isinstance(value, str):
        raise ValidationError(f"{field}: must be a string, not {type(value).__name__}")
    if len(value) > _ID_MAX or not _ID.fullmatch(value):
        raise ValidationError(
            f"{field}: {value[:_ID_MAX]!r} is not a valid id "
            "(letters, digits and . _ : / -, at most 200 characters)"
        )
    return value


def _id(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    check_id(value, attribute.name)


def _optional_id(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        check_id(value, attribute.name)


def _subject(_instance: Any, _attribute: attrs.Attribute[Any], value: Any) -> None:
    check_subject(value)


def check_text(value: object, field: str) -> str:
    """
    Return *value* if it is usable free text, else raise.

    Text is a non-blank string of at most 10,000 characters without NUL
    characters or lone surrogates (which no UTF-8 file can hold).

    Raises:
        ValidationError: Naming *field*.

    .. versionadded:: 0.1.0
    """
    if not isinstance(value, str):
        raise ValidationError(f"{field}: must be a string, not {type(value).__name__}")
    if not value or value.isspace():  # what strip() would empty, without a copy
        raise ValidationError(f"{field}: must not be empty")
    if len(value) > _TEXT_MAX:
        raise ValidationError(f"{field}: longer than {_TEXT_MAX} characters")
    if "\x00" in value:
        raise ValidationError(f"{field}: contains a NUL character")
    if not value.isascii() and _SURROGATE.search(value):
        raise ValidationError(f"{field}: contains a lone surrogate, which no UTF-8 text can hold")
    return value


def _required(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    check_text(value, attribute.name)


def _optional(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        check_text(value, attribute.name)


def _value(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, Quantity | Label):
        raise ValidationError(
            f"{attribute.name}: must be a Quantity or a Label, not {type(value).__name__}"
        )


def _is_stamp(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, Stamp):
        raise ValidationError(f"{attribute.name}: must be a Stamp, not {type(value).__name__}")


@attrs.frozen(kw_only=True)
class ClaimAsserted:
    """
    A source claimed a value for a subject.

    .. versionadded:: 0.1.0
    """

    claim_id: str = attrs.field(validator=_id)
    subject: str = attrs.field(validator=_subject)
    value: Value = attrs.field(validator=_value)
    source: str = attrs.field(validator=_required)
    stated_at: Stamp = attrs.field(validator=_is_stamp)
    as_of: Stamp = attrs.field(
        default=attrs.Factory(lambda self: self.stated_at, takes_self=True), validator=_is_stamp
    )
    via: str | None = attrs.field(default=None, validator=_optional)
    citation: str | None = attrs.field(default=None, validator=_optional)
    quote: str | None = attrs.field(default=None, validator=_optional)
    note: str | None = attrs.field(default=None, validator=_optional)


@attrs.frozen(kw_only=True)
class ClaimRevised:
    """
    The source of a claim restated it with a new value.

    .. versionadded:: 0.1.0
    """

    claim_id: str = attrs.field(validator=_id)
    value: Value = attrs.field(validator=_value)
    stated_at: Stamp = attrs.field(validator=_is_stamp)
    as_of: Stamp = attrs.field(
        default=attrs.Factory(lambda self: self.stated_at, takes_self=True), validator=_is_stamp
    )
    via: str | None = attrs.field(default=None, validator=_optional)
    note: str | None = attrs.field(default=None, validator=_optional)
    citation: str | None = attrs.field(default=None, validator=_optional)
    quote: str | None = attrs.field(default=None, validator=_optional)


@attrs.frozen(kw_only=True)
class ClaimRebutted:
    """
    Another source disputed a claim, optionally with a counter-claim of its own.

    .. versionadded:: 0.1.0
    """

    claim_id: str = attrs.field(validator=_id)
    source: str = attrs.field(validator=_required)
    stated_at: Stamp = attrs.field(validator=_is_stamp)
    counter_claim_id: str | None = attrs.field(default=None, validator=_optional_id)
    reason: str | None = attrs.field(default=None, validator=_optional)
    via: str | None = attrs.field(default=None, validator=_optional)
    citation: str | None = attrs.field(default=None, validator=_optional)
    quote: str | None = attrs.field(default=None, validator=_optional)
    note: str | None = attrs.field(default=None, validator=_optional)


@attrs.frozen(kw_only=True)
class ClaimRetracted:
    """
    A source withdrew what it had said: a claim, a revision of it, or a rebuttal.

    ``retracted_id`` is the id of the withdrawn record; the event sits in the
    stream of the claim concerned.

    .. versionadded:: 0.1.0
    """

    claim_id: str = attrs.field(validator=_id)
    retracted_id: str = attrs.field(validator=_id)
    source: str = attrs.field(validator=_required)
    stated_at: Stamp = attrs.field(validator=_is_stamp)
    via: str | None = attrs.field(default=None, validator=_optional)
    note: str | None = attrs.field(default=None, validator=_optional)
    citation: str | None = attrs.field(default=None, validator=_optional)
    quote: str | None = attrs.field(default=None, validator=_optional)


@attrs.frozen(kw_only=True)
class ClaimCorroborated:
    """
    Another source confirmed a claim.

    .. versionadded:: 0.1.0
    """

    claim_id: str = attrs.field(validator=_id)
    source: str = attrs.field(validator=_required)
    stated_at: Stamp = attrs.field(validator=_is_stamp)
    via: str | None = attrs.field(default=None, validator=_optional)
    citation: str | None = attrs.field(default=None, validator=_optional)
    quote: str | None = attrs.field(default=None, validator=_optional)
    note: str | None = attrs.field(default=None, validator=_optional)


CorrectedValue = Value | Stamp | str | None
"""What a corrected field may hold: a value, a time, or text (``None`` clears it)."""

CORRECTABLE: dict[str, type | tuple[type, ...]] = {
    "value": (Quantity, Label),
    "stated_at": Stamp,
    "as_of": Stamp,
    "source": str,
    "via": (str, type(None)),
    "citation": (str, type(None)),
    "quote": (str, type(None)),
    "note": (str, type(None)),
    "reason": (str, type(None)),
}
"""The fields a correction may replace, with the types they hold.

Ids, references and subjects are not correctable: they decide which stream and
subject an event is filed under, which the log never rewrites.
"""


def _fields(value: object) -> tuple[tuple[str, CorrectedValue], ...]:
    if isinstance(value, dict):
        value = tuple(value.items())
    if not isinstance(value, tuple) or not value:
        raise ValidationError("fields: a correction must replace at least one field")
    pairs: dict[str, CorrectedValue] = {}
    for pair in value:
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise ValidationError("fields: must be (name, value) pairs")
        name, new = pair
        if name not in CORRECTABLE:
            raise ValidationError(
                f"fields: {name!r} cannot be corrected; correctable fields are "
                + ", ".join(sorted(CORRECTABLE))
            )
        if not isinstance(new, CORRECTABLE[name]):
            raise ValidationError(f"fields: {name!r} cannot hold a {type(new).__name__}")
        if isinstance(new, str):
            new = check_text(new, name)
        if name in pairs:
            raise ValidationError(f"fields: {name!r} given twice")
        pairs[name] = new
    return tuple(sorted(pairs.items()))


@attrs.frozen(kw_only=True)
class EntryCorrected:
    """
    The ledger fixed its own transcription of an earlier record.

    The original stays in the log; readers apply the corrected fields over it.
    ``fields`` holds ``(name, new value)`` pairs sorted by name; see
    `CORRECTABLE` for which names are allowed.

    .. versionadded:: 0.1.0
    """

    corrected_id: str = attrs.field(validator=_id)
    fields: tuple[tuple[str, CorrectedValue], ...] = attrs.field(converter=_fields)
    note: str = attrs.field(validator=_required)


Event = (
    ClaimAsserted
    | ClaimRevised
    | ClaimRebutted
    | ClaimRetracted
    | ClaimCorroborated
    | EntryCorrected
)
"""Any event the log holds."""


def apply_correction(event: Event, fields: Iterable[tuple[str, CorrectedValue]]) -> Event:
    """
    Return *event* as a correction's *fields* say it should have been entered.

    An ``as_of`` that only followed ``stated_at`` (they were equal) follows a
    corrected ``stated_at`` too, as it would have had it been entered right.

    Raises:
        ValidationError: A field does not fit the event.

    .. versionadded:: 0.1.0
    """
    changes = dict(fields)
    unknown = changes.keys() - {a.name for a in attrs.fields(type(event))}
    if unknown:
        raise ValidationError(
            f"{', '.join(sorted(unknown))}: not a field of {type(event).__name__}"
        )
    as_of = getattr(event, "as_of", None)
    if "stated_at" in changes and "as_of" not in changes and as_of == event.stated_at:  # type: ignore[union-attr]
        changes["as_of"] = changes["stated_at"]
    corrected: Event = attrs.evolve(cast("Any", event), **changes)
    return corrected
