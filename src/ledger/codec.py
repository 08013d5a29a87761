"""
The codec: the one place where data becomes bytes and bytes become data.

Rules of this module:

- One cattrs converter, preconfigured for orjson, owns all (de)serialisation.
  No other module imports `json` or `orjson`.
- Canonical bytes are JSON with sorted keys, no insignificant whitespace,
  UTF-8. They are what the store keeps and what the hash chain covers.
- Numbers are written as strings (``"498"``, ``"1.5"``) so they survive any
  JSON reader exactly; times are written in their own precision.
- Fields that hold their default (``None``, or ``as_of`` equal to
  ``stated_at``) are left out, so stored events stay small.
- Events are tagged by class name; the tag lives in the store's ``type``
  column next to the schema version. Upcasters keyed by (type, schema
  version) lift old stored data to the current shape on read, so files written
  by earlier versions keep loading after the model changes.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Final

import attrs
import orjson
from cattrs.errors import CattrsError
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override
from cattrs.preconf.orjson import OrjsonConverter, make_converter

from ledger.errors import LedgerError, UnknownEventTypeError, ValidationError
from ledger.events import (
    CORRECTABLE,
    ClaimAsserted,
    ClaimCorroborated,
    ClaimRebutted,
    ClaimRetracted,
    ClaimRevised,
    CorrectedValue,
    EntryCorrected,
    Event,
)
from ledger.times import Stamp, parse_stamp
from ledger.values import Label, Qualifier, Quantity, Value

__all__ = [
    "EVENT_TYPES",
    "SCHEMA_VERSIONS",
    "UPCASTERS",
    "Upcaster",
    "converter",
    "decode",
    "dumps",
    "dumps_exact",
    "encode",
    "envelope_bytes",
    "event_type",
    "index_fields",
    "loads",
    "loads_exact",
    "structure_value",
    "unstructure_value",
    "value_from_bytes",
]

JSON = Any
"""Unstructured data: what `loads` returns and `dumps` accepts."""

Upcaster = Callable[[dict[str, JSON]], dict[str, JSON]]
"""Lifts stored data of one schema version to the next."""

EVENT_TYPES: Final[Mapping[str, type[Event]]] = {
    cls.__name__: cls
    for cls in (
        ClaimAsserted,
        ClaimRevised,
        ClaimRebutted,
        ClaimRetracted,
        ClaimCorroborated,
        EntryCorrected,
    )
}
"""Event classes by the type name stored with them."""

SCHEMA_VERSIONS: Final[Mapping[str, int]] = {
    "ClaimAsserted": 1,
    "ClaimRevised": 1,
    "ClaimRebutted": 2,
    "ClaimRetracted": 1,
    "ClaimCorroborated": 1,
    "EntryCorrected": 1,
}
"""The schema version each event type is written with today."""


def _rebutted_v1_to_v2(data: dict[str, JSON]) -> dict[str, JSON]:
    # Pre-release builds (0.1.0.dev0) called the counter-claim `counter_claim`.
    if "counter_claim" in data:
        data = dict(data)
        data["counter_claim_id"] = data.pop("counter_claim")
    return data


UPCASTERS: Final[Mapping[tuple[str, int], Upcaster]] = {
    ("ClaimRebutted", 1): _rebutted_v1_to_v2,
}
"""Upcasters by (type, the schema version they read)."""


def dumps(data: JSON) -> bytes:
    """
    Return the canonical bytes of unstructured *data*.

    Sorted keys, no insignificant whitespace, UTF-8.

    .. versionadded:: 0.1.0
    """
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS)


def loads(data: bytes | str) -> JSON:
    """
    Parse JSON bytes into unstructured data.

    Raises:
        ValidationError: When *data* is not valid JSON.

    .. versionadded:: 0.1.0
    """
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as e:
        raise ValidationError(f"not valid JSON: {e}") from None


def unstructure_value(value: Value) -> dict[str, JSON]:
    """
    Return the stored form of a claimed value.

    A label is ``{"label": text}``; a quantity is ``{"amount": "498"}`` plus
    ``qualifier`` (unless exact), ``high`` and ``unit`` when set.

    .. versionadded:: 0.1.0
    """
    if isinstance(value, Label):
        return {"label": value.text}
    out: dict[str, JSON] = {"amount": str(value.amount)}
    if value.qualifier is not Qualifier.EXACT:
        out["qualifier"] = value.qualifier.value
    if value.high is not None:
        out["high"] = str(value.high)
    if value.unit is not None:
        out["unit"] = value.unit
    return out


_VALUE_KEYS = frozenset({"amount", "qualifier", "high", "unit"})


def structure_value(data: JSON, field: str = "value") -> Value:
    """
    Build a claimed value from its stored form; the inverse of `unstructure_value`.

    Raises:
        ValidationError: Naming *field* when the data is not a value.

    .. versionadded:: 0.1.0
    """
    if isinstance(data, dict) and len(data) == 1:
        text = data.get("label")
        if isinstance(text, str):
            return _label(text)
    return _structure_value(data, field)


# Labels repeat (a few names read back again and again) and their check scans
# every character: share them. Quantities are not cached: in a long log most
# are running totals seen once, and a cache of them missed more often than it
# hit, costing more than building each (5.1 against 2.9 us a value).
_label = functools.lru_cache(maxsize=1 << 12)(Label)


@functools.lru_cache(maxsize=1 << 14)
def value_from_bytes(data: bytes | str) -> Value:
    """
    Return the claimed value stored as the JSON *data*.

    Cached: a state query reads the same few stored values many times.

    Raises:
        ValidationError: When *data* is not a stored value.

    .. versionadded:: 0.1.0
    """
    # Cached here by its bytes, so not again by its items (a miss there costs
    # half as much again as building the value).
    return _structure_value(loads(data), "value")


def _structure_value(data: JSON, field: str) -> Value:
    if not isinstance(data, dict):
        raise ValidationError(f"{field}: must be an object, not {type(data).__name__}")
    if "label" in data:
        if len(data) != 1:
            raise ValidationError(f"{field}: a label has no other keys")
        return Label(data["label"])
    extra = data.keys() - _VALUE_KEYS
    if extra or "amount" not in data:
        raise ValidationError(f"{field}: expected a label or an amount, got keys {sorted(data)}")
    return Quantity(
        amount=data["amount"],
        qualifier=data.get("qualifier", Qualifier.EXACT),
        high=data.get("high"),
        unit=data.get("unit"),
    )


def _structure_stamp(data: JSON, _: object) -> Stamp:
    if not isinstance(data, str):
        raise ValidationError(f"a time must be a string, not {type(data).__name__}")
    return parse_stamp(data)


def _unstructure_corrected(value: CorrectedValue) -> JSON:
    if isinstance(value, Quantity | Label):
        return unstructure_value(value)
    if isinstance(value, Stamp):
        return str(value)
    return value


def _structure_corrected(name: str, data: JSON) -> CorrectedValue:
    if name == "value":
        return structure_value(data, "fields.value")
    if CORRECTABLE.get(name) is Stamp:
        return _structure_stamp(data, Stamp)
    text: CorrectedValue = data  # text or None; EntryCorrected validates it
    return text


def _make_converter() -> OrjsonConverter:
    conv = make_converter(omit_if_default=True, forbid_extra_keys=True, detailed_validation=False)
    conv.register_unstructure_hook(Stamp, str)
    conv.register_structure_hook(Stamp, _structure_stamp)
    conv.register_unstructure_hook(Decimal, str)
    conv.register_unstructure_hook(Quantity, unstructure_value)
    conv.register_unstructure_hook(Label, unstructure_value)
    conv.register_structure_hook(Value, lambda d, _: structure_value(d))
    conv.register_unstructure_hook(
        EntryCorrected,
        lambda e: {
            "corrected_id": e.corrected_id,
            "fields": {k: _unstructure_corrected(v) for k, v in e.fields},
            "note": e.note,
        },
    )
    conv.register_structure_hook(EntryCorrected, _structure_correction)
    for cls in EVENT_TYPES.values():
        if cls is EntryCorrected:
            continue
        conv.register_unstructure_hook(
            cls, make_dict_unstructure_fn(cls, conv, _cattrs_omit_if_default=True)
        )
        conv.register_structure_hook(cls, make_dict_structure_fn(cls, conv, **_text_as_is(cls)))
    return conv


_TEXT_TYPES = (str, str | None)


def _text_as_is(cls: type) -> dict[str, Any]:
    # An event's text fields are taken as read: each has a validator that
    # refuses a non-string naming the field, where cattrs' own hook would
    # call str() on it (and cost a call per field on every decode).
    attrs.resolve_types(cls)
    return {
        field.name: override(struct_hook=_as_is)
        for field in attrs.fields(cls)
        if field.type in _TEXT_TYPES
    }


def _as_is(data: JSON, _: object) -> JSON:
    return data


def _structure_correction(data: JSON, _: object) -> EntryCorrected:
    if not isinstance(data, dict) or set(data) != {"corrected_id", "fields", "note"}:
        raise ValidationError("a correction holds exactly corrected_id, fields and note")
    fields = data["fields"]
    if not isinstance(fields, dict):
        raise ValidationError("fields: must be an object")
    return EntryCorrected(
        corrected_id=data["corrected_id"],
        fields=tuple((k, _structure_corrected(k, v)) for k, v in fields.items()),
        note=data["note"],
    )


converter: Final[OrjsonConverter] = _make_converter()
"""The one converter. Use it for anything that crosses into or out of JSON.

.. versionadded:: 0.1.0
"""


def event_type(event: Event) -> str:
    """
    Return the type name stored with *event*.

    .. versionadded:: 0.1.0
    """
    return type(event).__name__


def encode(event: Event) -> bytes:
    """
    Return the canonical bytes of *event*'s data (without its type tag).

    .. versionadded:: 0.1.0
    """
    return dumps(converter.unstructure(event))


def decode(
    type_name: str,
    schema_version: int,
    data: bytes | str,
    upcasters: Mapping[tuple[str, int], Upcaster] = UPCASTERS,
) -> Event:
    """
    Build an event from stored data, upcasting old schema versions first.

    Args:
        type_name: The stored type tag, an `Event` class name.
        schema_version: The schema version the data was written with.
        data: The stored JSON bytes.
        upcasters: Upcasters by (type, version); the default is `UPCASTERS`.

    Raises:
        UnknownEventTypeError: For an unknown type or a version newer than this
            library, or one no upcaster can lift.
        ValidationError: When the data does not make a valid event.

    .. versionadded:: 0.1.0
    """
    cls = EVENT_TYPES.get(type_name)
    if cls is None:
        raise UnknownEventTypeError(f"unknown event type {type_name!r}")
    current = SCHEMA_VERSIONS[type_name]
    if schema_version > current:
        raise UnknownEventTypeError(
            f"{type_name} schema version {schema_version} is newer than this library "
            f"reads ({current}); upgrade ledger"
        )
    raw = loads(data)
    if not isinstance(raw, dict):
        raise ValidationError(f"{type_name}: stored data must be an object")
    version = schema_version
    while version < current:
        upcast = upcasters.get((type_name, version))
        if upcast is None:
            raise UnknownEventTypeError(
                f"no upcaster lifts {type_name} from schema version {version}"
            )
        raw = upcast(raw)
        version += 1
    try:
        return converter.structure(raw, cls)
    except LedgerError:
        raise
    except KeyError as e:
        raise ValidationError(f"{type_name}: missing field {e}") from None
    except (TypeError, ValueError, AttributeError, CattrsError) as e:
        raise ValidationError(f"{type_name}: {e}") from None


def envelope_bytes(  # noqa: PLR0913, PLR0917 - the envelope is exactly these fields
    seq: int,
    event_id: str,
    stream: str,
    version: int,
    subject: str,
    recorded_at: str,
    type_name: str,
    schema_version: int,
    data: bytes,
) -> bytes:
    """
    Return the canonical bytes of a whole stored event, as the hash chain covers it.

    *data* is embedded exactly as stored (before any upcasting), so a change
    of one byte anywhere changes the hash. The fields may be passed by
    position, in this order, as `ledger.integrity.verify` does a million times.

    .. versionadded:: 0.1.0
    """
    # The keys are written in sorted order, so the bytes are `dumps`'s without
    # its sort: a fifth less time an event for verify and every append.
    return orjson.dumps(
        {
            "data": orjson.Fragment(data),
            "event_id": event_id,
            "recorded_at": recorded_at,
            "schema_version": schema_version,
            "seq": seq,
            "stream": stream,
            "subject": subject,
            "type": type_name,
            "version": version,
        }
    )


def index_fields(data: bytes | str) -> tuple[str | None, str | None]:
    """
    Return ``(source, stated_at)`` as found in stored event data.

    These feed the store's indexed columns; `ledger.integrity.verify` recomputes
    them from the hashed bytes, so a column edited on its own is caught.

    .. versionadded:: 0.1.0
    """
    try:  # orjson's own, not `loads`: verify calls this once an event
        raw = orjson.loads(data)
    except orjson.JSONDecodeError as e:
        raise ValidationError(f"not valid JSON: {e}") from None
    if not isinstance(raw, dict):
        raise ValidationError("stored data must be an object")
    source, stated = raw.get("source"), raw.get("stated_at")
    return (
        source if isinstance(source, str) else None,
        stated if isinstance(stated, str) else None,
    )


class _Refused:
    """A number the parser refused, reported under its key by the object hook."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


_MAX_INT_CHARS = 64  # far past any number the ledger accepts; keeps int() cheap


def _exact_float(text: str) -> Decimal | _Refused:
    try:
        value = Decimal(text)
    except ArithmeticError:
        return _Refused(f"{text[:40]} is beyond what the ledger accepts")
    if not value.is_finite() or abs(value.adjusted()) > _MAX_INT_CHARS:
        return _Refused(f"{text[:40]} is beyond what the ledger accepts")
    return value


def _exact_int(text: str) -> int | _Refused:
    if len(text) > _MAX_INT_CHARS:
        digits = len(text.lstrip("-"))
        return _Refused(f"has {digits} significant digits; the ledger accepts at most 30")
    return int(text)


def _exact_constant(name: str) -> _Refused:
    return _Refused(f"{name} is not a number the ledger accepts")


def _refused_in(value: object) -> _Refused | None:
    # Iterative: a line may nest arrays as deep as the JSON reader allows.
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, _Refused):
            return item
        if isinstance(item, list):
            stack.extend(item)
    return None


def _exact_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValidationError(f"{key}: appears twice in one object", field=key)
        refused = _refused_in(value)
        if refused is not None:
            raise ValidationError(f"{key}: {refused.reason}", field=key)
        out[key] = value
    return out


# The end of a key: a string, then a colon. Every key of a document ends so,
# and so does an escaped quote before a colon inside a text, which can only
# add to the count: a count equal to the keys read proves none was repeated.
_KEY_END = re.compile(r'"\s*:')
_GAP = re.compile(r'"[ \t\n\r]')
_SCALARS = frozenset({str, int, bool, type(None)})  # what orjson reads exactly


def _quick_exact(text: str) -> JSON | None:
    # orjson's reading where it is the exact one: no fraction (orjson makes
    # it a binary float) and no repeated key (orjson keeps the last). Anything
    # else, errors included, is left to the standard library's careful reading.
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    keys = 0
    stack = [data]
    while stack:
        item = stack.pop()
        if type(item) is dict:
            keys += len(item)
            stack.extend(v for v in item.values() if type(v) not in _SCALARS)
        elif type(item) is list:
            stack.extend(item)
        elif type(item) is float:
            return None
    if keys and keys != _key_ends(text):
        return None
    return data


def _key_ends(text: str) -> int:
    # At least the keys of *text*: where no quote is followed by a blank, no
    # key has one before its colon, and counting '":' is enough (and quick).
    if _GAP.search(text):
        return len(_KEY_END.findall(text))
    return text.count('":')


def loads_exact(text: str) -> JSON:
    """
    Parse one JSON document with every number exact.

    Decimal fractions become `Decimal`, never `float`. ``NaN``,
    ``Infinity``, integers of more than 64 characters and duplicate keys are
    refused, naming the key they stand under (``"value: NaN is ..."``).
    orjson reads a document when that reading is exact (no fraction, no
    repeated key); the standard library with exact hooks reads the rest.

    Raises:
        ValidationError: The text is not valid JSON, or nests too deeply.

    .. versionadded:: 0.1.0
    """
    quick = _quick_exact(text)
    return quick if quick is not None else _careful_exact(text)


def _careful_exact(text: str) -> JSON:
    # The standard library, asked for exact numbers and every key once.
    try:
        data = json.loads(
            text,
            parse_float=_exact_float,
            parse_int=_exact_int,
            parse_constant=_exact_constant,
            object_pairs_hook=_exact_object,
        )
    except json.JSONDecodeError as e:
        raise ValidationError(f"not valid JSON: {e.msg} (column {e.colno})") from None
    except RecursionError:
        raise ValidationError("not valid JSON: nested too deeply") from None
    refused = _refused_in(data)
    if refused is not None:
        raise ValidationError(refused.reason)
    return data


def _exact_default(value: object) -> object:
    if isinstance(value, Decimal):
        return orjson.Fragment(str(value))
    raise TypeError(type(value).__name__)


_INT64 = 1 << 63


def _big_ints(data: JSON) -> JSON:
    # orjson refuses ints beyond 64 bits before it asks `default`.
    if isinstance(data, int) and not isinstance(data, bool) and not -_INT64 <= data < _INT64:
        return orjson.Fragment(str(data))
    if isinstance(data, dict):
        return {k: _big_ints(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_big_ints(v) for v in data]
    return data


def dumps_exact(data: JSON, *, indent: bool = False) -> bytes:
    """
    Return JSON for data that may hold `Decimal` numbers, written exactly.

    Keys are sorted; with *indent*, the output is indented for people.

    .. versionadded:: 0.1.0
    """
    option = orjson.OPT_SORT_KEYS | (orjson.OPT_INDENT_2 if indent else 0)
    try:
        return orjson.dumps(data, default=_exact_default, option=option)
    except orjson.JSONEncodeError:
        pass
    try:
        return orjson.dumps(_big_ints(data), default=_exact_default, option=option)
    except (orjson.JSONEncodeError, RecursionError) as e:
        # Lone surrogates and very deep nesting have no JSON orjson will write.
        raise ValidationError(f"cannot be written as JSON: {e}") from None
