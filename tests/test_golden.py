"""Schema evolution: events stored by today's version still load, verify and project alike."""

import json
import shlex
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from ledger import Ledger, cli, codec
from ledger.backup import read_events
from ledger.output import state_json
from ledger.stores import MemoryStore

# Written once by tests/golden/make_golden.py and committed; never regenerated.
GOLDEN = Path(__file__).parent / "golden"
EVENTS = GOLDEN / "day7-events-v1.jsonl"
STATES = GOLDEN / "day7-state-v1.json"
V1_TYPES = {
    "ClaimAsserted",
    "ClaimRevised",
    "ClaimRebutted",
    "ClaimRetracted",
    "ClaimCorroborated",
    "EntryCorrected",
}


def run(*args):
    result = CliRunner().invoke(cli.cli, [str(a) for a in args])
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return result.stdout


def exact(text):
    return json.loads(text, parse_float=Decimal)


def golden_states():
    return exact(STATES.read_text(encoding="utf-8"))


def assert_holds(actual, golden, where="state"):
    """Check that *actual* holds all of *golden*: keys may be added, never lost or changed."""
    if isinstance(golden, dict):
        assert isinstance(actual, dict), where
        for key, value in golden.items():
            assert key in actual, f"{where}.{key} is gone"
            assert_holds(actual[key], value, f"{where}.{key}")
    elif isinstance(golden, list):
        assert isinstance(actual, list), where
        assert len(actual) == len(golden), where
        for i, (got, value) in enumerate(zip(actual, golden, strict=True)):
            assert_holds(got, value, f"{where}[{i}]")
    else:
        assert actual == golden, where


@pytest.fixture(scope="module")
def restored(tmp_path_factory):
    """Return a ledger file restored from the golden events with `ledger restore`."""
    db = tmp_path_factory.mktemp("golden") / "ledger.db"
    run("restore", db, EVENTS)
    return db


def test_the_golden_events_cover_every_event_type():
    """The golden log holds every event type of schema version 1, and several of the common ones."""
    types = [json.loads(line)["type"] for line in EVENTS.read_text().splitlines()]
    assert set(types) == V1_TYPES
    assert len(types) == 24


def test_the_golden_events_restore_with_their_hashes(restored):
    """The golden events restore and verify, and the head is the last golden hash."""
    last = json.loads(EVENTS.read_text().splitlines()[-1])
    checkpoint = f"24:{last['hash']}"
    assert run("head", restored).strip() == checkpoint
    assert run("verify", restored, "--against", checkpoint).startswith("OK: 24 events")


def test_the_restored_golden_log_exports_byte_for_byte(restored):
    """Exporting the restored golden log gives back the golden file, byte for byte."""
    result = CliRunner().invoke(cli.cli, ["export", str(restored), "--events"])
    assert result.stdout_bytes == EVENTS.read_bytes()


@pytest.mark.parametrize("command", golden_states(), ids=str)
def test_the_golden_log_projects_to_the_golden_state(restored, command):
    """`state --format json` of the restored golden log holds the golden state at each cut-off."""
    args = shlex.split(command)[1:]
    actual = exact(run("state", restored, "--format", "json", *args))
    assert_holds(actual, golden_states()[command])


OPTIONS = {
    "--at": "at",
    "--known-at": "known_at",
    "--valid-at": "valid_at",
    "--subject": "subjects",
}


@pytest.mark.parametrize("command", golden_states(), ids=str)
def test_the_golden_log_projects_alike_in_memory(command):
    """Read into a memory store, the golden log projects to the golden state too."""
    store = MemoryStore()
    for raw in read_events(EVENTS.read_bytes().splitlines(), str(EVENTS)):
        store.append_raw([raw])
    words = shlex.split(command)[1:]
    options = {OPTIONS[k]: v for k, v in zip(words[::2], words[1::2], strict=True)}
    state = Ledger(store).state(**options)
    assert_holds(exact(codec.dumps_exact(state_json(state))), golden_states()[command])
