"""
Following the log: `Ledger.follow`, `ProjectionRunner`, checkpoints and ``ledger tail``.

The last part runs processes together: a writer appending claims while
followers (``ledger tail --follow`` and Python followers and a runner) follow
it, some killed with SIGKILL midway and started again from where they were.
"""

import functools
import itertools
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pg
from ledger import (
    CheckpointError,
    Head,
    Ledger,
    MemoryCheckpoint,
    ProjectionRunner,
    SqliteCheckpoint,
    SqliteStore,
    ValidationError,
    cli,
    codec,
)
from ledger.follow import follow, follow_raw
from ledger.output import raw_event_json
from ledger.stores import GENESIS_HASH

DAY7 = Path(__file__).parent.parent / "examples" / "day7.jsonl"
WORKERS = Path(__file__).parent / "workers"
DEADLINE = 120.0  # seconds; only to turn a hang into a failure, never a timing check
FRESH_FILES = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
_files = itertools.count()


def claims(ledger, count, start=0):
    """Append *count* claims with ids ``c<n>``, one transaction each; return their ids."""
    ids = [f"c{n}" for n in range(start, start + count)]
    for n, rid in enumerate(ids, start=start):
        ledger.claim(
            f"follow.s{n % 3}", n, source=f"Source {n % 2}", stated_at="2022-03-02", id=rid
        )
    return ids


class EventIds:
    """The ids folded, in order: any loss, repeat or reordering shows."""

    def initial(self):
        return ()

    def apply(self, state, event):
        return (*state, event.event_id)


class CountByType:
    """How many events of each type: a state of another shape for the converter."""

    def initial(self):
        return {}

    def apply(self, state, event):
        return {**state, event.type: state.get(event.type, 0) + 1}


def saved_as(checkpoint):
    """A checkpoint's position as ``SIZE:HASH`` and its state, or ``(None, None)``."""
    saved = checkpoint.load()
    return (None, ()) if saved is None else (str(saved[0]), saved[1])


def fold(projection, events):
    return functools.reduce(projection.apply, events, projection.initial())


@pytest.fixture
def day7():
    ledger = Ledger.memory()
    ledger.import_records(DAY7)
    return ledger


# -- following ---------------------------------------------------------------------


def test_without_waiting_follow_yields_exactly_the_events_after(day7):
    """With wait=False, follow yields what events() yields after any position, then ends."""
    size = day7.head().size
    for after in range(size + 3):
        followed = list(day7.follow(after, wait=False))
        assert followed == list(day7.events(after))
        assert [e.seq for e in followed] == list(range(after + 1, size + 1))


def test_follow_raw_yields_the_raw_events(day7):
    """follow_raw yields the stored events undecoded, the same ones read_raw gives."""
    assert list(follow_raw(day7.store, 5, wait=False)) == list(day7.store.read_raw(5))


@pytest.mark.parametrize(("after", "poll"), [(-1, 0.5), (True, 0.5), ("3", 0.5), (0, 0), (0, -1)])
def test_bad_options_are_refused_at_once(day7, after, poll):
    """A negative or non-integer position, or a poll not above 0, is refused before any read."""
    with pytest.raises(ValidationError, match=r"^(after|poll): "):
        day7.follow(after, poll=poll)


def test_a_set_stop_event_yields_nothing(day7):
    """A follower whose stop event is already set yields nothing, even from a full log."""
    stop = threading.Event()
    stop.set()
    assert list(day7.follow(stop=stop)) == []


def test_a_stop_condition_is_checked_before_every_event(day7):
    """A stop callable that turns true after k events ends the follower after exactly k."""
    seen = []
    for stored in day7.follow(stop=lambda: len(seen) >= 5):
        seen.append(stored.seq)  # noqa: PERF401 - the stop condition reads the list as it grows
    assert seen == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("backend", ["memory", "sqlite-file"])
def test_a_follower_sees_another_threads_appends_in_order(tmp_path, backend):
    """A follower in one thread yields exactly the events another thread appends, in order."""
    if backend == "memory":
        writer = reader = Ledger.memory()
    else:
        writer = Ledger.open(tmp_path / "l.db")
        reader = Ledger.open(tmp_path / "l.db", create=False)
    count = 60
    thread = threading.Thread(target=lambda: claims(writer, count))
    deadline = time.monotonic() + DEADLINE
    seen = []
    thread.start()
    try:
        for stored in reader.follow(poll=0.05, stop=lambda: time.monotonic() > deadline):
            seen.append(stored)
            if len(seen) == count:
                break
    finally:
        thread.join()
    assert [e.event_id for e in seen] == [f"c{n}" for n in range(count)]
    assert [e.seq for e in seen] == list(range(1, count + 1))
    writer.close()
    reader.close()


def test_a_quiet_follower_stops_when_its_event_is_set(tmp_path):
    """A follower waiting on a quiet log ends once another thread sets its stop event."""
    ledger = Ledger.open(tmp_path / "l.db")
    claims(ledger, 2)
    stop = threading.Event()
    timer = threading.Timer(0.2, stop.set)
    timer.start()
    assert [e.seq for e in ledger.follow(poll=0.05, stop=stop)] == [1, 2]
    timer.join()


@pytest.mark.parametrize("backend", ["memory", "sqlite-file"])
def test_wait_wakes_for_another_writer_and_otherwise_times_out(tmp_path, backend):
    """Memory and SQLite wait: false on a quiet log, true once another writer appends."""
    if backend == "memory":
        writer = reader = Ledger.memory()
    else:
        writer = Ledger.open(tmp_path / "l.db")
        reader = Ledger.open(tmp_path / "l.db", create=False)
    claims(writer, 1)
    assert reader.store.wait(1, 0.02) is False
    timer = threading.Timer(0.05, claims, (writer, 1, 1))
    timer.start()
    assert reader.store.wait(1, DEADLINE) is True
    timer.join()
    assert reader.head().size == 2


class Jumbled:
    """
    A store whose reads misbehave as a server's might: repeats, gaps and short pages.

    Every read starts one event early and yields at most four events; the
    first read from each position also holds back the event after it, as if
    its transaction were not visible yet. Its wait always says nothing came.
    """

    def __init__(self, inner):
        self.inner = inner
        self.reads = []

    def read(self, after=0):
        first_time = after not in self.reads
        self.reads.append(after)
        events = self.inner.read(max(after - 1, 0))
        return iter([e for e in events if not (first_time and e.seq == after + 1)][:4])

    def wait(self, after, timeout):
        del after, timeout
        return False


def test_a_gap_is_waited_out_and_repeats_are_dropped(day7):
    """Events past a gap are held back until it fills; events read again are not yielded again."""
    store = Jumbled(day7.store)
    followed = [e.seq for e in follow(store, 0, poll=0.001, stop=lambda: len(store.reads) > 100)]
    assert followed == list(range(1, day7.head().size + 1))


def test_without_waiting_a_gap_ends_the_follower(day7):
    """With wait=False, a follower that meets a gap ends before it rather than skip it."""
    store = Jumbled(day7.store)
    assert list(follow(store, 3, wait=False)) == []


# -- the runner ----------------------------------------------------------------------


class Crash(Exception):  # noqa: N818 - stands for a kill, not an error of the code under test
    """A simulated kill -9."""


class Clock:
    """Counts the steps a run takes and crashes at the chosen ones."""

    def __init__(self, crashes):
        self.crashes = set(crashes)
        self.tick = 0

    def step(self):
        self.tick += 1
        if self.tick in self.crashes:
            raise Crash(self.tick)


class CrashingProjection:
    def __init__(self, inner, clock):
        self.inner, self.clock = inner, clock

    def initial(self):
        return self.inner.initial()

    def apply(self, state, event):
        self.clock.step()
        return self.inner.apply(state, event)


class CrashingCheckpoint:
    """Crashes just before a save, or just after it committed."""

    def __init__(self, inner, clock):
        self.inner, self.clock = inner, clock

    def load(self):
        return self.inner.load()

    def save(self, position, state):
        self.clock.step()
        self.inner.save(position, state)
        self.clock.step()


@FRESH_FILES
@given(
    chunks=st.lists(st.integers(min_value=0, max_value=8), min_size=1, max_size=4),
    crashes=st.lists(st.integers(min_value=1, max_value=80), max_size=6),
    save_every=st.integers(min_value=1, max_value=5),
)
def test_a_runner_killed_anywhere_ends_with_the_uninterrupted_fold(
    tmp_path, chunks, crashes, save_every
):
    """Crashing a runner at any step and restarting it as the log grows folds each event once."""
    ledger = Ledger.memory()
    checkpoint = SqliteCheckpoint(
        tmp_path / f"{next(_files)}.db", "ids", state_type=tuple[str, ...]
    )
    clock = Clock(crashes)
    start = 0
    for count in chunks:
        claims(ledger, count, start)
        start += count
        while True:
            runner = ProjectionRunner(
                ledger.store,
                CrashingProjection(EventIds(), clock),
                CrashingCheckpoint(checkpoint, clock),
                save_every=save_every,
            )
            try:
                state = runner.run()
            except Crash:
                continue
            break
        assert state == fold(EventIds(), ledger.events())
        assert saved_as(checkpoint) == (str(ledger.head()) if start else None, state)
    checkpoint.close()


def test_a_runner_resumes_from_its_checkpoint_and_reads_only_what_is_new(day7):
    """A second run folds only the events appended since the first one saved."""
    checkpoint = MemoryCheckpoint()
    first = ProjectionRunner(day7.store, CountByType(), checkpoint).run()
    assert first == fold(CountByType(), day7.events())
    claims(day7, 3)
    applied = []

    class Watching(CountByType):
        def apply(self, state, event):
            applied.append(event.seq)
            return super().apply(state, event)

    second = ProjectionRunner(day7.store, Watching(), checkpoint).run()
    assert applied == [18, 19, 20]
    assert second == fold(CountByType(), day7.events())


def test_a_waiting_runner_keeps_up_until_stopped(tmp_path):
    """A runner with wait=True folds what another thread appends, and saves it when stopped."""
    ledger = Ledger.open(tmp_path / "l.db")
    checkpoint = MemoryCheckpoint()
    reader = SqliteStore(tmp_path / "l.db", create=False)
    runner = ProjectionRunner(reader, EventIds(), checkpoint, save_every=4)
    deadline = time.monotonic() + DEADLINE

    def done():
        saved = checkpoint.load()
        return time.monotonic() > deadline or (saved is not None and saved[0].size == 25)

    thread = threading.Thread(target=lambda: claims(ledger, 25))
    thread.start()
    state = runner.run(wait=True, poll=0.05, stop=done)
    thread.join()
    assert state == tuple(f"c{n}" for n in range(25))
    assert saved_as(checkpoint) == (str(ledger.head()), state)
    reader.close()


def test_a_checkpoint_at_the_start_folds_everything(day7):
    """A checkpoint saved at position 0 (by hand) resumes from the first event."""
    checkpoint = MemoryCheckpoint()
    checkpoint.save(Head(0, GENESIS_HASH), ("before",))
    state = ProjectionRunner(day7.store, EventIds(), checkpoint).run()
    assert state == ("before", *fold(EventIds(), day7.events()))


def test_save_every_must_be_positive(day7):
    """A runner that would never save is refused."""
    with pytest.raises(ValidationError, match="save_every"):
        ProjectionRunner(day7.store, EventIds(), MemoryCheckpoint(), save_every=0)


def test_a_checkpoint_from_another_ledger_is_refused(day7):
    """A checkpoint saved from one ledger cannot resume over another, longer or shorter."""
    checkpoint = MemoryCheckpoint()
    ProjectionRunner(day7.store, EventIds(), checkpoint).run()
    for other_size in (3, 30):
        other = Ledger.memory()
        claims(other, other_size)
        with pytest.raises(CheckpointError, match="not part of this ledger"):
            ProjectionRunner(other.store, EventIds(), checkpoint).run()


# -- the SQLite checkpoint ------------------------------------------------------------


def test_sqlite_checkpoint_round_trips_through_the_converter(tmp_path, day7):
    """A state saved by one SqliteCheckpoint loads in another, with its position."""
    path = tmp_path / "model.db"
    first = SqliteCheckpoint(path, "counts", state_type=dict[str, int])
    state = ProjectionRunner(day7.store, CountByType(), first).run()
    first.close()
    second = SqliteCheckpoint(path, "counts", state_type=dict[str, int])
    assert saved_as(second) == (str(day7.head()), state)
    assert SqliteCheckpoint(path, "other", state_type=dict[str, int]).load() is None
    second.close()


def test_sqlite_checkpoint_takes_your_own_encoding(tmp_path):
    """With encode and decode, the state is stored as the bytes you chose."""
    path = tmp_path / "model.db"
    checkpoint = SqliteCheckpoint(path, "n", encode=lambda n: str(n).encode(), decode=int)
    ledger = Ledger.memory()
    claims(ledger, 1)
    checkpoint.save(ledger.head(), 41)
    assert saved_as(checkpoint) == (str(ledger.head()), 41)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT state FROM ledger_checkpoints").fetchone() == (b"41",)
    checkpoint.close()


def test_sqlite_checkpoint_needs_a_way_back(tmp_path):
    """A checkpoint that could not read its state back is refused at once."""
    with pytest.raises(ValidationError, match="state_type or decode"):
        SqliteCheckpoint(tmp_path / "model.db", "n")


def test_sqlite_checkpoint_stays_out_of_the_ledger_file(tmp_path):
    """The ledger's own file is refused as a checkpoint file, and left untouched."""
    path = tmp_path / "ledger.db"
    Ledger.open(path).close()
    before = path.read_bytes()
    with pytest.raises(ValidationError, match="a file of their own"):
        SqliteCheckpoint(path, "n", state_type=int)
    assert path.read_bytes() == before


def test_unreadable_checkpoints_raise_checkpoint_errors(tmp_path):
    """A state that no longer reads back, or a file that is not SQLite, raises CheckpointError."""
    path = tmp_path / "model.db"
    ledger = Ledger.memory()
    claims(ledger, 1)
    SqliteCheckpoint(path, "n", state_type=str).save(ledger.head(), "text")
    with pytest.raises(CheckpointError, match="cannot be read back"):
        SqliteCheckpoint(path, "n", state_type=dict[str, int]).load()
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all, " * 100)
    with pytest.raises(CheckpointError, match=r"junk\.db"):
        SqliteCheckpoint(junk, "n", state_type=int)
    with pytest.raises(CheckpointError, match="folder"):
        SqliteCheckpoint(tmp_path / "no" / "such" / "folder.db", "n", state_type=int)


def test_sqlite_checkpoint_errors_while_reading_or_saving(tmp_path):
    """A checkpoint whose table has gone raises CheckpointError on load and on save."""
    path = tmp_path / "model.db"
    checkpoint = SqliteCheckpoint(path, "n", state_type=int)
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE ledger_checkpoints")
    ledger = Ledger.memory()
    claims(ledger, 1)
    with pytest.raises(CheckpointError, match="cannot read"):
        checkpoint.load()
    with pytest.raises(CheckpointError, match="cannot save"):
        checkpoint.save(ledger.head(), 1)
    checkpoint.close()


# -- ledger tail ------------------------------------------------------------------------


def invoke(*args):
    return CliRunner().invoke(cli.cli, [str(a) for a in args])


@pytest.fixture
def day7_db(tmp_path):
    path = tmp_path / "day7.db"
    assert invoke("import", path, DAY7).exit_code == 0
    return path


def test_tail_json_is_export_events(day7_db):
    """ledger tail --format json prints exactly the lines of export --events, from any position."""
    exported = invoke("export", day7_db, "--events").stdout_bytes.splitlines(keepends=True)
    assert invoke("tail", day7_db, "--format", "json").stdout_bytes == b"".join(exported)
    tail = invoke("tail", day7_db, "--after", "15", "--format", "json")
    assert tail.stdout_bytes == b"".join(exported[15:])


def test_tail_table_prints_one_line_per_event(day7_db):
    """The table format prints seq, recorded time, type, id and subject, one event a line."""
    lines = invoke("tail", day7_db, "--after", "10").stdout.splitlines()
    with Ledger.open(day7_db, create=False) as ledger:
        events = list(ledger.events(10))
    assert len(lines) == len(events)
    for line, stored in zip(lines, events, strict=True):
        seq, recorded, kind, rid, subject = line.split()
        assert (int(seq), kind, rid, subject) == (
            stored.seq,
            stored.type,
            stored.event_id,
            stored.subject,
        )
        assert recorded == str(stored.recorded_at)


def test_tail_refuses_bad_input_in_one_line(tmp_path, day7_db):
    """A missing ledger or a negative --after exits 2 with one line, creating nothing."""
    missing = invoke("tail", tmp_path / "missing.db")
    assert missing.exit_code == 2
    assert missing.stderr.startswith("Error: ")
    assert "missing.db" in missing.stderr
    assert not (tmp_path / "missing.db").exists()
    assert invoke("tail", day7_db, "--after", "-1").exit_code == 2


def test_tail_follow_ends_cleanly_on_sigint(day7_db):
    """ledger tail --follow stops at SIGINT (Ctrl-C) with status 0, having printed the log."""
    tail = subprocess.Popen(
        [sys.executable, "-m", "ledger", "tail", str(day7_db), "--follow", "--after", "14"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    # The signal handlers are in place before the first line is printed.
    lines = [tail.stdout.readline() for _ in range(3)]
    tail.send_signal(signal.SIGINT)
    out, err = tail.communicate(timeout=DEADLINE)
    assert tail.returncode == 0, err
    assert err == b""
    assert out == b""
    assert [line.split()[0] for line in lines] == [b"15", b"16", b"17"]


def test_tail_into_a_closed_pipe_exits_quietly(tmp_path):
    """ledger tail | head: when the reader goes away, tail stops with status 0 and says nothing."""
    path = tmp_path / "big.db"
    with Ledger.open(path) as ledger, ledger.store.transaction():
        claims(ledger, 400)
    for follow_flag in ([], ["--follow"]):
        tail = subprocess.Popen(
            [sys.executable, "-m", "ledger", "tail", str(path), "--format", "json", *follow_flag],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert tail.stdout.readline().startswith(b'{"data"')
        tail.stdout.close()
        assert tail.wait(timeout=DEADLINE) == 0
        assert tail.stderr.read() == b""
        tail.stderr.close()


# -- processes: a writer and followers running together ---------------------------------


class Child:
    """A child process whose output lines are collected by a thread."""

    def __init__(self, *args):
        self.process = subprocess.Popen(
            [sys.executable, *map(str, args)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ},
        )
        self.lines = []  # complete lines only: a kill may cut the last one
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.process.stdout:
            if line.endswith(b"\n"):
                self.lines.append(line)

    def events(self):
        """The ``[seq, id]`` pairs printed so far, from JSON lines of either shape."""
        pairs = []
        for line in list(self.lines):
            if line.startswith((b"{", b"[")):
                data = json.loads(line)
                pairs.append(
                    tuple(data) if isinstance(data, list) else (data["seq"], data["event_id"])
                )
        return pairs

    def kill(self):
        self.process.kill()
        self.process.wait()
        self._reader.join()

    def stop(self):
        """SIGTERM, and the exit status."""
        self.process.send_signal(signal.SIGTERM)
        status = self.process.wait(timeout=DEADLINE)
        self._reader.join()
        self.stderr = self.process.stderr.read().decode()
        return status


COUNT = 150
KILL_AFTER = 30


class Followed:
    """
    One writer and five followers on one ledger, and what each of them printed.

    ``tail`` and ``follow`` run throughout; the ``-killed`` ones are killed
    with SIGKILL once they have shown `KILL_AFTER` events and started again
    from where they were: ``--after`` the last seq printed, or the checkpoint.
    """

    def __init__(self, folder, engine):
        # On PostgreSQL the followers wait on LISTEN/NOTIFY; on SQLite they poll.
        self.path = (
            folder / "ledger.db" if engine == "sqlite" else pg.new_url(keep_for_session=True)
        )
        Ledger.open(self.path).close()
        model = folder / "model.db"
        self.checkpoint = SqliteCheckpoint(model, "ids", state_type=tuple[str, ...])
        tail = ("-m", "ledger", "tail", self.path, "--follow", "--format", "json")
        reader = (WORKERS / "follow_reader.py",)
        self.starts = {
            "tail": lambda after: Child(*tail, "--after", after),
            "tail-killed": lambda after: Child(*tail, "--after", after),
            "follow": lambda after: Child(*reader, "follow", self.path, after),
            "follow-killed": lambda after: Child(*reader, "follow", self.path, after),
            "runner-killed": lambda _: Child(*reader, "run", self.path, model),
        }
        self.runs = {name: [start(0)] for name, start in self.starts.items()}
        self.writer = Child(WORKERS / "follow_writer.py", self.path, COUNT, 7)
        self.at_kill = {}  # follower name -> events it had shown when it was killed
        self.statuses = {}  # follower name -> exit status at SIGTERM
        self.stderrs = {}

    def pairs(self, name):
        return [pair for child in self.runs[name] for pair in child.events()]

    def lines(self, name):
        return [line for child in self.runs[name] for line in child.lines if line.startswith(b"{")]

    def seen(self, name):
        """How many events a follower has shown: printed, or saved in its checkpoint."""
        if name.startswith("runner"):
            saved = self.checkpoint.load()
            return 0 if saved is None else saved[0].size
        return len(self.pairs(name))

    def kill_and_restart(self, name):
        self.runs[name][-1].kill()
        self.at_kill[name] = self.seen(name)
        last = self.pairs(name)[-1][0] if not name.startswith("runner") else 0
        self.runs[name].append(self.starts[name](last))

    def step(self):
        """Kill whom it is time to kill, let the writer go on after; return whether all is done."""
        for name in self.starts:
            due = name.endswith("-killed") and name not in self.at_kill
            if due and self.seen(name) >= KILL_AFTER:
                self.kill_and_restart(name)
        stdin = self.writer.process.stdin
        if len(self.at_kill) == 3 and b"HALF\n" in self.writer.lines and not stdin.closed:
            # Only now may the writer go on: every kill landed while the log grew.
            stdin.write(b"GO\n")
            stdin.close()
        done = self.writer.process.poll() is not None
        return done and all(self.seen(name) >= COUNT for name in self.starts)

    def stop_all(self):
        for name in self.starts:
            child = self.runs[name][-1]
            self.statuses[name] = child.stop()
            self.stderrs[name] = child.stderr

    def kill_all(self):
        for child in [self.writer, *(c for runs in self.runs.values() for c in runs)]:
            if child.process.poll() is None:
                child.kill()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def followed(request, tmp_path_factory):
    out = Followed(tmp_path_factory.mktemp("follow"), request.param)
    deadline = time.monotonic() + DEADLINE
    try:
        while not out.step() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert out.writer.process.wait(timeout=1) == 0, out.writer.process.stderr.read()
        out.stop_all()
    finally:
        out.kill_all()
    out.written = out.writer.events()
    out.saved = saved_as(out.checkpoint)
    out.checkpoint.close()
    with Ledger.open(out.path, create=False) as ledger:
        out.stored = [(e.seq, e.event_id) for e in ledger.events()]
        out.exported = [
            codec.dumps_exact(raw_event_json(r)) + b"\n" for r in ledger.store.read_raw()
        ]
        out.head = ledger.head()
    return out


def test_the_writer_stored_what_it_was_told(followed):
    """The ledger holds exactly the events the writer was told it stored, in its order."""
    assert len(followed.written) == COUNT
    assert followed.stored == followed.written


@pytest.mark.parametrize("name", ["follow", "follow-killed"])
def test_python_followers_end_with_exactly_the_writers_events(followed, name):
    """Ledger.follow killed midway and resumed or not, yields each event once."""
    assert followed.pairs(name) == followed.written


@pytest.mark.parametrize("name", ["tail", "tail-killed"])
def test_tail_followers_print_exactly_the_log(followed, name):
    """ledger tail --follow, killed midway and resumed or not, prints each event once."""
    assert followed.lines(name) == followed.exported


def test_the_killed_followers_were_restarted(followed):
    """Each killed follower ran twice, its first run cut off midway (the writer waits for it)."""
    for name in ("tail-killed", "follow-killed", "runner-killed"):
        first, second = followed.runs[name]
        assert KILL_AFTER <= followed.at_kill[name] < COUNT
        assert first.process.returncode == -signal.SIGKILL
        assert second.process.returncode == 0


def test_a_killed_runner_resumes_to_exactly_the_writers_events(followed):
    """The runner's read model, across a kill -9 and a restart, folded each event once, in order."""
    assert followed.saved == (str(followed.head), tuple(rid for _, rid in followed.written))


def test_followers_stop_cleanly_on_sigterm(followed):
    """Every follower exits 0 at SIGTERM, with nothing on standard error."""
    assert followed.statuses == dict.fromkeys(followed.statuses, 0)
    assert followed.stderrs == dict.fromkeys(followed.stderrs, "")


def test_follower_output_is_whole_lines(followed):
    """Every line a follower printed (the killed runs' too) is a whole JSON object or marker."""
    for runs in followed.runs.values():
        for child in runs:
            for line in child.lines:
                assert line in {b"READY\n", b"STOPPED\n"} or json.loads(line)
