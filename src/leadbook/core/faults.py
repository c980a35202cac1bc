"""Failures of the machine rather than of Leadbook: the database is unreachable (restarting,
a dropped connection, a lock held too long) or the disk is full.

They are not bugs and a traceback helps nobody, so the person gets a 503 that says what is
going on and to try again (a page, or JSON for the API), the server log keeps the details,
and nothing needs restarting: the next request opens a new database connection.
"""

from __future__ import annotations

import errno

from django.db import InterfaceError, OperationalError

RETRY_AFTER_SECONDS = 5

DATABASE_UNAVAILABLE = (
    "Leadbook cannot reach its database at the moment (it may be restarting or very busy). "
    "What you just did may not have been saved: please try again in a few seconds."
)
DISK_FULL = (
    "The server running Leadbook is out of disk space, so nothing could be saved. "
    "Ask your administrator to free some space, then try again."
)
DISK_FULL_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
DISK_FULL_TEXTS = ("database or disk is full", "no space left on device", "disk full",
                   "could not extend file")


def unavailable_message(exc: BaseException | None) -> str | None:
    """What to tell people when `exc` (or what caused it) is a database outage or a full
    disk; None for any other error (a real bug: a 500)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in DISK_FULL_ERRNOS:
            return DISK_FULL
        if isinstance(exc, OperationalError | InterfaceError):
            text = str(exc).lower()
            return DISK_FULL if any(t in text for t in DISK_FULL_TEXTS) else \
                DATABASE_UNAVAILABLE
        exc = exc.__cause__ or exc.__context__
    return None
