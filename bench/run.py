"""`make bench`: seed demo leads, run each benchmark, on SQLite and on PostgreSQL.

    python -m bench.run [--leads 100000] [--db sqlite,postgres] [--repeat 30] [--only table,...]
    BENCH_LEADS=1000000 make bench          # the 1M run (see docs/performance.md)

Each database runs in its own child process (Django reads DATABASE_URL once), against a
fresh data directory, and for PostgreSQL a throwaway cluster started for the run. With
`--data-dir DIR` (BENCH_DATA_DIR) the data directory is DIR and is kept: the first run seeds
it, later runs reuse its leads (no seeding: at 1M leads that saves half an hour). For
PostgreSQL the cluster then lives in DIR/pgdata: made (initdb) only if missing, started for
the run, stopped (not removed) afterwards:

    python -m bench.run --db postgres --leads 1000000 --only table,api --data-dir /tmp/pg1m

Each run writes bench/results/<db>-<leads>.json and .md (a partial run, `--only table`,
merges into them: the other parts stay, each with the time it was measured); then
bench/results.md (and the same as bench/results/results.md, with every run's JSON gathered
in bench/results/results.json) is regenerated from all the runs in bench/results/, so a 1M
run adds to a 100k one instead of replacing it.
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
import time

from bench.common import RESULTS, ROOT, machine, postgres_cluster

SUMMARY = ROOT / "bench" / "results.md"
TARGET_P95_MS = 50
BENCHMARKS = ("table", "api", "importing", "capture", "dashboard")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=int(os.environ.get("BENCH_LEADS", 100_000)))
    parser.add_argument("--db", default=os.environ.get("BENCH_DB", "sqlite,postgres"),
                        help="sqlite, postgres or both (comma-separated)")
    parser.add_argument("--repeat", type=int, default=int(os.environ.get("BENCH_REPEAT", 30)))
    parser.add_argument("--only", default=os.environ.get("BENCH_ONLY", ""))
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: run in this process
    parser.add_argument("--data-dir", default=os.environ.get("BENCH_DATA_DIR", ""),
                        help="reuse this data directory (and for PostgreSQL the cluster in "
                             "DIR/pgdata): seed only if it has no leads yet; kept afterwards")
    parser.add_argument("--summary-only", action="store_true",
                        help="only regenerate bench/results.md from bench/results/*.json")
    args = parser.parse_args()
    if args.one:
        run_one(args.one, args.leads, args.repeat, args.only, args.data_dir or None)
        return
    if not args.summary_only:
        for db in [d.strip() for d in args.db.split(",") if d.strip()]:
            command = [sys.executable, "-m", "bench.run", "--one", db, "--leads",
                       str(args.leads), "--repeat", str(args.repeat), "--only", args.only]
            if args.data_dir:
                command += ["--data-dir", args.data_dir]
            print(f"== {db}, {args.leads:,} leads ==", flush=True)
            if db == "postgres":
                cluster_dir = os.path.join(args.data_dir, "pgdata") if args.data_dir else None
                with postgres_cluster(directory=cluster_dir) as url:
                    subprocess.run(command, check=True, env={**os.environ, "DATABASE_URL": url})
            elif db == "sqlite":
                env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
                subprocess.run(command, check=True, env=env)
            else:
                raise SystemExit(f"Unknown database {db!r}: sqlite or postgres.")
    write_summary()
    print(SUMMARY.read_text())


def run_one(db: str, leads: int, repeat: int, only: str, data_dir: str | None) -> None:
    import shutil

    from bench.common import setup_django

    keep = data_dir is not None
    data_dir = setup_django(data_dir)
    from django.db import connection

    from leadbook.accounts.models import User
    from leadbook.leads.demo import seed_demo
    from leadbook.leads.models import Lead

    stem = f"{db}-{leads}"
    wanted = {name.strip() for name in only.split(",") if name.strip()} or set(BENCHMARKS)
    previous = RESULTS / f"{stem}.json"
    if keep and Lead.all_objects.exists():
        leads = Lead.all_objects.count()
        seed = json.loads(previous.read_text())["seed"] if previous.exists() else {
            "seconds": None, "leads_per_second": None, "note": "reused data directory"}
        print(f"reusing {data_dir} with {leads:,} leads", flush=True)
    else:
        for name in ("dana", "sam", "priya"):
            User.objects.create_user(username=name, password="bench-password-42",
                                     role="admin" if name == "dana" else "member")
        print(f"seeding {leads:,} leads into {data_dir}...", flush=True)
        started, cpu = time.perf_counter(), time.process_time()
        seed_demo(leads, seed=1)
        seed_seconds = time.perf_counter() - started
        seed = {"seconds": round(seed_seconds, 1),
                "leads_per_second": round(leads / seed_seconds),
                "main_process_cpu_seconds": round(time.process_time() - cpu, 1)}
        print(f"seeded in {seed['seconds']} s ({seed['leads_per_second']:,}/s)", flush=True)

    from bench import api, capture, dashboard, importing, table

    runners = {"table": table.run, "api": api.run, "importing": importing.run,
               "capture": capture.run, "dashboard": dashboard.run}
    when = datetime.datetime.now().isoformat(timespec="seconds")
    results = {
        "when": when, "machine": machine(), "leads": leads, "seed": seed,
        "database": connection.vendor, "database_version": _db_version(connection),
        "repeat": repeat, "benchmarks": {}, "measured": {},
    }
    if previous.exists():
        # A partial run (--only) replaces only the parts it measures; the others stay,
        # with the time they were measured.
        old = json.loads(previous.read_text())
        for name, data in old.get("benchmarks", {}).items():
            if name not in wanted:
                results["benchmarks"][name] = data
                results["measured"][name] = old.get("measured", {}).get(name, old.get("when"))
    RESULTS.mkdir(parents=True, exist_ok=True)
    for name in BENCHMARKS:
        if name not in wanted:
            continue
        print(f"running {name}...", flush=True)
        started = time.perf_counter()
        try:
            results["benchmarks"][name] = runners[name](data_dir, leads, repeat)
        except Exception as e:  # keep what the other benchmarks measured
            results["benchmarks"][name] = {"error": f"{type(e).__name__}: {e}"[:500]}
            print(f"  {name} failed: {e}", flush=True)
        results["measured"][name] = when
        print(f"  {name} took {time.perf_counter() - started:.0f} s", flush=True)
        # Written after every benchmark, so a failure late in a long run loses nothing.
        results["machine"]["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
        results["benchmarks"] = {key: results["benchmarks"][key] for key in
                                 sorted(results["benchmarks"], key=_benchmark_order)}
        (RESULTS / f"{stem}.json").write_text(json.dumps(results, indent=2))
        (RESULTS / f"{stem}.md").write_text("\n".join(run_md(results)))
    if not keep:
        shutil.rmtree(data_dir, ignore_errors=True)


def _benchmark_order(name: str) -> int:
    return BENCHMARKS.index(name) if name in BENCHMARKS else len(BENCHMARKS)


def _db_version(connection) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sqlite_version()")
            return "SQLite " + cursor.fetchone()[0]
        cursor.execute("SHOW server_version")
        return "PostgreSQL " + cursor.fetchone()[0]


# --- Reports ---------------------------------------------------------------------------------


def run_md(results: dict) -> list[str]:
    lines = [f"# {results['database_version']}, {results['leads']:,} leads — "
             f"{results['when']}", "",
             f"Machine: {json.dumps(results['machine'])}", "",
             f"Seeded with `seed_demo` in {_seed_text(results['seed'])}. Each request repeated "
             f"{results['repeat']} times after 2 warm-up requests.", ""]
    for section, data in results["benchmarks"].items():
        measured = results.get("measured", {}).get(section)
        lines += [f"## {section}", ""]
        if measured and measured != results["when"]:
            lines += [f"Measured {measured} (kept from an earlier run).", ""]
        lines += _section_md(data)
        lines.append("")
    return lines


def _seed_text(seed: dict) -> str:
    if seed.get("seconds") is None:  # a reused data directory, seeded by an unrecorded run
        return f"? s ({seed.get('note', 'not recorded')})"
    return f"{seed['seconds']} s ({seed['leads_per_second']:,} leads/s)"


def _timed_groups(data: dict) -> dict:
    return {k: v for k, v in data.items() if isinstance(v, dict) and v and
            all(isinstance(x, dict) and "p50_ms" in x for x in v.values())}


def _section_md(data: dict) -> list[str]:
    lines = []
    timed = _timed_groups(data)
    for group, rows in timed.items():
        lines += [f"**{group}**", "", "| request | p50 ms | p95 ms | n |", "|---|---:|---:|---:|"]
        lines += [f"| {label} | {r['p50_ms']} | {r['p95_ms']} | {r['n']} |"
                  for label, r in rows.items()]
        lines.append("")
    for key, value in data.items():
        if key not in timed:
            lines.append(f"- **{key}**: {json.dumps(value)}")
    return lines


def _runs() -> list[dict]:
    runs = []
    for path in sorted(RESULTS.glob("*-*.json")):
        data = json.loads(path.read_text())
        if "database_version" in data:
            runs.append(data)
    runs.sort(key=lambda r: (r["leads"], r["database"]))
    return runs


def write_summary() -> None:
    """bench/results.md: the figures of every run side by side, against the targets."""
    runs = _runs()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "results.json").write_text(json.dumps(runs, indent=2))
    head = [f"{r['database']} {r['leads']:,}" for r in runs]
    lines = ["# Leadbook benchmarks", "",
             "p95 / p50 in ms over repeated requests (target: p95 ≤ "
             f"{TARGET_P95_MS} ms at 1M leads; ✗ marks a p95 over it). Shared 2-core machine: "
             "figures are medians of noisy runs, see docs/performance.md. Every run's detail "
             "is in bench/results/<db>-<leads>.md.", ""]
    if not runs:
        SUMMARY.write_text("\n".join([*lines, "No runs yet: `make bench`."]))
        return
    lines += ["| request | " + " | ".join(head) + " |",
              "|---|" + "---:|" * len(runs)]
    keys: list[tuple[str, str, str]] = []
    for r in runs:
        for section in ("table", "api"):
            for group, rows in _timed_groups(r["benchmarks"].get(section, {})).items():
                for label in rows:
                    if (section, group, label) not in keys:
                        keys.append((section, group, label))
    for section, group, label in keys:
        cells = []
        for r in runs:
            row = r["benchmarks"].get(section, {}).get(group, {}).get(label)
            if row is None:
                cells.append("—")
                continue
            mark = " ✗" if row["p95_ms"] > TARGET_P95_MS else ""
            cells.append(f"{row['p95_ms']:.0f} / {row['p50_ms']:.0f}{mark}")
        where = "server" if group == "server_side" else group
        lines.append(f"| {section} {label} ({where}) | " + " | ".join(cells) + " |")

    def cell(r: dict, *path: str, unit: str = "") -> str:
        value: object = r["benchmarks"]
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        return "—" if value is None else f"{value}{unit}"

    extra = [
        ("seed_demo (s)",
         lambda r: "?" if r["seed"].get("seconds") is None else
         f"{r['seed']['seconds']} ({r['seed']['leads_per_second']:,}/s)"),
        ("export all to CSV (s)", lambda r: cell(r, "table", "export", "seconds")),
        ("export peak private memory (MB)",
         lambda r: cell(r, "table", "export", "peak_private_mb")),
        ("export peak RSS, mapped file included (MB)",
         lambda r: cell(r, "table", "export", "peak_rss_mb")),
        ("import rows", lambda r: cell(r, "importing", "file", "rows")),
        ("import (s)", lambda r: cell(r, "importing", "import", "seconds")),
        ("import peak private memory (MB)",
         lambda r: cell(r, "importing", "import", "peak_private_mb")),
        ("import peak RSS, mapped file included (MB)",
         lambda r: cell(r, "importing", "import", "peak_rss_mb")),
        ("import check only (s)", lambda r: cell(r, "importing", "check_only", "seconds")),
        ("plain executemany of the same rows (s)",
         lambda r: cell(r, "importing", "plain_executemany_same_rows", "seconds")),
        ("load average before → after", lambda r: f"{r['machine'].get('load_average')} → "
                                                  f"{r['machine'].get('load_average_after')}"),
    ]
    for label, get in extra:
        lines.append(f"| {label} | " + " | ".join(get(r) for r in runs) + " |")
    lines += ["", "Runs: " + "; ".join(f"{r['database_version']} {r['leads']:,} leads at "
                                      f"{r['when']}" for r in runs), ""]
    text = "\n".join(lines)
    SUMMARY.write_text(text)
    (RESULTS / "results.md").write_text(text)


if __name__ == "__main__":
    main()
