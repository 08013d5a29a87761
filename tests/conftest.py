"""Shared test set-up: the Hypothesis profiles, the PostgreSQL schemas' clean-up, the day-7 file."""

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

import pg
from ledger import Ledger

settings.register_profile("default", max_examples=100, deadline=None)
settings.register_profile(
    "ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=25, deadline=None)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "default")
)


@pytest.fixture(autouse=True)
def _drop_postgres_schemas():
    """Drop every PostgreSQL schema a test made, once it ends."""
    yield
    pg.drop_test_schemas()


@pytest.fixture(autouse=True, scope="session")
def _drop_session_postgres_schemas():
    """Drop the PostgreSQL schemas module-wide fixtures made, at the end of the run."""
    yield
    pg.drop_session_schemas()


@pytest.fixture(scope="module")
def day7_file(tmp_path_factory):
    """An SQLite ledger file holding the day-7 example, shared by a module's tests."""
    path = tmp_path_factory.mktemp("day7") / "day7.db"
    with Ledger.open(path) as ledger:
        ledger.import_records(Path(__file__).resolve().parent.parent / "examples" / "day7.jsonl")
    return path
