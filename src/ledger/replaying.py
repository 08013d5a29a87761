"""
A whole stored log in replay order, without holding it decoded.

`ledger.projections.timeline` orders the events it is given, so it holds them
all: a replay of a million events held every one of them, decoded, before
the fold saw the first (1.2 GB). The order needs far less than the events:

1. the corrections, read and decoded first (a correction can move its
   target's stated time);
2. each event's id, target and stated time, read from its row in sequence
   order and placed by `ledger.projections.place`, the rule `positioned`
   follows, into a list of positions;
3. the events themselves, read back by sequence number in that order a chunk
   at a time (`ledger.stores.EventStore.read_seqs`), each decoded and
   corrected just before the fold sees it.

What this yields equals `timeline` over the same events; a property in
`tests/test_projections.py` holds the two equal.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

import attrs

from ledger import codec
from ledger.events import CorrectedValue, EntryCorrected, apply_correction
from ledger.projections import TARGET_FIELDS, Position, place
from ledger.stores import EventStore, RawEvent, StoredEvent
from ledger.times import Stamp, parse_stamp

__all__ = ["stored_timeline"]

_CHUNK: Final = 1000
"""Events read back per statement: few statements, little held."""

_FIELDS: Final = {cls.__name__: name for cls, name in TARGET_FIELDS.items()}
_CORRECTION: Final = EntryCorrected.__name__

_Fixes = dict[str, list[tuple[str, CorrectedValue]]]


def stored_timeline(
    store: EventStore, *, size: int, at: Stamp | None = None
) -> Iterator[StoredEvent]:
    """
    Yield the first *size* events of *store* as `ledger.projections.timeline` orders them.

    *size* is the log's length to replay: its head, or the events recorded by
    a ``known_at`` (what was known by a time is a prefix of the log).

    .. versionadded:: 0.1.0
    """
    fixes: _Fixes = {}
    for raw in store.read_raw(types=(_CORRECTION,)):
        if raw.seq > size:
            break
        correction = raw.decode().event
        if isinstance(correction, EntryCorrected):  # what was asked for
            fixes.setdefault(correction.corrected_id, []).extend(correction.fields)
    order = _order(store, size, at, fixes)
    for start in range(0, len(order), _CHUNK):
        for raw in store.read_seqs(order[start : start + _CHUNK]):
            stored = raw.decode()
            fix = fixes.get(stored.event_id)
            if fix is not None:
                stored = attrs.evolve(stored, event=apply_correction(stored.event, fix))
            yield stored


def _order(store: EventStore, size: int, at: Stamp | None, fixes: _Fixes) -> list[int]:
    # The sequence numbers of the events to replay, in replay order.
    position: dict[str, Position] = {}
    placed: list[tuple[Position, int]] = []
    limit = None if at is None else at.until_us
    for raw in store.read_raw():
        if raw.seq > size:
            break
        target, own = _target_and_own(raw, fixes.get(raw.event_id))
        here = place(position, raw.event_id, target, own)
        if limit is None or here[0] <= limit:
            placed.append((here, raw.seq))
    placed.sort()
    return [seq for _, seq in placed]


def _target_and_own(
    raw: RawEvent, fix: list[tuple[str, CorrectedValue]] | None
) -> tuple[str | None, Position | None]:
    # What the event refers to and its own stated position, read off its row
    # where the row says it plainly; anything else is decoded, as replay would.
    # A correction stands where its target does: it needs no stated time,
    # and it was decoded once already, for the fixes.
    field = _FIELDS.get(raw.type)
    stated = raw.stated_at
    correction = raw.type == _CORRECTION
    current = raw.schema_version == codec.SCHEMA_VERSIONS.get(raw.type)
    if not current or (correction and fix is not None) or (stated is None and not correction):
        return _of_event(raw, fix)
    target = None
    if field is not None:
        data = codec.loads(raw.data)
        target = data.get(field) if isinstance(data, dict) else None
        if not isinstance(target, str):
            return _of_event(raw, fix)
    if correction or stated is None:
        return target, None
    corrected = dict(fix).get("stated_at") if fix else None
    stamp = corrected if isinstance(corrected, Stamp) else parse_stamp(stated)
    return target, stamp.sort_key


def _of_event(
    raw: RawEvent, fix: list[tuple[str, CorrectedValue]] | None
) -> tuple[str | None, Position | None]:
    event = raw.decode().event
    if fix is not None:
        event = apply_correction(event, fix)
    field = _FIELDS.get(type(event).__name__)
    target = None if field is None else getattr(event, field)
    own = None if isinstance(event, EntryCorrected) else event.stated_at.sort_key
    return target, own
