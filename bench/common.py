"""Helpers shared by the benchmarks: a data directory and PostgreSQL cluster (throwaway, or
kept for re-runs), timing, a real server, child processes' time and peak memory."""

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
        # `serve` migrates and checks the search index first: at a million leads on a
        # busy machine that takes a while.
        deadline = time.monotonic() + 600
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2)
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the server did not start") from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


def _status_kb(pid: int, key: str, file: str = "status") -> int:
    """A figure in kB from /proc/PID/status (or another file of the same layout)."""
    try:
        with open(f"/proc/{pid}/{file}") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _tree_private_kb(processes: list[int]) -> int:
    """The private memory of a process and its descendants: the sum of their Pss_Anon, so
    that pages a forked worker still shares with its parent count once. A process alone has
    no one to share them with: its RssAnon, from a file that costs nothing to read. Reading
    smaps_rollup walks every page the process maps (64 ms for an export mapping 3 GB of
    the book) and took a core's half from what it measured."""
    if len(processes) == 1:
        return _status_kb(processes[0], "RssAnon")
    return sum(_status_kb(p, "Pss_Anon", "smaps_rollup") for p in processes)


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/task/{current}/children") as f:
                children = [int(c) for c in f.read().split()]
        except OSError:
            children = []
        found += children
        todo += children
    return found


def timed_child(command: list[str], env: dict | None = None) -> dict:
    """Run `command` to completion: its wall time, output and memory, read from /proc every
    50 ms: `peak_rss_mb`, the command's own high-water mark (VmHWM), and `peak_tree_rss_mb`,
    the most that it and its child processes (an importer's workers) held at once; and the
    same for private memory (`peak_private_mb`: RssAnon, what the process allocated;
    `peak_tree_private_mb`: the sum of Pss_Anon, so that pages a forked worker still shares
    with its parent count once, not once per process). RSS also counts the pages of the
    SQLite file the processes read through its memory map (settings: mmap_size), which are
    the OS's page cache, shared and given back under pressure: reading a 1 GB book once
    "holds" 1 GB of RSS.

    Not getrusage/wait4's ru_maxrss: on Linux it counts the pages the child shared with this
    (big) benchmark process between fork and exec, so every child would seem to need as
    much memory as the benchmark itself."""
    import threading

    started = time.perf_counter()
    peak = {"own": 0, "tree": 0, "own_private": 0, "tree_private": 0}
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=err, text=True)

        def watch() -> None:
            while process.poll() is None:
                peak["own"] = max(peak["own"], _status_kb(process.pid, "VmHWM"))
                processes = [process.pid, *_descendants(process.pid)]
                tree = sum(_status_kb(p, "VmRSS") for p in processes)
                peak["tree"] = max(peak["tree"], tree)
                peak["own_private"] = max(peak["own_private"],
                                          _status_kb(process.pid, "RssAnon"))
                peak["tree_private"] = max(peak["tree_private"], _tree_private_kb(processes))
                time.sleep(0.05)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        process.wait()
        watcher.join()
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if process.returncode:
        raise RuntimeError(f"{command} failed ({process.returncode}): {stderr[-2000:]}")
    return {"seconds": seconds, "stdout": stdout,
            **{f"peak_{name}_mb": round(peak[key] / 1024, 1) for name, key in [
                ("rss", "own"), ("tree_rss", "tree"), ("private", "own_private"),
                ("tree_private", "tree_private")]}}


def machine() -> dict:
    import platform
    import sqlite3

    info = {"python": platform.python_version(), "cpus": os.cpu_count(),
            "platform": platform.platform(), "sqlite": sqlite3.sqlite_version,
            "load_average": [round(x, 2) for x in os.getloadavg()]}
    try:
        with open("/proc/meminfo") as f:
            info["memory_gb"] = round(int(f.readline().split()[1]) / 1024 ** 2, 1)
    except OSError:
        pass
    return info


def pg_bin(name: str) -> str:
    import glob

    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise SystemExit(f"PostgreSQL's {name} is missing: apt-get install postgresql")
    return found[-1]


@contextmanager
def postgres_cluster(settings: dict | None = None, directory: str | None = None):
    """A PostgreSQL cluster on 127.0.0.1 (like tests/pg_cluster.py, but with fsync on: the
    benchmarks write a million rows and should pay what a server pays) with a `leadbook`
    database in it; yields its DATABASE_URL.

    Throwaway (a temporary directory, removed afterwards) unless `directory` is given: then
    the cluster lives in `directory` (its data in directory/data, its log in directory/log),
    is made (initdb) only if missing, started for the run, and stopped but kept afterwards,
    so a re-run finds the leads it seeded."""
    import shutil

    import psycopg

    from tests.pg_cluster import _as_cluster_owner

    keep = directory is not None
    if directory is not None:
        os.makedirs(directory, exist_ok=True)
        workdir = os.path.abspath(directory)
    else:
        workdir = tempfile.mkdtemp(prefix="leadbook-bench-pg-")
    datadir = os.path.join(workdir, "data")
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres", "postgres")
    port = free_port()
    pg_ctl = pg_bin("pg_ctl")
    settings = {"shared_buffers": "512MB", "work_mem": "16MB", "max_wal_size": "4GB",
                **(settings or {})}
    options = " ".join([f"-c listen_addresses=127.0.0.1 -p {port} -k {workdir}",
                        *(f"-c {k}={v}" for k, v in settings.items())])
    try:
        if not os.path.exists(os.path.join(datadir, "PG_VERSION")):
            subprocess.run(_as_cluster_owner([
                pg_bin("initdb"), "-D", datadir, "-U", "postgres", "--auth=trust",
                "--encoding=UTF8", "--no-sync"]), check=True, stdout=subprocess.DEVNULL)
        subprocess.run(_as_cluster_owner([
            pg_ctl, "-D", datadir, "-o", options, "-l", os.path.join(workdir, "log"), "-w",
            "start"]), check=True, stdout=subprocess.DEVNULL)
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres",
                             autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = 'leadbook'"
                                ).fetchone():
                conn.execute("CREATE DATABASE leadbook")
        yield f"postgres://postgres@127.0.0.1:{port}/leadbook"
    finally:
        subprocess.run(_as_cluster_owner([pg_ctl, "-D", datadir, "-m", "fast", "stop"]),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
