"""`make bench`: load demo leads, run each benchmark, write bench/results.json and .md.

    python -m bench.run [--leads 100000] [--repeat 30] [--only table,...]
"""

import argparse
import datetime
import json
import os
import time

from bench.common import RESULTS, machine, setup_django


def write_results(results: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "results.json").write_text(json.dumps(results, indent=2))
    lines = [f"# Leadbook benchmarks — {results['when']}", "",
             f"Machine: {results['machine']}", "",
             f"Leads: {results['leads']:,} (seeded in {results['seed_seconds']} s); "
             f"database: {results['database']}", ""]
    for section, data in results["benchmarks"].items():
        lines += [f"## {section}", ""]
        lines += _section_md(data)
        lines.append("")
    (RESULTS / "results.md").write_text("\n".join(lines))


def _section_md(data: dict) -> list[str]:
    lines = []
    timed = {k: v for k, v in data.items() if isinstance(v, dict) and
             all(isinstance(x, dict) and "p50_ms" in x for x in v.values())}
    for group, rows in timed.items():
        lines += [f"**{group}**", "", "| request | p50 ms | p95 ms | n |", "|---|---:|---:|---:|"]
        lines += [f"| {label} | {r['p50_ms']} | {r['p95_ms']} | {r['n']} |"
                  for label, r in rows.items()]
        lines.append("")
    for key, value in data.items():
        if key not in timed:
            lines.append(f"- **{key}**: {json.dumps(value)}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=int(os.environ.get("BENCH_LEADS", 100_000)))
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--only", default="")
    args = parser.parse_args()

    data_dir = setup_django()
    from django.db import connection

    from leadbook.accounts.models import User
    from leadbook.leads.demo import seed_demo

    for name in ("dana", "sam", "priya"):
        User.objects.create_user(username=name, password="bench-password-42",
                                 role="admin" if name == "dana" else "member")
    started = time.perf_counter()
    seed_demo(args.leads, seed=1)
    seed_seconds = round(time.perf_counter() - started, 1)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    from bench import api, capture, dashboard, table

    benchmarks = {"table": table.run, "capture": capture.run, "api": api.run,
                  "dashboard": dashboard.run}
    from bench import importing

    benchmarks["importing"] = importing.run
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    results = {
        "when": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": machine(), "leads": args.leads, "seed_seconds": seed_seconds,
        "database": connection.vendor, "benchmarks": {},
    }
    for name, run in benchmarks.items():
        if only and name not in only:
            continue
        print(f"running {name}...", flush=True)
        results["benchmarks"][name] = run(data_dir, args.leads, args.repeat)
    write_results(results)
    print((RESULTS / "results.md").read_text())


if __name__ == "__main__":
    main()
