"""Fault and load tests run Leadbook the way it runs in production, in other processes: a
fresh install (SQLite in a data directory, or a new PostgreSQL database when the suite runs on
PostgreSQL), `leadbook serve` or the task worker, and the database read directly to check
what was written."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.servers import leadbook, site_env

ADMIN, PASSWORD = "dana", "long-password-42-for-tests"

MAKE_ADMIN = f"""
from leadbook.accounts.models import User
from leadbook.accounts.services import create_api_token
user = User.objects.create_user({ADMIN!r}, {ADMIN + "@example.com"!r}, {PASSWORD!r},
                                role="admin")
print(create_api_token(user=user, name="tests")[1])
"""


def make_admin(env: dict) -> str:
    """Add the admin `dana` (PASSWORD) to a migrated site; returns an API token of hers."""
    return leadbook(env, "shell", "-c", MAKE_ADMIN).strip().splitlines()[-1]


def query(env: dict) -> Callable[..., list[tuple]]:
    """A function running SQL on the site's database, straight (not through Leadbook):
    query("SELECT ... WHERE x = %s", [value]) -> rows. Placeholders are %s on both."""

    def run(sql: str, params: list | tuple = ()) -> list[tuple]:
        if env.get("DATABASE_URL"):
            import psycopg

            with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
                cursor = conn.execute(sql, params)
                return cursor.fetchall() if cursor.description else []
        conn = sqlite3.connect(Path(env["LEADBOOK_DATA_DIR"]) / "leadbook.sqlite3", timeout=30,
                               isolation_level=None)  # autocommit
        try:
            return conn.execute(sql.replace("%s", "?"), params).fetchall()
        finally:
            conn.close()

    return run


@pytest.fixture
def site(tmp_path) -> dict:
    """A migrated fresh install, on the suite's database (SQLite or PostgreSQL)."""
    env = site_env(tmp_path / "data")
    leadbook(env, "migrate", "-v0")
    return env


@pytest.fixture
def on_postgresql() -> bool:
    return bool(os.environ.get("DATABASE_URL"))
