"""`leadbook serve` as a new user runs it: a real gunicorn and worker on loopback."""

import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from tests.servers import NoRedirect, free_port, wait_until_up

pytestmark = pytest.mark.server


def test_serve_migrates_serves_pages_and_static_files_and_stops_cleanly(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(LEADBOOK_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="leadbook.settings")
    env.pop("DATABASE_URL", None)  # a new user's install: SQLite in the data directory
    process = subprocess.Popen(
        [sys.executable, "-m", "leadbook.cli", "serve", "--port", str(port), "--workers", "1"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, process)
        with urllib.request.urlopen(base + "/healthz", timeout=10) as response:
            assert response.read() == b'{"status": "ok"}'
        opener = urllib.request.build_opener(NoRedirect)
        with pytest.raises(urllib.error.HTTPError) as redirect:
            opener.open(base + "/")
        assert redirect.value.code == 302 and redirect.value.headers["Location"] == "/setup/"
        setup_page = urllib.request.urlopen(base + "/setup/").read().decode()
        css = re.search(r'href="(/static/bootstrap/css/bootstrap\.min\.[0-9a-f]+\.css)"',
                        setup_page)
        assert css, "static files are fingerprinted for long caching"
        with urllib.request.urlopen(base + css.group(1)) as response:
            assert response.status == 200 and "immutable" in response.headers["Cache-Control"]
        assert (tmp_path / "leadbook.sqlite3").exists() and (tmp_path / "secret_key").exists()
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "Starting worker" in output  # the background worker ran beside the web server
