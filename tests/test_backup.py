"""Backup and restore: `export --events` rebuilds the same ledger; an altered backup is refused."""

import hashlib
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

import ledger.backup
import ledger.stores
from ledger import Ledger, StoreError, ValidationError, cli, codec
from ledger.backup import read_events, restore
from ledger.stores import GENESIS_HASH, Head, MemoryStore, SqliteStore
from ledger.stores._base import raw_event

DAY7 = Path(__file__).parent.parent / "examples" / "day7.jsonl"
ZERO = "0" * 64


def run(*args, ok=True, stdin=None):
    result = CliRunner().invoke(cli.cli, [str(a) for a in args], input=stdin)
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


def snapshot(folder):
    """Return every file under *folder* with its bytes, to show that nothing changed."""
    return {p: (p.read_bytes() if p.is_file() else None) for p in sorted(folder.rglob("*"))}


def state_of(db, *args):
    return json.loads(run("state", db, "--format", "json", *args).stdout, parse_float=Decimal)


@pytest.fixture(scope="module")
def original(tmp_path_factory):
    """Return a ledger of the day-7 example plus events of every other type, entered by hand."""
    db = tmp_path_factory.mktemp("original") / "ledger.db"
    run("import", db, DAY7)
    run("revise", db, "reports-kharkiv-killed", "34", "--stated-at", "2022-03-03", "--id", "r1")
    run("corroborate", db, "ru-kherson", "--source", "Kherson admin", "--stated-at", "2022-03-03")
    run("retract", db, "reports-talks-round2-date", "--stated-at", "2022-03-03", "--id", "x1")
    run("correct", db, "reports-kharkiv-wounded", "--value", "113", "--note", "typo", "--id", "k1")
    run("rebut", db, "ru-kherson", "--source", "Kherson mayor", "--stated-at", "2022-03-04")
    assert run("verify", db).stdout.startswith("OK: 22 events")
    return db


@pytest.fixture(scope="module")
def export(original, tmp_path_factory):
    """Return the path of the original's `export --events`."""
    path = tmp_path_factory.mktemp("export") / "events.jsonl"
    run("export", original, "--events", "-o", path)
    return path


@pytest.fixture
def objs(export):
    """Return the exported events as plain objects, free to change."""
    return [json.loads(line) for line in export.read_text().splitlines()]


def write(path, objs):
    """Write *objs* as an export file at *path*; return it."""
    path.write_bytes(b"".join(codec.dumps_exact(o) + b"\n" for o in objs))
    return path


def reseal(objs):
    """Hash every event again, chained, as a forger who rewrote the backup would."""
    prev, out = GENESIS_HASH, []
    for obj in objs:
        raw = raw_event(
            seq=obj["seq"],
            event_id=obj["event_id"],
            stream=obj["stream"],
            version=obj["version"],
            subject=obj["subject"],
            recorded_at=obj["recorded_at"],
            type_name=obj["type"],
            schema_version=obj["schema_version"],
            data=codec.dumps(obj["data"]),
            prev_hash=prev,
        )
        out.append({**obj, "prev_hash": prev.hex(), "hash": raw.hash.hex()})
        prev = raw.hash
    return out


# -- the round trip -----------------------------------------------------------------


def test_export_then_restore_gives_the_same_ledger(original, export, tmp_path):
    """A restored ledger has the original's head, state, history and `export --events` bytes."""
    new = tmp_path / "new.db"
    head = run("head", original).stdout.strip()
    result = run("restore", new, export)
    assert result.stdout == f"events restored:  22\nhead:             {head}\n"
    assert run("head", new).stdout.strip() == head
    assert run("verify", new, "--against", head).stdout.startswith(f"OK: 22 events, head {head}")
    assert run("export", new, "--events").stdout_bytes == export.read_bytes()
    assert state_of(new) == state_of(original)
    assert state_of(new, "--known-at", "2022-03-03") == state_of(
        original, "--known-at", "2022-03-03"
    )
    for subject_or_id in ("control.kherson", "r1"):
        args = ("history", subject_or_id, "--format", "json")
        assert run(args[0], new, *args[1:]).stdout == run(args[0], original, *args[1:]).stdout


def test_a_restored_ledger_carries_on(original, export, tmp_path):
    """A new event on a restored ledger continues its chain, which extends the original's head."""
    new = tmp_path / "new.db"
    run("restore", new, export)
    head = run("head", original).stdout.strip()
    run("claim", new, "control.kyiv", "ukraine", "--source", "Ukraine", "--stated-at", "2022-03-05")
    assert run("verify", new, "--against", head).stdout.startswith("OK: 23 events")


def test_restore_reads_standard_input_and_skips_blank_lines(export, tmp_path):
    """`restore NEW -` reads the backup from standard input; blank lines are skipped."""
    new = tmp_path / "new.db"
    backup = export.read_bytes().replace(b"\n", b"\n\n", 3)
    assert run("restore", new, "-", stdin=backup).stdout.startswith("events restored:  22")
    assert run("export", new, "--events").stdout_bytes == export.read_bytes()


def test_export_piped_into_restore(original, tmp_path):
    """`python -m ledger export DB --events | python -m ledger restore NEW -` copies the ledger."""
    new = tmp_path / "new.db"

    def ledger(*args, stdin=None):
        done = subprocess.run(
            [sys.executable, "-m", "ledger", *map(str, args)],
            input=stdin,
            capture_output=True,
            check=False,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    backup = ledger("export", original, "--events")
    ledger("restore", new, "-", stdin=backup)
    assert ledger("head", new) == ledger("head", original)


def test_an_empty_backup_restores_an_empty_ledger(tmp_path):
    """An empty backup restores a ledger of no events, which extends the empty checkpoint only."""
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    result = run("restore", tmp_path / "new.db", empty, "--against", f"0:{ZERO}")
    assert result.stdout.endswith(f"head:             0:{ZERO}\n")
    bad = run("restore", tmp_path / "other.db", empty, "--against", f"0:{'ab' * 32}", ok=False)
    assert_one_line_error(bad, "is not an empty log")
    assert not (tmp_path / "other.db").exists()


# -- refusals --------------------------------------------------------------------------


def _change_data(objs):
    objs[0]["data"]["value"]["amount"] = "499"


def _change_recorded_at(objs):
    objs[6]["recorded_at"] = "2022-03-03T00:00:00.000000Z"


def _drop_line(objs):
    del objs[3]


def _swap_lines(objs):
    objs[2], objs[3] = objs[3], objs[2]


def _forge_hash(objs):
    forged = hashlib.sha256(b"forged").hexdigest()
    objs[5]["hash"] = objs[6]["prev_hash"] = forged


def _change_prev_hash(objs):
    objs[8]["prev_hash"] = objs[6]["hash"]


def _repeat_line(objs):
    objs.insert(2, objs[1])


@pytest.mark.parametrize(
    ("alter", "where", "message"),
    [
        (_change_data, "1: seq 1", "does not match its hash"),
        (_change_recorded_at, "7: seq 7", "does not match its hash"),
        (_drop_line, "4: seq 5", "found where seq 4 belongs"),
        (_swap_lines, "3: seq 4", "found where seq 3 belongs"),
        (_forge_hash, "6: seq 6", "does not match its hash"),
        (_change_prev_hash, "9: seq 9", "prev_hash is not the hash of the event before"),
        (_repeat_line, "3: seq 2", "found where seq 3 belongs"),
    ],
    ids=["data", "recorded-at", "dropped", "swapped", "forged-hash", "prev-hash", "repeated"],
)
def test_an_altered_backup_is_refused_and_creates_nothing(objs, tmp_path, alter, where, message):
    """A changed, dropped, moved or forged event is refused by line and seq; nothing is created."""
    alter(objs)
    backup = write(tmp_path / "backup.jsonl", objs)
    before = snapshot(tmp_path)
    result = run("restore", tmp_path / "new.db", backup, ok=False)
    assert_one_line_error(result, f"{backup}:{where}: ", message, "nothing was restored")
    assert snapshot(tmp_path) == before


def test_a_backup_must_extend_the_published_checkpoint(original, objs, tmp_path):
    """A re-hashed rewrite, or a backup cut short, restores alone but not against the checkpoint."""
    head = run("head", original).stdout.strip()
    five = Head(5, bytes.fromhex(objs[4]["hash"]))
    objs[1]["data"]["source"] = "Someone else"
    rewritten = write(tmp_path / "rewritten.jsonl", reseal(objs))
    run("restore", tmp_path / "alone.db", rewritten)
    result = run("restore", tmp_path / "new.db", rewritten, "--against", str(five), ok=False)
    assert_one_line_error(result, f"{rewritten}:5: seq 5: the backup does not extend checkpoint")
    shortened = write(tmp_path / "short.jsonl", reseal(objs)[:-3])
    assert run("restore", tmp_path / "short.db", shortened).stdout.startswith(
        "events restored:  19"
    )
    result = run("restore", tmp_path / "new.db", shortened, "--against", head, ok=False)
    assert_one_line_error(result, "holds 19 events, fewer than checkpoint 22:")
    assert not (tmp_path / "new.db").exists()


def _set(index, key, value):
    def alter(objs):
        objs[index][key] = value

    return alter


def _without(key):
    def alter(objs):
        del objs[1][key]

    return alter


@pytest.mark.parametrize(
    ("alter", "message"),
    [
        (lambda objs: objs.__setitem__(1, "not json {"), "not valid JSON"),
        (lambda objs: objs.__setitem__(1, [1, 2]), "a stored event is a JSON object, not list"),
        (_without("hash"), "missing ['hash'], unexpected []"),
        (_set(1, "source", "RIA"), "missing [], unexpected ['source']"),
        (_set(1, "seq", "2"), "seq: must be a whole number from 1"),
        (_set(1, "version", value=True), "version: must be a whole number from 1"),
        (_set(1, "schema_version", 0), "schema_version: must be a whole number from 1"),
        (_set(1, "event_id", 7), "event_id: must be text"),
        (_set(1, "hash", "AB" * 32), "hash: must be 64 lowercase hex digits"),
        (_set(1, "prev_hash", "00"), "prev_hash: must be 64 lowercase hex digits"),
        (_set(1, "data", []), "data: must be an object"),
    ],
    ids=[
        "not-json",
        "a-list",
        "no-hash",
        "extra-key",
        "text-seq",
        "bool-version",
        "zero-schema",
        "number-id",
        "upper-hash",
        "short-prev-hash",
        "data-list",
    ],
)
def test_a_malformed_line_is_refused(objs, tmp_path, alter, message):
    """A line that is not an exported event is refused, naming the line."""
    alter(objs)
    backup = tmp_path / "backup.jsonl"
    lines = [o if isinstance(o, str) else codec.dumps_exact(o).decode() for o in objs]
    backup.write_text("\n".join(lines) + "\n")
    result = run("restore", tmp_path / "new.db", backup, ok=False)
    assert_one_line_error(result, f"{backup}:2: ", message)
    assert not (tmp_path / "new.db").exists()


def _claim_in_an_existing_stream(objs):
    objs[2]["stream"] = objs[2]["data"]["claim_id"] = "ru-mod-killed"
    objs[2]["version"] = 2


def _revision(objs):
    return next(o for o in objs if o["type"] == "ClaimRevised")


@pytest.mark.parametrize(
    ("alter", "seq", "message"),
    [
        (_set(1, "type", "ClaimWithdrawn"), 2, "cannot be read: unknown event type"),
        (_set(1, "schema_version", 9), 2, "newer than this library"),
        (_set(1, "data", {}), 2, "cannot be read"),
        (lambda objs: objs[2].update(event_id=objs[1]["event_id"]), 3, "is used twice"),
        (_set(1, "stream", "elsewhere"), 2, "a claim does not open its own stream"),
        (_claim_in_an_existing_stream, 3, "a claim does not open its own stream"),
        (lambda objs: _revision(objs).update(version=3), 18, "does not follow its stream"),
        (lambda objs: _revision(objs).update(subject="x.y"), 18, "does not follow its stream"),
        (lambda objs: _revision(objs).update(stream="zz"), 18, "does not start with a claim"),
        (_set(17, "recorded_at", "2000-01-01T00:00:00.000000Z"), 18, "recorded before"),
    ],
    ids=[
        "unknown-type",
        "newer-schema",
        "bad-data",
        "repeated-id",
        "claim-elsewhere",
        "second-claim",
        "skipped-version",
        "moved-subject",
        "orphan",
        "back-in-time",
    ],
)
def test_a_resealed_impossible_log_is_refused(objs, tmp_path, alter, seq, message):
    """A backup whose hashes hold but which no store could have written is refused at that event."""
    alter(objs)
    backup = write(tmp_path / "backup.jsonl", reseal(objs))
    result = run("restore", tmp_path / "new.db", backup, ok=False)
    assert_one_line_error(result, f"{backup}:{seq}: seq {seq}: ", message)
    assert not (tmp_path / "new.db").exists()


def test_an_over_long_line_is_refused(export, tmp_path, monkeypatch):
    """A line longer than MAX_LINE_BYTES is refused without being parsed."""
    monkeypatch.setattr(ledger.backup, "MAX_LINE_BYTES", 600)
    result = run("restore", tmp_path / "new.db", export, ok=False)
    lengths = [len(line) for line in export.read_bytes().splitlines(keepends=True)]
    first = next(i for i, n in enumerate(lengths, 1) if n > 600)
    assert_one_line_error(result, f"{export}:{first}: the line is longer than 600 bytes")
    assert not (tmp_path / "new.db").exists()


# -- where a restore may go -----------------------------------------------------------


@pytest.mark.parametrize("kind", ["zero-bytes", "empty-ledger"])
def test_restore_into_an_empty_file_or_ledger(export, tmp_path, kind):
    """NEW may be a zero-byte file or a ledger without events."""
    new = tmp_path / "new.db"
    if kind == "zero-bytes":
        new.touch()
    else:
        run("init", new)
    assert run("restore", new, export).stdout.startswith("events restored:  22")
    assert run("export", new, "--events").stdout_bytes == export.read_bytes()


@pytest.mark.parametrize("kind", ["missing", "zero-bytes", "empty-ledger"])
def test_a_refused_restore_leaves_new_as_it_was(objs, tmp_path, kind):
    """After a refusal NEW is as it was: missing, zero bytes, or a ledger without events."""
    new = tmp_path / "new.db"
    if kind == "zero-bytes":
        new.touch()
    elif kind == "empty-ledger":
        run("init", new)
    _change_data(objs)
    backup = write(tmp_path / "backup.jsonl", objs)
    before = snapshot(tmp_path)
    assert_one_line_error(run("restore", new, backup, ok=False), "does not match its hash")
    assert snapshot(tmp_path) == before


def test_restore_never_touches_a_ledger_with_events(original, export):
    """A ledger that holds events is refused as NEW, and keeps them."""
    before = snapshot(original.parent)
    result = run("restore", original, export, ok=False)
    assert_one_line_error(result, f"{original}: already holds 22 events")
    assert snapshot(original.parent) == before


@pytest.mark.parametrize(
    ("new", "backup", "message"),
    [
        ("folder", "export", "is a directory"),
        ("notes.txt", "export", "not an SQLite file"),
        ("missing/new.db", "export", "does not exist"),
        ("new.db", "missing.jsonl", "missing.jsonl: cannot read: No such file"),
        ("new.db", "folder", "folder: cannot read"),
    ],
    ids=[
        "new-is-a-folder",
        "new-is-text",
        "new-in-missing-folder",
        "no-backup",
        "backup-is-a-folder",
    ],
)
def test_bad_paths_are_refused_untouched(export, tmp_path, new, backup, message):
    """A NEW that cannot be a ledger, or a FILE that cannot be read, exits 2 and creates nothing."""
    (tmp_path / "folder").mkdir()
    (tmp_path / "notes.txt").write_text("hello\n")
    before = snapshot(tmp_path)
    source = export if backup == "export" else tmp_path / backup
    assert_one_line_error(run("restore", tmp_path / new, source, ok=False), message)
    assert snapshot(tmp_path) == before


class SmallDisk(SqliteStore):
    """A store whose file may grow by two pages at most, as on a nearly full disk."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        pages = self.conn.execute("PRAGMA page_count").fetchone()[0]
        self.conn.execute(f"PRAGMA max_page_count = {pages + 2}")


def test_a_full_disk_during_restore_leaves_no_file(export, tmp_path, monkeypatch):
    """A restore that fills the disk exits 2 with one line, and leaves no ledger behind."""
    monkeypatch.setattr(ledger.stores, "SqliteStore", SmallDisk)
    before = snapshot(tmp_path)
    result = run("restore", tmp_path / "new.db", export, ok=False)
    assert_one_line_error(result, "the disk is full: nothing of this batch was written")
    assert snapshot(tmp_path) == before


# -- the library --------------------------------------------------------------------------


@pytest.fixture(params=["memory", "sqlite"])
def empty_store(request):
    store = MemoryStore() if request.param == "memory" else SqliteStore(":memory:")
    yield store
    store.close()


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_restore_into_any_store(original, export, backend):
    """`restore` rebuilds the original's raw log in any empty store and returns its head."""
    empty_store = MemoryStore() if backend == "memory" else SqliteStore(":memory:")
    with Ledger.open(original, create=False) as source:
        raws, head = list(source.store.read_raw()), source.head()
    lines = export.read_bytes().splitlines()
    assert list(read_events(lines)) == raws
    assert restore(empty_store, lines, against=Head(head.size, head.hash)) == head
    assert list(empty_store.read_raw()) == raws
    empty_store.close()


def test_a_refusal_in_a_later_chunk_writes_nothing(objs, empty_store, monkeypatch):
    """A backup refused after several chunks were handed to the store leaves the store empty."""
    monkeypatch.setattr(ledger.backup, "_CHUNK", 5)
    objs[19]["data"]["note"] = "changed"
    lines = [codec.dumps_exact(o) for o in objs]
    with pytest.raises(ValidationError, match=r"<events>:20: seq 20: the event does not match"):
        restore(empty_store, lines)
    assert empty_store.head() == Head(0, GENESIS_HASH)
    with pytest.raises(ValidationError, match=r"backup\.jsonl:20: seq 20"):
        list(read_events(lines, "backup.jsonl"))


def test_restore_refuses_a_store_with_events(export, empty_store):
    """`restore` into a store that holds events raises StoreError and writes nothing."""
    lines = export.read_bytes().splitlines()
    head = restore(empty_store, lines[:3])
    with pytest.raises(StoreError, match="already holds 3 events"):
        restore(empty_store, lines)
    assert empty_store.head() == head
