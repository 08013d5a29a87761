"""
The PostgreSQL server the tests run against, found through LEDGER_TEST_POSTGRES.

``.ci/run`` starts a throwaway server and sets the variable. Without it the
PostgreSQL tests are skipped, except under ``CI=true``, where a missing server
is a failure: CI must test both engines. Each ledger gets a fresh schema of
its own (``search_path`` set in its URL), dropped after the test.
"""

import os
import uuid
from importlib.util import find_spec

import pytest

ENV = "LEDGER_TEST_POSTGRES"

_per_test: list[str] = []
_per_session: list[str] = []


def configured():
    """Return whether a server is configured and psycopg is installed."""
    return bool(os.environ.get(ENV)) and find_spec("psycopg") is not None


def url():
    """Return the server's URL; skip the test when there is none, or fail it under CI."""
    if configured():
        return os.environ[ENV]
    if not os.environ.get(ENV):
        reason = f"{ENV} is unset: no PostgreSQL server to test against (.ci/run starts one)"
    else:
        reason = "psycopg is not installed: pip install -e '.[test,postgres]'"
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"under CI a PostgreSQL test must run: {reason}", pytrace=False)
    pytest.skip(reason)
    raise AssertionError  # pragma: no cover - skip raises


def _admin():
    import psycopg  # noqa: PLC0415 - only when a server is configured

    return psycopg.connect(url(), autocommit=True)


def new_url(*, keep_for_session=False):
    """Create an empty schema and return a URL whose ledger lives in it."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    with _admin() as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    (_per_session if keep_for_session else _per_test).append(name)
    base = url()
    return f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{name}"


def _drop(names):
    if names:
        with _admin() as conn:
            for name in names:
                conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
        names.clear()


def drop_test_schemas():
    """Drop the schemas the test that just ended made."""
    _drop(_per_test)


def drop_session_schemas():
    """Drop the schemas kept for the whole session."""
    _drop(_per_session)
