"""
Verify a long log on several cores.

Every link of the chain can be checked on its own (`ledger.integrity.verify_segment`),
so the log is cut into one segment per job and each is walked in a process
of its own, reading the ledger file through its own connection. The parent
only reads the hash before each segment and stitches the reports: the log
holds when every segment holds and they leave no gap, and otherwise the
first failing segment says where.

Workers are fresh interpreters that call `_worker`, not forks, so nothing of
the caller's process, threads or ``__main__`` is copied or run again. They
import it rather than run it with ``-m``: the package imports this module,
and ``-m`` would run it a second time as ``__main__``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from ledger import codec
from ledger.errors import StoreError
from ledger.integrity import VerifyReport, verify, verify_segment
from ledger.stores import GENESIS_HASH, Head, SqliteStore

__all__ = ["verify_parallel"]

_WORKER = "import sys; from ledger._parallel import _worker; _worker(sys.argv[1:])"


def _segments(size: int, jobs: int) -> list[tuple[int, int]]:
    """Return ``(after, count)`` of *jobs* segments covering ``1..size``."""
    step, extra = divmod(size, jobs)
    segments, after = [], 0
    for job in range(jobs):
        count = step + (1 if job < extra else 0)
        segments.append((after, count))
        after += count
    return [s for s in segments if s[1] > 0]


def _report(data: dict[str, object]) -> VerifyReport:
    failed_at = data["failed_at"]
    reason = data["reason"]
    return VerifyReport(
        ok=bool(data["ok"]),
        size=int(str(data["size"])),
        head=bytes.fromhex(str(data["head"])),
        failed_at=None if failed_at is None else int(str(failed_at)),
        reason=None if reason is None else str(reason),
    )


def verify_parallel(store: SqliteStore, jobs: int, against: Head | None = None) -> VerifyReport:
    """
    Verify *store*'s log in *jobs* processes at once; the same report as `verify`.

    Raises:
        StoreError: A worker could not open or read the ledger file.
    """
    if against is not None and against.size == 0:
        return verify(store.read_raw(), against)  # nothing to share out
    size = store.head().size
    segments = _segments(size, jobs)
    # The hash each segment starts from is the stored hash of the event before
    # it, which the segment before checks: together they check every link.
    prevs: list[bytes] = []
    for after, _ in segments:
        if after == 0:
            prevs.append(GENESIS_HASH)
            continue
        before = next(store.read_raw(after - 1), None)
        if before is None or before.seq != after:
            return verify(store.read_raw(), against)  # a gap: walk it in order to name it
        prevs.append(before.hash)
    package = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([package, os.environ.get("PYTHONPATH", "")])}
    with tempfile.TemporaryDirectory(prefix="ledger-verify-") as tmp:
        running = []
        for index, ((after, count), prev) in enumerate(zip(segments, prevs, strict=True)):
            out = Path(tmp) / f"{index}.json"
            args = [store.path, str(after), str(count), prev.hex(), str(out)]
            if against is not None:
                args.append(str(against))
            running.append(
                (
                    out,
                    subprocess.Popen(  # noqa: S603 - our own module, with our own arguments
                        [sys.executable, "-c", _WORKER, *args],
                        env=env,
                        stderr=subprocess.PIPE,
                    ),
                )
            )
        reports = []
        for out, process in running:
            _, err = process.communicate()
            if process.returncode != 0:
                message = err.decode("utf-8", "replace").strip().splitlines()
                raise StoreError(f"a verify worker failed: {message[-1] if message else '?'}")
            data = codec.loads(out.read_bytes())
            if not isinstance(data, dict):  # pragma: no cover - our own worker wrote it
                raise TypeError(data)
            reports.append(_report(data))
    return _stitch(segments, reports, size, against)


def _stitch(
    segments: list[tuple[int, int]],
    reports: list[VerifyReport],
    size: int,
    against: Head | None,
) -> VerifyReport:
    head = GENESIS_HASH
    for (after, count), report in zip(segments, reports, strict=True):
        if not report.ok:
            return report
        if report.size != after + count:
            return VerifyReport(
                ok=False,
                size=report.size,
                head=report.head,
                failed_at=report.size + 1,
                reason=f"event {report.size + 1} is missing",
            )
        head = report.head
    if against is not None and size < against.size:
        return VerifyReport(
            ok=False,
            size=size,
            head=head,
            failed_at=size + 1,
            reason=f"log holds {size} events, fewer than checkpoint {against}",
        )
    return VerifyReport(ok=True, size=size, head=head)


def _worker(argv: list[str]) -> None:
    path, after, count, prev, out, *rest = argv
    against = None
    if rest:
        checkpoint_size, checkpoint_hash = rest[0].split(":")
        against = Head(int(checkpoint_size), bytes.fromhex(checkpoint_hash))
    store = SqliteStore(path, create=False)
    try:
        rows = store.read_rows(int(after), int(count))
        report = verify_segment(rows, after=int(after), prev=bytes.fromhex(prev), against=against)
    finally:
        store.close()
    Path(out).write_bytes(
        codec.dumps(
            {
                "ok": report.ok,
                "size": report.size,
                "head": report.head.hex(),
                "failed_at": report.failed_at,
                "reason": report.reason,
            }
        )
    )
