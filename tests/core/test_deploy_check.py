"""`leadbook check --deploy` is clean with production settings: debug off, HTTPS site
address, the host allowed, a secret key (given, or generated in the data directory).

Settings are read once, from the environment, when Django starts, so each check runs in a
fresh `leadbook` process with the environment an operator would set."""

import os
import secrets
import subprocess
import sys

import pytest

PRODUCTION = {
    "LEADBOOK_DEBUG": "false",
    "LEADBOOK_SITE_URL": "https://leads.example.com",
    "LEADBOOK_ALLOWED_HOSTS": "leads.example.com",
}


def deploy_check(tmp_path, **env: str) -> subprocess.CompletedProcess:
    """`leadbook check --deploy --fail-level WARNING` with only the operator's variables."""
    environment = {k: v for k, v in os.environ.items()
                   if not k.startswith(("LEADBOOK_", "DJANGO_")) and k != "DATABASE_URL"}
    environment.update(LEADBOOK_DATA_DIR=str(tmp_path), **env)
    return subprocess.run(
        [sys.executable, "-m", "leadbook.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=environment, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("secret_key", ["given", "generated"])
def test_deploy_check_is_clean_with_production_settings(tmp_path, secret_key):
    env = dict(PRODUCTION)
    if secret_key == "given":
        env["LEADBOOK_SECRET_KEY"] = secrets.token_urlsafe(50)
    result = deploy_check(tmp_path, **env)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout + result.stderr


def test_deploy_check_is_clean_behind_a_tls_proxy(tmp_path):
    result = deploy_check(tmp_path, **PRODUCTION, LEADBOOK_BEHIND_PROXY="true",
                          LEADBOOK_SSL_REDIRECT="false")
    assert result.returncode == 0, result.stderr


def test_deploy_check_complains_about_debug_and_plain_http(tmp_path):
    """The check above can fail: debug on, or no HTTPS, is reported."""
    result = deploy_check(tmp_path, **{**PRODUCTION, "LEADBOOK_DEBUG": "true"})
    assert result.returncode != 0 and "security.W018" in result.stderr
    result = deploy_check(tmp_path, **{**PRODUCTION,
                                       "LEADBOOK_SITE_URL": "http://leads.example.com"})
    assert result.returncode != 0 and "SESSION_COOKIE_SECURE" in result.stderr


def test_a_weak_secret_key_is_reported(tmp_path):
    result = deploy_check(tmp_path, **PRODUCTION, LEADBOOK_SECRET_KEY="changeme")
    assert result.returncode != 0 and "security.W009" in result.stderr
