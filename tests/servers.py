"""Helpers for tests that run Leadbook as its users do: a fresh install's environment, the
`leadbook` command in a subprocess, and a real `leadbook serve` (gunicorn + worker) on a free
loopback port.

Waits are generous: the CI machine is small and busy, and a server that needs 20 s to start
there is slow, not broken.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

STARTUP_SECONDS = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def site_env(data_dir: Path, *, sqlite: bool = False, **extra: str) -> dict[str, str]:
    """The environment of a fresh install with its data in `data_dir`: SQLite there, or (when
    the suite runs on PostgreSQL and `sqlite` is not forced) a new, empty PostgreSQL database.
    Not migrated: `leadbook serve` migrates, or call `leadbook(env, "migrate")`."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(LEADBOOK_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="leadbook.settings",
               **extra)
    database_url = os.environ.get("DATABASE_URL")
    if sqlite or not database_url:
        env.pop("DATABASE_URL", None)
        return env
    import psycopg

    name = f"site_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_database_url(database_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    env["DATABASE_URL"] = database_url.rsplit("/", 1)[0] + f"/{name}"
    return env


def admin_database_url(database_url: str) -> str:
    """The cluster's `postgres` database, beside the one `database_url` names."""
    return database_url.rsplit("/", 1)[0] + "/postgres"


def leadbook(env: dict, *args: str, timeout: float = 180) -> str:
    """Run `leadbook ARGS` and return its output; fail the test when it fails."""
    result = subprocess.run([sys.executable, "-m", "leadbook.cli", *args], env=env,
                            capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stderr
    return result.stdout


def wait_until_up(base: str, process: subprocess.Popen | None = None,
                  seconds: float = STARTUP_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            pytest.fail(f"the server stopped while starting (exit code {process.returncode})")
        try:
            urllib.request.urlopen(base + "/healthz", timeout=2)
            return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"the server did not answer within {seconds:.0f} s")


class Server(str):
    """The base URL of a running server ("http://127.0.0.1:PORT"), which also knows its
    `leadbook serve` process."""

    process: subprocess.Popen

    def __new__(cls, url: str, process: subprocess.Popen) -> Server:
        server = super().__new__(cls, url)
        server.process = process
        return server

    def descendants(self) -> list[int]:
        """The process ids under `leadbook serve` (gunicorn's master and workers, the task
        worker), read from /proc."""
        children: dict[int, list[int]] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        found, todo = [], [self.process.pid]
        while todo:
            for child in children.get(todo.pop(), []):
                found.append(child)
                todo.append(child)
        return found


@contextlib.contextmanager
def running_server(env: dict, workers: int = 1, *, threads: int | None = None,
                   log: Path | None = None) -> Iterator[Server]:
    """`leadbook serve` with `env` on a free port; yields its base URL (a `Server`). With
    `log`, the server's output (gunicorn's access log, the worker's, any traceback) goes to
    that file."""
    port = free_port()
    command = [sys.executable, "-m", "leadbook.cli", "serve", "--port", str(port),
               "--workers", str(workers)]
    if threads is not None:
        command += ["--threads", str(threads)]
    output = log.open("w") if log is not None else None
    process = subprocess.Popen(
        command, env=env, stdout=output or subprocess.DEVNULL,
        stderr=subprocess.STDOUT if output else subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, process)
        yield Server(base, process)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        if output is not None:
            output.close()
