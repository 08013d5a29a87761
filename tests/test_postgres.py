"""The command line on PostgreSQL, and `ledger copy` between SQLite and PostgreSQL, both ways."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pg
from ledger import Ledger, cli
from ledger.backup import copy
from ledger.errors import StoreError, ValidationError
from ledger.stores import PostgresStore, SqliteStore
from strategies import batches, cutoffs_for, ledger_commands

DAY7 = Path(__file__).resolve().parent.parent / "examples" / "day7.jsonl"


def run(*args, ok=True):
    result = CliRunner().invoke(cli.cli, [str(a) for a in args])
    if ok:
        assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return result


def state_of(db, *args):
    return json.loads(run("state", db, "--format", "json", *args).stdout, parse_float=Decimal)


def without_recorded_times(data):
    """Drop the recorded times, which differ between two ledgers fed the same commands."""
    if isinstance(data, dict):
        return {k: without_recorded_times(v) for k, v in data.items() if k != "recorded_at"}
    if isinstance(data, list):
        return [without_recorded_times(v) for v in data]
    return data


@pytest.fixture
def url():
    return pg.new_url()


def test_every_command_takes_a_postgres_url(url, tmp_path):
    """import, the hand-entered records, state, history, verify, head and export work on a URL."""
    sqlite = tmp_path / "ledger.db"
    for db in (sqlite, url):
        assert "Created an empty ledger" in run("init", db).stdout
        run("import", db, DAY7)
        run(
            "rebut",
            db,
            "reports-kharkiv-killed",
            "--source",
            "X",
            "--stated-at",
            "2022-03-03",
            "--id",
            "x1",
        )
        run(
            "corroborate",
            db,
            "reports-kharkiv-killed",
            "--source",
            "Y",
            "--stated-at",
            "2022-03-04",
            "--id",
            "y1",
        )
        assert "already a ledger" in run("init", db).stdout
    for args in [(), ("--at", "2022-03-02"), ("--known-at", "2030"), ("--subject", "casualties.*")]:
        assert state_of(url, *args) == state_of(sqlite, *args)
    history = [
        json.loads(
            run("history", db, "casualties.russia.military.killed", "--format", "json").stdout
        )
        for db in (url, sqlite)
    ]
    assert without_recorded_times(history[0]) == without_recorded_times(history[1])
    assert run("verify", url).stdout.startswith("OK: 19 events")
    records = [json.loads(line) for line in run("export", url).stdout.splitlines()]
    assert records == [json.loads(line) for line in run("export", sqlite).stdout.splitlines()]


def test_read_commands_create_nothing_on_an_empty_schema(url):
    """state, verify and head on an empty schema fail with one line and create no tables."""
    for command in ("state", "verify", "head", "history"):
        result = run(command, url, *(["x.y"] if command == "history" else []), ok=False)
        assert result.exit_code == 2
        assert "no ledger here" in result.stderr
    with pytest.raises(Exception, match="no ledger here"):
        PostgresStore(url, create=False)


def test_copy_round_trips_between_sqlite_and_postgres(url, tmp_path):
    """SQLite -> PostgreSQL -> SQLite keeps every event byte for byte; verify and head agree."""
    first, back = tmp_path / "first.db", tmp_path / "back.db"
    run("import", first, DAY7)
    run("revise", first, "reports-kharkiv-killed", "34", "--stated-at", "2022-03-03", "--id", "r1")
    run("retract", first, "r1", "--stated-at", "2022-03-04")
    head = run("head", first).stdout
    assert run("copy", first, url).stdout.splitlines()[-1].endswith(head.strip())
    run("copy", url, back)
    for db in (url, back):
        assert run("head", db).stdout == head
        assert run("verify", db).stdout == run("verify", first).stdout
        assert state_of(db, "--at", "2022-03-03") == state_of(first, "--at", "2022-03-03")
    with Ledger.open(first) as a, Ledger.open(url) as b, Ledger.open(back) as c:
        assert list(a.store.read_raw()) == list(b.store.read_raw()) == list(c.store.read_raw())


def test_copy_refuses_a_target_with_events(url, tmp_path):
    """Copying into a ledger that holds events is refused in one line; it is left as it was."""
    source = tmp_path / "source.db"
    run("import", source, DAY7)
    run("copy", source, url)
    result = run("copy", source, url, ok=False)
    assert result.exit_code == 2
    assert "already holds 17 events; copy into a new, empty ledger" in result.stderr
    assert run("verify", url).stdout.startswith("OK: 17 events")


def test_copy_refuses_an_altered_source_and_creates_nothing(url, tmp_path):
    """A source whose events do not match their hashes is refused; no target file is left behind."""
    source = tmp_path / "source.db"
    run("import", source, DAY7)
    with Ledger.open(source) as ledger:
        conn = ledger.store.conn
        conn.execute("DROP TRIGGER events_no_update")
        conn.execute("UPDATE events SET data = replace(data, '498', '499') WHERE seq = 1")
    result = run("copy", source, tmp_path / "copy.db", ok=False)
    assert result.exit_code == 2
    assert "does not match its hash" in result.stderr
    assert not (tmp_path / "copy.db").exists()
    assert "does not match its hash" in run("copy", source, url, ok=False).stderr
    assert schema_contents(url) == ([], [])  # the tables the copy made are gone again


def schema_contents(url):
    """Return the tables and the functions in the schema *url* names."""
    psycopg = pytest.importorskip("psycopg")
    with psycopg.connect(url) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        ).fetchall()
        functions = conn.execute(
            "SELECT proname FROM pg_proc WHERE pronamespace = current_schema()::regnamespace"
        ).fetchall()
    return sorted(tables), sorted(functions)


def test_a_refused_restore_leaves_the_schema_as_it_was(url, tmp_path):
    """A tampered backup is refused, and the ledger tables made for it are dropped again."""
    source, backup = tmp_path / "source.db", tmp_path / "backup.jsonl"
    run("import", source, DAY7)
    run("export", source, "--events", "-o", backup)
    lines = backup.read_text().splitlines()
    backup.write_text("\n".join([lines[0].replace("498", "499"), *lines[1:]]) + "\n")
    assert "does not match its hash" in run("restore", url, backup, ok=False).stderr
    assert schema_contents(url) == ([], [])
    # An empty ledger that was there before stays: it is not this opening's to drop.
    PostgresStore(url).close()
    assert "does not match its hash" in run("restore", url, backup, ok=False).stderr
    assert PostgresStore(url, create=False).head().size == 0


def test_a_refused_first_import_leaves_the_schema_empty(url, tmp_path):
    """`ledger import` into an empty schema drops the tables it made when the import is refused."""
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"type": "claim", "id": "c1"}\n')
    assert "field 'subject': is required" in run("import", url, bad, ok=False).stderr
    assert schema_contents(url) == ([], [])


def test_drop_removes_an_empty_ledger_and_nothing_else(url):
    """drop() leaves the schema empty, and refuses a ledger that holds events."""
    store = PostgresStore(url)
    assert store.created
    store.drop()
    assert schema_contents(url) == ([], [])
    with Ledger.open(url) as ledger:
        assert ledger.store.created  # a new ledger in the emptied schema
        ledger.claim("casualties.x", 1, source="A", stated_at="2022-03-01", id="c0")
    store = PostgresStore(url)
    assert not store.created
    with pytest.raises(StoreError, match="holds 1 events; a ledger is not dropped"):
        store.drop()
    store.close()
    assert PostgresStore(url, create=False).head().size == 1


def clock():
    """Return a clock that moves one day per reading, from 2026-01-01."""
    moments = (datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=n) for n in range(10**6))
    return lambda: next(moments)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_a_ledger_copied_either_way_is_the_same_ledger(data):
    """Any ledger built on one engine copies to the other with the same raw log, head and state."""
    pg.url()
    commands = data.draw(ledger_commands())
    groups = data.draw(batches(commands))
    built_on_postgres = data.draw(st.booleans())
    pg_store = PostgresStore(pg.new_url(), clock=clock())
    sqlite_store = SqliteStore(":memory:", clock=clock())
    source, target = (pg_store, sqlite_store) if built_on_postgres else (sqlite_store, pg_store)
    with Ledger(source) as original, Ledger(target) as copied:
        for group in groups:
            original.execute(*group)
        assert copy(source, target) == source.head()
        assert list(target.read_raw()) == list(source.read_raw())
        assert copied.verify().ok
        for at in [None, *data.draw(st.lists(cutoffs_for(commands), max_size=3))]:
            assert copied.state(at=at) == original.state(at=at) == original.replayed_state(at=at)


def test_copy_checks_each_link_itself(url):
    """copy re-checks the chain: an event whose prev_hash is not the event before is refused."""
    with Ledger.open(url) as ledger:
        ledger.claim("a.b", 1, source="A", stated_at="2022-03-01", id="c1")
        ledger.claim("a.c", 2, source="A", stated_at="2022-03-01", id="c2")
        first, second = ledger.store.read_raw()

    class Forged:
        def read_raw(self):
            yield first
            yield second._replace(prev_hash=bytes(32))

    target = SqliteStore(":memory:")
    with pytest.raises(ValidationError, match="prev_hash is not the hash of the event before"):
        copy(Forged(), target)
    assert target.head().size == 0


def test_restore_and_rebuild_on_postgres(url, tmp_path):
    """A backup of an SQLite ledger restores into PostgreSQL with its head; rebuild keeps it."""
    source, backup = tmp_path / "source.db", tmp_path / "backup.jsonl"
    run("import", source, DAY7)
    run("export", source, "--events", "-o", backup)
    head = run("head", source).stdout
    assert run("restore", url, backup).stdout.splitlines()[-1].split()[-1] == head.strip()
    assert run("head", url).stdout == head
    before = state_of(url, "--at", "2022-03-02")
    assert "rebuilt the spans of" in run("rebuild", url).stdout
    assert state_of(url, "--at", "2022-03-02") == before
    result = run("restore", url, backup, ok=False)
    assert "already holds 17 events; restore into a new, empty ledger" in result.stderr


# Following a PostgreSQL ledger: notifications, and polling when one is lost.


def test_a_waiting_store_is_woken_by_another_writers_commit(url):
    """wait() returns True once another connection's append commits, not before."""
    import threading  # noqa: PLC0415

    with Ledger.open(url) as writer, Ledger.open(url, create=False) as reader:
        writer.claim("casualties.x", 1, source="A", stated_at="2022-03-01", id="c0")
        assert reader.store.wait(1, 0) is False  # nothing past 1 yet; starts listening
        timer = threading.Timer(
            0.2, lambda: writer.claim("casualties.y", 2, source="A", stated_at="2022-03-01")
        )
        timer.start()
        try:
            assert reader.store.wait(1, 30) is True
            assert reader.store.head().size == 2
        finally:
            timer.join()


def test_a_lost_notification_only_delays_a_follower(url, monkeypatch):
    """With every notification lost, follow() still yields each event once, by polling."""
    with Ledger.open(url) as writer, Ledger.open(url, create=False) as reader:
        writer.claim("casualties.x", 1, source="A", stated_at="2022-03-01", id="c0")
        monkeypatch.setattr(writer.store, "_channel", "ledger_nobody_listens")
        seen = []
        for stored in reader.follow(poll=0.05):
            seen.append(stored.seq)
            if len(seen) < 4:
                writer.revise("c0", len(seen) + 1, stated_at=f"2022-03-0{len(seen) + 1}")
            else:
                break
        assert seen == [1, 2, 3, 4]
