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
    amount = draw(numbers())
    high = None
    if qualifier is Qualifier.RANGE:
        high = amount + draw(st.integers(min_value=0, max_value=10**6))
    return Quantity(
        amount=amount, qualifier=qualifier, high=high, unit=draw(st.sampled_from(UNITS))
    )


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
