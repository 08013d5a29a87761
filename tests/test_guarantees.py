"""The promises of docs/reference/guarantees.md on tampering, files and paths, mostly by CLI."""

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

import ledger.stores
from ledger import Ledger, LedgerError, StoreError, cli
from ledger.stores import SqliteStore
from ledger.stores._base import raw_event

DAY7 = Path(__file__).parent.parent / "examples" / "day7.jsonl"
GOLDEN_EVENTS = Path(__file__).parent / "golden" / "day7-events-v1.jsonl"
ZERO = "0" * 64


def run(*args, ok=True):
    result = CliRunner().invoke(cli.cli, [str(a) for a in args])
    if ok:
        assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return result


def assert_one_line_error(result, *fragments):
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in lines[0]


def records(path, count, *, start=0, quote=""):
    """Write *count* claims on subjects of their own to *path*; return it."""
    lines = [
        json.dumps(
            {
                "type": "claim",
                "id": f"c{i}",
                "subject": f"tests.subject{i}",
                "value": i,
                "source": f"source {i % 3}",
                "stated_at": "2022-03-01",
                **({"quote": quote} if quote else {}),
            }
        )
        for i in range(start, start + count)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def snapshot(folder):
    """Return every file under *folder* with its bytes, to show that nothing changed."""
    return {p: (p.read_bytes() if p.is_file() else None) for p in sorted(folder.rglob("*"))}


# -- tamper evidence you can publish ------------------------------------------------


@pytest.fixture
def published(tmp_path):
    """Return a ledger of 22 events, and the checkpoint published when it held 5."""
    db = tmp_path / "ledger.db"
    run("import", db, records(tmp_path / "first.jsonl", 5))
    checkpoint = run("head", db).stdout.strip()
    assert checkpoint.startswith("5:")
    run("import", db, DAY7)
    return db, checkpoint


def tamper(db, *statements):
    """Run SQL on the file through a plain connection, with the append-only triggers dropped."""
    conn = sqlite3.connect(db)
    try:
        conn.executescript("DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete;")
        for sql, *params in statements:
            conn.execute(sql, params)
        conn.commit()
    finally:
        conn.close()


def test_a_published_checkpoint_verifies_after_more_appends(published):
    """`verify --against` the head published at 5 events passes once the log has grown to 22."""
    db, checkpoint = published
    result = run("verify", db, "--against", checkpoint)
    assert result.stdout.startswith("OK: 22 events, head 22:")


SWAP_2_AND_4 = (
    ("UPDATE events SET seq = -2 WHERE seq = 2",),
    ("UPDATE events SET seq = 2 WHERE seq = 4",),
    ("UPDATE events SET seq = 4 WHERE seq = -2",),
)


@pytest.mark.parametrize(
    ("statements", "seq"),
    [
        ((("UPDATE events SET data = replace(data, '\"3\"', '\"4\"') WHERE seq = 4",),), 4),
        ((("UPDATE events SET data = replace(data, 'source 2', 'source 3') WHERE seq = 3",),), 3),
        ((("UPDATE events SET recorded_at = '2001-01-01T00:00:00.000000Z' WHERE seq = 5",),), 5),
        ((("DELETE FROM events WHERE seq = 2",),), 2),
        ((("DELETE FROM events WHERE seq = 5",),), 5),
        (SWAP_2_AND_4, 2),
        ((("UPDATE events SET data = replace(data, '\"498\"', '\"499\"') WHERE seq = 6",),), 6),
    ],
    ids=[
        "changed-4",
        "changed-3",
        "re-dated-5",
        "deleted-2",
        "deleted-5",
        "swapped-2-4",
        "later-6",
    ],
)
def test_an_edit_through_raw_sql_fails_verify_at_its_seq(published, statements, seq):
    """An edit, deletion or swap through raw SQL fails `verify --against` with exit 1 at its seq."""
    db, checkpoint = published
    tamper(db, *statements)
    for args in (["--against", checkpoint], []):
        result = run("verify", db, *args, ok=False)
        assert result.exit_code == 1
        assert result.stdout.startswith(f"FAILED at seq {seq}: ")


def rechain(db, start):
    """Seal every event from *start* on again, after the one before, as a forger would."""
    conn = sqlite3.connect(db)
    try:
        conn.execute("DROP TRIGGER IF EXISTS events_no_update")
        columns = "seq, event_id, stream, version, subject, recorded_at, type, schema_version, data"
        prev = conn.execute("SELECT hash FROM events WHERE seq = ?", (start - 1,)).fetchone()[0]
        rows = conn.execute(f"SELECT {columns} FROM events WHERE seq >= ? ORDER BY seq", (start,))  # noqa: S608 - our own columns
        for seq, event_id, stream, version, subject, recorded_at, type_name, schema, data in list(
            rows
        ):
            raw = raw_event(
                seq=seq,
                event_id=event_id,
                stream=stream,
                version=version,
                subject=subject,
                recorded_at=recorded_at,
                type_name=type_name,
                schema_version=schema,
                data=data.encode(),
                prev_hash=prev,
            )
            conn.execute(
                "UPDATE events SET prev_hash = ?, hash = ?, source = ? WHERE seq = ?",
                (raw.prev_hash, raw.hash, raw.source, seq),
            )
            prev = raw.hash
        conn.commit()
    finally:
        conn.close()


def test_a_rewritten_and_rechained_history_fails_at_the_checkpoint(published):
    """A history edited at 2 and rehashed verifies alone, but fails at 5 against the checkpoint."""
    db, checkpoint = published
    tamper(db, ("UPDATE events SET data = replace(data, 'source 1', 'source 2') WHERE seq = 2",))
    rechain(db, 2)
    alone = run("verify", db).stdout
    assert alone.startswith("OK: 22 events, head 22:")
    result = run("verify", db, "--against", checkpoint, ok=False)
    assert result.exit_code == 1
    assert result.stdout.strip() == (
        f"FAILED at seq 5: log does not extend checkpoint {checkpoint}"
    )


def test_a_truncated_log_fails_against_the_checkpoint(published):
    """A log cut back to 3 events verifies alone, but fails at 4 against the checkpoint of 5."""
    db, checkpoint = published
    tamper(db, ("DELETE FROM events WHERE seq > 3",))
    assert run("verify", db).stdout.startswith("OK: 3 events")
    result = run("verify", db, "--against", checkpoint, ok=False)
    assert result.exit_code == 1
    assert result.stdout.startswith("FAILED at seq 4: log holds 3 events, fewer than checkpoint")


# -- files and paths --------------------------------------------------------------


def _text_file(path):
    path.write_text("date,claim\n2022-03-02,russia\n")


def _other_app(path):
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    conn.commit()
    conn.close()


def _newer_ledger(path):
    Ledger.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 2")
    conn.close()


def _read_only_text_file(path):
    _text_file(path)
    path.chmod(0o444)


def _read_only_empty_file(path):
    path.touch()
    path.chmod(0o444)


KINDS = {
    "text-file": (_text_file, "not an SQLite file"),
    "other-app": (_other_app, "an SQLite file of another kind"),
    "newer-ledger": (_newer_ledger, "written by a newer ledger"),
    "directory": (Path.mkdir, "is a directory"),
    "read-only-text-file": (_read_only_text_file, "not an SQLite file"),
    "read-only-empty-file": (_read_only_empty_file, "not a ledger (an empty"),
}

COMMANDS = {
    "state": ["state", "{db}"],
    "history": ["history", "{db}", "control.kherson"],
    "verify": ["verify", "{db}", "--against", f"0:{ZERO}"],
    "head": ["head", "{db}"],
    "export": ["export", "{db}"],
    "export-events": ["export", "{db}", "--events"],
    "init": ["init", "{db}"],
    "import": ["import", "{db}", str(DAY7)],
    "claim": ["claim", "{db}", "control.kyiv", "ukraine", "--source", "UA", "--stated-at", "2022"],
    "restore": ["restore", "{db}", str(GOLDEN_EVENTS)],
}


@pytest.mark.parametrize("command", COMMANDS, ids=str)
@pytest.mark.parametrize("kind", KINDS, ids=str)
def test_a_path_that_is_not_a_ledger_is_refused_untouched(tmp_path, kind, command):
    """Every command on what is not a ledger of this version exits 2, one line, changing nothing."""
    make, message = KINDS[kind]
    db = tmp_path / "thing.db"
    make(db)
    before = snapshot(tmp_path)
    args = [a.format(db=db) for a in COMMANDS[command]]
    assert_one_line_error(run(*args, ok=False), str(db), message)
    assert snapshot(tmp_path) == before


# -- read-only files ------------------------------------------------------------------

READS = {
    "state": ["state", "{db}", "--format", "json"],
    "state-at": ["state", "{db}", "--at", "2022-03-02", "--subject", "casualties.*"],
    "history": ["history", "{db}", "casualties.russia.military.killed", "--format", "json"],
    "verify": ["verify", "{db}"],
    "head": ["head", "{db}"],
    "export": ["export", "{db}"],
    "export-events": ["export", "{db}", "--events"],
    "init": ["init", "{db}"],
}

WRITES = {
    "import": (["import", "{db}", str(DAY7)], "read-only"),
    "claim": (COMMANDS["claim"], "read-only"),
    "retract": (["retract", "{db}", "ru-kherson", "--stated-at", "2022-03-04"], "read-only"),
    "restore": (["restore", "{db}", str(GOLDEN_EVENTS)], "already holds 17 events"),
}


@pytest.fixture
def read_only(tmp_path):
    """Return a closed day-7 ledger made read-only, and what each read command printed before."""
    folder = tmp_path / "published"
    folder.mkdir()
    db = folder / "ledger.db"
    run("import", db, DAY7)
    printed = {name: run(*[a.format(db=db) for a in args]).stdout for name, args in READS.items()}
    db.chmod(0o444)
    yield db, printed
    db.chmod(0o644)


@pytest.mark.parametrize("command", READS, ids=str)
def test_reads_work_on_a_read_only_file_and_create_nothing(read_only, command):
    """A read of a chmod 0444 ledger prints what it did before and creates no file, even as root."""
    db, printed = read_only
    before = snapshot(db.parent)
    assert run(*[a.format(db=db) for a in READS[command]]).stdout == printed[command]
    assert snapshot(db.parent) == before


@pytest.mark.parametrize("command", WRITES, ids=str)
def test_writes_to_a_read_only_file_are_refused_untouched(read_only, command):
    """A write to a chmod 0444 ledger exits 2 with one line naming the file, changing nothing."""
    db, _ = read_only
    before = snapshot(db.parent)
    args, message = WRITES[command]
    assert_one_line_error(run(*[a.format(db=db) for a in args], ok=False), str(db), message)
    assert snapshot(db.parent) == before


def test_the_library_reads_a_read_only_file_and_refuses_writes(read_only):
    """Through the library, a read-only ledger answers queries, and an append raises StoreError."""
    db, printed = read_only
    with Ledger.open(db) as opened:
        assert opened.store.readonly
        assert opened.verify().ok
        assert str(opened.head()) == printed["head"].strip()
        assert len(opened.state().subjects) == 14
        assert len(list(opened.events())) == 17
        with pytest.raises(StoreError, match="read-only"):
            opened.claim("control.kyiv", "ukraine", source="UA", stated_at="2022-03-03")
        with pytest.raises(LedgerError, match="read-only"):
            opened.import_records(DAY7)
        assert opened.head().size == 17


def test_a_read_only_copy_with_a_crash_wal_reads_every_committed_event(tmp_path):
    """A read-only copy with the -wal a crash left shows the events only the -wal holds."""
    live, copy = tmp_path / "live", tmp_path / "copy"
    live.mkdir()
    copy.mkdir()
    store = SqliteStore(live / "ledger.db")
    try:
        Ledger(store).import_records(DAY7)
        head = str(store.head())
        shutil.copy(live / "ledger.db", copy / "ledger.db")
        shutil.copy(live / "ledger.db-wal", copy / "ledger.db-wal")
    finally:
        store.close()
    db = copy / "ledger.db"
    db.chmod(0o444)
    main_file = db.read_bytes()
    try:
        assert run("head", db).stdout.strip() == head
        assert run("verify", db).stdout.startswith("OK: 17 events")
        assert db.read_bytes() == main_file
    finally:
        db.chmod(0o644)


# -- a full disk ----------------------------------------------------------------------


class SmallDisk(SqliteStore):
    """A store whose file may grow by four pages at most, as on a nearly full disk."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        pages = self.conn.execute("PRAGMA page_count").fetchone()[0]
        self.conn.execute(f"PRAGMA max_page_count = {pages + 4}")


@pytest.fixture
def big(tmp_path):
    """Return a records file of 200 claims with long quotes: far more than four pages."""
    return records(tmp_path / "big.jsonl", 200, start=100, quote="q" * 500)


def test_a_full_disk_during_import_changes_nothing(tmp_path, big):
    """An import that fills the disk is a clear error; the ledger keeps its head, and verifies."""
    db = tmp_path / "ledger.db"
    run("import", db, DAY7)
    store = SmallDisk(db)
    try:
        head = store.head()
        with pytest.raises(
            LedgerError, match="the disk is full: nothing of this batch was written"
        ):
            Ledger(store).import_records(big)
        assert store.head() == head
        assert Ledger(store).verify().ok
        store.conn.execute("PRAGMA max_page_count = 1000000")
        assert Ledger(store).import_records(big).events == 200
    finally:
        store.close()
    assert run("verify", db).stdout.startswith("OK: 217 events")


def test_a_full_disk_is_one_line_on_the_command_line(tmp_path, big, monkeypatch):
    """`import` on a full disk exits 2 with one line, and the head is as it was."""
    db = tmp_path / "ledger.db"
    run("import", db, DAY7)
    head = run("head", db).stdout
    monkeypatch.setattr(ledger.stores, "SqliteStore", SmallDisk)
    assert_one_line_error(run("import", db, big, ok=False), str(db), "the disk is full")
    monkeypatch.undo()
    assert run("head", db).stdout == head
    assert run("verify", db).stdout.startswith("OK: 17 events")
