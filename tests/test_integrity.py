"""Integrity: verify holds for every honest log and catches every kind of tampering."""

import hashlib
import itertools
import sqlite3
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger import Ledger
from ledger import ledger as ledger_module
from ledger._parallel import verify_parallel
from ledger.events import (
    ClaimAsserted,
    ClaimCorroborated,
    ClaimRebutted,
    ClaimRetracted,
    ClaimRevised,
    EntryCorrected,
)
from ledger.integrity import verify
from ledger.stores import GENESIS_HASH, Head, MemoryStore, NewEvent, SqliteStore
from ledger.stores._base import raw_event
from ledger.times import parse_stamp
from ledger.values import Label, Quantity
from strategies import claims, events

START = datetime(2026, 1, 1, tzinfo=UTC)
SUBJECT = "control.kherson"
OTHER = "casualties.civilians.killed"


def ticking():
    """Return a fake clock that moves on by one second at every call."""
    count = itertools.count()
    return lambda: START + timedelta(seconds=next(count))


def new(event_id, event, stream=None):
    return NewEvent(event_id=event_id, stream=stream or event.claim_id, event=event)


def claim(claim_id, subject=SUBJECT, value="russia"):
    stated = parse_stamp("2022-03-02")
    return ClaimAsserted(
        claim_id=claim_id, subject=subject, value=Label(value), source="ria", stated_at=stated
    )


def at(text):
    return parse_stamp(text)


# Eight events on three streams, in five batches; the first three batches hold five.
BATCHES = [
    [new("a1", claim("a")), new("b1", claim("b", OTHER))],
    [
        new("a2", ClaimRevised(claim_id="a", value=Quantity(amount=3), stated_at=at("2022-03"))),
        new("c1", claim("c")),
    ],
    [new("b2", ClaimRebutted(claim_id="b", source="un.ohchr", stated_at=at("2022-03-04")))],
    [
        new(
            "a3",
            ClaimCorroborated(claim_id="a", source="un.ohchr", stated_at=at("2022-03-06T10:15Z")),
        ),
        new("x1", EntryCorrected(corrected_id="b1", fields={"note": "typo"}, note="fix"), "b"),
    ],
    [
        new(
            "c2",
            ClaimRetracted(claim_id="c", retracted_id="c1", source="ria", stated_at=at("2022-04")),
        )
    ],
]


def fill(store, batches=BATCHES):
    for batch in batches:
        store.append(batch)
    return store


def assert_fails_at(report, seq, good):
    """Check that *report* fails at *seq*, with everything before it from *good* vouched for."""
    assert not report.ok
    assert report.failed_at == seq
    assert report.size == seq - 1
    assert report.head == (good[seq - 2].hash if seq > 1 else GENESIS_HASH)
    assert report.reason
    assert f"seq {seq}" in str(report)


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_honest_logs_verify(backend):
    """An empty and a filled store verify, with size and head equal to the store's head."""
    store = MemoryStore(clock=ticking()) if backend == "memory" else SqliteStore(":memory:")
    report = verify(store.read_raw())
    assert (report.ok, report.size, report.head) == (True, 0, GENESIS_HASH)
    assert report.failed_at is None
    assert report.reason is None
    fill(store)
    report = verify(store.read_raw())
    head = store.head()
    assert (report.ok, report.size, report.head) == (True, head.size, head.hash)
    assert report.size == 8
    assert str(report) == f"OK: 8 events, head {head}"
    store.close()


# Tampering with a ledger file behind the store's back.


@pytest.fixture
def ledger(tmp_path):
    """Return the path of a closed ledger file of eight events, and its honest raw log."""
    path = tmp_path / "ledger.db"
    store = fill(SqliteStore(path, clock=ticking()))
    good = list(store.read_raw())
    store.close()
    return path, good


def tamper(path, *statements):
    """Run *statements* through a plain connection, with the append-only triggers dropped."""
    conn = sqlite3.connect(path)
    try:
        conn.executescript("DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete;")
        for sql, *params in statements:
            conn.execute(sql, params)
        conn.commit()
    finally:
        conn.close()


def check(path):
    """Verify the file in order, and in three processes at once: the reports must be equal."""
    store = SqliteStore(path, create=False)
    try:
        report = verify(store.read_raw())
        assert verify_parallel(store, 3) == report
        return report
    finally:
        store.close()


def flip_last_letter(text):
    """Flip the low bit of the last letter of *text*: one byte, and still text."""
    i = max(i for i, ch in enumerate(text) if ch.isascii() and ch.isalpha())
    return text[:i] + chr(ord(text[i]) ^ 1) + text[i + 1 :]


def _row(raw):
    names = list(raw._fields)
    values = list(raw)
    return names, [v.decode() if n == "data" else v for n, v in zip(names, values, strict=True)]


def insert(raw):
    """Return the statement that stores *raw* as a row."""
    names, values = _row(raw)
    return (
        f"INSERT INTO events ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",  # noqa: S608 - our own column names
        *values,
    )


def test_the_untouched_file_verifies(ledger):
    """The ledger file the tamper tests start from verifies, triggers dropped or not."""
    path, good = ledger
    tamper(path)
    report = check(path)
    assert (report.ok, report.size, report.head) == (True, 8, good[-1].hash)


@pytest.mark.parametrize(
    ("column", "change", "seq"),
    [
        ("data", flip_last_letter, 4),
        ("recorded_at", lambda _: "2025-12-31T23:59:59.000000Z", 5),
        ("subject", lambda _: OTHER, 3),
        ("stated_at", lambda _: "2022-03-05T10:15Z", 6),
        ("stated_until", lambda v: v + 86_400_000_000, 6),
        ("source", lambda _: "russia.mod", 6),
        ("source", lambda _: "ria", 3),
        ("event_id", lambda _: "forged", 2),
        ("stream", lambda _: "zzz", 8),
        ("version", lambda v: v + 10, 7),
        ("type", lambda _: "ClaimCorroborated", 3),
        ("schema_version", lambda _: 1, 5),
        ("prev_hash", lambda _: bytes(32), 7),
        ("hash", lambda _: hashlib.sha256(b"forged").digest(), 4),
    ],
    ids=lambda v: v if isinstance(v, str | int) else "",
)
def test_a_changed_column_fails_at_its_event(ledger, column, change, seq):
    """Changing any one column of one stored event makes verify fail at that event."""
    path, good = ledger
    old = getattr(good[seq - 1], column)
    value = change(old.decode() if column == "data" else old)
    sql = f"UPDATE events SET {column} = ? WHERE seq = ?"  # noqa: S608 - a column of the table
    tamper(path, (sql, value, seq))
    assert_fails_at(check(path), seq, good)


@pytest.mark.parametrize(
    ("column", "value", "seq"), [("hash", "not a hash", 4), ("prev_hash", 2.5, 7)]
)
def test_a_hash_of_the_wrong_type_fails_at_its_event(ledger, column, value, seq):
    """A hash column rewritten as text or a number is reported at its event, not raised."""
    path, good = ledger
    sql = f"UPDATE events SET {column} = ? WHERE seq = ?"  # noqa: S608 - a column of the table
    tamper(path, (sql, value, seq))
    assert_fails_at(check(path), seq, good)


def test_a_deleted_event_fails_where_it_was(ledger):
    """Deleting event 5 makes verify fail at 5, reporting it missing."""
    path, good = ledger
    tamper(path, ("DELETE FROM events WHERE seq = 5",))
    report = check(path)
    assert_fails_at(report, 5, good)
    assert "missing" in report.reason


def test_swapped_events_fail_at_the_first(ledger):
    """Swapping the contents of events 3 and 4 makes verify fail at 3."""
    path, good = ledger
    tamper(
        path,
        ("UPDATE events SET seq = -3 WHERE seq = 3",),
        ("UPDATE events SET seq = 3 WHERE seq = 4",),
        ("UPDATE events SET seq = 4 WHERE seq = -3",),
    )
    assert [r.event_id for r in SqliteStore(path).read_raw()][2:4] == ["c1", "a2"]
    assert_fails_at(check(path), 3, good)


def forged(good, seq, *, sealed=False):
    """Return a forged claim at *seq*, chained onto *good*, with a made-up hash unless *sealed*."""
    data = b'{"claim_id":"z","source":"ria","stated_at":"2022","subject":"control.kherson",'
    data += b'"value":{"label":"ukraine"}}'
    raw = raw_event(
        seq=seq,
        event_id="forged",
        stream="z",
        version=1,
        subject=SUBJECT,
        recorded_at=good[seq - 2].recorded_at,
        type_name="ClaimAsserted",
        schema_version=1,
        data=data,
        prev_hash=good[seq - 2].hash,
    )
    assert raw.decode().event.claim_id == "z"
    return raw if sealed else raw._replace(hash=hashlib.sha256(b"made up").digest())


def test_a_forged_event_at_the_end_fails_there(ledger):
    """A forged row appended after event 8 with a made-up hash makes verify fail at 9."""
    path, good = ledger
    tamper(path, insert(forged(good, 9)))
    assert_fails_at(check(path), 9, good)


def _shift_from(seq):
    # Through negative numbers, so that no two rows share a seq midway.
    return [
        ("UPDATE events SET seq = -seq WHERE seq >= ?", seq),
        ("UPDATE events SET seq = 1 - seq WHERE seq <= ?", -seq),
    ]


def test_a_forged_event_in_the_middle_fails_there(ledger):
    """A forged row with a made-up hash slipped in at 4, later rows moved up, fails at 4."""
    path, good = ledger
    tamper(path, *_shift_from(4), insert(forged(good, 4)))
    assert [r.seq for r in SqliteStore(path).read_raw()] == list(range(1, 10))
    assert_fails_at(check(path), 4, good)


def test_a_sealed_forgery_fails_at_the_event_it_displaced(ledger):
    """A forged row at 4 with a correct hash holds, but the event pushed to 5 then fails."""
    path, good = ledger
    forgery = forged(good, 4, sealed=True)
    tamper(path, *_shift_from(4), insert(forgery))
    assert_fails_at(check(path), 5, [*good[:3], forgery])


# Checkpoints.


@pytest.fixture
def checkpointed():
    """Return a store whose first five events were checkpointed, with that checkpoint."""
    store = fill(MemoryStore(clock=ticking()), BATCHES[:3])
    checkpoint = store.head()
    assert checkpoint.size == 5
    return fill(store, BATCHES[3:]), checkpoint


def test_a_checkpoint_verifies_after_more_appends(checkpointed):
    """A log verifies against a checkpoint taken before later appends, and against its own head."""
    store, checkpoint = checkpointed
    assert verify(store.read_raw(), against=checkpoint).ok
    assert verify(store.read_raw(), against=Head(checkpoint.size, checkpoint.hash)).ok
    assert verify(store.read_raw(), against=store.head()).ok
    assert verify(store.read_raw(), against=Head(0, GENESIS_HASH)).ok


def test_tampering_before_a_checkpoint_fails_at_the_event(checkpointed):
    """A log whose event 2 was changed fails at 2, before the checkpoint is reached."""
    store, checkpoint = checkpointed
    raws = list(store.read_raw())
    raws[1] = raws[1]._replace(data=raws[1].data.replace(b"ria", b"RIA"))
    assert_fails_at(verify(raws, against=checkpoint), 2, list(store.read_raw()))


def test_a_rewritten_history_fails_at_the_checkpoint(checkpointed):
    """A log rewritten from event 2 on and chained anew verifies, but not against the checkpoint."""
    _, checkpoint = checkpointed
    rewritten = [list(batch) for batch in BATCHES]
    rewritten[0][1] = new("b1", claim("b", OTHER, value="ukraine"))
    forgery = fill(MemoryStore(clock=ticking()), rewritten)
    assert verify(forgery.read_raw()).ok
    report = verify(forgery.read_raw(), against=checkpoint)
    assert not report.ok
    assert report.failed_at == 5
    assert str(checkpoint) in report.reason
    assert "seq 5" in str(report)


def test_a_checkpoint_with_a_wrong_hash_fails_at_its_size(checkpointed):
    """A checkpoint whose hash is not the log's at its size fails at that size."""
    store, checkpoint = checkpointed
    report = verify(store.read_raw(), against=Head(checkpoint.size, bytes(32)))
    assert not report.ok
    assert report.failed_at == 5


def test_a_checkpoint_beyond_the_log_fails(checkpointed):
    """A checkpoint larger than the log, as after a truncation, fails just past the log's end."""
    store, _ = checkpointed
    raws = list(store.read_raw())
    assert_fails_at(verify(raws, against=Head(20, bytes(32))), 9, raws)
    assert_fails_at(verify(raws[:6], against=store.head()), 7, raws)
    assert verify(raws[:6]).ok


# Properties.


@st.composite
def logs(draw):
    """Raw logs of a memory store: claims, and events of any other type on their streams."""
    store, streams = MemoryStore(clock=ticking()), []
    for b in range(draw(st.integers(1, 4))):
        batch = []
        for i in range(draw(st.integers(1, 3))):
            event_id = f"e{b}.{i}"
            if not streams or draw(st.booleans()):
                streams.append(f"c{b}.{i}")
                batch.append(new(event_id, draw(claims(claim_id=streams[-1]))))
                continue
            stream = draw(st.sampled_from(streams))
            event = draw(events().filter(lambda e: not isinstance(e, ClaimAsserted)))
            if not isinstance(event, EntryCorrected):
                event = attrs.evolve(event, claim_id=stream)
            batch.append(new(event_id, event, stream))
        store.append(batch)
    return list(store.read_raw())


@given(logs(), st.data())
def test_logs_verify_until_a_byte_is_flipped(raws, data):
    """Every stored log verifies, against any of its checkpoints too, until one data byte flips."""
    report = verify(raws)
    assert (report.ok, report.size, report.head) == (True, len(raws), raws[-1].hash)
    for size in range(len(raws) + 1):
        checkpoint = Head(size, raws[size - 1].hash if size else GENESIS_HASH)
        assert verify(raws, against=checkpoint).ok
    i = data.draw(st.integers(0, len(raws) - 1), label="event index")
    stored = raws[i].data
    pos = data.draw(st.integers(0, len(stored) - 1), label="byte")
    mask = data.draw(st.integers(1, 255), label="mask")
    flipped = stored[:pos] + bytes([stored[pos] ^ mask]) + stored[pos + 1 :]
    tampered = [*raws[:i], raws[i]._replace(data=flipped), *raws[i + 1 :]]
    assert_fails_at(verify(tampered), i + 1, raws)


# Verifying in several processes at once.


@pytest.mark.parametrize("jobs", [2, 8])
@pytest.mark.parametrize(
    "against",
    [None, "head", "at 3", "at 5 wrong", "beyond", "empty", "empty wrong"],
)
def test_segments_in_processes_report_as_one_walk(ledger, jobs, against):
    """However the log is cut into segments, the stitched report is the one walk's report."""
    path, good = ledger
    checkpoint = {
        None: None,
        "head": Head(8, good[-1].hash),
        "at 3": Head(3, good[2].hash),
        "at 5 wrong": Head(5, bytes(32)),
        "beyond": Head(20, bytes(32)),
        "empty": Head(0, GENESIS_HASH),
        "empty wrong": Head(0, bytes(32)),
    }[against]
    store = SqliteStore(path, create=False)
    try:
        assert verify_parallel(store, jobs, checkpoint) == verify(store.read_raw(), checkpoint)
    finally:
        store.close()


def test_a_worker_reads_exactly_its_segment_as_plain_rows(ledger):
    """read_rows(after, count) is read_raw's rows after+1 .. after+count, unnamed."""
    path, good = ledger
    store = SqliteStore(path, create=False)
    try:
        for after in range(len(good) + 1):
            for count in range(len(good) - after + 2):
                rows = list(store.read_rows(after, count))
                assert rows == [tuple(raw) for raw in good[after : after + count]]
                assert all(type(row) is tuple for row in rows)
    finally:
        store.close()


def test_ledger_verify_shares_out_only_long_logs(ledger, monkeypatch):
    """Ledger.verify(jobs=N) walks short logs here and long ones in N processes."""
    path, good = ledger
    calls = []
    real = ledger_module.verify_parallel
    monkeypatch.setattr(ledger_module, "verify_parallel", lambda *a: calls.append(a[1]) or real(*a))
    with Ledger.open(path, create=False) as opened:
        assert opened.verify(jobs=2).head == good[-1].hash
        assert calls == []
        monkeypatch.setattr(ledger_module, "_PARALLEL_FROM", 5)
        assert opened.verify(jobs=2).head == good[-1].hash
        assert calls == [2]
