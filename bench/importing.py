"""Bulk upload at scale (issue: bulk upload).

A CSV of BENCH_IMPORT_ROWS rows (default 100,000) with every importable column, made like a
real export: some rows duplicate leads already in the book, some repeat earlier rows, a few
are invalid, cities and states come in several spellings. Then:

- `leadbook import_leads FILE --format json` in a child process, end to end (checks,
  duplicate detection, writing), timed, with the peak memory of its largest process;
- the same with --dry-run (the check alone), so the writing time can be told apart;
- for comparison, a plain sqlite3 `executemany` of the very lead rows the import wrote,
  into a copy of the database as it was before the import (same indexes and search
  triggers), in one transaction: the floor any importer writing those rows to that table
  stands on. On PostgreSQL: a psycopg executemany of those rows, rolled back.
"""

import csv
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from bench.common import timed_child

HEADERS = ["Name", "First Name", "Last Name", "Company", "Position", "Email", "Phone",
           "Instagram", "Website", "Address", "City", "State", "Postal Code", "Country",
           "Source", "Status", "Temperature", "Lead Type", "Collab Type", "Followers", "Notes",
           "Owner"]


SYLLABLES = ("ka", "lo", "mi", "ren", "ta", "vo", "sel", "dun", "bri", "ash", "mor", "quin",
             "pa", "zel", "tor", "ni", "wy", "fen", "gal", "hes", "jo", "lin", "ver", "os")


def _word(rng: random.Random) -> str:
    """A made-up word, so that business names vary as much as in a real list."""
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def write_file(path: Path, rows: int, existing_emails: list[str], seed: int = 7) -> None:
    from leadbook.leads import demo

    rng = random.Random(seed)
    statuses = ["New", "Contacted", "In Progress", "Qualified", "Cold", "Warm", "new"]
    types = ["Wholesale", "Consignment", "Consignment, Wholesale", "Podcast Guest", "Collab"]
    sources = ["Trade show", "Website", "Referral", "Social media", ""]
    owners = ["dana", "sam", "priya", "", "Dana"]
    spellings = {"Austin": ["Austin", "austin", "Austn"], "TX": ["TX", "Texas", "tx"]}
    emails: list[str] = []
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADERS)
        for n in range(rows):
            first, last = rng.choice(demo.FIRST), rng.choice(demo.LAST)
            business = f"{rng.choice(demo.SHOP_A)} {_word(rng)} {rng.choice(demo.SHOP_B)}"
            city, state, zip3 = rng.choice(demo.CITIES)
            slug = "".join(c for c in business.lower() if c.isalnum())
            domain = f"{slug}-{n}.example.org"
            email = f"{first.lower()}.{last.lower()}.{n}@{domain}"
            roll = rng.random()
            if roll < 0.03 and existing_emails:
                email = rng.choice(existing_emails)  # a lead already in the book
            elif roll < 0.05 and emails:
                email = rng.choice(emails)  # an earlier row of this file
            elif roll < 0.06:
                email = f"{first}.{last}@"  # invalid
            emails.append(email)
            phone = rng.choice(demo.PHONE_FORMATS).format(
                a=demo.AREA[state], b=rng.randint(200, 999), c=f"{rng.randint(0, 9999):04d}")
            is_collab = rng.random() < 0.2
            writer.writerow([
                business, first, last, business, rng.choice(("Owner", "Buyer", "owner", "")),
                email, phone, f"@{slug}{n}"[:31], domain if rng.random() < 0.5 else "",
                f"{rng.randint(1, 9999)} {rng.choice(demo.SHOP_A)} St",
                rng.choice(spellings.get(city, [city])), rng.choice(spellings.get(state, [state])),
                f"{zip3}{rng.randint(0, 99):02d}", rng.choice(("US", "USA", "United States")),
                rng.choice(sources), rng.choice(statuses), rng.choice(("Cold", "Warm", "")),
                "Collab" if is_collab else rng.choice(types),
                rng.choice(demo.COLLAB_TYPES) if is_collab else "",
                f"{rng.randint(500, 250_000):,}" if is_collab else "",
                rng.choice(demo.NOTES), rng.choice(owners),
            ])


def _import(data_dir: str, path: Path, *extra: str) -> tuple[float, dict, str]:
    """Run import_leads in a child; (seconds, the peak MB it and its worker processes held
    together: {"peak_rss_mb", "peak_private_mb"}, stdout)."""
    child = timed_child(
        [sys.executable, "-m", "leadbook.cli", "import_leads", str(path), "--format", "json",
         "--user", "dana", *extra], env={**os.environ, "LEADBOOK_DATA_DIR": data_dir})
    return child["seconds"], {"peak_rss_mb": round(child["peak_tree_rss_mb"]),
                              "peak_private_mb": round(child["peak_tree_private_mb"])}, \
        child["stdout"]


def _plain_executemany(database: str, before: str, first_new_id: int) -> dict:
    """Time a plain executemany of the lead rows the import wrote, into the database as it
    was before the import."""
    source = sqlite3.connect(database)
    columns = [row[1] for row in source.execute("PRAGMA table_info(leads_lead)")]
    rows = source.execute(f"SELECT * FROM leads_lead WHERE id >= {first_new_id}").fetchall()
    source.close()
    target = sqlite3.connect(before, isolation_level=None)
    target.execute("PRAGMA journal_mode=WAL")
    target.execute("PRAGMA synchronous=NORMAL")
    target.execute("PRAGMA cache_size=-32000")
    marks = ", ".join("?" * len(columns))
    started = time.perf_counter()
    target.execute("BEGIN IMMEDIATE")
    target.executemany(f"INSERT INTO leads_lead ({', '.join(columns)}) VALUES ({marks})", rows)
    target.execute("COMMIT")
    seconds = time.perf_counter() - started
    target.close()
    return {"rows": len(rows), "seconds": round(seconds, 2),
            "rows_per_second": round(len(rows) / seconds), "how": "sqlite3 executemany"}


def _plain_executemany_pg(first_new_id: int) -> dict:
    """PostgreSQL: a plain psycopg executemany of the lead rows the import wrote, inserted
    again (new ids) in one transaction that is then rolled back."""
    import psycopg
    from django.conf import settings

    db = settings.DATABASES["default"]
    with psycopg.connect(host=db["HOST"], port=db["PORT"], user=db["USER"],
                         dbname=db["NAME"]) as conn:
        cursor = conn.execute("SELECT * FROM leads_lead WHERE id >= %s", [first_new_id])
        columns = [c.name for c in cursor.description if c.name != "id"]
        keep = [i for i, c in enumerate(cursor.description) if c.name != "id"]
        rows = [[row[i] for i in keep] for row in cursor.fetchall()]
        conn.commit()
        marks = ", ".join(["%s"] * len(columns))
        started = time.perf_counter()
        with conn.cursor() as cur:
            cur.executemany(f"INSERT INTO leads_lead ({', '.join(columns)}) VALUES ({marks})",
                            rows)
        seconds = time.perf_counter() - started
        conn.rollback()
    return {"rows": len(rows), "seconds": round(seconds, 2),
            "rows_per_second": round(len(rows) / seconds), "how": "psycopg executemany"}


def run(data_dir: str, total: int, repeat: int) -> dict:
    import json

    from django.db import connection

    from leadbook.leads.models import Lead

    rows = int(os.environ.get("BENCH_IMPORT_ROWS", 100_000))
    existing = list(Lead.objects.exclude(email="").order_by("?").values_list(
        "email", flat=True)[:5000])
    folder = Path(tempfile.mkdtemp(prefix="leadbook-import-bench-"))
    path = folder / "leads.csv"
    write_file(path, rows, existing)
    file_mb = round(path.stat().st_size / 1e6, 1)
    first_new_id = (Lead.all_objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    sqlite = connection.vendor == "sqlite"
    database = str(Path(data_dir) / "leadbook.sqlite3")
    before = str(folder / "before.sqlite3")
    if sqlite:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        # Closed first: copying the file opens and closes it in this process, which drops
        # this process's SQLite locks on it (POSIX locks are per process), and the import in
        # the child would then take this connection for gone and remove the WAL under it.
        connection.close()
        shutil.copy(database, before)
    connection.close()

    check_seconds, check_mb, _ = _import(data_dir, path, "--dry-run")
    seconds, peak_mb, out = _import(data_dir, path)
    report = json.loads(out)
    if sqlite:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            cursor.execute("PRAGMA quick_check")
            assert cursor.fetchone()[0] == "ok"
        connection.close()
        plain = _plain_executemany(database, before, first_new_id)
    else:
        plain = _plain_executemany_pg(first_new_id)
    shutil.rmtree(folder, ignore_errors=True)
    return {
        "file": {"rows": rows, "columns": len(HEADERS), "mb": file_mb, "leads_before": total},
        "import": {"seconds": round(seconds, 2), "rows_per_second": round(rows / seconds),
                   **peak_mb, "created": report["created"],
                   "updated": report["updated"], "skipped": report["skipped"],
                   "invalid": report["invalid"], "duplicates": len(report["duplicates"]),
                   "similar_value_groups": len(report["similar_values"])},
        "check_only": {"seconds": round(check_seconds, 2), **check_mb},
        "plain_executemany_same_rows": plain,
    }
