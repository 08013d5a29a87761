"""Hypothesis strategies for every value and event of the ledger."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import strategies as st

from ledger.events import (
    ClaimAsserted,
    ClaimCorroborated,
    ClaimRebutted,
    ClaimRetracted,
    ClaimRevised,
    EntryCorrected,
    Event,
)
from ledger.times import Precision, Stamp
from ledger.values import Label, Qualifier, Quantity, Value

SOURCES = ("russia.mod", "ukraine.adviser", "un.ohchr", "ria", "kherson.mayor")
SUBJECTS = (
    "casualties.russia.military.killed",
    "casualties.civilians.killed",
    "control.kherson",
    "talks.round2.status",
)
UNITS = (None, "people", "soldiers")


def numbers() -> st.SearchStrategy[int | Decimal]:
    """Ints and exact decimals in the range a ledger accepts."""
    return st.one_of(
        st.integers(min_value=-(10**12), max_value=10**12),
        st.decimals(
            min_value=Decimal(-(10**9)),
            max_value=Decimal(10**9),
            allow_nan=False,
            allow_infinity=False,
            places=3,
        ).map(lambda d: d if d != d.to_integral_value() else int(d)),
    )


@st.composite
def quantities(draw: st.DrawFn) -> Quantity:
    """Quantities with every qualifier."""
    qualifier = draw(st.sampled_from(list(Qualifier)))
    unit = draw(st.sampled_from(UNITS))
    amount = draw(numbers())
    if unit is not None:  # counted units are never negative
        amount = abs(amount)
    high = None
    if qualifier is Qualifier.RANGE:
        high = amount + draw(st.integers(min_value=0, max_value=10**6))
    return Quantity(amount=amount, qualifier=qualifier, high=high, unit=unit)


def labels() -> st.SearchStrategy[Label]:
    """Short labels such as ``russia`` or ``scheduled``."""
    return st.sampled_from(["russia", "ukraine", "scheduled", "held", "Russia ", "contested"]).map(
        Label
    )


def claim_values() -> st.SearchStrategy[Value]:
    """Any claimed value."""
    return st.one_of(quantities(), labels())


@st.composite
def stamps(draw: st.DrawFn) -> Stamp:
    """Stamps of every precision between 2021 and 2024."""
    moment = draw(
        st.datetimes(
            min_value=datetime(2021, 1, 1),  # noqa: DTZ001 - hypothesis wants naive bounds
            max_value=datetime(2024, 12, 31),  # noqa: DTZ001
            timezones=st.just(UTC),
        )
    )
    return Stamp.from_datetime(moment, draw(st.sampled_from(list(Precision))))


ids = st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True)
texts = st.none() | st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=30
).filter(str.strip)


@st.composite
def claims(draw: st.DrawFn, claim_id: str | None = None) -> ClaimAsserted:
    """A claim with every optional field drawn."""
    stated = draw(stamps())
    return ClaimAsserted(
        claim_id=claim_id or draw(ids),
        subject=draw(st.sampled_from(SUBJECTS)),
        value=draw(claim_values()),
        source=draw(st.sampled_from(SOURCES)),
        stated_at=stated,
        as_of=draw(st.just(stated) | stamps()),
        via=draw(texts),
        citation=draw(texts),
        quote=draw(texts),
        note=draw(texts),
    )


@st.composite
def events(draw: st.DrawFn) -> Event:
    """Any one event, of any type."""
    kind = draw(st.sampled_from(range(6)))
    claim_id = draw(ids)
    stated = draw(stamps())
    if kind == 0:
        return draw(claims(claim_id))
    if kind == 1:
        return ClaimRevised(
            claim_id=claim_id,
            value=draw(claim_values()),
            stated_at=stated,
            as_of=draw(st.just(stated) | stamps()),
            note=draw(texts),
            citation=draw(texts),
            quote=draw(texts),
        )
    if kind == 2:
        return ClaimRebutted(
            claim_id=claim_id,
            source=draw(st.sampled_from(SOURCES)),
            stated_at=stated,
            counter_claim_id=draw(st.none() | ids),
            reason=draw(texts),
            citation=draw(texts),
            quote=draw(texts),
        )
    if kind == 3:
        return ClaimRetracted(
            claim_id=claim_id,
            retracted_id=draw(ids),
            source=draw(st.sampled_from(SOURCES)),
            stated_at=stated,
            note=draw(texts),
        )
    if kind == 4:
        return ClaimCorroborated(
            claim_id=claim_id,
            source=draw(st.sampled_from(SOURCES)),
            stated_at=stated,
            citation=draw(texts),
        )
    chosen = draw(
        st.lists(st.sampled_from(["value", "stated_at", "source", "via"]), min_size=1, unique=True)
    )
    replacements = {
        "value": claim_values(),
        "stated_at": stamps(),
        "source": st.sampled_from(SOURCES),
        "via": texts,
    }
    return EntryCorrected(
        corrected_id=draw(ids),
        fields={name: draw(replacements[name]) for name in chosen},
        note="transcription fix",
    )


# -- whole ledgers, for the records round trip (tests/test_records.py) ------

from ledger import Ledger  # noqa: E402 - appended section; the import block above is shared

_START = datetime(2022, 2, 24)  # noqa: DTZ001 - hypothesis wants naive bounds
_END = datetime(2022, 6, 30)  # noqa: DTZ001

CORRECTABLE_IN_RECORDS = {
    # What a records file can correct, by kind (docs/reference/records.md), except `note`:
    # in a correction record, `note` is the correction's own reason. `via` only on
    # claims for now: the reference allows it on every kind, `decide` does not yet.
    "claim": ("value", "stated_at", "as_of", "source", "via", "citation", "quote"),
    "revision": ("value", "stated_at", "as_of", "citation", "quote"),
    "rebuttal": ("stated_at", "source", "reason", "citation", "quote"),
    "retraction": ("stated_at", "citation", "quote"),
    "corroboration": ("stated_at", "source", "citation", "quote"),
}


class _BuiltLedger(Ledger):
    """A ledger that shows the calls that built it when Hypothesis prints it."""

    calls: list[str]

    def __repr__(self) -> str:
        return "record_ledgers(\n  " + "\n  ".join(self.calls) + "\n)"


@st.composite
def record_ledgers(draw: st.DrawFn, max_steps: int = 14) -> Ledger:  # noqa: C901, PLR0912, PLR0915
    """
    A memory ledger built through the `Ledger` API, valid by construction.

    It holds claims with every qualifier and labels, revisions (some through a
    rebuttal's id, of its counter-claim), rebuttals with and without a counter
    value, retractions of claims, revisions and rebuttals, corroborations, and
    corrections of every field a records file can correct. Stated times never
    go back, and a corrected time is never later than the present step, so no
    record is stated before what it changes.
    """
    ledger = _BuiltLedger.memory()
    ledger.calls = []
    steps = draw(st.integers(min_value=1, max_value=max_steps))
    moments = sorted(
        draw(
            st.lists(
                st.datetimes(min_value=_START, max_value=_END, timezones=st.just(UTC)),
                min_size=steps,
                max_size=steps,
            )
        )
    )
    source_of: dict[str, str] = {}  # claim id (counter-claims too) -> its source, as corrected
    retracted: set[str] = set()  # retracted claims, revisions and rebuttals
    claim_of: dict[str, str] = {}  # every record id -> the claim whose stream holds it
    kind_of: dict[str, str] = {}  # every record id but corrections -> its kind
    rebutter: dict[str, str] = {}  # rebuttal id -> its source, as corrected
    backers: dict[str, dict[str, str]] = {}  # claim -> its rebuttals and corroborations' sources
    counter_of: dict[str, str] = {}  # rebuttal id -> its counter-claim id

    def stamp_at(when: datetime) -> Stamp:
        return Stamp.from_datetime(when, draw(st.sampled_from(list(Precision))))

    def no_later_than(when: datetime) -> Stamp:
        naive = when.replace(tzinfo=None)
        return stamp_at(
            draw(st.datetimes(min_value=_START, max_value=naive, timezones=st.just(UTC)))
        )

    def other_source(than: str) -> str:
        return draw(st.sampled_from([s for s in SOURCES if s != than]))

    def call(name: str, *args: object, **kwargs: object) -> None:
        shown = [*map(repr, args), *(f"{k}={v!r}" for k, v in kwargs.items())]
        ledger.calls.append(f"{name}({', '.join(shown)})")
        getattr(ledger, name)(*args, **kwargs)

    for number, moment in enumerate(moments, start=1):
        live = [c for c in source_of if c not in retracted]
        targets = live + [
            r
            for r, k in kind_of.items()
            if k == "revision" and r not in retracted and claim_of[r] not in retracted
        ]
        # Only through a rebuttal that stands: a retracted one may not be revised through.
        revisable = targets + [
            b for b, c in counter_of.items() if c not in retracted and b not in retracted
        ]
        retractable = targets + [
            b for b in rebutter if b not in retracted and claim_of[b] not in retracted
        ]
        options = ["claim"]
        options += ["revision", "rebuttal", "corroboration"] if targets else []
        options += ["retraction"] if retractable else []
        options += ["correction"] if kind_of else []
        kind = draw(st.sampled_from(options))
        rid = f"{kind}-{number}"
        stated = stamp_at(moment)
        common = {"citation": draw(texts), "quote": draw(texts)}
        if kind == "claim":
            source = draw(st.sampled_from(SOURCES))
            call(
                "claim",
                draw(st.sampled_from(SUBJECTS)),
                draw(claim_values()),
                source=source,
                stated_at=stated,
                id=rid,
                as_of=draw(st.none() | stamps()),
                via=draw(texts),
                note=draw(texts),
                **common,
            )
            source_of[rid] = source
            claim_of[rid] = rid
        elif kind == "revision":
            target = draw(st.sampled_from(revisable))
            claim = counter_of.get(target) or claim_of[target]
            call(
                "revise",
                target,
                draw(claim_values()),
                stated_at=stated,
                id=rid,
                as_of=draw(st.none() | stamps()),
                source=draw(st.sampled_from([None, source_of[claim]])),
                via=draw(texts),
                note=draw(texts),
                **common,
            )
            claim_of[rid] = claim
        elif kind == "corroboration":
            target = draw(st.sampled_from(targets))
            claim = claim_of[target]
            source = other_source(source_of[claim])
            call("corroborate", target, source=source, stated_at=stated, id=rid, **common)
            claim_of[rid] = claim
            backers.setdefault(claim, {})[rid] = source
        elif kind == "rebuttal":
            target = draw(st.sampled_from(targets))
            claim = claim_of[target]
            source = other_source(source_of[claim])
            value = draw(st.none() | claim_values())
            call(
                "rebut",
                target,
                source=source,
                stated_at=stated,
                id=rid,
                value=value,
                as_of=None if value is None else draw(st.none() | stamps()),
                reason=draw(texts),
                via=draw(texts),
                note=draw(texts),
                **common,
            )
            claim_of[rid] = claim
            rebutter[rid] = source
            backers.setdefault(claim, {})[rid] = source
            if value is not None:
                counter = f"{rid}.counter"
                counter_of[rid] = counter
                source_of[counter] = source
                claim_of[counter] = counter
                kind_of[counter] = "claim"
        elif kind == "retraction":
            target = draw(st.sampled_from(retractable))
            owner = rebutter.get(target) or source_of[claim_of[target]]
            call(
                "retract",
                target,
                stated_at=stated,
                id=rid,
                source=draw(st.sampled_from([None, owner])),
                via=draw(texts),
                note=draw(texts),
                **common,
            )
            retracted.add(target)
            claim_of[rid] = claim_of[target]
        else:
            target = draw(st.sampled_from(sorted(kind_of)))
            names = draw(
                st.lists(
                    st.sampled_from(CORRECTABLE_IN_RECORDS[kind_of[target]]),
                    min_size=1,
                    max_size=3,
                    unique=True,
                )
            )
            fields: dict[str, object] = {}
            for name in names:
                if name == "value":
                    fields[name] = draw(claim_values())
                elif name in {"stated_at", "as_of"}:
                    fields[name] = no_later_than(moment)
                elif name == "source" and target in source_of:
                    # Never a source that rebuts or corroborates the claim.
                    taken = set(backers.get(target, {}).values())
                    free = [s for s in SOURCES if s not in taken]
                    if free:
                        fields[name] = source_of[target] = draw(st.sampled_from(free))
                elif name == "source":
                    # A rebuttal or corroboration stays another source than the claim's.
                    fields[name] = other_source(source_of[claim_of[target]])
                    backers[claim_of[target]][target] = fields[name]
                    if target in rebutter:
                        rebutter[target] = fields[name]
                else:
                    fields[name] = draw(texts)
            if not fields:
                fields["quote"] = draw(texts)
            call("correct", target, note=draw(texts.filter(bool)), id=rid, **fields)
        if kind != "correction":
            kind_of[rid] = kind
    return ledger


# -- random valid ledgers -------------------------------------------------------
#
# `ledger_commands()` draws whole ledgers as lists of commands that obey every
# rule of `ledger.commands` by construction. Stated times are distinct (no two
# records share a `Stamp.sort_key`, except a counter-claim and its rebuttal,
# which one command makes together) and every dependent record is stated
# strictly after its target, under every correction of either, so replay
# never has to move a record after its target and never breaks a tie by
# sequence number.

# Appended section: the import block at the top is shared, so it stays as it is.
import functools  # noqa: E402
import itertools  # noqa: E402
from datetime import timedelta  # noqa: E402

from ledger.commands import (  # noqa: E402
    AssertClaim,
    Command,
    CorrectEntry,
    CorroborateClaim,
    RebutClaim,
    RetractRecord,
    ReviseClaim,
)
from ledger.events import CorrectedValue  # noqa: E402

LEDGER_SUBJECTS = (
    "casualties.civilians.killed",
    "casualties.russia.military.killed",
    "control.kherson",
)
LEDGER_SOURCES = SOURCES[:4]
LEDGER_EPOCH = datetime(2022, 3, 1, tzinfo=UTC)
_DAY = 24 * 60


def stamp_at(minute: int, precision: Precision = Precision.MINUTE) -> Stamp:
    """Return the stamp of *precision* holding *minute* minutes after 2022-03-01."""
    return Stamp.from_datetime(LEDGER_EPOCH + timedelta(minutes=minute), precision)


def _minute_of(stamp: Stamp) -> int:
    return (stamp.start - LEDGER_EPOCH) // timedelta(minutes=1)


def cutoffs() -> st.SearchStrategy[Stamp]:
    """Day or minute stamps across the weeks `ledger_commands` states things in."""
    return st.builds(
        stamp_at,
        st.integers(min_value=-_DAY, max_value=10 * _DAY),
        st.sampled_from([Precision.MINUTE, Precision.DAY]),
    )


def cutoffs_for(commands: list[Command]) -> st.SearchStrategy[Stamp]:
    """Any `cutoffs`, or exactly a time one of *commands* was stated at: the edge case."""
    stated = [c.stated_at for c in commands if not isinstance(c, CorrectEntry)]
    return st.one_of(cutoffs(), st.sampled_from(stated))


def ledger_values(subject: str) -> st.SearchStrategy[Value]:
    """Labels for control subjects, quantities near 100 for counts; many agree."""
    if subject.startswith("control."):
        return st.sampled_from(["russia", "ukraine", "Russia "]).map(Label)
    exact = st.integers(min_value=90, max_value=110).map(lambda n: Quantity(amount=n))
    loose = st.builds(
        Quantity,
        amount=st.integers(min_value=90, max_value=110),
        qualifier=st.sampled_from(
            [Qualifier.APPROXIMATELY, Qualifier.MORE_THAN, Qualifier.AT_LEAST, Qualifier.AT_MOST]
        ),
    )
    ranges = st.builds(
        lambda low, width: Quantity(amount=low, qualifier=Qualifier.RANGE, high=low + width),
        st.integers(min_value=80, max_value=110),
        st.integers(min_value=0, max_value=20),
    )
    return st.one_of(exact, loose, ranges)


class _Record:
    """What the generator tracks about one record."""

    def __init__(  # noqa: PLR0913 - one keyword per tracked fact
        self,
        *,
        kind: str,
        stream: str,
        source: str,
        stated_at: Stamp,
        after: str | None = None,
        movable: bool = True,
        counter: str | None = None,
    ) -> None:
        self.kind = kind
        self.stream = stream
        self.source = source
        self.times = [stated_at]  # every stated_at it has had, corrections included
        self.after = after  # the record it must be replayed after
        self.movable = movable  # whether a correction may move its stated_at
        self.counter = counter
        self.retracted = False


class _Draft:
    """The ledger drawn so far."""

    def __init__(self) -> None:
        self.records: dict[str, _Record] = {}
        self.subjects: dict[str, str] = {}  # claim id -> subject
        self.used: set[tuple[int, int]] = set()
        self.commands: list[Command] = []

    def live_claim(self, stream: str) -> bool:
        return not self.records[stream].retracted

    def claims_and_revisions(self) -> list[str]:
        return [
            rid
            for rid, rec in self.records.items()
            if rec.kind in {"claim", "revision"}
            and not rec.retracted
            and self.live_claim(rec.stream)
        ]

    def latest(self, rid: str) -> Stamp:
        return max(self.records[rid].times)

    def dependents_floor(self, rid: str) -> Stamp | None:
        times = [min(r.times) for r in self.records.values() if r.after == rid]
        return min(times) if times else None

    def add(self, rid: str, record: _Record) -> None:
        self.records[rid] = record
        self.used.add(record.times[0].sort_key)


_EPOCH_US = Stamp.from_datetime(LEDGER_EPOCH).start_us
_MINUTE_US = 60_000_000


def _key(minute: int, precision: Precision) -> tuple[int, int]:
    """Return the sort key `stamp_at(minute, precision)` has, without building it."""
    if precision is Precision.DAY:
        first = minute // _DAY * _DAY
        return _EPOCH_US + (first + _DAY) * _MINUTE_US, _EPOCH_US + first * _MINUTE_US
    return _EPOCH_US + (minute + 1) * _MINUTE_US, _EPOCH_US + minute * _MINUTE_US


def _time(
    draw: st.DrawFn, draft: _Draft, lower: Stamp | None, upper: Stamp | None = None
) -> Stamp | None:
    """
    Draw an unused stated time strictly between *lower* and *upper* (by sort key).

    Returns ``None`` only when *upper* leaves no room.
    """
    precision = draw(st.sampled_from([Precision.MINUTE, Precision.MINUTE, Precision.DAY]))
    low = 0 if lower is None else _minute_of(lower)
    high = low + 3 * _DAY if upper is None else (upper.end - LEDGER_EPOCH) // timedelta(minutes=1)
    if high < low:
        return None
    start = draw(st.integers(min_value=low, max_value=high))

    def fits(key: tuple[int, int]) -> bool:
        return (
            (lower is None or key > lower.sort_key)
            and (upper is None or key < upper.sort_key)
            and key not in draft.used
        )

    searches = [
        (precision, itertools.chain(range(start, high + 1), range(start - 1, low - 1, -1))),
        (Precision.MINUTE, itertools.chain(range(start, high + 1), range(start - 1, low - 1, -1))),
    ]
    if upper is None:
        searches.append((Precision.MINUTE, itertools.count(high + 1)))
    for kind, minutes in searches:
        step = _DAY if kind is Precision.DAY else 1
        for minute in itertools.islice(minutes, 0, None, step):
            if fits(_key(minute, kind)):
                return stamp_at(minute, kind)
    return None


def _as_of(draw: st.DrawFn, stated: Stamp) -> Stamp | None:
    if draw(st.booleans()):
        return None
    back = draw(st.integers(min_value=0, max_value=5 * _DAY))
    return stamp_at(_minute_of(stated) - back, draw(st.sampled_from(list(Precision)[2:4])))


def _claim(draw: st.DrawFn, draft: _Draft, n: int) -> None:
    rid, subject = f"c{n}", draw(st.sampled_from(LEDGER_SUBJECTS))
    source = draw(st.sampled_from(LEDGER_SOURCES))
    stated = _time(draw, draft, None)
    assert stated is not None  # without an upper bound, a time is always found
    draft.subjects[rid] = subject
    draft.add(rid, _Record(kind="claim", stream=rid, source=source, stated_at=stated))
    draft.commands.append(
        AssertClaim(
            id=rid,
            subject=subject,
            value=draw(ledger_values(subject)),
            source=source,
            stated_at=stated,
            as_of=_as_of(draw, stated),
        )
    )


def _revise(draw: st.DrawFn, draft: _Draft, n: int) -> None:
    targets = draft.claims_and_revisions() + [
        rid
        for rid, rec in draft.records.items()
        if rec.counter is not None and not rec.retracted and draft.live_claim(rec.counter)
    ]
    if not targets:
        return
    target = draw(st.sampled_from(targets))
    record = draft.records[target]
    stream = record.counter or record.stream
    claim = draft.records[stream]
    stated = _time(draw, draft, draft.latest(stream))
    assert stated is not None
    rid = f"r{n}"
    draft.add(
        rid,
        _Record(
            kind="revision", stream=stream, source=claim.source, stated_at=stated, after=stream
        ),
    )
    draft.commands.append(
        ReviseClaim(
            id=rid,
            revises=target,
            value=draw(ledger_values(draft.subjects[stream])),
            stated_at=stated,
            as_of=_as_of(draw, stated),
            source=draw(st.sampled_from([None, claim.source])),
        )
    )


def _rebut_or_corroborate(draw: st.DrawFn, draft: _Draft, n: int, *, rebut: bool) -> None:
    targets = draft.claims_and_revisions()
    if not targets:
        return
    target = draw(st.sampled_from(targets))
    stream = draft.records[target].stream
    others = [s for s in LEDGER_SOURCES if s != draft.records[stream].source]
    source = draw(st.sampled_from(others))
    stated = _time(draw, draft, draft.latest(stream))
    assert stated is not None
    if not rebut:
        rid = f"k{n}"
        draft.add(
            rid,
            _Record(
                kind="corroboration", stream=stream, source=source, stated_at=stated, after=stream
            ),
        )
        draft.commands.append(
            CorroborateClaim(id=rid, corroborates=target, source=source, stated_at=stated)
        )
        return
    rid = f"b{n}"
    value = draw(st.none() | ledger_values(draft.subjects[stream]))
    counter = None if value is None else f"{rid}.counter"
    draft.add(
        rid,
        _Record(
            kind="rebuttal",
            stream=stream,
            source=source,
            stated_at=stated,
            after=stream,
            movable=counter is None,
            counter=counter,
        ),
    )
    if counter is not None:
        draft.subjects[counter] = draft.subjects[stream]
        draft.records[counter] = _Record(
            kind="claim", stream=counter, source=source, stated_at=stated, movable=False
        )
    draft.commands.append(
        RebutClaim(
            id=rid,
            rebuts=target,
            source=source,
            stated_at=stated,
            counter_value=value,
            counter_as_of=None if value is None else _as_of(draw, stated),
            reason=draw(st.none() | st.just("disputed")),
        )
    )


def _retract(draw: st.DrawFn, draft: _Draft, n: int) -> None:
    targets = [
        rid
        for rid, rec in draft.records.items()
        if rec.kind in {"claim", "revision", "rebuttal"}
        and not rec.retracted
        and draft.live_claim(rec.stream)
    ]
    if not targets:
        return
    target = draw(st.sampled_from(targets))
    record = draft.records[target]
    owner = record.source if record.kind == "rebuttal" else draft.records[record.stream].source
    stated = _time(draw, draft, draft.latest(target))
    assert stated is not None
    rid = f"x{n}"
    draft.add(
        rid,
        _Record(
            kind="retraction", stream=record.stream, source=owner, stated_at=stated, after=target
        ),
    )
    record.retracted = True
    draft.commands.append(
        RetractRecord(
            id=rid,
            retracts=target,
            stated_at=stated,
            source=draw(st.sampled_from([None, owner])),
        )
    )


def _correct(draw: st.DrawFn, draft: _Draft, n: int) -> None:
    targets = [rid for rid, rec in draft.records.items() if rec.kind != "correction"]
    target = draw(st.sampled_from(targets))
    record = draft.records[target]
    choices = ["citation", "stated_at"] if record.movable else ["citation"]
    if record.kind in {"claim", "revision"}:
        choices.append("value")
    fields: dict[str, CorrectedValue] = {}
    for name in draw(st.lists(st.sampled_from(choices), min_size=1, unique=True)):
        if name == "value":
            fields[name] = draw(ledger_values(draft.subjects[record.stream]))
        elif name == "citation":
            fields[name] = draw(st.sampled_from(["https://example.org/a", "wire report"]))
        else:
            lower = None if record.after is None else draft.latest(record.after)
            moved = _time(draw, draft, lower, draft.dependents_floor(target))
            if moved is not None:
                fields[name] = moved
                record.times.append(moved)
                draft.used.add(moved.sort_key)
    if not fields:
        fields["citation"] = "wire report"
    rid = f"f{n}"
    draft.records[rid] = _Record(
        kind="correction", stream=record.stream, source="", stated_at=record.times[0]
    )
    draft.commands.append(CorrectEntry(id=rid, corrects=target, fields=fields, note="fix"))


_ACTIONS = {
    "claim": _claim,
    "revise": _revise,
    "rebut": functools.partial(_rebut_or_corroborate, rebut=True),
    "corroborate": functools.partial(_rebut_or_corroborate, rebut=False),
    "retract": _retract,
    "correct": _correct,
}


@st.composite
def ledger_commands(draw: st.DrawFn, max_size: int = 14) -> list[Command]:
    """
    A random valid ledger: commands that obey every rule when executed in order.

    They use 2-3 subjects and 3-4 sources; see the notes above on stated times.
    """
    draft = _Draft()
    _claim(draw, draft, 0)
    for n in range(1, draw(st.integers(min_value=1, max_value=max_size))):
        action = draw(st.sampled_from(sorted(_ACTIONS)))
        _ACTIONS[action](draw, draft, n)
    return draft.commands


def reference_of(command: Command) -> str | None:
    """Return the id a command refers to, if any."""
    match command:
        case ReviseClaim():
            return command.revises
        case RebutClaim():
            return command.rebuts
        case RetractRecord():
            return command.retracts
        case CorroborateClaim():
            return command.corroborates
        case CorrectEntry():
            return command.corrects
        case _:
            return None


def command_dependencies(commands: list[Command]) -> list[frozenset[int]]:
    """
    For each command, the indexes of the commands it must be appended after.

    A command follows what it refers to; a retraction follows every earlier
    non-correction command in its stream or referring to what it retracts
    (nothing but a correction follows a retraction); a correction follows the
    earlier corrections of its record (the latest correction of a field wins).
    """
    made_by: dict[str, int] = {}
    stream_of: dict[str, str] = {}
    counter_of: dict[str, str] = {}
    streams: list[str] = []
    deps: list[frozenset[int]] = []
    for i, command in enumerate(commands):
        ref = reference_of(command)
        need: set[int] = set() if ref is None else {made_by[ref]}
        if isinstance(command, AssertClaim):
            stream = command.id
        elif isinstance(command, ReviseClaim) and ref in counter_of:
            stream = counter_of[ref]
        else:
            stream = stream_of[ref]  # type: ignore[index]
        earlier = range(i)
        if isinstance(command, RetractRecord):
            need.update(
                j
                for j in earlier
                if not isinstance(commands[j], CorrectEntry)
                and (streams[j] == stream or reference_of(commands[j]) == ref)
            )
        elif isinstance(command, CorrectEntry):
            need.update(
                j
                for j in earlier
                if isinstance(commands[j], CorrectEntry) and reference_of(commands[j]) == ref
            )
        made_by[command.id] = i
        stream_of[command.id] = stream
        if isinstance(command, RebutClaim) and command.counter_value is not None:
            counter = f"{command.id}.counter"
            made_by[counter], stream_of[counter], counter_of[command.id] = i, counter, counter
        streams.append(stream)
        deps.append(frozenset(need))
    return deps


@st.composite
def append_orders(draw: st.DrawFn, commands: list[Command]) -> list[Command]:
    """Another order in which *commands* can be appended: any order their dependencies allow."""
    deps = command_dependencies(commands)
    placed: set[int] = set()
    order: list[Command] = []
    while len(order) < len(commands):
        ready = [i for i in range(len(commands)) if i not in placed and deps[i] <= placed]
        i = draw(st.sampled_from(ready))
        placed.add(i)
        order.append(commands[i])
    return order


@st.composite
def batches(draw: st.DrawFn, commands: list[Command]) -> list[list[Command]]:
    """*commands* cut into consecutive batches of one to three."""
    out: list[list[Command]] = []
    rest = list(commands)
    while rest:
        size = draw(st.integers(min_value=1, max_value=3))
        out.append(rest[:size])
        rest = rest[size:]
    return out
