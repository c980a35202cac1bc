"""`leadbook backup` and `leadbook restore`, round trip, while a real server runs."""

import os
import subprocess
import sys
import urllib.request
import uuid

import pytest

from tests.core.test_serve import running_server

pytestmark = pytest.mark.server


@pytest.fixture
def site(tmp_path):
    """A fresh install's environment: SQLite in a data dir, or a new PostgreSQL database
    when the suite runs on PostgreSQL."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(LEADBOOK_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="leadbook.settings")
    database_url = os.environ.get("DATABASE_URL")
    if database_url:
        import psycopg

        name = f"backup_{uuid.uuid4().hex[:8]}"
        admin_url = database_url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = database_url.rsplit("/", 1)[0] + f"/{name}"
    leadbook(env, "migrate", "-v0")
    return env


def leadbook(env: dict, *args: str) -> str:
    result = subprocess.run([sys.executable, "-m", "leadbook.cli", *args], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def lead_count(env: dict) -> int:
    out = leadbook(env, "shell", "-c",
                   "from leadbook.leads.models import Lead; print(Lead.all_objects.count())")
    return int(out.strip().splitlines()[-1])


def test_backup_and_restore_round_trip_while_the_server_runs(site, tmp_path):
    leadbook(site, "seed_demo", "--leads", "120", "--seed", "1")
    backup = tmp_path / "leadbook.backup"
    with running_server(site) as base:
        leadbook(site, "backup", str(backup))
        assert backup.stat().st_size > 0
        leadbook(site, "seed_demo", "--leads", "30")
        assert lead_count(site) == 150
        leadbook(site, "restore", "--yes", str(backup))
        assert lead_count(site) == 120
        with urllib.request.urlopen(base + "/healthz") as response:  # the server carries on
            assert response.status == 200


def test_restore_refuses_a_file_that_is_not_a_backup(site, tmp_path):
    bogus = tmp_path / "bogus.backup"
    bogus.write_bytes(b"not a database" * 100)
    result = subprocess.run([sys.executable, "-m", "leadbook.cli", "restore", "--yes",
                             str(bogus)], env=site, capture_output=True, text=True)
    assert result.returncode != 0
    assert "not" in result.stderr and "Traceback" not in result.stderr
