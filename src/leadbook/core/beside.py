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

_pool: ThreadPoolExecutor | None = None
_pool_pid = 0
_lock = threading.Lock()
_opened: set = set()  # the threads' connections, for close()


def beside(query: Callable[[], T], *, using: str = "default") -> Callable[[], T]:
    """Start `query` (a function that runs queries on `using`) now, on a connection beside
    this one; returns a function that waits for its result (or raises its error)."""
    if connections[using].in_atomic_block:
        return query
    return _threads().submit(_fresh, query, using).result


def close() -> None:
    """Stop the threads and close their connections (before a test database is dropped)."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True)
    while _opened:
        connection = _opened.pop()
        connection.inc_thread_sharing()  # closed from this thread, its own having ended
        connection.close()


def _fresh(query: Callable[[], T], using: str) -> T:
    close_old_connections()  # one too old, or broken, is replaced
    _opened.add(connections[using])
    return query()


def _threads() -> ThreadPoolExecutor:
    """This process's threads (a forked server worker starts its own: threads do not
    survive a fork)."""
    global _pool, _pool_pid
    with _lock:
        if _pool is None or _pool_pid != os.getpid():
            _pool = ThreadPoolExecutor(THREADS, thread_name_prefix="leadbook-beside")
            _pool_pid = os.getpid()
        return _pool
