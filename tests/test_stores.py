"""The event store contract, run against every backend, plus what only SQLite or PostgreSQL does."""

import itertools
import sqlite3
from datetime import UTC, datetime, timedelta

import attrs
import pytest
import sqlite_utils
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pg
from ledger.errors import ConcurrencyError, DuplicateIdError, NotALedgerError, StoreError
from ledger.events import (
    ClaimAsserted,
    ClaimCorroborated,
    ClaimRebutted,
    ClaimRevised,
    EntryCorrected,
)
from ledger.integrity import verify
from ledger.stores import GENESIS_HASH, Head, MemoryStore, NewEvent, PostgresStore, SqliteStore
from ledger.times import Stamp, parse_stamp
from ledger.values import Label, Quantity
from strategies import claims, events

START = datetime(2026, 1, 1, tzinfo=UTC)
BACKENDS = ["memory", "sqlite-memory", "sqlite-file", "postgres"]
SUBJECT = "control.kherson"
OTHER = "casualties.civilians.killed"
# Each example opens its files under a fresh name, so sharing tmp_path across
# Hypothesis examples is safe.
FRESH_FILES = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


def ticking(start=START, step=timedelta(seconds=1)):
    """Return a fake clock that moves on by *step* at every call, from *start*."""
    count = itertools.count()
    return lambda: start + step * next(count)


def replaying(*moments):
    """Return a fake clock that gives *moments* in turn."""
    it = iter(moments)
    return lambda: next(it)


def recorded(moment):
    """Return the recorded-time string the store writes for *moment*."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def claim(claim_id, *, subject=SUBJECT, stated="2022-03-02", value="russia"):
    return ClaimAsserted(
        claim_id=claim_id,
        subject=subject,
        value=Label(value),
        source="ria",
        stated_at=parse_stamp(stated),
    )


def revision(claim_id, *, stated="2022-03-05", amount=1):
    return ClaimRevised(
        claim_id=claim_id, value=Quantity(amount=amount), stated_at=parse_stamp(stated)
    )


def new(event_id, event, stream=None):
    return NewEvent(event_id=event_id, stream=stream or event.claim_id, event=event)


_files = itertools.count()


def open_store(backend, directory, clock):
    if backend == "memory":
        return MemoryStore(clock=clock)
    if backend == "sqlite-memory":
        return SqliteStore(":memory:", clock=clock)
    if backend == "postgres":
        return PostgresStore(pg.new_url(), clock=clock)
    return SqliteStore(directory / f"{next(_files)}.db", clock=clock)


@pytest.fixture(params=BACKENDS)
def backend(request):
    if request.param == "postgres":
        pg.url()  # skips, or under CI fails, without a server
    return request.param


@pytest.fixture
def make_store(backend, tmp_path):
    """Build fresh stores of the backend under test; close them all afterwards."""
    opened = []

    def make(clock=None):
        store = open_store(backend, tmp_path, clock or ticking())
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


@pytest.fixture
def store(make_store):
    return make_store()


def fill(store):
    """Append a small log of three streams in three batches; return the new events."""
    batches = [
        [new("a1", claim("a")), new("b1", claim("b", subject=OTHER))],
        [new("a2", revision("a")), new("c1", claim("c")), new("b2", revision("b"))],
        [new("a3", revision("a", amount=2))],
    ]
    for batch in batches:
        store.append(batch)
    return [item for batch in batches for item in batch]


@st.composite
def batches(draw, max_batches=4, max_size=4):
    """Batches of new events: claims, and events of any other type on earlier streams."""
    streams, out, n = [], [], 0
    for _ in range(draw(st.integers(1, max_batches))):
        batch = []
        for _ in range(draw(st.integers(1, max_size))):
            n += 1
            if not streams or draw(st.booleans()):
                event = draw(claims(claim_id=f"c{n}"))
                stream = event.claim_id
                streams.append(stream)
            else:
                stream = draw(st.sampled_from(streams))
                event = draw(events().filter(lambda e: not isinstance(e, ClaimAsserted)))
                if not isinstance(event, EntryCorrected):
                    event = attrs.evolve(event, claim_id=stream)
            batch.append(NewEvent(event_id=f"e{n}", stream=stream, event=event))
        out.append(batch)
    return out


# The contract, for every backend.


def test_empty_store(store):
    """An empty store has the genesis head and yields nothing from any read."""
    assert store.head() == Head(0, GENESIS_HASH)
    assert list(store.read()) == []
    assert list(store.read_raw()) == []
    assert list(store.read_stream("a")) == []
    assert list(store.read_subject(SUBJECT)) == []
    assert list(store.read_subject(SUBJECT, parse_stamp("2030"))) == []
    assert store.get("a1") is None
    assert store.read_streams_holding(["a1"]) == []
    assert store.stream_version("a") == 0


def test_seq_is_gapless_across_batches(store):
    """Events are numbered 1..n without gaps across batches, chained from the genesis hash."""
    items = fill(store)
    stored = list(store.read())
    assert [e.seq for e in stored] == list(range(1, len(items) + 1))
    assert [e.event_id for e in stored] == [i.event_id for i in items]
    assert [e.event for e in stored] == [i.event for i in items]
    assert [e.prev_hash for e in stored] == [GENESIS_HASH] + [e.hash for e in stored[:-1]]
    assert len({e.hash for e in stored}) == len(stored)
    assert store.head() == Head(len(items), stored[-1].hash, recorded(START + timedelta(seconds=2)))


def test_versions_count_per_stream(store):
    """Each stream numbers its events 1..k, and stream_version reports k."""
    fill(store)
    versions = {}
    for e in store.read():
        versions.setdefault(e.stream, []).append(e.version)
    assert versions == {"a": [1, 2, 3], "b": [1, 2], "c": [1]}
    assert [store.stream_version(s) for s in ("a", "b", "c", "zzz")] == [3, 2, 1, 0]


def test_subject_is_the_stream_claims(store):
    """Every event of a stream is filed under the subject of the stream's claim."""
    fill(store)
    assert {(e.stream, e.subject) for e in store.read()} == {
        ("a", SUBJECT),
        ("b", OTHER),
        ("c", SUBJECT),
    }


def test_read_after_is_exactly_the_tail(store):
    """read(after=k) and read_raw(after=k) yield exactly the events numbered above k."""
    n = len(fill(store))
    for k in range(n + 2):
        assert [e.seq for e in store.read(after=k)] == list(range(k + 1, n + 1))
        assert [r.seq for r in store.read_raw(after=k)] == list(range(k + 1, n + 1))


def test_read_raw_of_some_types_keeps_their_order_and_the_tail(store):
    """read_raw(types=...) yields the events of those types only, in seq order, above *after*."""
    fill(store)
    whole = list(store.read_raw())
    revised = [r for r in whole if r.type == "ClaimRevised"]
    assert [r.seq for r in revised] == [3, 5, 6]
    assert list(store.read_raw(types=["ClaimRevised"])) == revised
    assert list(store.read_raw(3, types=("ClaimRevised",))) == revised[1:]
    assert list(store.read_raw(types=["ClaimAsserted", "ClaimRevised"])) == whole
    assert list(store.read_raw(types=["EntryCorrected"])) == []


def test_read_seqs_gives_the_events_asked_in_the_order_asked(store):
    """read_seqs returns the raw events numbered as asked, in that order, past one statement."""
    fill(store)
    whole = {r.seq: r for r in store.read_raw()}
    assert store.read_seqs([6, 1, 4, 2]) == [whole[6], whole[1], whole[4], whole[2]]
    assert store.read_seqs([]) == []
    assert store.read_seqs([0, 3, 99, 5]) == [whole[3], whole[5]]
    many = [1 + i % 6 for i in range(1200)]
    assert store.read_seqs(many) == [whole[seq] for seq in many]


def test_read_stream_in_version_order(store):
    """read_stream yields one stream's events in version order, skipping the others."""
    fill(store)
    stored = list(store.read_stream("a"))
    assert [(e.event_id, e.version) for e in stored] == [("a1", 1), ("a2", 2), ("a3", 3)]
    assert [e.seq for e in stored] == [1, 3, 6]
    assert list(store.read_stream("zzz")) == []


def test_read_streams_holding_returns_the_whole_streams_of_the_ids_asked(store):
    """read_streams_holding gives the raw rows of each stream an id is filed in, by stream."""
    fill(store)
    whole = list(store.read_raw())

    def streams(*names):
        return sorted((r for r in whole if r.stream in names), key=lambda r: (r.stream, r.version))

    assert store.read_streams_holding(["a1"]) == streams("a")
    assert store.read_streams_holding(["a3"]) == streams("a")
    assert store.read_streams_holding(["b2", "nope", "a2", "a3"]) == streams("a", "b")
    assert store.read_streams_holding(["nope"]) == []
    assert store.read_streams_holding([]) == []


def test_read_streams_holding_many_ids_reads_each_stream_once(store):
    """More ids than one SQLite statement takes still give each stream once, in order."""
    fill(store)
    ids = [f"missing-{i}" for i in range(1200)]
    ids[3], ids[700], ids[1100] = "a1", "a3", "c1"
    whole = list(store.read_raw())
    assert store.read_streams_holding(ids) == sorted(
        (r for r in whole if r.stream in {"a", "c"}), key=lambda r: (r.stream, r.version)
    )


def test_read_streams_gives_each_stream_asked_in_version_order(store):
    """read_streams: each stream asked, as read_stream gives it, past one SQL statement."""
    fill(store)
    asked = [f"missing-{i}" for i in range(1200)]
    asked[2], asked[600], asked[1199] = "c", "a", "b"
    got = store.read_streams(asked)
    assert list(got) == asked
    for stream in ("a", "b", "c"):
        assert got[stream] == list(store.read_stream(stream))
    assert [e.version for e in got["a"]] == [1, 2, 3]
    assert got["missing-0"] == []
    assert store.read_streams([]) == {}


def test_get_by_event_id(store):
    """get returns the stored event with that id, equal to what append returned, else None."""
    fill(store)
    (appended,) = store.append([new("d1", claim("d"))])
    assert store.get("d1") == appended
    assert store.get("b2").seq == 5
    assert store.get("nope") is None


def test_append_returns_the_stored_events(store):
    """append returns the batch as stored, equal to what reads give back afterwards."""
    returned = store.append([new("a1", claim("a")), new("a2", revision("a"))])
    again = store.append([new("a3", revision("a"))])
    assert list(store.read()) == [*returned, *again]
    assert [e.type for e in returned] == ["ClaimAsserted", "ClaimRevised"]


def test_raw_events_decode_to_stored_events(store):
    """read_raw yields what read yields, before decoding."""
    fill(store)
    assert [r.decode() for r in store.read_raw()] == list(store.read())


@pytest.mark.parametrize(
    ("stated", "until", "included"),
    [
        ("2022-03-02", "2022-03-02", True),
        ("2022-03-02", "2022-03-01", False),
        ("2022-03-02", "2022-03-02T23:59Z", True),
        ("2022-03-02", "2022-03-02T23:58Z", False),
        ("2022-03-02", "2022-03", True),
        ("2022", "2022-06-01", False),
        ("2022", "2022-12-31", True),
        ("2022", "2023", True),
        ("2022-03-02T10:15Z", "2022-03-02", True),
        ("2022-03-02T10:15Z", "2022-03-02T10:14:59Z", False),
    ],
)
def test_read_subject_uses_the_precision_rule(store, stated, until, included):
    """read_subject(until) keeps an event only when its stated time as written ends by until's."""
    store.append([new("a1", claim("a", stated=stated))])
    found = [e.event_id for e in store.read_subject(SUBJECT, parse_stamp(until))]
    assert found == (["a1"] if included else [])


def test_read_subject_filters_by_subject_and_time(store):
    """read_subject yields only its subject's events in seq order, revisions by their own time."""
    store.append(
        [
            new("a1", claim("a", stated="2022-03-02")),
            new("b1", claim("b", subject=OTHER, stated="2022-01-01")),
            new("c1", claim("c", stated="2022-05")),
        ]
    )
    store.append([new("a2", revision("a", stated="2022-04-10")), new("b2", revision("b"))])

    def ids(until=None):
        return [e.event_id for e in store.read_subject(SUBJECT, until)]

    assert ids() == ["a1", "c1", "a2"]
    assert ids(parse_stamp("2022-04-30")) == ["a1", "a2"]
    assert ids(parse_stamp("2022-04-09")) == ["a1"]
    assert ids(parse_stamp("2022-05")) == ["a1", "c1", "a2"]
    assert list(store.read_subject("talks.round2.status")) == []


def test_read_subject_always_includes_corrections(store):
    """Corrections have no stated time, so read_subject yields them for any cut-off."""
    store.append([new("a1", claim("a", stated="2024-01-01"))])
    fix = EntryCorrected(corrected_id="a1", fields={"source": "un.ohchr"}, note="typo")
    store.append([new("x1", fix, stream="a"), new("a2", revision("a", stated="2024-02"))])
    early = list(store.read_subject(SUBJECT, parse_stamp("2001")))
    assert [(e.event_id, e.event) for e in early] == [("x1", fix)]
    assert [e.event_id for e in store.read_subject(SUBJECT)] == ["a1", "x1", "a2"]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (None, [OTHER, SUBJECT, "talks.round-2", "talks.round2"]),
        (SUBJECT, [SUBJECT]),
        ("control", []),
        ("CONTROL.*", []),
        ("casualties.*", [OTHER]),
        ("c*", [OTHER, SUBJECT]),
        ("*.k?erson", [SUBJECT]),
        ("talks.round[0-9]", ["talks.round2"]),
        ("[!c]*", ["talks.round-2", "talks.round2"]),
    ],
)
def test_subjects_lists_the_subjects_a_glob_matches(store, pattern, expected):
    """subjects() lists each subject once, sorted, filtered by a case-sensitive shell glob."""
    assert store.subjects() == []
    store.append([new("a1", claim("a")), new("t1", claim("t", subject="talks.round2"))])
    store.append([new("a2", revision("a")), new("b1", claim("b", subject=OTHER))])
    store.append([new("u1", claim("u", subject="talks.round-2")), new("c1", claim("c"))])
    assert store.subjects(pattern) == expected


def test_claims_and_rebuttals_keep_their_sources(store):
    """Rebuttals and corroborations are stored on the claim's stream with their own source."""
    store.append([new("a1", claim("a"))])
    rebut = ClaimRebutted(claim_id="a", source="un.ohchr", stated_at=parse_stamp("2022-03-03"))
    backs = ClaimCorroborated(claim_id="a", source="ria", stated_at=parse_stamp("2022-03-04"))
    store.append([new("r1", rebut), new("k1", backs)])
    raws = list(store.read_raw())
    assert [(r.type, r.source, r.stated_at) for r in raws] == [
        ("ClaimAsserted", "ria", "2022-03-02"),
        ("ClaimRebutted", "un.ohchr", "2022-03-03"),
        ("ClaimCorroborated", "ria", "2022-03-04"),
    ]
    assert raws[1].stated_until == parse_stamp("2022-03-03").until_us


def test_wrong_expected_version_writes_nothing(store):
    """A wrong expected version raises ConcurrencyError naming the stream and writes nothing."""
    fill(store)
    head, log = store.head(), list(store.read_raw())
    batch = [new("d1", claim("d")), new("a4", revision("a"))]
    with pytest.raises(ConcurrencyError, match="'a'"):
        store.append(batch, expected={"d": 0, "a": 2})
    assert store.head() == head
    assert list(store.read_raw()) == log
    assert store.get("d1") is None
    assert store.stream_version("d") == 0


@pytest.mark.parametrize("expected", [{"a": 0}, {"a": 2}, {"zzz": 1}, {"b": 1, "a": 0}], ids=repr)
def test_stale_expectations_raise(store, expected):
    """Expecting 0 for an existing stream, or any version it is not at, raises ConcurrencyError."""
    store.append([new("a1", claim("a")), new("b1", claim("b"))])
    log = list(store.read_raw())
    stream = next(s for s, v in expected.items() if store.stream_version(s) != v)
    with pytest.raises(ConcurrencyError, match=repr(stream)):
        store.append([new("a2", revision("a"))], expected=expected)
    assert list(store.read_raw()) == log


def test_matching_expectations_append(store):
    """Expected versions that match, 0 included for a new stream, let the batch through."""
    store.append([new("a1", claim("a"))], expected={"a": 0})
    store.append([new("a2", revision("a")), new("b1", claim("b"))], expected={"a": 1, "b": 0})
    assert [store.stream_version(s) for s in "ab"] == [2, 1]


def test_a_second_claim_on_a_stream_raises(store):
    """A claim whose stream exists already raises ConcurrencyError, even without expectations."""
    store.append([new("a1", claim("a"))])
    with pytest.raises(ConcurrencyError, match="'a'"):
        store.append([new("a9", claim("a", value="ukraine"))])
    assert store.stream_version("a") == 1


@pytest.mark.parametrize(
    ("third", "error"),
    [
        (new("a1", revision("z")), DuplicateIdError),
        (new("z1", revision("a")), DuplicateIdError),
        (new("q1", revision("nope")), StoreError),
        (new("q1", claim("z")), ConcurrencyError),
        (new("q1", claim("a")), ConcurrencyError),
        (new("q1", claim("q"), stream="r"), StoreError),
    ],
    ids=["id-in-batch", "id-in-store", "no-stream", "claim-stored", "claim-in-batch", "elsewhere"],
)
def test_a_bad_third_event_writes_nothing_of_the_batch(store, third, error):
    """A batch whose third event is refused writes nothing; the next batch follows the old head."""
    store.append([new("z1", claim("z"))])
    head, log = store.head(), list(store.read_raw())
    with pytest.raises(error):
        store.append([new("a1", claim("a")), new("a2", revision("a")), third])
    assert store.head() == head
    assert list(store.read_raw()) == log
    assert store.get("a1") is None
    assert store.stream_version("a") == 0
    assert store.stream_version("z") == 1
    (after,) = store.append([new("a1", claim("a"))])
    assert (after.seq, after.prev_hash) == (2, head.hash)


def test_duplicate_ids_raise(store):
    """An id given twice in a batch, or already stored, raises DuplicateIdError naming it."""
    store.append([new("a1", claim("a"))])
    with pytest.raises(DuplicateIdError, match="'b1'"):
        store.append([new("b1", claim("b")), new("b1", revision("b"))])
    with pytest.raises(DuplicateIdError, match="'a1'"):
        store.append([new("a1", claim("c"))])
    assert store.head().size == 1


def test_a_batch_past_one_statement_still_sees_every_stream_and_id(store):
    """Look-ups for a batch of 1,200 events (more than one SQLite statement takes) miss nothing."""
    store.append([new(f"c{i}", claim(f"c{i}")) for i in range(700)])
    store.append([new(f"r{i}", revision(f"c{i}")) for i in range(700)])
    batch = [new(f"s{i}", revision(f"c{i % 700}")) for i in range(1200)]
    head = store.head()
    with pytest.raises(DuplicateIdError, match="'r650'"):
        store.append([*batch[:1100], new("r650", revision("c3")), *batch[1100:]])
    with pytest.raises(ConcurrencyError, match="'c650'"):
        store.append(batch, expected={"c5": 2, "c650": 1})
    assert store.head() == head
    stored = store.append(batch, expected={"c5": 2, "c650": 2})
    assert [e.version for e in stored[:700]] == [3] * 700
    assert [e.version for e in stored[700:]] == [4] * 500
    assert stored[-1].subject == SUBJECT


def test_recorded_at_comes_from_the_clock(make_store):
    """Every event of a batch is recorded at the one clock reading taken for it."""
    store = make_store(ticking(START, timedelta(hours=1, microseconds=7)))
    first = store.append([new("a1", claim("a")), new("b1", claim("b")), new("a2", revision("a"))])
    (second,) = store.append([new("a3", revision("a"))])
    later = START + timedelta(hours=1, microseconds=7)
    assert {e.recorded_at for e in first} == {Stamp.from_datetime(START)}
    assert second.recorded_at == Stamp.from_datetime(later)
    assert [r.recorded_at for r in store.read_raw()] == [recorded(START)] * 3 + [recorded(later)]
    assert store.head().recorded_at == recorded(later)


def test_recorded_at_never_runs_backwards(make_store):
    """A clock that goes back does not make the recorded axis go back."""
    t1, t2, t3 = START, START - timedelta(days=3), START + timedelta(seconds=5)
    store = make_store(replaying(t1, t2, t3))
    store.append([new("a1", claim("a"))])
    store.append([new("a2", revision("a")), new("b1", claim("b"))])
    store.append([new("a3", revision("a"))])
    assert [r.recorded_at for r in store.read_raw()] == [
        recorded(t1),
        recorded(t1),
        recorded(t1),
        recorded(t3),
    ]


def test_reads_are_lazy_iterators(store):
    """Every read returns an iterator, not a list, that yields one event at a time."""
    fill(store)
    reads = [
        store.read(),
        store.read(after=2),
        store.read_raw(),
        store.read_stream("a"),
        store.read_subject(SUBJECT),
        store.read_subject(SUBJECT, parse_stamp("2022")),
    ]
    for it in reads:
        assert iter(it) is it
        assert next(it).seq >= 1


def test_a_read_yields_the_log_as_it_was_when_made(store):
    """A read yields the events stored when it was called, even if the caller appends meanwhile."""
    store.append([new("a1", claim("a")), new("b1", claim("b", subject=OTHER))])
    unstarted, started = store.read(), store.read()
    first = next(started)
    raw, stream, subject = store.read_raw(), store.read_stream("a"), store.read_subject(SUBJECT)
    store.append([new("a2", revision("a")), new("c1", claim("c"))])
    assert [e.event_id for e in unstarted] == ["a1", "b1"]
    assert [first.event_id] + [e.event_id for e in started] == ["a1", "b1"]
    assert [r.event_id for r in raw] == ["a1", "b1"]
    assert [e.event_id for e in stream] == ["a1"]
    assert [e.event_id for e in subject] == ["a1"]


def test_appending_while_reading_ends(store):
    """A loop that appends one event per event read ends with the events it started from."""
    store.append([new("a1", claim("a")), new("b1", claim("b"))])
    seen = []
    for stored in itertools.islice(store.read(), 10):
        seen.append(stored.event_id)
        store.append([new(f"{stored.event_id}.copy", claim(f"copy-of-{stored.stream}"))])
    assert seen == ["a1", "b1"]
    assert store.head().size == 4


def test_wait_is_true_at_once_when_the_log_is_past_after(store):
    """wait(after, 0) is true as soon as the log holds an event past *after*."""
    fill(store)
    assert store.wait(0, 0) is True
    assert store.wait(5, 0) is True


def test_wait_on_a_quiet_log_returns_and_changes_nothing(store):
    """wait on a log nobody appends to returns once its time is up (a spurious True is allowed)."""
    fill(store)
    head = store.head()
    assert store.wait(6, 0.01) in {True, False}
    assert store.head() == head


def fresh_stores(directory):
    """Return one new store of every backend configured here, all on the same fake clock."""
    backends = [b for b in BACKENDS if b != "postgres" or pg.configured()]
    return [open_store(backend, directory, ticking()) for backend in backends]


@FRESH_FILES
@given(st.lists(claims(), min_size=1, max_size=6, unique_by=lambda c: c.claim_id))
def test_stored_claims_decode_to_equal_events(tmp_path, drawn):
    """Any claims appended to any backend come back equal from read, read_stream and get."""
    items = [new(f"e{i}", c) for i, c in enumerate(drawn)]
    for store in fresh_stores(tmp_path):
        store.append(items[:2])
        if items[2:]:
            store.append(items[2:])
        assert [e.event for e in store.read()] == drawn
        for item in items:
            assert [e.event for e in store.read_stream(item.stream)] == [item.event]
            assert store.get(item.event_id).event == item.event
        store.close()


@FRESH_FILES
@given(batches())
def test_backends_store_identical_bytes(tmp_path, drawn):
    """Given the same clock, every backend seals the same events into byte-identical logs."""
    items = [item for batch in drawn for item in batch]
    memory, *others = fresh_stores(tmp_path)
    for batch in drawn:
        appended = memory.append(batch)
        assert all(other.append(batch) == appended for other in others)
    raws = list(memory.read_raw())
    assert [(r.event_id, r.stream, r.decode().event) for r in raws] == [
        (i.event_id, i.stream, i.event) for i in items
    ]
    assert verify(raws).ok
    for other in others:
        assert list(other.read_raw()) == raws
        assert other.head() == memory.head()
        other.close()


# What only the SQLite store does.


@pytest.fixture
def ledger_path(tmp_path):
    """Return the path of a closed ledger file holding a few events."""
    path = tmp_path / "ledger.db"
    store = SqliteStore(path, clock=ticking())
    fill(store)
    store.close()
    return path


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE events SET data = '{}' WHERE seq = 2",
        "UPDATE events SET recorded_at = '2020-01-01T00:00:00.000000Z'",
        "UPDATE events SET seq = seq + 100 WHERE seq = 6",
        "DELETE FROM events",
        "DELETE FROM events WHERE seq = 6",
    ],
)
def test_sql_cannot_rewrite_the_log(ledger_path, sql):
    """UPDATE and DELETE on events fail with 'append-only', even through a plain connection."""
    conn = sqlite3.connect(ledger_path)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute(sql)
        conn.commit()
    finally:
        conn.close()
    store = SqliteStore(ledger_path, create=False)
    assert store.head().size == 6
    assert verify(store.read_raw()).ok
    store.close()


def test_a_replace_through_the_stores_connection_is_refused(ledger_path):
    """The store's own connection fires the DELETE trigger on REPLACE (recursive triggers on)."""
    store = SqliteStore(ledger_path, create=False)
    try:
        row = store.conn.execute("SELECT * FROM events WHERE seq = 2").fetchone()
        forged = (*row[:8], '{"forged": true}', *row[9:])
        marks = ", ".join("?" * len(row))
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            store.conn.execute(f"INSERT OR REPLACE INTO events VALUES ({marks})", forged)  # noqa: S608
        assert store.conn.execute("SELECT data FROM events WHERE seq = 2").fetchone() == (row[8],)
    finally:
        store.close()


def test_reopening_keeps_everything(tmp_path):
    """A ledger file reopened holds the same log and carries on numbering and chaining it."""
    path = tmp_path / "ledger.db"
    store = SqliteStore(path, clock=ticking())
    fill(store)
    head, log = store.head(), list(store.read_raw())
    store.close()
    again = SqliteStore(path, create=False, clock=ticking(START + timedelta(days=1)))
    assert again.head() == head
    assert list(again.read_raw()) == log
    (next_,) = again.append([new("a4", revision("a"))], expected={"a": 3})
    assert (next_.seq, next_.version, next_.prev_hash) == (7, 4, head.hash)
    again.close()


def _other_app(path):
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    conn.execute("INSERT INTO notes (text) VALUES ('hello')")
    conn.commit()
    conn.close()


def _other_app_id(path):
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA application_id = 1234")
    conn.close()


def _not_sqlite(path):
    path.write_bytes(b"date,claim\n2022-03-02,russia\n" * 10)


def _other_app_in_wal_mode(path):
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    conn.commit()
    conn.close()


@pytest.mark.parametrize("create", [True, False], ids=["create", "no-create"])
@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_not_sqlite, "not an SQLite file"),
        (_other_app, "another kind"),
        (_other_app_in_wal_mode, "another kind"),
        (_other_app_id, "another kind"),
        (lambda p: p.mkdir(), "directory"),
    ],
    ids=["text-file", "other-app", "other-app-wal", "other-app-id", "directory"],
)
def test_foreign_paths_are_refused_untouched(tmp_path, make, message, create):
    """A path that is not a ledger raises NotALedgerError and leaves its bytes and folder alone."""
    path = tmp_path / "thing.db"
    make(path)
    before = path.read_bytes() if path.is_file() else None
    listing = sorted(tmp_path.iterdir())
    with pytest.raises(NotALedgerError, match=message):
        SqliteStore(path, create=create)
    assert (path.read_bytes() if path.is_file() else None) == before
    assert sorted(tmp_path.iterdir()) == listing


@pytest.mark.parametrize(
    ("name", "create"), [("missing.db", False), ("no-such-folder/missing.db", True)]
)
def test_missing_paths_create_nothing(tmp_path, name, create):
    """A missing file without create, or a missing folder, raises StoreError and creates nothing."""
    path = tmp_path / name
    with pytest.raises(StoreError, match="does not exist"):
        SqliteStore(path, create=create)
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []


def test_newer_layout_is_refused(ledger_path):
    """A ledger whose user_version is above this library's is refused as 'newer', untouched."""
    conn = sqlite3.connect(ledger_path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    before, listing = ledger_path.read_bytes(), sorted(ledger_path.parent.iterdir())
    for create in (True, False):
        with pytest.raises(NotALedgerError, match="newer"):
            SqliteStore(ledger_path, create=create)
    assert ledger_path.read_bytes() == before
    assert sorted(ledger_path.parent.iterdir()) == listing


def test_two_stores_on_one_file(tmp_path):
    """Two stores on one file see each other's appends, and a stale expectation is refused."""
    path = tmp_path / "shared.db"
    first = SqliteStore(path, clock=ticking())
    second = SqliteStore(path, clock=ticking(START + timedelta(minutes=1)))
    try:
        first.append([new("a1", claim("a"))])
        assert second.head() == first.head()
        assert second.stream_version("a") == 1
        assert list(second.read()) == list(first.read())
        second.append([new("a2", revision("a"))], expected={"a": 1})
        with pytest.raises(ConcurrencyError, match="'a'"):
            first.append([new("a3", revision("a", amount=3))], expected={"a": 1})
        with pytest.raises(DuplicateIdError):
            first.append([new("a2", revision("a"))])
        assert [e.event_id for e in first.read_stream("a")] == ["a1", "a2"]
        assert first.head() == second.head()
        assert verify(first.read_raw()).ok
    finally:
        first.close()
        second.close()


def test_a_held_write_lock_times_out_cleanly(ledger_path):
    """An append that cannot get the write lock in time raises StoreError and writes nothing."""
    store = SqliteStore(ledger_path, busy_timeout=0.05)
    other = sqlite3.connect(ledger_path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(StoreError, match="locked"):
            store.append([new("d1", claim("d"))])
        other.execute("ROLLBACK")
        assert store.head().size == 6
        assert store.append([new("d1", claim("d"))])[0].seq == 7
    finally:
        other.close()
        store.close()


def test_indexes_exist(ledger_path):
    """The file has unique indexes on (stream, version) and event_id, one on subject and time."""
    indexes = sqlite_utils.Database(ledger_path)["events"].indexes
    found = {(tuple(i.columns), bool(i.unique)) for i in indexes}
    assert (("stream", "version"), True) in found
    assert (("event_id",), True) in found
    assert (("subject", "stated_until"), False) in found


def test_the_file_identifies_itself(ledger_path):
    """A ledger file carries its application id, schema version and meta table."""
    conn = sqlite3.connect(ledger_path)
    try:
        assert conn.execute("PRAGMA application_id").fetchone()[0] == int.from_bytes(b"LEDG")
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
        meta = dict(conn.execute("SELECT key, value FROM ledger_meta"))
    finally:
        conn.close()
    assert meta == {"format": "ledger", "schema_version": "1"}


def test_an_empty_file_becomes_a_ledger(tmp_path):
    """A zero-byte file is taken as a new ledger."""
    path = tmp_path / "empty.db"
    path.touch()
    store = SqliteStore(path)
    store.append([new("a1", claim("a"))])
    store.close()
    assert SqliteStore(path, create=False).head().size == 1


def test_append_raw_copies_a_log_exactly(make_store):
    """append_raw stores sealed events verbatim: a copy of a log has the same raw events."""
    source, copy = make_store(), make_store()
    source.append([new("a1", claim("a")), new("a2", revision("a"))])
    source.append([new("b1", claim("b")), new("a3", revision("a", amount=2))])
    raws = list(source.read_raw())
    assert copy.append_raw(raws) == source.head()
    assert list(copy.read_raw()) == raws
    assert [e.event_id for e in copy.read_stream("a")] == ["a1", "a2", "a3"]


def test_append_raw_refuses_what_does_not_continue_the_log(make_store):
    """append_raw refuses events that skip a seq or a stream version, and writes nothing."""
    source, copy = make_store(), make_store()
    source.append([new("a1", claim("a")), new("a2", revision("a")), new("a3", revision("a"))])
    raws = list(source.read_raw())
    with pytest.raises(StoreError, match="does not continue the log"):
        copy.append_raw(raws[1:])
    assert copy.head() == Head(0, GENESIS_HASH)


# What only the PostgreSQL store does.


@pytest.fixture
def pg_url():
    return pg.new_url()


@pytest.fixture
def pg_admin(pg_url):
    """A plain psycopg connection to the test's schema, as a person with psql would have."""
    import psycopg  # noqa: PLC0415 - only with a server

    with psycopg.connect(pg_url, autocommit=True) as conn:
        yield conn


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE events SET subject = 'forged' WHERE seq = 1",
        "DELETE FROM events WHERE seq = 2",
        "TRUNCATE events",
    ],
)
def test_postgres_sql_cannot_rewrite_the_log(pg_url, pg_admin, sql):
    """Triggers refuse UPDATE, DELETE and TRUNCATE on events, whoever runs them."""
    import psycopg  # noqa: PLC0415

    with PostgresStore(pg_url, clock=ticking()) as store:
        fill(store)
        before = list(store.read_raw())
    with pytest.raises(psycopg.Error, match="append-only"):
        pg_admin.execute(sql)
    with PostgresStore(pg_url, create=False) as store:
        assert list(store.read_raw()) == before


def test_postgres_reopening_keeps_everything(pg_url):
    """A ledger reopened from another connection has the same log and continues it."""
    with PostgresStore(pg_url, clock=ticking()) as store:
        fill(store)
        head = store.head()
    with PostgresStore(pg_url, create=False, clock=ticking(START + timedelta(days=1))) as again:
        assert again.head() == head
        assert again.append([new("d1", claim("d"))])[0].seq == head.size + 1
        assert verify(again.read_raw()).ok


def test_postgres_an_empty_schema_is_not_created_without_create(pg_url, pg_admin):
    """Opening an empty schema with create=False raises StoreError and creates nothing."""
    with pytest.raises(StoreError, match="no ledger here"):
        PostgresStore(pg_url, create=False)
    assert pg_admin.execute(
        "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()"
    ).fetchone() == (0,)


@pytest.mark.parametrize("create", [True, False])
def test_postgres_a_schema_of_other_tables_is_refused_untouched(pg_url, pg_admin, create):
    """A schema holding tables of something else is refused, and left as it was."""
    pg_admin.execute("CREATE TABLE orders (id integer)")
    with pytest.raises(NotALedgerError, match="holds other tables"):
        PostgresStore(pg_url, create=create)
    tables = pg_admin.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    assert tables.fetchall() == [("orders",)]


def test_postgres_newer_layout_is_refused(pg_url, pg_admin):
    """A ledger written by a newer layout version is refused with an upgrade hint."""
    PostgresStore(pg_url).close()
    pg_admin.execute("UPDATE ledger_meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(NotALedgerError, match="newer ledger"):
        PostgresStore(pg_url, create=False)


def test_postgres_two_stores_on_one_ledger(pg_url):
    """Two connections append in turn to one ledger: one gapless log, one linear chain."""
    with (
        PostgresStore(pg_url, clock=ticking()) as first,
        PostgresStore(pg_url, clock=ticking(START + timedelta(minutes=1))) as second,
    ):
        first.append([new("a1", claim("a"))])
        second.append([new("a2", revision("a"))], {"a": 1})
        with pytest.raises(ConcurrencyError):
            first.append([new("a3", revision("a"))], {"a": 1})
        assert [e.seq for e in first.read()] == [1, 2]
        assert verify(second.read_raw()).ok


def test_postgres_a_held_write_lock_times_out_cleanly(pg_url):
    """A writer waiting past the lock timeout gets StoreError and writes nothing."""
    with (
        PostgresStore(pg_url, clock=ticking()) as holder,
        PostgresStore(pg_url, lock_timeout=0.1) as waiter,
    ):
        with holder.transaction():
            holder.append([new("a1", claim("a"))])
            with pytest.raises(StoreError, match="lock timeout"):
                waiter.append([new("b1", claim("b"))])
        assert [e.event_id for e in waiter.read()] == ["a1"]
        waiter.append([new("b1", claim("b"))])
        assert waiter.head().size == 2


def test_postgres_a_read_only_role_reads_but_cannot_write(pg_url, pg_admin):
    """A role with SELECT only opens the ledger, reads it, and gets StoreError on a write."""
    with PostgresStore(pg_url, clock=ticking()) as store:
        fill(store)
    role = f"reader_{pg_url.rsplit('%3D', 1)[1]}"
    schema = pg_admin.execute("SELECT current_schema()").fetchone()[0]
    pg_admin.execute(f"CREATE ROLE {role} LOGIN")
    try:
        pg_admin.execute(f"GRANT USAGE ON SCHEMA {schema} TO {role}")
        pg_admin.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {role}")
        reader_url = pg_url.replace("postgresql://ledger@", f"postgresql://{role}@")
        with PostgresStore(reader_url, create=False) as reader:
            assert reader.readonly
            assert verify(reader.read_raw()).ok
            assert reader.spans_at(None, None) is not None
            with pytest.raises(StoreError, match="read-only"):
                reader.append([new("z1", claim("z"))])
    finally:
        pg_admin.execute(f"DROP OWNED BY {role}")
        pg_admin.execute(f"DROP ROLE {role}")


def test_postgres_an_unreachable_server_is_a_store_error(tmp_path):
    """A URL no server answers raises StoreError naming it, with no password shown."""
    pytest.importorskip("psycopg")
    url = f"postgresql://someone:secret@/ledger?host={tmp_path}"
    with pytest.raises(StoreError, match="cannot connect") as caught:
        PostgresStore(url)
    assert "secret" not in str(caught.value)
    assert "someone:***@" in str(caught.value)


def test_without_psycopg_opening_a_url_says_what_to_install(monkeypatch):
    """Without the postgres extra, opening a URL raises StoreError naming the extra."""
    import builtins  # noqa: PLC0415

    real_import = builtins.__import__

    def no_psycopg(name, *args, **kwargs):
        if name == "psycopg" or name.startswith("psycopg."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_psycopg)
    with pytest.raises(StoreError, match=r"pip install 'ledger\[postgres\]'"):
        PostgresStore("postgresql://localhost/none")


def test_postgres_reads_page_through_the_log(pg_url, monkeypatch):
    """Reads longer than a page give every event once, in order, up to the log they began at."""
    from ledger.stores import postgres  # noqa: PLC0415

    monkeypatch.setattr(postgres, "_PAGE", 2)
    with PostgresStore(pg_url, clock=ticking()) as store:
        memory = MemoryStore(clock=ticking())
        for s in (store, memory):
            fill(s)
            s.append([new("a4", revision("a", amount=3)), new("a5", revision("a", amount=4))])
        reads = [
            (store.read_raw(), memory.read_raw()),
            (store.read(after=1), memory.read(after=1)),
            (store.read_stream("a"), memory.read_stream("a")),
            (store.read_subject(SUBJECT), memory.read_subject(SUBJECT)),
        ]
        started = store.read()
        first = next(started)
        store.append([new("a6", revision("a", amount=5)), new("d1", claim("d"))])
        for paged, expected in reads:
            assert list(paged) == list(expected)
        assert [first.seq] + [e.seq for e in started] == list(range(1, 9))
        assert [e.event_id for e in store.read_stream("a")][-2:] == ["a5", "a6"]
