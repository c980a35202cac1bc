"""Helpers shared by the benchmarks: a throwaway data directory, timing, a real server."""

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


def setup_django(data_dir: str | None = None) -> str:
    """Point Leadbook at a fresh data directory (SQLite unless DATABASE_URL is set) and
    migrate it. Returns the data directory."""
    data_dir = data_dir or tempfile.mkdtemp(prefix="leadbook-bench-")
    os.environ["LEADBOOK_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadbook.settings")
    os.environ.setdefault("LEADBOOK_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    return data_dir


def percentiles(samples_ms: list[float]) -> dict:
    ordered = sorted(samples_ms)
    p95_index = max(0, round(0.95 * len(ordered)) - 1)
    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[p95_index], 2),
        "n": len(ordered),
    }


def time_calls(call, repeat: int, warmup: int = 2) -> dict:
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return percentiles(samples)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_server(data_dir: str, workers: int = 2, extra_env: dict | None = None):
    """`leadbook serve` on a free port; yields its base URL."""
    port = free_port()
    env = {**os.environ, "LEADBOOK_DATA_DIR": data_dir, **(extra_env or {})}
    process = subprocess.Popen(
        [sys.executable, "-m", "leadbook.cli", "serve", "--port", str(port), "--workers",
         str(workers)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the server did not start")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


def machine() -> dict:
    import platform

    return {"python": platform.python_version(), "cpus": os.cpu_count(),
            "platform": platform.platform()}
