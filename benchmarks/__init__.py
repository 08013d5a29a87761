"""
Benchmarks for the ledger: ``python -m benchmarks --events N``.

See ``docs/performance.md`` for what is measured, how, and against which
targets. The package is not installed with the ledger; run it from the
repository root with the ledger (and, for the peer, the ``bench`` extra)
installed.
"""
