"""
A seeded generator of realistic records files (``docs/reference/records.md``).

Rules of this module:

- Same seed and size, same bytes: every choice comes from one
  `random.Random`, and the file is written with orjson in a fixed key order.
- Every record is valid under the ledger's rules, so importing the file into
  an empty ledger is never refused. The generator keeps a small state per
  claim (its source, its times, its latest live revision and rebuttals) to
  know what may still be referred to; a retracted claim leaves the pool of
  targets, so nothing but a correction refers to it afterwards.
- Streaming: lines are produced one day of the year at a time and written as
  soon as that day is done; only per-claim state and a few bounded queues of
  recent records are held, never the whole file.
- The year is 2022. Line ``i`` is filed on day ``i * 365 // n``; most records
  are stated on the day they are filed (mostly as a whole day, some to the
  minute or second, monthly summaries as a month), and about one line in ten
  is back-filled: stated at least a day before the day it is filed. Within a
  day, lines are sorted by the ledger's replay position, so the file order
  differs from the stated order exactly at the back-filled lines.
- A dependent record is never stated before what it refers to: its stated
  instant is no earlier than its target's start, so its period cannot end
  before the target's begins. References only ever point to earlier lines.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import orjson

__all__ = ["GENERATOR_VERSION", "MIX", "Generated", "generate", "sizes"]

GENERATOR_VERSION: Final = 1
"""Bumped whenever the output for a given seed and size changes."""

MIX: Final = {
    "claim": 0.20,
    "revision": 0.60,
    "rebuttal": 0.10,
    "corroboration": 0.05,
    "retraction": 0.02,
    "correction": 0.03,
}
"""The share of each record type among the lines of the file."""

BACKFILLED: Final = 0.10
"""The share of lines stated at least a day before the day they are filed."""

DAY: Final = 86_400
JAN1: Final = int(datetime(2022, 1, 1, tzinfo=UTC).timestamp())
DAYS: Final = 365

# Precisions: a stamp is (start, until) in seconds and its text.
_DAY, _MINUTE, _SECOND, _MONTH = "day", "minute", "second", "month"

_NUMERIC: Final = (
    # (topic, place word, metric, unit, decimals)
    ("casualties", "area", "killed", "people", False),
    ("casualties", "area", "wounded", "people", False),
    ("casualties", "area", "missing", "civilians", False),
    ("refugees", "region", "displaced", "refugees", False),
    ("damage", "city", "buildings", "buildings", False),
    ("equipment", "front", "tanks_lost", "tanks", False),
    ("aid", "corridor", "delivered", "tonnes", True),
    ("territory", "oblast", "occupied", "km2", True),
)
_LABELS: Final = (
    ("control", "town", "holder", ("russia", "ukraine", "contested")),
    ("talks", "track", "status", ("scheduled", "held", "postponed", "cancelled")),
)
_QUALIFIERS: Final = (
    ("exact", 40),
    ("approximately", 20),
    ("at_least", 10),
    ("more_than", 10),
    ("at_most", 5),
    ("fewer_than", 5),
    ("range", 10),
)
_QUALIFIER_WORDS: Final = {
    "exact": "",
    "approximately": "around ",
    "at_least": "at least ",
    "more_than": "more than ",
    "at_most": "up to ",
    "fewer_than": "fewer than ",
    "range": "between ",
}
_SOURCE_KINDS: Final = (
    "Defence Ministry",
    "General Staff",
    "Regional Governor",
    "Wire",
    "Gazette",
    "Observer Mission",
    "Monitoring Group",
    "Relief Agency",
    "City Council",
    "Broadcaster",
)
_VIA: Final = ("RIA", "TASS", "Reuters", "AP", "AFP", "Ukrinform", "Interfax")
_REASONS: Final = (
    "Says the figure is inflated.",
    "Says far more were affected.",
    "Disputes the date of the count.",
    "Says the area is not under that control.",
    "Calls the report fabricated.",
)
_NOTES: Final = (
    "The figure counts the whole region.",
    "The count runs from the start of the operation.",
    "Cannot be independently verified.",
)
_FIX_NOTES: Final = {
    "value": "The figure was mistyped when it was entered.",
    "stated_at": "The date was entered wrong.",
    "quote": "The quote was cut short when it was typed in.",
    "citation": "The link pointed to the wrong page.",
    "via": "The relaying outlet was misnamed.",
    "source": "The statement was misattributed.",
    "reason": "The reason was transcribed wrongly.",
}


def sizes(n: int) -> tuple[int, int]:
    """Return the number of subjects and sources for a file of *n* lines."""
    subjects = max(10, n // 100)
    sources = min(100, max(5, subjects // 10))
    return subjects, sources


@dataclass
class Generated:
    """What `generate` wrote."""

    path: Path
    records: int
    events: int
    bytes: int
    subjects: int
    sources: int
    types: dict[str, int]
    precisions: dict[str, int]
    out_of_order: int
    counter_claims: int
    seed: int
    version: int = GENERATOR_VERSION
    subject_names: list[str] = field(default_factory=list, repr=False)

    def summary(self) -> dict[str, Any]:
        """Return the counts as a JSON-ready dict (without the subject names)."""
        return {
            "path": str(self.path),
            "records": self.records,
            "events": self.events,
            "bytes": self.bytes,
            "subjects": self.subjects,
            "sources": self.sources,
            "types": self.types,
            "precisions": self.precisions,
            "out_of_order": self.out_of_order,
            "out_of_order_share": round(self.out_of_order / max(1, self.records), 4),
            "counter_claims": self.counter_claims,
            "seed": self.seed,
            "generator_version": self.version,
        }


# -- times --------------------------------------------------------------------

_DAY_TEXT: Final = [
    (datetime(2022, 1, 1, tzinfo=UTC) + timedelta(days=d)).strftime("%Y-%m-%d")
    for d in range(-30, DAYS)
]
_MONTH_START: Final = [int(datetime(2022, m, 1, tzinfo=UTC).timestamp()) for m in range(1, 13)]
_MONTH_START.append(int(datetime(2023, 1, 1, tzinfo=UTC).timestamp()))
_LAST_DAYS: Final = frozenset((s - JAN1) // DAY - 1 for s in _MONTH_START[1:])

Key = tuple[int, int]
"""A replay position: ``(until, start)`` in seconds, as `ledger.times.Stamp.sort_key`."""


def _stamp(instant: int, precision: str) -> tuple[str, int, Key]:
    """Return the text, start and sort key of the *precision* period holding *instant*."""
    day = (instant - JAN1) // DAY
    if precision == _MONTH:
        month = next(m for m in range(12) if instant < _MONTH_START[m + 1])
        start, until = _MONTH_START[month], _MONTH_START[month + 1]
        return _DAY_TEXT[day + 30][:7], start, (until, start)
    if precision == _DAY:
        start = JAN1 + day * DAY
        return _DAY_TEXT[day + 30], start, (start + DAY, start)
    seconds = instant - JAN1 - day * DAY
    hour, minute, second = seconds // 3600, seconds // 60 % 60, seconds % 60
    if precision == _MINUTE:
        start = instant - second
        return f"{_DAY_TEXT[day + 30]}T{hour:02d}:{minute:02d}Z", start, (start + 60, start)
    text = f"{_DAY_TEXT[day + 30]}T{hour:02d}:{minute:02d}:{second:02d}Z"
    return text, instant, (instant + 1, instant)


# -- state --------------------------------------------------------------------


class _Rec:
    """A record others may still refer to, or correct."""

    __slots__ = ("claim", "id", "key", "kind", "last", "lb", "pos", "source", "start")

    def __init__(  # noqa: PLR0913, PLR0917 - the few facts the rules need
        self,
        id_: str,
        kind: str,
        claim: _Claim | None,
        source: int,
        start: int,
        lb: int,
        pos: Key,
        key: Key,
    ) -> None:
        self.id, self.kind, self.claim, self.source = id_, kind, claim, source
        self.start, self.lb, self.pos, self.key = start, lb, pos, key
        # The latest file position of a line that refers to this record (for a
        # claim: to any record of its stream). A retraction must come after it.
        self.last = key


class _Claim(_Rec):
    """A claim (or a rebuttal's counter-claim) and what is still live in its stream."""

    __slots__ = ("counter_of", "rebuttals", "rev", "slot", "subject", "value")

    def __init__(  # noqa: PLR0913, PLR0917
        self, id_: str, subject: int, source: int, start: int, pos: Key, key: Key
    ) -> None:
        super().__init__(id_, "claim", None, source, start, JAN1, pos, key)
        self.claim = self
        self.subject = subject
        self.value: float = 0.0
        self.rev: _Rec | None = None
        self.rebuttals: list[_Rebuttal] = []
        self.counter_of: _Rec | None = None  # the live rebuttal that carries it
        self.slot = -1


class _Rebuttal(_Rec):
    __slots__ = ("counter",)

    def __init__(  # noqa: PLR0913, PLR0917
        self, id_: str, claim: _Claim, source: int, start: int, pos: Key, key: Key
    ) -> None:
        super().__init__(id_, "rebuttal", claim, source, start, claim.start, pos, key)
        self.counter: _Claim | None = None


@dataclass
class _Line:
    key: Key
    gen: int
    pos: Key | None  # None for corrections: they have no stated time of their own
    data: bytes


class _Generator:
    def __init__(self, n: int, seed: int) -> None:
        self.n = n
        self.rng = random.Random(seed)
        self.n_subjects, self.n_sources = sizes(n)
        rng = self.rng
        self.sources = [
            f"{_SOURCE_KINDS[i % len(_SOURCE_KINDS)]} {i // len(_SOURCE_KINDS) + 1:02d}"
            for i in range(self.n_sources)
        ]
        self.slugs = [s.lower().replace(" ", "-") for s in self.sources]
        self.subjects: list[str] = []
        self.kinds: list[int] = []  # >= 0: index into _NUMERIC; < 0: ~index into _LABELS
        for i in range(self.n_subjects):
            if i % 10 >= 8:
                topic, place, metric, _ = _LABELS[i % 2]
                self.kinds.append(~(i % 2))
            else:
                topic, place, metric, *_ = _NUMERIC[i % 8]
                self.kinds.append(i % 8)
            self.subjects.append(f"{topic}.{place}_{i:05d}.{metric}")
        self.scale = [10 ** rng.uniform(1, 4.5) for _ in range(self.n_subjects)]
        self.remaining = {kind: round(share * n) for kind, share in MIX.items()}
        self.remaining["revision"] += n - sum(self.remaining.values())
        self.live: list[_Claim] = []
        self.corroborations: deque[_Rec] = deque(maxlen=2000)
        self.retractions: deque[_Rec] = deque(maxlen=2000)
        self.retracted: deque[_Claim] = deque(maxlen=2000)
        self.types = dict.fromkeys(MIX, 0)
        self.precisions = dict.fromkeys((_DAY, _MINUTE, _SECOND, _MONTH), 0)
        self.counter_claims = 0
        self.owed = 0.0  # back-filled lines still owed to reach the share
        self.gen = 0

    # -- choices ------------------------------------------------------------

    def other_source(self, source: int) -> int:
        pick = self.rng.randrange(self.n_sources - 1)
        return pick if pick < source else pick + 1

    def qualifier(self) -> str:
        r = self.rng.randrange(100)
        for name, weight in _QUALIFIERS:
            if r < weight:
                return name
            r -= weight
        return "exact"  # pragma: no cover - the weights sum to 100

    def amount(self, subject: int, x: float) -> int | float:
        if _NUMERIC[self.kinds[subject]][4]:
            return round(max(x, 0.1), 1)
        return max(int(x), 1)

    def value_fields(self, claim: _Claim, x: float | None, *, full: bool = False) -> dict[str, Any]:
        """Return value fields for *claim*'s subject: a number near *x*, or a label."""
        rng, kind = self.rng, self.kinds[claim.subject]
        if kind < 0:
            return {"value": rng.choice(_LABELS[~kind][3])}
        amount = self.amount(claim.subject, x if x is not None else claim.value)
        out: dict[str, Any] = {"value": amount}
        qualifier = self.qualifier()
        if qualifier != "exact" or full:
            out["qualifier"] = qualifier
        if qualifier == "range":
            out["value_high"] = self.amount(claim.subject, amount * rng.uniform(1.1, 1.6) + 1)
        if full or rng.random() < 0.9:
            out["unit"] = _NUMERIC[kind][3]
        return out

    def quote(self, values: dict[str, Any]) -> str:
        words = _QUALIFIER_WORDS.get(values.get("qualifier", "exact"), "")
        tail = f" and {values['value_high']}" if "value_high" in values else ""
        unit = f" {values['unit']}" if "unit" in values else ""
        return f"{words}{values['value']}{tail}{unit}"

    def extras(self, record: dict[str, Any], source: int, day_text: str) -> None:
        rng = self.rng
        if rng.random() < 0.2:
            record["via"] = rng.choice(_VIA)
        if rng.random() < 0.7:
            record["citation"] = f"https://news.example/{self.slugs[source]}/{day_text}/{self.gen}"

    def pick_live(self) -> _Claim:
        return self.live[self.rng.randrange(len(self.live))]

    def add_live(self, claim: _Claim) -> None:
        claim.slot = len(self.live)
        self.live.append(claim)

    def drop_live(self, claim: _Claim) -> None:
        last = self.live.pop()
        if last is not claim:
            self.live[claim.slot] = last
            last.slot = claim.slot
        claim.slot = -1

    @staticmethod
    def touch(ref: _Rec, stream: _Claim, key: Key) -> None:
        """Note that a line at *key* refers to *ref* and files an event in *stream*."""
        ref.last = max(ref.last, key)
        for claim in (ref.claim, stream):
            if claim is not None:
                claim.last = max(claim.last, key)

    # -- times --------------------------------------------------------------

    def when(self, lb: int, day: int, *, backfill: bool) -> tuple[str, int, Key, bool]:
        """
        Choose a stated time no earlier than *lb* for a line filed on *day*.

        Returns the text, the start, the sort key, and whether it is back-filled.
        """
        rng = self.rng
        day_start = JAN1 + day * DAY
        if backfill:
            high = day_start - DAY
            low = max(lb, JAN1, high - 60 * DAY)
            if low < high:
                r = rng.random()
                precision = _DAY if r < 0.8 else _MINUTE if r < 0.9 else _SECOND
                text, start, key = _stamp(rng.randrange(low, high), precision)
                self.precisions[precision] += 1
                return text, start, key, True
        if day in _LAST_DAYS and rng.random() < 0.5:
            precision = _MONTH  # a monthly summary, stated as the month
        else:
            r = rng.random()
            precision = _DAY if r < 0.8 else _MINUTE if r < 0.91 else _SECOND
        instant = rng.randrange(max(lb, day_start), day_start + DAY)
        text, start, key = _stamp(instant, precision)
        self.precisions[precision] += 1
        return text, start, key, False

    def backfill_wanted(self) -> bool:
        # Corrections have no stated time, so the other lines carry the share;
        # a line that cannot be back-filled (its target is too recent) leaves
        # the debt to the next ones.
        self.owed += BACKFILLED / (1 - MIX["correction"])
        return self.owed >= 3 or self.rng.random() < BACKFILLED

    # -- records ------------------------------------------------------------

    def choose_type(self) -> str:
        total = sum(self.remaining.values())
        kind = "claim"
        if total:
            r = self.rng.randrange(total)
            for name, left in self.remaining.items():
                if r < left:
                    kind = name
                    break
                r -= left
        feasible = kind == "claim" or bool(self.live)
        if feasible:
            self.remaining[kind] -= 1
            return kind
        if self.remaining["claim"]:
            self.remaining["claim"] -= 1
        else:
            self.remaining[kind] -= 1
        return "claim"

    def line(self, day: int) -> _Line:
        self.gen += 1
        kind = self.choose_type()
        self.types[kind] += 1
        if kind == "correction":
            return self.correction()
        maker = {
            "claim": self.claim,
            "revision": self.revision,
            "rebuttal": self.rebuttal,
            "corroboration": self.corroboration,
            "retraction": self.retraction,
        }[kind]
        line, backfilled = maker(day, backfill=self.backfill_wanted())
        # It only counts when its replay position, which its target can push
        # later, still falls before the day it is filed.
        if backfilled and line.pos is not None and line.pos[0] <= JAN1 + day * DAY:
            self.owed -= 1
        return line

    def _dump(self, record: dict[str, Any], key: Key, pos: Key | None) -> _Line:
        return _Line(key=key, gen=self.gen, pos=pos, data=orjson.dumps(record) + b"\n")

    def claim(self, day: int, *, backfill: bool) -> tuple[_Line, bool]:
        rng = self.rng
        subject = int(self.n_subjects * rng.random() ** 1.5)
        source = rng.randrange(self.n_sources)
        text, start, key, back = self.when(JAN1, day, backfill=backfill)
        cid = f"c{self.gen}"
        claim = _Claim(cid, subject, source, start, key, key)
        progress = 0.5 + (start - JAN1) / (DAYS * DAY)
        claim.value = self.scale[subject] * progress * rng.uniform(0.7, 1.3)
        values = self.value_fields(claim, None)
        record: dict[str, Any] = {"type": "claim", "id": cid, "subject": self.subjects[subject]}
        record.update(values)
        if rng.random() < 0.1:
            record["as_of"] = _DAY_TEXT[(start - JAN1) // DAY + 30 - rng.randint(1, 7)]
        record["source"] = self.sources[source]
        record["stated_at"] = text
        self.extras(record, source, text[:10])
        if rng.random() < 0.3:
            record["quote"] = self.quote(values)
        if rng.random() < 0.05:
            record["note"] = rng.choice(_NOTES)
        self.add_live(claim)
        return self._dump(record, key, key), back

    def revision(self, day: int, *, backfill: bool) -> tuple[_Line, bool]:
        rng = self.rng
        claim = self.pick_live()
        r = rng.random()
        ref: _Rec = claim
        if claim.counter_of is not None and r < 0.3:
            ref = claim.counter_of
        elif claim.rev is not None and r < 0.6:
            ref = claim.rev
        # The rules measure a dependent against the claim, even when it refers
        # to a revision, which may be stated as a whole month.
        text, start, own, back = self.when(max(ref.start, claim.start), day, backfill=backfill)
        pos = max(own, claim.pos)
        key = max(pos, ref.key)
        rid = f"v{self.gen}"
        self.touch(ref, claim, key)
        claim.value = claim.value * rng.uniform(1.0, 1.08) + rng.randint(0, 3)
        values = self.value_fields(claim, None)
        record: dict[str, Any] = {"type": "revision", "id": rid, "revises": ref.id}
        record.update(values)
        if rng.random() < 0.05:
            record["as_of"] = _DAY_TEXT[(start - JAN1) // DAY + 30 - rng.randint(1, 7)]
        if rng.random() < 0.7:
            record["source"] = self.sources[claim.source]
        record["stated_at"] = text
        self.extras(record, claim.source, text[:10])
        if rng.random() < 0.2:
            record["quote"] = self.quote(values)
        claim.rev = _Rec(rid, "revision", claim, claim.source, start, claim.start, pos, key)
        return self._dump(record, key, pos), back

    def _claim_or_revision(self, claim: _Claim) -> _Rec:
        if claim.rev is not None and self.rng.random() < 0.3:
            return claim.rev
        return claim

    def rebuttal(self, day: int, *, backfill: bool) -> tuple[_Line, bool]:
        rng = self.rng
        claim = self.pick_live()
        ref = self._claim_or_revision(claim)
        source = self.other_source(claim.source)
        # The rules measure a dependent against the claim, even when it refers
        # to a revision, which may be stated as a whole month.
        text, start, own, back = self.when(max(ref.start, claim.start), day, backfill=backfill)
        pos = max(own, claim.pos)
        key = max(pos, ref.key)
        rid = f"r{self.gen}"
        self.touch(ref, claim, key)
        record: dict[str, Any] = {"type": "rebuttal", "id": rid, "rebuts": ref.id}
        record["source"] = self.sources[source]
        record["stated_at"] = text
        if rng.random() < 0.6:
            record["reason"] = rng.choice(_REASONS)
        rebuttal = _Rebuttal(rid, claim, source, start, pos, key)
        if rng.random() < 0.5:
            counter = _Claim(f"{rid}.counter", claim.subject, source, start, own, key)
            counter.value = claim.value * rng.choice((0.3, 0.5, 2.0, 3.0, 10.0))
            record.update(self.value_fields(counter, None))
            counter.counter_of = rebuttal
            rebuttal.counter = counter
            self.add_live(counter)
            self.counter_claims += 1
        self.extras(record, source, text[:10])
        claim.rebuttals.append(rebuttal)
        return self._dump(record, key, pos), back

    def corroboration(self, day: int, *, backfill: bool) -> tuple[_Line, bool]:
        claim = self.pick_live()
        ref = self._claim_or_revision(claim)
        source = self.other_source(claim.source)
        # The rules measure a dependent against the claim, even when it refers
        # to a revision, which may be stated as a whole month.
        text, start, own, back = self.when(max(ref.start, claim.start), day, backfill=backfill)
        pos = max(own, claim.pos)
        key = max(pos, ref.key)
        kid = f"k{self.gen}"
        self.touch(ref, claim, key)
        record: dict[str, Any] = {"type": "corroboration", "id": kid, "corroborates": ref.id}
        record["source"] = self.sources[source]
        record["stated_at"] = text
        self.extras(record, source, text[:10])
        self.corroborations.append(
            _Rec(kid, "corroboration", claim, source, start, claim.start, pos, key)
        )
        return self._dump(record, key, pos), back

    def retraction(self, day: int, *, backfill: bool) -> tuple[_Line, bool]:
        rng = self.rng
        claim = self.pick_live()
        r = rng.random()
        target: _Rec = claim
        if claim.rebuttals and r < 0.2:
            target = claim.rebuttals[rng.randrange(len(claim.rebuttals))]
        elif claim.rev is not None and r < 0.6:
            target = claim.rev
        text, start, own, back = self.when(max(target.start, claim.start), day, backfill=backfill)
        pos = max(own, target.pos)
        # After every line already generated that refers to what is retracted:
        # once retracted, nothing but a correction may refer to it.
        key = max(pos, target.key, target.last)
        self.touch(target, claim, key)
        xid = f"x{self.gen}"
        record: dict[str, Any] = {"type": "retraction", "id": xid, "retracts": target.id}
        if rng.random() < 0.6:
            record["source"] = self.sources[target.source]
        record["stated_at"] = text
        self.extras(record, target.source, text[:10])
        if rng.random() < 0.3:
            record["note"] = "The source withdrew the statement."
        if target is claim:
            self.drop_live(claim)
            self.retracted.append(claim)
            for rebuttal in claim.rebuttals:
                # Revise those counter-claims through their own ids from now on:
                # nothing refers to a record of a retracted claim's stream.
                if rebuttal.counter is not None:
                    rebuttal.counter.counter_of = None
            claim.rebuttals = []
            claim.rev = None
        elif target is claim.rev:
            claim.rev = None
        else:
            claim.rebuttals.remove(target)  # type: ignore[arg-type]
            counter = target.counter  # type: ignore[attr-defined]
            if counter is not None:
                counter.counter_of = None
        self.retractions.append(
            _Rec(xid, "retraction", claim, target.source, start, target.start, pos, key)
        )
        return self._dump(record, key, pos), back

    def correction_target(self) -> _Rec | None:  # noqa: PLR0911 - one return per pool
        rng = self.rng
        r = rng.random()
        if r < 0.15 and self.corroborations:
            return self.corroborations[rng.randrange(len(self.corroborations))]
        if r < 0.25 and self.retractions:
            return self.retractions[rng.randrange(len(self.retractions))]
        if r < 0.45 and self.retracted:
            return self.retracted[rng.randrange(len(self.retracted))]
        if not self.live:
            return None
        claim = self.pick_live()
        r = rng.random()
        if claim.rebuttals and r < 0.2:
            return claim.rebuttals[rng.randrange(len(claim.rebuttals))]
        if claim.rev is not None and r < 0.5:
            return claim.rev
        return claim

    def correction(self) -> _Line:
        rng = self.rng
        target = self.correction_target()
        assert target is not None  # noqa: S101 - choose_type only picks this with live claims
        choices = {
            "claim": ("value", "value", "quote", "citation", "stated_at", "via"),
            "revision": ("value", "value", "quote", "citation", "stated_at", "via"),
            "rebuttal": ("reason", "quote", "citation", "stated_at"),
            "corroboration": ("source", "citation", "citation", "stated_at"),
            "retraction": ("citation", "quote", "stated_at"),
        }[target.kind]
        what = rng.choice(choices)
        fid = f"f{self.gen}"
        record: dict[str, Any] = {"type": "correction", "id": fid, "corrects": target.id}
        claim = target.claim
        assert claim is not None  # noqa: S101 - every tracked record belongs to a claim
        if what == "stated_at":
            low = max(target.lb, JAN1)
            if low < target.start:
                instant = rng.randrange(low, target.start)
                text, _, _ = _stamp(instant, _DAY if rng.random() < 0.7 else _MINUTE)
                record["stated_at"] = text
            else:
                what = "citation"
        if what == "value":
            x = claim.value * rng.uniform(0.9, 1.1)
            record.update(self.value_fields(claim, x, full=True))
        elif what == "source":
            record["source"] = self.sources[self.other_source(claim.source)]
        elif what == "reason":
            record["reason"] = rng.choice(_REASONS)
        elif what == "via":
            record["via"] = rng.choice(_VIA)
        elif what == "quote":
            record["quote"] = f"as the statement put it on record {target.id}"
        elif what == "citation":
            record["citation"] = f"https://news.example/corrected/{self.gen}"
        record["note"] = _FIX_NOTES[what]
        return self._dump(record, target.key, None)

    # -- the file -----------------------------------------------------------

    def days(self) -> Iterator[list[_Line]]:
        n = self.n
        i = 0
        for day in range(DAYS):
            end = (day + 1) * n // DAYS
            lines = [self.line(day) for _ in range(i, end)]
            i = end
            lines.sort(key=lambda line: (line.key, line.gen))
            yield lines


def generate(path: str | Path, n: int, *, seed: int = 2022) -> Generated:
    """
    Write a records file of *n* lines to *path*, reproducibly from *seed*.

    Returns:
        The counts of what was written, including how many lines are out of
        stated order (back-filled) by the ledger's replay position.
    """
    path = Path(path)
    gen = _Generator(n, seed)
    out_of_order = 0
    latest: Key = (0, 0)
    written = 0
    with path.open("wb") as f:
        for lines in gen.days():
            for line in lines:
                if line.pos is not None:
                    if line.pos < latest:
                        out_of_order += 1
                    latest = max(latest, line.pos)
                f.write(line.data)
                written += len(line.data)
    return Generated(
        path=path,
        records=n,
        events=n + gen.counter_claims,
        bytes=written,
        subjects=gen.n_subjects,
        sources=gen.n_sources,
        types=gen.types,
        precisions=gen.precisions,
        out_of_order=out_of_order,
        counter_claims=gen.counter_claims,
        seed=seed,
        subject_names=gen.subjects,
    )
