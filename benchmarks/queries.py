"""
The ledger's reads, timed through its public API.

Every choice of subject and cutoff comes from the seeded `random.Random` the
caller passes, so two runs ask the same questions. A cutoff is a whole day
of 2022, the way a reader asks "what was claimed by day 7". A few untimed
queries warm the caches first.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import date, timedelta

from benchmarks.projection import TallyProjection
from ledger import Ledger

__all__ = [
    "cutoff",
    "full_state",
    "history",
    "known_state",
    "median",
    "one_subject",
    "percentile",
    "replay",
    "valid_state",
]

_WARM_UP = 5


def cutoff(rng: random.Random) -> str:
    """Return a random day of 2022 as ``YYYY-MM-DD``."""
    return (date(2022, 1, 1) + timedelta(days=rng.randrange(365))).isoformat()


def percentile(samples: list[float], share: float) -> float:
    """Return the *share* percentile of *samples* (nearest rank)."""
    ordered = sorted(samples)
    rank = max(1, round(share * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def one_subject(
    ledger: Ledger, subjects: list[str], rng: random.Random, queries: int
) -> list[float]:
    """Time ``state(at=T, subjects=S)`` for random subjects and cutoffs; return seconds."""
    asks = [(rng.choice(subjects), cutoff(rng)) for _ in range(queries + _WARM_UP)]
    for subject, at in asks[:_WARM_UP]:
        ledger.state(at=at, subjects=subject)
    samples = []
    for subject, at in asks[_WARM_UP:]:
        start = time.perf_counter()
        ledger.state(at=at, subjects=subject)
        samples.append(time.perf_counter() - start)
    return samples


def full_state(ledger: Ledger, rng: random.Random, queries: int) -> list[float]:
    """Time ``state(at=T)`` over every subject for random cutoffs; return seconds."""
    return _states(ledger, [{"at": cutoff(rng)} for _ in range(queries)])


def valid_state(ledger: Ledger, rng: random.Random, queries: int) -> list[float]:
    """Time ``state(valid_at=V)`` over every subject for random days V; return seconds.

    Each source's latest word about day V, as the ledger stands now.
    """
    return _states(ledger, [{"valid_at": cutoff(rng)} for _ in range(queries)])


def known_state(
    ledger: Ledger, rng: random.Random, queries: int, share: float = 0.01
) -> list[float]:
    """Time ``state(known_at=K)`` over every subject; return seconds.

    K is when a random event of the log's last *share* was recorded: the
    state as the ledger knew it a little while ago.
    """
    size = ledger.head().size
    first = max(1, int(size * (1 - share)))
    seqs = [rng.randint(first, size) for _ in range(queries)]
    return _states(
        ledger, [{"known_at": next(iter(ledger.store.read_raw(s - 1))).recorded_at} for s in seqs]
    )


def _states(ledger: Ledger, asks: list[dict[str, str]]) -> list[float]:
    samples = []
    for ask in asks:
        start = time.perf_counter()
        ledger.state(**ask)
        samples.append(time.perf_counter() - start)
    return samples


def history(ledger: Ledger, subjects: list[str], rng: random.Random, queries: int) -> list[float]:
    """Time ``history(S)`` for random subjects; return seconds."""
    asks = [rng.choice(subjects) for _ in range(queries + _WARM_UP)]
    for subject in asks[:_WARM_UP]:
        ledger.history(subject)
    samples = []
    for subject in asks[_WARM_UP:]:
        start = time.perf_counter()
        ledger.history(subject)
        samples.append(time.perf_counter() - start)
    return samples


def replay(ledger: Ledger) -> tuple[int, float]:
    """Fold the user-written projection over the whole log; return events and seconds."""
    start = time.perf_counter()
    tally = ledger.replay(TallyProjection())
    return tally.events, time.perf_counter() - start


def median(samples: list[float]) -> float:
    """Return the median of *samples*."""
    return statistics.median(samples)
