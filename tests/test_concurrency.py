"""
Concurrent writers: processes appending to one ledger at once lose and double nothing.

Four worker processes (``workers/append_worker.py``) append for a few seconds
to one SQLite file, and again to one PostgreSQL ledger: claims of their own,
and revisions and rebuttals of a few shared claims that all of them touch.
Each logs every append it was told succeeded and every error it caught; the
tests then hold the ledger to those logs.
"""

import itertools
import json
import logging
import os
import sqlite3
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import attrs
import pytest
import sqlite_utils

import pg
from ledger import (
    ConcurrencyError,
    Ledger,
    NotALedgerError,
    ReviseClaim,
    SqliteStore,
    StoreError,
    parse_stamp,
)
from ledger.values import Quantity

log = logging.getLogger(__name__)

WORKER = Path(__file__).parent / "workers" / "append_worker.py"
SECONDS = 3.0
MODES = ("execute", "execute", "no-retry", "stale")
SOURCES = ("Source 0", "Source 1", "Source 2", "Source 3")  # as in the worker
SHARED = [(f"shared-{n}", SOURCES[n % len(SOURCES)]) for n in range(8)]


@attrs.frozen
class Race:
    """The ledger the workers wrote, and what each of them logged."""

    path: Path | str
    outcomes: list[dict]

    def of(self, mode):
        return [o for o in self.outcomes if o["mode"] == mode]

    @property
    def told_stored(self):
        """Every event an append was told it stored: ``[id, seq, stream, version]``."""
        return [event for o in self.outcomes if o["ok"] for event in o["events"]]

    @property
    def errors(self):
        return [o for o in self.outcomes if not o["ok"]]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def race(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp("race")
    if request.param == "postgres":
        path = pg.new_url(keep_for_session=True)
    else:
        path = folder / "ledger.db"
    with Ledger.open(path) as ledger:
        for n, (claim, source) in enumerate(SHARED):
            ledger.claim(
                f"concurrency.shared.s{n}", 100, source=source, stated_at="2022-03-01", id=claim
            )
    shared = folder / "shared.json"
    shared.write_text(json.dumps(SHARED), encoding="utf-8")
    workers = []
    try:
        for n, mode in enumerate(MODES):
            logfile = folder / f"w{n}.jsonl"
            args = [path, shared, logfile, f"w{n}", mode, n, SECONDS]
            child = subprocess.Popen(
                [sys.executable, str(WORKER), *map(str, args)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env={**os.environ},  # the PYTHONPATH a local run may need
            )
            workers.append((child, logfile))
        for child, _ in workers:  # all open, then all go at once
            assert child.stdout.readline() == "READY\n", child.communicate()[1]
        for child, _ in workers:
            child.stdin.write("GO\n")
            child.stdin.flush()
        for child, _ in workers:
            out, err = child.communicate(timeout=60 + SECONDS)
            assert child.returncode == 0, err
            assert out == "DONE\n"
    finally:
        for child, _ in workers:
            if child.poll() is None:
                child.kill()
                child.wait()
    outcomes = [
        json.loads(line)
        for _, logfile in workers
        for line in logfile.read_text(encoding="utf-8").splitlines()
    ]
    race = Race(path, outcomes)
    for n, mode in enumerate(MODES):
        done = [o for o in outcomes if o["worker"] == f"w{n}"]
        log.info(
            "w%d (%s): %d appends told stored, errors %s",
            n,
            mode,
            sum(o["ok"] for o in done),
            dict(Counter(o["type"] for o in done if not o["ok"])),
        )
    return race


@pytest.fixture
def stored(race):
    with Ledger.open(race.path) as ledger:
        return list(ledger.events())


def test_every_append_a_writer_was_told_succeeded_is_stored_once_at_its_seq(race, stored):
    """Each event a writer was told it stored is in the log once, at the seq and version it got."""
    told = race.told_stored
    assert len(told) > len(SHARED)
    by_id = {e.event_id: e for e in stored}
    assert len(by_id) == len(stored)
    for event_id, seq, stream, version in told:
        got = by_id[event_id]
        assert (got.seq, got.stream, got.version) == (seq, stream, version), event_id
    # ... and nothing else is: no append that failed left anything behind.
    assert Counter(e[0] for e in told) == Counter(list(by_id)) - Counter(c for c, _ in SHARED)


def test_sequence_numbers_have_no_gaps(stored):
    """Sequence numbers run 1..N without a gap or a repeat."""
    assert [e.seq for e in stored] == list(range(1, len(stored) + 1))


def test_stream_versions_are_unique_and_gapless(stored):
    """Each stream's versions run 1..n without a gap or a repeat."""
    versions = defaultdict(list)
    for event in stored:
        versions[event.stream].append(event.version)
    for stream, seen in versions.items():
        assert seen == list(range(1, len(seen) + 1)), stream
    shared = [len(versions[claim]) for claim, _ in SHARED]
    assert sum(shared) > 2 * len(SHARED)  # the shared claims were really fought over


def test_the_log_verifies(race):
    """The hash chain the four writers built together verifies."""
    with Ledger.open(race.path) as ledger:
        report = ledger.verify()
    assert report.ok, str(report)


def test_the_writers_really_interleaved(race, stored):
    """The log alternates between writers many times, so they did append at once."""
    writer = {event[0]: o["worker"] for o in race.outcomes if o["ok"] for event in o["events"]}
    order = [writer[e.event_id] for e in stored if e.event_id in writer]
    switches = sum(a != b for a, b in itertools.pairwise(order))
    log.info("the writer changed %d times in %d events", switches, len(order))
    assert switches >= 4 * len(MODES)
    assert set(order) == {f"w{n}" for n in range(len(MODES))}


def test_no_writer_saw_a_raw_sqlite_error(race):
    """Every error a writer caught is a LedgerError, and none is a raw "database is locked"."""
    for error in race.errors:
        assert error["ledger_error"], error
        assert "database is locked" not in error["message"], error
        assert error["type"] == "ledger.errors.ConcurrencyError", error


def test_writers_with_retries_always_succeed(race):
    """Writers using `Ledger.execute` with the default retries never see an error."""
    assert race.of("execute")
    assert all(o["ok"] for o in race.of("execute"))


def test_writers_without_retries_lose_races_only_with_concurrency_error(race):
    """A writer with ``retries=0`` may lose a race, but only ever with ConcurrencyError."""
    outcomes = race.of("no-retry")
    assert any(o["ok"] for o in outcomes)
    assert {o["type"] for o in outcomes if not o["ok"]} <= {"ledger.errors.ConcurrencyError"}


def test_a_stale_version_raises_concurrency_error_and_execute_retries_it(race):
    """
    An append at versions another writer moved on raises ConcurrencyError; execute then succeeds.
    """
    outcomes = race.of("stale")
    stale = [o for o in outcomes if o.get("stale")]
    assert stale, "no other writer moved a stream while the stale writer waited"
    assert all(not o["ok"] and o["type"].endswith("ConcurrencyError") for o in stale)
    for lost, then in itertools.pairwise(outcomes):
        if not lost["ok"]:
            assert then["ok"], (lost, then)
            assert then["how"] == "retried", (lost, then)


class LosingStore:
    """A SQLite store whose first *losses* appends lose a race, as if another writer came first."""

    def __init__(self, path, losses):
        self.inner = SqliteStore(path)
        self.losses = losses
        self.appends = 0

    def append(self, *args, **kwargs):
        self.appends += 1
        if self.appends <= self.losses:
            raise ConcurrencyError("another writer appended to the same stream first")
        return self.inner.append(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.inner, name)


@pytest.mark.parametrize(("retries", "losses"), [(0, 1), (2, 2), (2, 3), (5, 5)])
def test_execute_decides_again_after_a_lost_race_up_to_retries_times(tmp_path, retries, losses):
    """`Ledger.execute` retries a lost race up to ``retries`` times, then lets it through."""
    path = tmp_path / "ledger.db"
    with Ledger.open(path) as ledger:
        ledger.claim("a.b", 1, source="A", stated_at="2022-03-01", id="c1")
    store = LosingStore(path, losses)
    command = ReviseClaim(
        id="r1", revises="c1", value=Quantity(amount=2), stated_at=parse_stamp("2022-03-02")
    )
    with Ledger(store, retries=retries) as ledger:
        if losses > retries:
            with pytest.raises(ConcurrencyError):
                ledger.execute(command)
            assert ledger.get("r1") is None
        else:
            (event,) = ledger.execute(command)
            assert (event.event_id, event.seq, event.version) == ("r1", 2, 2)
        assert store.appends == min(losses, retries) + 1
        assert ledger.verify().ok


# -- opening a ledger while another process creates or holds it ---------------------


def test_a_ledger_created_by_another_process_while_we_open_it_is_opened(tmp_path, monkeypatch):
    """A new ledger another process creates between our two first looks at the file is opened."""
    path = tmp_path / "ledger.db"
    table_names = sqlite_utils.Database.table_names

    def created_meanwhile(db, *args, **kwargs):
        # We read application_id 0 (a new file); now the other process wins.
        monkeypatch.undo()
        SqliteStore(path).close()
        return table_names(db, *args, **kwargs)

    monkeypatch.setattr(sqlite_utils.Database, "table_names", created_meanwhile)
    with Ledger.open(path) as ledger:
        assert ledger.head().size == 0


def test_a_ledger_file_locked_by_another_process_is_busy_not_foreign(tmp_path):
    """Opening a file another process holds locked raises StoreError, not NotALedgerError."""
    path = tmp_path / "ledger.db"
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")  # as while a process switches a new file to WAL
        with pytest.raises(StoreError) as caught:
            SqliteStore(path, busy_timeout=0.2)
    finally:
        other.close()
    assert not isinstance(caught.value, NotALedgerError), caught.value
    assert "database is locked" not in str(caught.value)
