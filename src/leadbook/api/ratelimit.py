"""API rate limits: settings.API_RATE_LIMIT requests a minute per token.

A sliding window, estimated from two fixed ones: the requests of the current minute plus
those of the previous minute weighted by how much of it is still inside the window. Refused
requests are not counted. Every web worker and thread shares one exact count (Django's
local-memory cache would count per process, and its database cache cannot increment
atomically), kept where every worker sees it:

- PostgreSQL: on the token's row, read and written in one transaction under a row lock.
- SQLite: in a file of its own beside the book (DATA_DIR/ratelimits.sqlite3), read and
  written under that file's write lock. Not in the book's file: in WAL mode any commit there
  makes every other connection drop its page cache at its next read, and with a write per
  request the next API request nearly always read cold (a search of a million leads over
  HTTP took 104 ms, 43 without the writes).
"""

import math
import os
import sqlite3
import threading

from django.conf import settings
from django.db import connection, transaction

from leadbook.accounts.models import ApiToken

from .errors import RateLimited

WINDOW_SECONDS = 60
RATE_FILE = "ratelimits.sqlite3"


def count_request(token: ApiToken, *, now: float, limit: int) -> None:
    """Count a request of `token` at `now` (a Unix time); RateLimited when it is one too
    many."""
    minute, into = divmod(now, WINDOW_SECONDS)
    if connection.vendor == "sqlite":
        _file_windows.count(token.key_hash, int(minute), into, limit)
        return
    with transaction.atomic():
        stored = ApiToken.objects.select_for_update().filter(pk=token.pk).values_list(
            "rate_minute", "rate_count", "rate_previous").get()
        count, previous = _with_request(stored, int(minute), into, limit)
        ApiToken.objects.filter(pk=token.pk).update(
            rate_minute=int(minute), rate_count=count, rate_previous=previous)


def _with_request(stored: tuple[int, int, int], minute: int, into: float, limit: int
                  ) -> tuple[int, int]:
    """The window's counts (this minute, the one before) with one more request, from those
    stored (the minute they were stored in, its count, the one before); RateLimited when
    the request does not fit."""
    stored_minute, count, previous = stored
    if stored_minute == minute - 1:
        count, previous = 0, count
    elif stored_minute != minute:
        count, previous = 0, 0
    if _estimate(count, previous, into / WINDOW_SECONDS) + 1 > limit:
        raise RateLimited(_retry_after(count, previous, into, limit), limit)
    return count + 1, previous


def _estimate(count: int, previous: int, fraction_into_minute: float) -> float:
    return previous * (1 - fraction_into_minute) + count


def _retry_after(count: int, previous: int, into: float, limit: int) -> int:
    """Whole seconds until one more request fits in the window."""
    for wait in range(1, 2 * WINDOW_SECONDS + 1):
        at = into + wait
        if at < WINDOW_SECONDS:
            estimate = _estimate(count, previous, at / WINDOW_SECONDS)
        elif at < 2 * WINDOW_SECONDS:
            estimate = _estimate(0, count, (at - WINDOW_SECONDS) / WINDOW_SECONDS)
        else:
            estimate = 0
        if estimate + 1 <= limit:
            return wait
    return math.ceil(2 * WINDOW_SECONDS - into)


class _FileWindows:
    """SQLite: the windows in DATA_DIR/ratelimits.sqlite3, by token hash (unique, and never
    reused the way a row id can be), through one connection per thread and process."""

    def __init__(self) -> None:
        self.local = threading.local()

    def _connection(self) -> sqlite3.Connection:
        if getattr(self.local, "pid", None) != os.getpid():  # new thread, or forked
            db = sqlite3.connect(settings.DATA_DIR / RATE_FILE, timeout=20,
                                 isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("CREATE TABLE IF NOT EXISTS api_windows (token TEXT PRIMARY KEY, "
                       "minute INTEGER NOT NULL, count INTEGER NOT NULL, "
                       "previous INTEGER NOT NULL)")
            self.local.db, self.local.pid = db, os.getpid()
        return self.local.db

    def count(self, token: str, minute: int, into: float, limit: int) -> None:
        db = self._connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            stored = db.execute("SELECT minute, count, previous FROM api_windows "
                                "WHERE token = ?", [token]).fetchone()
            count, previous = _with_request(stored or (0, 0, 0), minute, into, limit)
            db.execute("INSERT INTO api_windows VALUES (?, ?, ?, ?) ON CONFLICT (token) DO "
                       "UPDATE SET minute = excluded.minute, count = excluded.count, "
                       "previous = excluded.previous", [token, minute, count, previous])
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")


_file_windows = _FileWindows()
