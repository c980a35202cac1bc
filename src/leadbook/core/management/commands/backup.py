"""`leadbook backup FILE`: a consistent copy of the database while Leadbook keeps running.

SQLite: the online backup API (pages copied under the database's own locking, so writers
carry on). PostgreSQL: pg_dump in its custom format.
"""

import os
import shutil
import sqlite3
import subprocess

from django.core.management.base import BaseCommand, CommandError
from django.db import connection


def pg_environment() -> tuple[list[str], dict]:
    """pg_dump/pg_restore connection arguments for the configured database."""
    settings_dict = connection.settings_dict
    args = ["--dbname", settings_dict["NAME"]]
    if settings_dict.get("HOST"):
        args += ["--host", settings_dict["HOST"]]
    if settings_dict.get("PORT"):
        args += ["--port", str(settings_dict["PORT"])]
    if settings_dict.get("USER"):
        args += ["--username", settings_dict["USER"]]
    env = {**os.environ}
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = settings_dict["PASSWORD"]
    return args, env


def pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise CommandError(f"{name} is not installed: install PostgreSQL's client tools "
                           "(Debian: apt-get install postgresql-client).")
    return path


class Command(BaseCommand):
    help = "Write a consistent backup of the database to FILE, while Leadbook runs."

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        if connection.vendor == "sqlite":
            source = sqlite3.connect(connection.settings_dict["NAME"])
            target = sqlite3.connect(file)
            try:
                with target:
                    source.backup(target, pages=1024)
            finally:
                target.close()
                source.close()
        elif connection.vendor == "postgresql":
            args, env = pg_environment()
            result = subprocess.run([pg_tool("pg_dump"), "--format=custom", "--no-owner",
                                     "--file", file, *args], env=env, capture_output=True,
                                    text=True)
            if result.returncode != 0:
                raise CommandError(f"pg_dump failed: {result.stderr.strip()}")
        else:
            raise CommandError(f"Backups of {connection.vendor} databases are not supported.")
        self.stdout.write(f"Backed up the database to {file} ({os.path.getsize(file):,} bytes).")
