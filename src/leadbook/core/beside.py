"""Queries run beside the request, on connections of their own, while it goes on.

PostgreSQL runs each connection's query in a process of its own, and SQLite lets go of
Python's global lock while it runs one, so a query that only waits on the database can
overlap the rest of a request on another core: the count of a search (7-13 ms at a million
leads) runs while the page is read and written (the table's search for "son" on SQLite 44
-> 31 ms). A few threads per process run such queries, each thread on a connection of its
own, kept and checked before each query as Django checks a request's (CONN_MAX_AGE,
CONN_HEALTH_CHECKS): opening one for each query took 5.5 ms on PostgreSQL, as long as the
overlap gained.

A connection sees only what is committed: inside a transaction (an atomic block, a test)
the query waits and runs on the request's own connection.
"""

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from django.db import close_old_connections, connections

T = TypeVar("T")
THREADS = 4  # as many as a server process has request threads (leadbook serve)


class Threads:
    """A few threads, each running queries on a connection of its own (Django keeps one per
    thread), closed when the threads stop. `beside` keeps one set for the process; the
    export makes its own, for the length of an export."""

    def __init__(self, count: int, *, name: str):
        self._pool = ThreadPoolExecutor(count, thread_name_prefix=name)
        self._opened: set = set()

    def start(self, query: Callable[[], T], *, using: str = "default") -> Callable[[], T]:
        """Start `query` (a function that runs queries on `using`) on one of the threads;
        returns a function that waits for its result (or raises its error)."""
        return self._pool.submit(self._fresh, query, using).result

    def _fresh(self, query: Callable[[], T], using: str) -> T:
        close_old_connections()  # one too old, or broken, is replaced
        self._opened.add(connections[using])
        return query()

    def close(self) -> None:
        """Stop the threads and close their connections."""
        self._pool.shutdown(wait=True)
        while self._opened:
            connection = self._opened.pop()
            connection.inc_thread_sharing()  # closed from this thread, its own having ended
            connection.close()

    def __enter__(self) -> "Threads":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


_threads: Threads | None = None
_threads_pid = 0
_lock = threading.Lock()


def beside(query: Callable[[], T], *, using: str = "default") -> Callable[[], T]:
    """Start `query` (a function that runs queries on `using`) now, on a connection beside
    this one; returns a function that waits for its result (or raises its error)."""
    if connections[using].in_atomic_block:
        return query
    return _process_threads().start(query, using=using)


def close() -> None:
    """Stop this process's threads and close their connections (before a test database is
    dropped)."""
    global _threads
    with _lock:
        threads, _threads = _threads, None
    if threads is not None:
        threads.close()


def _process_threads() -> Threads:
    """This process's threads (a forked server worker starts its own: threads do not
    survive a fork)."""
    global _threads, _threads_pid
    with _lock:
        if _threads is None or _threads_pid != os.getpid():
            _threads = Threads(THREADS, name="leadbook-beside")
            _threads_pid = os.getpid()
        return _threads
