"""Tests for the command line, `ledger.cli`."""

import csv
import io
import itertools
import json
import shlex
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from ledger import Ledger, LedgerError, __version__, cli, output
from ledger.cli import main
from ledger.output import STATE_COLUMNS

DAY7 = Path(__file__).parent.parent / "examples" / "day7.jsonl"
KILLED = "casualties.russia.military.killed"
HASH = "ab" * 32


def sh(command, db, rest, *, ok=True):
    return run(command, db, *shlex.split(rest), ok=ok)


def run(*args, ok=True):
    result = CliRunner().invoke(cli.cli, [str(a) for a in args])
    if ok:
        assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return result


def state_of(db, *args):
    return json.loads(run("state", db, "--format", "json", *args).stdout, parse_float=Decimal)


def history_of(db, subject_or_id, *args):
    out = run("history", db, subject_or_id, "--format", "json", *args).stdout
    return json.loads(out, parse_float=Decimal)


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "ledger.db"
    run("init", path)
    return path


@pytest.fixture
def day7(db):
    run("import", db, DAY7)
    return db


def assert_one_line_error(result, *fragments):
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in lines[0]


# -- init, import, version --------------------------------------------------------


def test_init_creates_an_empty_ledger(tmp_path):
    """`init` creates a ledger file with no events."""
    path = tmp_path / "new.db"
    result = run("init", path)
    assert "Created an empty ledger" in result.stdout
    assert path.exists()
    assert run("head", path).stdout.strip() == "0:" + "00" * 32


def test_init_leaves_an_existing_ledger_alone(day7):
    """`init` on an existing ledger reports it and changes nothing."""
    before = run("head", day7).stdout
    assert "already a ledger (17 events)" in run("init", day7).stdout
    assert run("head", day7).stdout == before


def test_init_refuses_a_file_that_is_not_a_ledger(tmp_path):
    """`init` on a file of another kind exits 2 and leaves it untouched."""
    path = tmp_path / "notes.txt"
    path.write_text("hello\n")
    assert_one_line_error(run("init", path, ok=False), "not a ledger")
    assert path.read_text() == "hello\n"


def test_version():
    """`--version` prints the package version."""
    assert __version__ in run("--version").stdout


def test_import_prints_a_summary(db):
    """Importing the day-7 file reports 16 records read and imported and 17 events."""
    out = run("import", db, DAY7).stdout
    assert "records read:     16" in out
    assert "imported:         16" in out
    assert "skipped:          0" in out
    assert "events appended:  17" in out
    assert f"head:             {run('head', db).stdout.strip()}" in out


def test_import_creates_the_ledger(tmp_path):
    """`import` into a path that does not exist yet creates the ledger."""
    path = tmp_path / "fresh.db"
    run("import", path, DAY7)
    assert run("head", path).stdout.startswith("17:")


def test_reimport_skips_everything(day7):
    """Importing the same file again skips all 16 records and appends nothing."""
    before = run("head", day7).stdout
    out = run("import", day7, DAY7).stdout
    assert "imported:         0" in out
    assert "skipped:          16" in out
    assert "events appended:  0" in out
    assert run("head", day7).stdout == before


def test_import_shows_progress_for_big_imports(db, monkeypatch):
    """A big import on a terminal drives a progress bar by bytes read."""
    monkeypatch.setattr(cli, "PROGRESS_BYTES", 0)
    monkeypatch.setattr(cli, "_stderr_is_tty", lambda: True)
    result = run("import", db, DAY7)
    assert "Importing" in result.stderr
    assert "imported:         16" in result.stdout


def test_stderr_is_tty_asks_standard_error(monkeypatch):
    """Whether a progress bar may show depends on standard error being a terminal."""
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert cli._stderr_is_tty() is False


def test_progress_steps_add_up_to_the_bytes_read():
    """The running byte count becomes progress steps, never counted twice."""
    steps = []
    progress = cli._Progress(steps.append)
    for done in (40, 100, 100, 120, 180):
        progress(done)
    assert steps == [40, 60, 20, 60]
    assert sum(steps) == 180


# -- state ----------------------------------------------------------------------


def test_state_table_shows_the_contested_death_toll(day7):
    """The table on day 7 shows the Russian military death toll as contested."""
    out = run("state", day7, "--at", "2022-03-02").stdout
    assert f"{KILLED}: contested" in out
    assert "~498 people" in out
    assert ">7000 people" in out
    assert "ua-adviser-killed (Ukrainian presidential adviser)" in out
    assert "control.kherson: single_source" in out


def test_state_table_before_day7_is_empty(day7):
    """Before day 7 the ledger knows no claim."""
    assert run("state", day7, "--at", "2022-03-01").stdout.strip() == "No claims."


def test_state_json_has_the_documented_shape(day7):
    """The JSON state has the documented keys, exact numbers and times as written."""
    data = state_of(day7, "--at", "2022-03-02")
    assert set(data) == {"at", "known_at", "valid_at", "subjects"}
    assert data["at"] == "2022-03-02"
    assert data["known_at"] is None
    subject = next(s for s in data["subjects"] if s["subject"] == KILLED)
    assert set(subject) == {"subject", "status", "low", "high", "claims"}
    assert subject["status"] == "contested"
    assert subject["low"] == Decimal("448.2")
    assert subject["high"] is None
    mod, adviser = subject["claims"]
    assert set(mod) == {
        "id",
        "source",
        "via",
        "value",
        "qualifier",
        "value_high",
        "unit",
        "as_of",
        "stated_at",
        "status",
        "revisions",
        "citation",
        "rebutted_by",
        "corroborated_by",
    }
    assert (mod["id"], mod["value"], mod["qualifier"], mod["unit"]) == (
        "ru-mod-killed",
        498,
        "approximately",
        "people",
    )
    assert type(mod["value"]) is int
    assert mod["stated_at"] == "2022-03-02"
    assert mod["status"] == "disputed"
    (rebuttal,) = mod["rebutted_by"]
    assert set(rebuttal) == {"id", "source", "stated_at", "counter_claim", "reason", "citation"}
    assert rebuttal["counter_claim"] == "ua-adviser-killed.counter"
    assert (adviser["value"], adviser["qualifier"]) == (7000, "more_than")


def test_state_json_labels_have_null_quantity_fields(day7):
    """A label's value is its text, and its qualifier, high end and unit are null."""
    (kherson,) = state_of(day7, "--subject", "control.kherson")["subjects"]
    (claim,) = kherson["claims"]
    assert claim["value"] == "russia"
    assert claim["qualifier"] is claim["value_high"] is claim["unit"] is None


def test_state_subject_glob(day7):
    """`--subject` takes a glob."""
    subjects = {s["subject"] for s in state_of(day7, "--subject", "talks.*")["subjects"]}
    assert subjects == {"talks.round2.date", "talks.round2.status"}


def test_state_csv_has_a_header_and_a_row_per_claim(day7):
    """The CSV state has a header and one row per claim, numbers exact."""
    rows = list(csv.DictReader(io.StringIO(run("state", day7, "--format", "csv").stdout)))
    assert len(rows) == 15
    assert list(rows[0]) == list(STATE_COLUMNS)
    killed = [r for r in rows if r["subject"] == KILLED]
    assert [r["claim_id"] for r in killed] == ["ru-mod-killed", "ua-adviser-killed.counter"]
    assert killed[0]["subject_status"] == "contested"
    assert killed[0]["low"] == "448.2"
    assert killed[0]["high"] == ""
    assert killed[0]["value"] == "498"
    assert killed[0]["value_text"] == "~498 people"
    assert killed[0]["rebutted_by"] == "ua-adviser-killed"


def test_state_csv_of_nothing_is_a_header(db):
    """An empty ledger's CSV state is the header line alone."""
    assert run("state", db, "--format", "csv").stdout == ",".join(STATE_COLUMNS) + "\n"


# -- history --------------------------------------------------------------------


def test_history_json(day7):
    """The JSON history of a claim lists its claim and its rebuttal in the documented shape."""
    data = history_of(day7, "ru-mod-killed")
    assert data["subject_or_id"] == "ru-mod-killed"
    claim, rebuttal = data["changes"]
    assert set(claim) == {
        "seq",
        "kind",
        "id",
        "claim_id",
        "subject",
        "source",
        "previous",
        "value",
        "as_of",
        "stated_at",
        "recorded_at",
        "citation",
        "note",
        "target",
        "corrections",
    }
    assert (claim["seq"], claim["kind"], claim["previous"]) == (1, "claim", None)
    assert claim["value"] == {
        "value": 498,
        "qualifier": "approximately",
        "value_high": None,
        "unit": "people",
    }
    assert claim["stated_at"] == "2022-03-02"
    assert rebuttal["kind"] == "rebuttal"
    assert rebuttal["previous"]["value"] == 498
    assert rebuttal["value"] is None
    assert rebuttal["target"] == "ua-adviser-killed.counter"


def test_history_table_and_csv(day7):
    """The history table and CSV show one line per change."""
    table = run("history", day7, KILLED).stdout
    assert "disputes ~498 people; counter-claim ua-adviser-killed.counter" in table
    rows = list(csv.DictReader(io.StringIO(run("history", day7, KILLED, "--format", "csv").stdout)))
    assert [r["kind"] for r in rows] == ["claim", "claim", "rebuttal"]
    assert rows[0]["value"] == "~498 people"


def test_history_of_an_unknown_id_exits_2(day7):
    """History of neither a subject nor an id is an input error."""
    assert_one_line_error(run("history", day7, "nope", ok=False), "'nope'", "neither")


# -- verify, head ---------------------------------------------------------------


def test_verify_ok_then_fails_after_tampering(day7):
    """`verify` passes on an intact log and exits 1 once a stored row is edited."""
    result = run("verify", day7)
    assert result.stdout.strip() == f"OK: 17 events, head {run('head', day7).stdout.strip()}"
    conn = sqlite3.connect(day7)
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("UPDATE events SET data = replace(data, '\"498\"', '\"499\"') WHERE seq = 1")
    conn.commit()
    conn.close()
    result = run("verify", day7, ok=False)
    assert result.exit_code == 1
    assert result.stdout.startswith("FAILED at seq 1: ")


def test_head_checkpoint_verifies(day7):
    """`head` prints SIZE:HASH, and `verify --against` it passes."""
    checkpoint = run("head", day7).stdout.strip()
    size, digest = checkpoint.split(":")
    assert size == "17"
    assert len(digest) == 64
    run("verify", day7, "--against", checkpoint)
    run("verify", day7, "--against", checkpoint.upper())
    sh("claim", day7, "control.kyiv ukraine --source Ukraine --stated-at 2022-03-03")
    assert run("verify", day7, "--against", checkpoint).stdout.startswith("OK: 18 events")


def test_verify_against_a_wrong_hash_exits_1(day7):
    """A checkpoint the log does not extend fails the check."""
    result = run("verify", day7, "--against", f"17:{HASH}", ok=False)
    assert result.exit_code == 1
    assert "does not extend checkpoint" in result.stdout


@pytest.mark.parametrize("checkpoint", ["17", "17:abc", f"x:{HASH}", f"17:{HASH}00"])
def test_verify_against_a_malformed_checkpoint_exits_2(day7, checkpoint):
    """A malformed checkpoint is a usage error."""
    result = run("verify", day7, "--against", checkpoint, ok=False)
    assert result.exit_code == 2
    assert "is not a checkpoint SIZE:HASH" in result.stderr


# -- export ---------------------------------------------------------------------


def test_export_then_import_gives_the_same_state(day7, tmp_path):
    """Records exported and imported into a new ledger give the same state."""
    records = tmp_path / "out.jsonl"
    run("export", day7, "-o", records)
    assert len(records.read_text().splitlines()) == 16
    copy = tmp_path / "copy.db"
    run("import", copy, records)
    assert state_of(copy) == state_of(day7)
    assert (
        history_of(copy, KILLED)["changes"][0]["value"]
        == history_of(day7, KILLED)["changes"][0]["value"]
    )


def test_export_to_stdout(day7):
    """Without `-o`, records go to standard output, one JSON object a line."""
    lines = run("export", day7).stdout.splitlines()
    first = json.loads(lines[0], parse_float=Decimal)
    assert (first["id"], first["value"], first["type"]) == ("ru-mod-killed", 498, "claim")


def test_export_to_a_missing_folder_exits_2(day7, tmp_path):
    """An output file that cannot be written is an input error."""
    result = run("export", day7, "-o", tmp_path / "none" / "out.jsonl", ok=False)
    assert_one_line_error(result, "cannot write")


def test_export_events(day7):
    """`export --events` writes each stored event with its envelope and hashes."""
    lines = [json.loads(line) for line in run("export", day7, "--events").stdout.splitlines()]
    assert [e["seq"] for e in lines] == list(range(1, 18))
    assert set(lines[0]) == {
        "seq",
        "event_id",
        "stream",
        "version",
        "subject",
        "recorded_at",
        "type",
        "schema_version",
        "data",
        "prev_hash",
        "hash",
    }
    assert lines[0]["prev_hash"] == "00" * 32
    assert all(b["prev_hash"] == a["hash"] for a, b in itertools.pairwise(lines))
    assert lines[0]["data"]["value"] == {
        "amount": "498",
        "qualifier": "approximately",
        "unit": "people",
    }
    assert f"17:{lines[-1]['hash']}" == run("head", day7).stdout.strip()


# -- entry by hand ----------------------------------------------------------------


def appended(result):
    return [line.split() for line in result.stdout.splitlines()]


def test_entry_by_hand(db):
    """Claim, revise, rebut with a counter-value, corroborate, correct and retract by hand."""
    subject = "casualties.test.killed"
    out = appended(
        sh(
            "claim",
            db,
            f"{subject} 100 --source A --stated-at 2022-03-01 --qualifier approximately"
            " --unit people --id a1 --citation paper",
        )
    )
    assert out == [["1", "a1", "ClaimAsserted"]]
    out = appended(sh("revise", db, "a1 120 --stated-at 2022-03-02 --unit people --id a1-r1"))
    assert out == [["2", "a1-r1", "ClaimRevised"]]
    out = appended(
        sh(
            "rebut",
            db,
            "a1 --source B --stated-at 2022-03-03 --value 500 --qualifier more_than"
            " --unit people --id b1 --reason 'too low'",
        )
    )
    assert out == [["3", "b1.counter", "ClaimAsserted"], ["4", "b1", "ClaimRebutted"]]
    out = appended(sh("corroborate", db, "a1 --source C --stated-at 2022-03-03"))
    assert out[0][2] == "ClaimCorroborated"
    assert out[0][1].startswith("corroboration-")
    out = appended(sh("correct", db, "a1-r1 --note typo --value 125"))
    assert out[0][2] == "EntryCorrected"
    out = appended(sh("retract", db, "b1 --stated-at 2022-03-04 --source B"))
    assert out[0][2] == "ClaimRetracted"

    disputed = state_of(db, "--at", "2022-03-03")["subjects"][0]
    assert disputed["status"] == "contested"
    claim = disputed["claims"][0]
    assert (claim["status"], claim["value"], claim["qualifier"]) == ("disputed", 125, "exact")
    assert claim["unit"] == "people"  # kept from the revision by the correction

    (now,) = state_of(db)["subjects"]
    a1, counter = now["claims"]
    assert a1["status"] == "corroborated"
    assert a1["revisions"] == 1
    assert a1["rebutted_by"] == []
    assert [c["source"] for c in a1["corroborated_by"]] == ["C"]
    assert (counter["id"], counter["value"], counter["qualifier"]) == (
        "b1.counter",
        500,
        "more_than",
    )

    changes = history_of(db, "a1")["changes"]
    assert [c["kind"] for c in changes] == [
        "claim",
        "revision",
        "correction",
        "rebuttal",
        "corroboration",
        "retraction",
    ]
    (fix,) = changes[2]["corrections"]
    assert fix["field"] == "value"
    assert fix["entered"] == {
        "value": 120,
        "qualifier": "exact",
        "value_high": None,
        "unit": "people",
    }
    assert fix["corrected"]["value"] == 125
    table = run("history", db, "a1").stdout
    assert "corrects a1-r1: value 120 people → 125 people (typo)" in table
    assert run("verify", db).stdout.startswith("OK: 7 events")


def test_claim_value_forms(db):
    """A number is read exactly, a range is inferred from --value-high, --label keeps text."""
    sh("claim", db, "a.b 1.50 --source A --stated-at 2022")
    sh("claim", db, "a.c 10 --value-high 20 --unit km --source A --stated-at 2022")
    sh("claim", db, "a.d 498 --label --source A --stated-at 2022")
    sh("claim", db, "a.e 2022-03-03 --source A --stated-at 2022")
    claims = {s["subject"]: s["claims"][0] for s in state_of(db)["subjects"]}
    assert claims["a.b"]["value"] == Decimal("1.50")
    assert str(claims["a.b"]["value"]) == "1.50"
    assert (claims["a.c"]["qualifier"], claims["a.c"]["value_high"]) == ("range", 20)
    assert claims["a.d"]["value"] == "498"
    assert claims["a.e"]["value"] == "2022-03-03"
    assert "10\N{EN DASH}20 km" in run("state", db).stdout


def test_correct_a_time_and_text(day7):
    """A correction may replace a stated time and a citation."""
    sh("correct", day7, "ru-kherson --note 'wrong day' --stated-at 2022-03-01 --citation elsewhere")
    (kherson,) = state_of(day7, "--at", "2022-03-01", "--subject", "control.kherson")["subjects"]
    assert kherson["claims"][0]["stated_at"] == "2022-03-01"
    (fix,) = history_of(day7, "ru-kherson")["changes"][-1]["corrections"][:1]
    assert fix == {
        "field": "citation",
        "entered": "day7-article (2022-03-03)",
        "corrected": "elsewhere",
    }


def test_correct_to_a_range(day7):
    """A corrected high end makes the corrected value a range, keeping its unit."""
    sh("correct", day7, "ru-mod-killed --note misread --value 450 --value-high 550")
    (killed,) = state_of(day7, "--subject", KILLED)["subjects"]
    claim = killed["claims"][0]
    assert (claim["value"], claim["qualifier"], claim["value_high"]) == (450, "range", 550)
    assert claim["unit"] == "people"
    assert "450\N{EN DASH}550 people" in run("state", day7, "--subject", KILLED).stdout


def test_correction_texts(day7):
    """The history table shows corrected times and texts as entered and corrected."""
    sh("correct", day7, "ru-kherson --note 'wrong day' --stated-at 2022-03-01 --citation x")
    table = run("history", day7, "ru-kherson").stdout
    assert "citation 'day7-article (2022-03-03)' → 'x'; stated_at 2022-03-02 → 2022-03-01" in table
    assert "(wrong day)" in table


@pytest.mark.parametrize(
    "rest",
    [
        "ru-kherson --note n --value many --unit people",
        "ru-kherson --note n --label",
    ],
)
def test_correct_usage_errors(day7, rest):
    """Value options that do not fit a correction are usage errors."""
    result = sh("correct", day7, rest, ok=False)
    assert result.exit_code == 2
    assert "Usage:" in result.stderr


def test_history_with_no_changes(day7):
    """A history cut off before anything was said says so."""
    out = run("history", day7, KILLED, "--until", "2022-03-01").stdout
    assert out.strip() == f"No changes to {KILLED}."


def test_a_label_with_a_unit_is_a_usage_error(db):
    """Quantity options on a label are a usage error."""
    result = sh("claim", db, "a.b many --unit people --source A --stated-at 2022", ok=False)
    assert result.exit_code == 2
    assert "not the label 'many'" in result.stderr


def test_a_malformed_number_is_an_input_error(db):
    """Text that looks like a number but is not one exits 2 with the reason."""
    result = sh("claim", db, "a.b 1.2.3 --source A --stated-at 2022", ok=False)
    assert_one_line_error(result, "value: '1.2.3' is not a number")


def test_counter_value_options_need_a_value(day7):
    """Value options on a rebuttal without --value are a usage error."""
    result = sh(
        "rebut", day7, "ru-kherson --source Ukraine --stated-at 2022-03-03 --unit people", ok=False
    )
    assert result.exit_code == 2
    assert "describe --value" in result.stderr


# -- errors -----------------------------------------------------------------------


def test_a_malformed_records_file_changes_nothing(day7, tmp_path):
    """A bad record exits 2 with one line naming file, line and field; nothing is imported."""
    before = run("head", day7).stdout
    bad = tmp_path / "bad.jsonl"
    good = {"type": "claim", "subject": "a.b", "value": 1, "source": "A", "stated_at": "2022-03"}
    wrong = {**good, "subject": "a.c", "stated_at": "2022-13-01"}
    bad.write_text(f"{json.dumps(good)}\n\n{json.dumps(wrong)}\n")
    result = run("import", day7, bad, ok=False)
    assert_one_line_error(result, f"{bad}:3", "'stated_at'")
    assert run("head", day7).stdout == before


def test_a_records_file_that_is_not_json(db, tmp_path):
    """A line that is not JSON is reported with its file and line."""
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{nope\n")
    assert_one_line_error(run("import", db, bad, ok=False), f"{bad}:1", "not valid JSON")


def test_a_missing_records_file(db, tmp_path):
    """A records file that does not exist is an input error."""
    assert_one_line_error(run("import", db, tmp_path / "none.jsonl", ok=False), "cannot read")


def test_rebutting_your_own_claim_is_refused(day7):
    """A rule violation by hand exits 2 with the rule's message and appends nothing."""
    before = run("head", day7).stdout
    result = sh(
        "rebut",
        day7,
        "ru-mod-killed --source 'Russian Defence Ministry' --stated-at 2022-03-03",
        ok=False,
    )
    assert_one_line_error(result, "cannot rebut its own claim 'ru-mod-killed'")
    assert run("head", day7).stdout == before


def test_referring_to_a_missing_record(day7):
    """A reference to a record the ledger does not hold exits 2."""
    result = run("retract", day7, "nope", "--stated-at", "2022-03-03", ok=False)
    assert_one_line_error(result, "no record 'nope'")


@pytest.mark.parametrize(
    "args",
    [
        ["state"],
        ["history", "x.y"],
        ["verify"],
        ["head"],
        ["export"],
        ["revise", "a1", "1", "--stated-at", "2022"],
        ["corroborate", "a1", "--source", "B", "--stated-at", "2022"],
    ],
)
def test_commands_on_a_missing_path_create_nothing(tmp_path, args):
    """Read commands and references on a missing path exit 2 and create no file."""
    path = tmp_path / "missing.db"
    result = run(args[0], path, *args[1:], ok=False)
    assert_one_line_error(result, "no ledger here")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["import", "{bad}"], "field 'subject': is required in a claim record"),
        (["import", "{missing}"], "missing.jsonl: cannot read: No such file or directory"),
        (
            ["claim", "Not A Subject!", "5", "--source", "A", "--stated-at", "2022"],
            "is not a dotted lowercase key",
        ),
    ],
)
@pytest.mark.parametrize("before", ["missing", "empty file"])
def test_a_refused_first_write_leaves_the_path_as_it_was(tmp_path, args, error, before):
    """import and claim create their ledger, and remove it again when the write is refused."""
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"type": "claim", "id": "c1"}\n')
    path = tmp_path / "new.db"
    if before == "empty file":
        path.touch()
    args = [a.format(bad=bad, missing=tmp_path / "missing.jsonl") for a in args]
    result = run(args[0], path, *args[1:], ok=False)
    assert_one_line_error(result, error)
    if before == "missing":
        assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.jsonl"]
    else:
        assert path.stat().st_size == 0
        assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.jsonl", "new.db"]


def test_a_refused_import_into_a_ledger_keeps_it(day7, tmp_path):
    """An import refused by a ledger that was there before leaves it, and its events, alone."""
    before = run("head", day7).stdout
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"type": "claim", "id": "c1"}\n')
    assert_one_line_error(run("import", day7, bad, ok=False), "field 'subject': is required")
    assert run("head", day7).stdout == before


@pytest.mark.parametrize("option", ["--at", "--known-at", "--valid-at"])
def test_a_bad_time_is_a_usage_error(day7, option):
    """A time option that is not ISO 8601 exits 2 and names the option."""
    result = run("state", day7, option, "2022-13-01", ok=False)
    assert result.exit_code == 2
    assert f"Invalid value for '{option}'" in result.stderr
    assert "not an ISO 8601 time: '2022-13-01'" in result.stderr


def test_a_multi_line_message_is_printed_on_one_line(db, monkeypatch):
    """An error message with line breaks still prints as one line."""

    def explode(_self):
        raise LedgerError("first\nsecond")

    monkeypatch.setattr(Ledger, "head", explode)
    assert_one_line_error(run("head", db, ok=False), "first second")


def test_main_exits_with_the_status(day7, capsys):
    """`main` runs the command line and exits with its status."""
    with pytest.raises(SystemExit) as exit_info:
        main(["head", str(day7)])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("17:")


def test_cleared_fields_read_as_a_dash():
    """A corrected field that was cleared, or never set, reads as a dash."""
    assert output._field_text(None) == "\N{EM DASH}"


# -- a real process ----------------------------------------------------------------


def test_python_dash_m_ledger(tmp_path):
    """`python -m ledger` imports, verifies and reports errors as one line with exit 2."""
    path = tmp_path / "ledger.db"

    def ledger(*args):
        return subprocess.run(
            [sys.executable, "-m", "ledger", *map(str, args)],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )

    done = ledger("import", path, DAY7)
    assert done.returncode == 0, done.stderr
    assert "events appended:  17" in done.stdout
    done = ledger("verify", path)
    assert done.returncode == 0
    assert done.stdout.startswith("OK: 17 events")
    done = ledger("state", tmp_path / "missing.db")
    assert done.returncode == 2
    assert done.stderr.startswith("Error: ")
    assert len(done.stderr.splitlines()) == 1


def test_rebuild_changes_no_answer(day7):
    """`ledger rebuild` recomputes the spans from the events; state and head stay the same."""
    before = run("state", day7, "--at", "2022-03-02", "--format", "json").stdout
    head = run("head", day7).stdout
    result = run("rebuild", day7)
    assert result.exit_code == 0
    assert "rebuilt the spans of" in result.stdout
    assert run("state", day7, "--at", "2022-03-02", "--format", "json").stdout == before
    assert run("head", day7).stdout == head
