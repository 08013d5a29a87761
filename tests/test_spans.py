"""The fast path: state read from spans equals state by replay, and spans rebuild from events."""

import contextlib
import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ledger.ledger as ledger_module
import pg
from ledger import Ledger, SqliteStore
from ledger.commands import AssertClaim, RebutClaim, ReviseClaim
from ledger.projections.spans import choose, first_change, lapses, slices, stream_versions
from ledger.stores import PostgresStore
from ledger.stores._spans import _where
from ledger.times import parse_stamp
from ledger.values import Quantity
from strategies import batches, cutoffs_for, ledger_commands

ENGINES = ["sqlite", "postgres"]


def clock():
    """Return a clock that moves one day per reading, from 2026-01-01."""
    moments = (datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=n) for n in range(10**6))
    return lambda: next(moments)


@pytest.fixture(params=ENGINES, scope="module")
def engine(request):
    if request.param == "postgres":
        pg.url()  # skips, or under CI fails, without a server
    return request.param


def build(groups, engine="sqlite") -> Ledger:
    """Return a ledger (SQLite in memory, or a fresh PostgreSQL schema) holding the batches."""
    if engine == "postgres":
        ledger = Ledger(PostgresStore(pg.new_url(), clock=clock()))
    else:
        ledger = Ledger(SqliteStore(":memory:", clock=clock()))
    for group in groups:
        ledger.execute(*group)
    return ledger


def delete_spans(store):
    """Delete every row of the span tables, behind the store's back."""
    conn = store.conn
    for table in ("claim_spans", "rebuttal_spans", "corroboration_spans", "version_spans"):
        conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed names


@settings(max_examples=150)
@given(st.data())
def test_spans_answer_as_replay_does(engine, data):
    """For random ledgers and cut-offs, the spans give the state a full replay gives."""
    commands = data.draw(ledger_commands())
    with build(data.draw(batches(commands)), engine) as ledger:
        for at in [None, *data.draw(st.lists(cutoffs_for(commands), min_size=1, max_size=4))]:
            assert ledger.state(at=at) == ledger.replayed_state(at=at)
            assert ledger.state(at=at, subjects="c*") == ledger.replayed_state(at=at, subjects="c*")


@settings(max_examples=50)
@given(st.data())
def test_known_at_and_valid_at_agree_with_replay(engine, data):
    """Cut-offs on the recorded and the valid axes give the replayed answer too."""
    commands = data.draw(ledger_commands())
    groups = data.draw(batches(commands))
    ledger = build(groups, engine)
    at, valid_at = data.draw(cutoffs_for(commands)), data.draw(cutoffs_for(commands))
    known_at = f"2026-01-{data.draw(st.integers(min_value=1, max_value=len(groups))):02d}"
    for kwargs in (
        {"known_at": known_at},
        {"valid_at": valid_at},
        {"at": at, "known_at": known_at},
        {"at": at, "known_at": known_at, "subjects": "c*"},
        {"known_at": known_at, "valid_at": valid_at},
        {"at": at, "known_at": known_at, "valid_at": valid_at, "subjects": "c*"},
    ):
        assert ledger.state(**kwargs) == ledger.replayed_state(**kwargs)
    ledger.close()


@settings(max_examples=150)
@given(data=st.data())
def test_valid_at_reads_the_versions_and_answers_as_replay_does(engine, data):
    """valid_at, alone or with at, for every subject or some: the version spans give the
    replayed state, and no subject is replayed to give it."""
    commands = data.draw(ledger_commands())
    with build(data.draw(batches(commands)), engine) as ledger:
        subjects = sorted({c.subject for c in commands if isinstance(c, AssertClaim)})
        patterns = [None, "c*", *data.draw(st.lists(st.sampled_from(subjects), max_size=1))]
        asks = data.draw(
            st.lists(
                st.tuples(st.none() | cutoffs_for(commands), cutoffs_for(commands)),
                min_size=1,
                max_size=4,
            )
        )
        expected = [
            ledger.replayed_state(at=at, valid_at=valid_at, subjects=pattern)
            for at, valid_at in asks
            for pattern in patterns
        ]
        ledger._subject_state = None  # a replay would call it
        got = [
            ledger.state(at=at, valid_at=valid_at, subjects=pattern)
            for at, valid_at in asks
            for pattern in patterns
        ]
        assert got == expected


@settings(max_examples=100)
@given(data=st.data())
def test_the_stores_choose_versions_by_the_rule(engine, data):
    """Each store's query picks, per claim, what `choose` picks from the stream's versions."""
    commands = data.draw(ledger_commands())
    with build(data.draw(batches(commands)), engine) as ledger:
        versions = [
            v
            for stream in {e.stream for e in ledger.store.read()}
            for v in stream_versions(ledger.store.read_stream(stream))
        ]
        for _ in range(3):
            at = data.draw(st.none() | cutoffs_for(commands))
            valid_at = data.draw(cutoffs_for(commands))
            until = None if at is None else at.until_us
            assert ledger.store.chosen_at(at, valid_at, None) == choose(versions, until, valid_at)


def test_valid_at_skips_a_retracted_revision_and_counts_the_standing_ones(engine):
    """A revision retracted by `at` is no version to choose; before its retraction it is."""
    with build([], engine) as ledger:
        ledger.claim("count.kyiv", 100, source="A", stated_at="2022-03-01", id="c")
        ledger.revise("c", 120, stated_at="2022-03-02", as_of="2022-03-02", id="v1")
        ledger.revise("c", 150, stated_at="2022-03-03", as_of="2022-03-03", id="v2")
        ledger.retract("v2", stated_at="2022-03-05")
        for at, valid_at, value, revisions in [
            ("2022-03-04", "2022-03-10", 150, 2),
            ("2022-03-06", "2022-03-10", 120, 1),
            ("2022-03-06", "2022-03-01", 100, 0),
        ]:
            state = ledger.state(at=at, valid_at=valid_at)
            assert state == ledger.replayed_state(at=at, valid_at=valid_at)
            claim = state["count.kyiv"].claim("c")
            assert (claim.value, claim.revisions) == (Quantity(amount=value), revisions)


@contextlib.contextmanager
def counted_then_revised(engine):
    """Yield a ledger of twenty counts, one revised after the time also yielded."""
    with build([], engine) as ledger:
        for n in range(20):
            ledger.claim(f"count.s{n}", n, source="A", stated_at="2022-03-01", id=f"c{n}")
        known_at = str(ledger.head().recorded_at)
        ledger.revise("c3", 30, stated_at="2022-03-02")
        yield ledger, known_at


def test_known_at_reads_the_spans_and_recomputes_only_the_streams_written_to_since(
    engine, monkeypatch
):
    """As known at an earlier time, only the claims written to since are computed again.

    c3 was revised since, c5 rebutted with a counter-claim (a stream begun
    since, so it has nothing as known then); the eighteen other claims are
    read from the spans as they stand, and nothing is replayed.
    """
    with counted_then_revised(engine) as (ledger, known_at):
        ledger.rebut("c5", source="B", stated_at="2022-03-02", value=50, id="b5")
        asks = [{"known_at": known_at}, {"known_at": known_at, "at": "2022-03-01"}]
        asks += [{**ask, "subjects": "count.*"} for ask in asks]
        asks += [{**ask, "valid_at": "2022-03-02"} for ask in asks]
        expected = [ledger.replayed_state(**ask) for ask in asks]
        assert expected[0]["count.s3"].claims[0].value == Quantity(amount=3)
        assert expected[0]["count.s5"].status == "single_source"

        computed = []
        read_streams = ledger.store.read_streams

        def reading(streams):
            computed.extend(streams)
            return read_streams(streams)

        monkeypatch.setattr(ledger, "replayed_state", None)  # the fast path must answer
        monkeypatch.setattr(ledger.store, "read_subject", None)  # and replay no subject
        monkeypatch.setattr(ledger.store, "read_streams", reading)
        assert [ledger.state(**ask) for ask in asks] == expected
        assert sorted(set(computed)) == ["b5.counter", "c3", "c5"]
        assert len(computed) == 3 * len(asks)


def test_known_at_keeps_a_rebuttal_whose_counter_claim_was_revised_only_since(engine, monkeypatch):
    """A counter-claim revised after known_at leaves its rebuttal in force, as known then.

    Only the counter-claim's stream was written to since; the rebutted claim,
    whose stored rebuttal span ends at that revision, is computed again too.
    """
    with build([], engine) as ledger:
        ledger.claim("count.s", 10, source="A", stated_at="2022-03-01", id="c1")
        ledger.rebut("c1", source="B", stated_at="2022-03-02", value=20, id="b1")
        known_at = str(ledger.head().recorded_at)
        ledger.revise("b1", 25, stated_at="2022-03-03")
        ask = {"at": "2022-03-04", "known_at": known_at}
        expected = ledger.replayed_state(**ask)
        assert expected["count.s"].claim("c1").status == "disputed"
        assert ledger.state(at="2022-03-04")["count.s"].claim("c1").status != "disputed"
        monkeypatch.setattr(ledger_module, "_KNOWN_FROM_SPANS", 1.0)
        monkeypatch.setattr(ledger, "replayed_state", None)  # the spans must answer
        assert ledger.state(**ask) == expected


@settings(max_examples=50)
@given(data=st.data())
def test_known_at_from_spans_answers_as_replay_does_however_much_came_since(engine, data):
    """With the spans answering every known_at, streams computed again give the replayed state,
    with valid_at too (their versions chosen from again)."""
    commands = data.draw(ledger_commands())
    groups = data.draw(batches(commands))
    day = data.draw(st.integers(min_value=0, max_value=len(groups) + 1))
    known_at = (datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=day)).isoformat()
    cutoffs = [None, data.draw(cutoffs_for(commands))]
    valid = [None, data.draw(cutoffs_for(commands))]
    with build(groups, engine) as ledger, pytest.MonkeyPatch.context() as patch:
        patch.setattr(ledger_module, "_KNOWN_FROM_SPANS", 1.0)
        for at, valid_at, subjects in itertools.product(cutoffs, valid, (None, "c*", "*")):
            ask = {"at": at, "known_at": known_at, "valid_at": valid_at, "subjects": subjects}
            expected = ledger.replayed_state(**ask)
            with pytest.MonkeyPatch.context() as inside:
                inside.setattr(ledger, "replayed_state", None)  # the spans must answer
                assert ledger.state(**ask) == expected


def test_known_at_with_valid_at_drops_a_version_recorded_only_since(engine, monkeypatch):
    """A claim with no version valid by valid_at as known then is left out, though one is now.

    The revision recorded since describes an earlier moment than the claim:
    the version spans choose it now, and the state as known before must not.
    """
    with build([], engine) as ledger:
        ledger.claim("count.s", 10, source="A", stated_at="2022-03-05", id="c")
        ledger.claim("count.t", 20, source="A", stated_at="2022-03-01", id="d")
        known_at = str(ledger.head().recorded_at)
        ledger.revise("c", 12, stated_at="2022-03-06", as_of="2022-03-01")
        ask = {"known_at": known_at, "valid_at": "2022-03-02"}
        expected = ledger.replayed_state(**ask)
        assert [s.subject for s in expected.subjects] == ["count.t"]
        assert ledger.state(valid_at="2022-03-02")["count.s"].claim("c").value == Quantity(
            amount=12
        )
        monkeypatch.setattr(ledger_module, "_KNOWN_FROM_SPANS", 1.0)
        monkeypatch.setattr(ledger, "replayed_state", None)  # the spans must answer
        assert ledger.state(**ask) == expected


@pytest.mark.parametrize(
    ("valid_at", "read"),
    [(None, "spans_at"), ("2022-03-02", "spans_at"), ("2022-03-02", "chosen_at")],
)
def test_known_at_replays_a_subject_written_to_while_it_reads_the_spans(
    engine, monkeypatch, valid_at, read
):
    """A write landing between finding what was known and reading the spans is replayed away."""
    with counted_then_revised(engine) as (ledger, known_at):
        ask = {"known_at": known_at, "valid_at": valid_at}
        expected = ledger.replayed_state(**ask)
        reading = getattr(ledger.store, read)

        def written_meanwhile(*args):
            ledger.revise("c7", 70, stated_at="2022-03-02")
            return reading(*args)

        monkeypatch.setattr(ledger.store, read, written_meanwhile)
        monkeypatch.setattr(ledger_module, "_KNOWN_FROM_SPANS", 1.0)
        assert ledger.state(**ask) == expected
        assert expected["count.s7"].claims[0].value == Quantity(amount=7)


def test_a_refresh_finds_the_claims_of_many_revised_counter_claims_in_one_read():
    """Revising 30 counter-claims at once refreshes the 30 rebutted claims, found in one read."""
    with build([]) as ledger:
        with ledger.batch() as batch:
            for n in range(30):
                batch.add(
                    AssertClaim(
                        id=f"c{n}",
                        subject=f"count.s{n}",
                        value=Quantity(amount=n),
                        source="A",
                        stated_at=parse_stamp("2022-03-01"),
                    )
                )
                batch.add(
                    RebutClaim(
                        id=f"b{n}",
                        rebuts=f"c{n}",
                        source="B",
                        stated_at=parse_stamp("2022-03-02"),
                        counter_value=Quantity(amount=n + 100),
                    )
                )
        before = ledger.state(at="2022-03-04")
        asked = []
        ledger.store.conn.set_trace_callback(
            lambda sql: asked.append(sql) if "DISTINCT stream" in sql else None
        )
        ledger.execute(
            *(
                ReviseClaim(
                    id=f"v{n}",
                    revises=f"b{n}",
                    value=Quantity(amount=n + 200),
                    stated_at=parse_stamp("2022-03-03"),
                )
                for n in range(30)
            )
        )
        ledger.store.conn.set_trace_callback(None)
        assert len(asked) == 1
        after = ledger.state(at="2022-03-04")
        assert after == ledger.replayed_state(at="2022-03-04")
        assert before["count.s7"].claim("c7").status == "disputed"
        assert after["count.s7"].claim("c7").status != "disputed"


@settings(max_examples=50)
@given(st.data())
def test_rebuild_recomputes_the_same_spans(engine, data):
    """Dropping every span and rebuilding from the events alone changes no answer."""
    commands = data.draw(ledger_commands())
    with build(data.draw(batches(commands)), engine) as ledger:
        cutoffs = [None, *data.draw(st.lists(cutoffs_for(commands), min_size=1, max_size=3))]
        before = [ledger.state(at=at) for at in cutoffs]
        valid = [ledger.state(at=at, valid_at=cutoffs[-1]) for at in cutoffs]
        delete_spans(ledger.store)
        assert ledger.store.rebuild() > 0
        assert [ledger.state(at=at) for at in cutoffs] == before
        assert [ledger.state(at=at, valid_at=cutoffs[-1]) for at in cutoffs] == valid


def test_a_file_without_spans_gets_them_on_its_next_write(tmp_path):
    """A ledger file written before spans existed is indexed on the next write."""
    path = tmp_path / "old.db"
    with Ledger.open(path) as ledger:
        ledger.claim("control.kherson", "russia", source="Russia", stated_at="2022-03-02", id="k")
        for table in ("claim_spans", "rebuttal_spans", "corroboration_spans"):
            ledger.store.conn.execute(f"DROP TABLE {table}")  # type: ignore[attr-defined]
    with Ledger.open(path) as ledger:
        assert ledger.store.spans_at(None, None) is None
        assert ledger.state()["control.kherson"].status == "single_source"  # by replay
        ledger.claim("control.kherson", "ukraine", source="Ukraine", stated_at="2022-03-03")
        assert ledger.store.spans_at(None, None) is not None
        assert ledger.state() == ledger.replayed_state()
        assert ledger.state()["control.kherson"].status == "contested"


def test_a_ledger_without_version_spans_replays_valid_at_until_its_next_write(engine, tmp_path):
    """A ledger made before the version table answers valid_at by replay, keeps reading
    the other spans for a moment, and gets the table, filled, on its next write."""
    url = pg.new_url() if engine == "postgres" else tmp_path / "old.db"

    def store():
        return PostgresStore(url, clock=clock()) if engine == "postgres" else SqliteStore(url)

    with Ledger(store()) as ledger:
        ledger.claim("count.kyiv", 100, source="A", stated_at="2022-03-01", id="c")
        ledger.revise("c", 120, stated_at="2022-03-02", as_of="2022-03-02")
        ledger.store.conn.execute("DROP TABLE version_spans")  # type: ignore[attr-defined]
    with Ledger(store()) as ledger:
        assert ledger.store.chosen_at(None, parse_stamp("2022-03-03"), None) is None
        assert ledger.store.spans_at(None, None) is not None
        assert ledger.state(valid_at="2022-03-01")["count.kyiv"].claim("c").value == Quantity(
            amount=100
        )
        ledger.claim("count.lviv", 5, source="B", stated_at="2022-03-03")
        assert len(ledger.store.chosen_at(None, parse_stamp("2022-03-03"), None) or ()) == 2
        for valid_at in ("2022-03-01", "2022-03-02", "2022-03-03"):
            assert ledger.state(valid_at=valid_at) == ledger.replayed_state(valid_at=valid_at)
        ledger.store.conn.execute("DROP TABLE version_spans")  # type: ignore[attr-defined]
    with Ledger(store()) as ledger:
        assert ledger.store.rebuild() == 2  # rebuild makes the table too
        assert ledger.state(valid_at="2022-03-02") == ledger.replayed_state(valid_at="2022-03-02")


def test_an_old_file_works_and_rebuild_gives_it_the_clustered_layout(tmp_path):
    """Span tables made before they were clustered keep working, and rebuild remakes them."""
    path = tmp_path / "old.db"
    with Ledger.open(path) as ledger:
        ledger.claim("control.kherson", "russia", source="Russia", stated_at="2022-03-02", id="k")
        ledger.rebut("k", source="Ukraine", stated_at="2022-03-03", id="r")
        conn = ledger.store.conn  # type: ignore[attr-defined]
        for table in ("claim_spans", "rebuttal_spans", "corroboration_spans"):
            # The old layout: a plain table holding the same rows.
            conn.execute(f"CREATE TABLE old AS SELECT * FROM {table}")  # noqa: S608 - fixed names
            conn.execute(f"DROP TABLE {table}")
            conn.execute(f"ALTER TABLE old RENAME TO {table}")
        ledger.corroborate("k", source="Belarus", stated_at="2022-03-03", id="w")
        assert ledger.state() == ledger.replayed_state()
        expected = ledger.state(at="2022-03-04")
        assert ledger.store.rebuild() == 1

    with Ledger.open(path) as ledger:
        conn = ledger.store.conn  # type: ignore[attr-defined]
        for table in ("claim_spans", "rebuttal_spans", "corroboration_spans"):
            sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (table,)).fetchone()
            assert sql[0].endswith("WITHOUT ROWID")
        assert ledger.state(at="2022-03-04") == expected
        assert ledger.state(at="2022-03-04", subjects="control.kherson") == expected
        assert ledger.state(at="2022-03-04", subjects="control.kh*") == expected


@pytest.mark.parametrize(
    ("pattern", "plan"),
    [
        ("control.kherson", "(subject=?)"),
        ("control.*", "(subject>? AND subject<?)"),
        (None, "SCAN"),
    ],
)
def test_queries_for_a_moment_seek_the_subject_key(pattern, plan):
    """One subject is found by its key, a pattern by its literal prefix; no query sorts."""
    with Ledger(SqliteStore(":memory:", clock=clock())) as ledger:
        ledger.claim("control.kherson", "russia", source="Russia", stated_at="2022-03-02")
        conn = ledger.store.conn  # type: ignore[attr-defined]
        for table in ("claim_spans", "rebuttal_spans", "corroboration_spans"):
            where, params = _where(10**15, pattern, ends=table != "corroboration_spans")
            sql = f"EXPLAIN QUERY PLAN SELECT * FROM {table} WHERE {where}"  # noqa: S608
            rows = conn.execute(sql, params)
            details = " ".join(row[3] for row in rows)
            assert plan in details
            assert "TEMP B-TREE" not in details
            if pattern is not None:
                assert "USING PRIMARY KEY" in details


def test_withdrawing_a_rebuttal_of_a_counter_claim_keeps_the_first_rebuttal(engine):
    """A rebuttal stays in force when a rebuttal of its counter-claim is retracted, as in replay."""
    with build([], engine) as ledger:
        ledger.claim("casualties.x", 90, source="A", stated_at="2022-03-01T00:00Z", id="c0")
        ledger.rebut("c0", source="B", stated_at="2022-03-01T00:01Z", value=80, id="b1")
        ledger.rebut("b1.counter", source="A", stated_at="2022-03-01T00:02Z", id="b2")
        ledger.retract("b2", stated_at="2022-03-01T00:03Z")
        assert ledger.state() == ledger.replayed_state()
        assert ledger.state()["casualties.x"].claims[0].status == "disputed"


def counted(store):
    """Return a list of the reads made, and the store's read_streams that records each."""
    reads = []

    def read_streams(streams):
        reads.append(list(streams))
        return store.read_streams(streams)

    return reads, read_streams


def test_lapses_read_only_the_counter_claims_not_at_hand():
    """A refresh reads each counter-claim once: from the slice it holds, else in one read."""
    with build([]) as ledger:
        ledger.claim("casualties.x", 90, source="A", stated_at="2022-03-01", id="c0")
        ledger.rebut("c0", source="B", stated_at="2022-03-02", value=80, id="b1")
        ledger.rebut("c0", source="C", stated_at="2022-03-02", value=70, id="b2")
        ledger.revise("b1.counter", 85, stated_at="2022-03-04")
        store = ledger.store
        reads, read_streams = counted(store)
        expected = {
            "b1.counter": first_change(store.read_stream("b1.counter")),
            "b2.counter": None,
        }
        assert expected["b1.counter"] == parse_stamp("2022-03-04").until_us
        held = store.read_streams(["c0"])
        assert lapses(held, read_streams) == expected
        assert reads == [["b1.counter", "b2.counter"]]
        reads.clear()
        held = store.read_streams(["c0", "b1.counter", "b2.counter"])
        assert lapses(held, read_streams) == expected
        assert reads == []
        assert lapses(store.read_streams(["b1.counter"]), read_streams) == {}


def test_a_counter_claim_to_refresh_joins_the_slice_of_its_rebuttal():
    """Each stream comes once; a counter-claim due later is read with the rebuttal needing it."""
    with build([]) as ledger:
        ledger.claim("casualties.x", 90, source="A", stated_at="2022-03-01", id="a0")
        ledger.claim("casualties.y", 10, source="A", stated_at="2022-03-01", id="m0")
        ledger.rebut("a0", source="B", stated_at="2022-03-02", value=80, id="z1")
        ledger.revise("z1.counter", 85, stated_at="2022-03-04")
        store = ledger.store
        reads, read_streams = counted(store)
        got = list(slices(["m0", "z1.counter", "a0"], read_streams, 1))
        assert [sorted(events) for events, _ in got] == [["a0", "z1.counter"], ["m0"]]
        assert reads == [["a0"], ["z1.counter"], ["m0"]]
        assert got[0][1] == {"z1.counter": parse_stamp("2022-03-04").until_us}
        assert got[0][0]["z1.counter"] == list(store.read_stream("z1.counter"))
        assert got[1][1] == {}
        assert list(slices([], read_streams, 10)) == []


def test_spans_keep_each_amount_as_written(engine):
    """1.5 and 1.50 are equal numbers, written apart on purpose: spans written in one refresh
    keep each one's digits, in the state at a moment and with valid_at alike."""
    amounts = ["1.5", "1.50", "1.500"]
    with build([], engine) as ledger:
        ledger.execute(
            *(
                AssertClaim(
                    id=f"c{n}",
                    subject=f"count.s{n}",
                    value=Quantity(amount=amount, unit="km"),
                    source="A",
                    stated_at=parse_stamp("2022-03-01"),
                )
                for n, amount in enumerate(amounts)
            )
        )
        for state in (ledger.state(), ledger.state(valid_at="2022-03-02")):
            shown = [str(state[f"count.s{n}"].claim(f"c{n}").value.amount) for n in range(3)]
            assert shown == amounts
