"""`leadbook restore FILE`: put a backup made by `leadbook backup` back in place.

SQLite: the backup API copies the file into the live database under its lock, so a running
server sees the restored data on its next query. PostgreSQL: pg_restore --clean.
"""

import os
import sqlite3
import subprocess

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from .backup import pg_environment, pg_tool


class Command(BaseCommand):
    help = "Replace the database's contents with a backup made by `leadbook backup`."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")

    def handle(self, *args, file, yes, **options):
        if not os.path.exists(file):
            raise CommandError(f"No backup at {file}.")
        if not yes and input("This replaces everything in the database. Type 'yes': ") != "yes":
            raise CommandError("Nothing restored.")
        if connection.vendor == "sqlite":
            self._restore_sqlite(file)
        elif connection.vendor == "postgresql":
            args, env = pg_environment()
            result = subprocess.run([pg_tool("pg_restore"), "--clean", "--if-exists",
                                     "--no-owner", "--single-transaction", *args, file],
                                    env=env, capture_output=True, text=True)
            if result.returncode != 0:
                raise CommandError(f"pg_restore failed: {result.stderr.strip()}")
        else:
            raise CommandError(f"Restoring {connection.vendor} databases is not supported.")
        self.stdout.write(f"Restored the database from {file}.")

    def _restore_sqlite(self, file: str) -> None:
        source = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
        try:
            check = source.execute("PRAGMA integrity_check").fetchone()[0]
            if check != "ok":
                raise CommandError(f"{file} is not a sound SQLite database: {check}")
            target = sqlite3.connect(connection.settings_dict["NAME"], timeout=30)
            try:
                source.backup(target)
            finally:
                target.close()
        except sqlite3.DatabaseError as e:
            raise CommandError(f"{file} is not a Leadbook backup: {e}") from None
        finally:
            source.close()
