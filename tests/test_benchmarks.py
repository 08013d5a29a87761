"""
Smoke tests for the benchmarks, ``python -m benchmarks`` (see docs/performance.md).

They run the whole command at a small size and check what it reports and
what it generates, never how fast anything was. The ``benchmarks`` folder is
not installed with the package, so the command runs from the repository root.
"""

import json
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import pytest

from ledger import Ledger

ROOT = Path(__file__).resolve().parent.parent
N = 300
HAS_PEER = find_spec("eventsourcing") is not None

METRICS = (
    "records",
    "events",
    "records_bytes",
    "generate_seconds",
    "import_seconds",
    "import_events_per_s",
    "import_records_per_s",
    "import_peak_rss_mb",
    "db_bytes",
    "wal_bytes",
    "size_ratio",
    "verify_events_per_s",
    "verify_jobs_events_per_s",
    "verify_peak_rss_mb",
    "one_subject_median_ms",
    "one_subject_p99_ms",
    "full_state_median_s",
    "valid_state_median_s",
    "known_state_median_s",
    "history_median_ms",
    "replay_events_per_s",
    "floor_insert_rows_per_s",
    "floor_scan_rows_per_s",
    "peer_append_events_per_s",
    "peer_read_decode_events_per_s",
    "import_vs_peer",
    "import_vs_floor",
    "replay_vs_peer",
    "one_subject_vs_10k",
)
PEER = {
    "peer_append_events_per_s",
    "peer_read_decode_events_per_s",
    "import_vs_peer",
    "replay_vs_peer",
}
ONLY_WITH_BASELINE = {"one_subject_vs_10k"}


def bench(*args, command="benchmarks"):
    return subprocess.run(
        [sys.executable, "-m", command, *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    args = ["--events", N, "--out", out, "--keep"]
    if not HAS_PEER:
        args.append("--skip-peer")
    done = bench(*args)
    return done, out


@pytest.fixture(scope="module")
def results(run):
    done, out = run
    assert done.returncode == 0, done.stderr
    return json.loads((out / f"results-{N}.json").read_text(encoding="utf-8"))


def test_exits_zero_and_prints_the_table(run):
    """The command exits 0 and prints the metrics and the targets."""
    done, _ = run
    assert done.returncode == 0, done.stderr
    assert f"ledger benchmarks at N = {N}" in done.stdout
    assert "targets (set for N = 1,000,000):" in done.stdout


def test_results_hold_every_metric(results):
    """The results file holds every metric, each measured unless it needs the peer or a baseline."""
    assert set(results["metrics"]) == set(METRICS)
    measured = set(METRICS) - ONLY_WITH_BASELINE - (set() if HAS_PEER else PEER)
    missing = sorted(key for key in measured if results["metrics"][key] is None)
    assert missing == []


def test_every_target_is_judged(results):
    """Each of the twelve targets is marked met, not met or not measured."""
    targets = results["targets"]
    assert len(targets) == 12
    for target in targets:
        assert target["metric"] in METRICS
        assert target["met"] in {True, False, None}


def test_import_counted_every_record(results):
    """The import read and stored every generated record, skipping none."""
    assert results["metrics"]["records"] == N
    assert results["meta"]["import"]["imported"] == N
    assert results["meta"]["import"]["skipped"] == 0
    assert results["metrics"]["events"] == results["meta"]["generated"]["events"]


def test_verify_and_replay_saw_every_event(results):
    """Verify held and replay folded every stored event."""
    events = results["metrics"]["events"]
    assert results["meta"]["verify"]["ok"] is True
    assert results["meta"]["verify"]["events"] == events
    assert results["meta"]["replay"]["events"] == events


@pytest.mark.skipif(not HAS_PEER, reason="the peer needs the bench extra (eventsourcing)")
def test_peer_appended_and_read_every_event(results):
    """The peer appended and read back as many events as the ledger stored."""
    events = results["metrics"]["events"]
    assert results["meta"]["peer"]["appended"] == events
    assert results["meta"]["peer"]["read"] == events


def test_generated_file_imports_without_refusal(results, tmp_path):
    """The generated file imports into an empty ledger without a refusal."""
    records = Path(results["meta"]["generated"]["path"])
    with Ledger.open(tmp_path / "again.db") as ledger:
        summary = ledger.import_records(records)
        assert summary.records == summary.imported == N
        assert ledger.verify().ok


def test_generated_file_has_the_promised_shape(results):
    """The file has the promised mix of records, subjects, sources and back-filled lines."""
    generated = results["meta"]["generated"]
    assert generated["types"] == {
        "claim": 60,
        "revision": 180,
        "rebuttal": 30,
        "corroboration": 15,
        "retraction": 6,
        "correction": 9,
    }
    assert generated["subjects"] == 10
    assert generated["sources"] == 5
    assert 0.05 <= generated["out_of_order_share"] <= 0.15


def test_generator_is_reproducible(tmp_path):
    """The same seed and size give the same bytes."""
    script = (
        "import sys; from benchmarks.generate import generate; "
        "generate(sys.argv[1], 500, seed=7); generate(sys.argv[2], 500, seed=7)"
    )
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    done = subprocess.run(
        [sys.executable, "-c", script, first, second],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert first.read_bytes() == second.read_bytes()


def test_refuses_a_tiny_size(tmp_path):
    """Fewer than ten records is a usage error."""
    done = bench("--events", 3, "--out", tmp_path, "--skip-peer")
    assert done.returncode == 2
    assert "--events must be at least 10" in done.stderr


def test_the_ceilings_command_builds_each_state_as_the_ledger_answers(tmp_path):
    """`benchmarks.ceilings` runs, its states from rows equal `Ledger.state`, it measures all."""
    args = ["--events", N, "--out", tmp_path]
    if not HAS_PEER:
        args.append("--skip-peer")
    done = bench(*args, command="benchmarks.ceilings")
    # It exits non-zero if the states built from rows differ at any cutoff.
    assert done.returncode == 0, done.stderr
    assert f"ceilings of the design at N = {N}" in done.stdout
    results = json.loads((tmp_path / f"ceilings-{N}.json").read_text(encoding="utf-8"))
    peer = {"peer_append_events_per_s", "peer_read_decode_events_per_s"}
    assert set(results) == {
        "records",
        "records_bytes",
        "events",
        "import_events_per_s",
        "import_without_spans_events_per_s",
        "claim_spans_without_refresh",
        "read_decode_events_per_s",
        "replay_events_per_s",
        "full_state_median_s",
        "full_state_from_rows_median_s",
        "events_table_bytes",
        "events_index_bytes",
        "span_bytes",
        "floor_insert_rows_per_s",
    } | (peer if HAS_PEER else set())
    assert results["events"] > N  # counter-claims are events of their own
    assert results["claim_spans_without_refresh"] == 0  # that import really skipped the spans
    assert results["span_bytes"] > 0
    assert results["events_table_bytes"] > 0
    assert results["events_index_bytes"] > 0
