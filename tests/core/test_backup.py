"""`leadbook backup` and `leadbook restore`, round trip, while a real server runs."""

import subprocess
import sys
import urllib.request

import pytest

from tests.servers import leadbook, running_server, site_env

pytestmark = pytest.mark.server


@pytest.fixture
def site(tmp_path):
    """A fresh install's environment: SQLite in a data dir, or a new PostgreSQL database
    when the suite runs on PostgreSQL."""
    env = site_env(tmp_path)
    leadbook(env, "migrate", "-v0")
    return env


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
