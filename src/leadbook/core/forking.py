"""Worker processes forked from this one, for CPU-heavy work on two cores (import checks,
demo data)."""

import gc
import multiprocessing
from collections.abc import Callable
from multiprocessing.pool import Pool
from typing import Any


def forked_pool(processes: int, initializer: Callable[..., Any] | None = None,
                initargs: tuple = ()) -> Pool:
    """A pool of `processes` forked processes. They share this process's memory until they
    write to it, and a garbage collection writes to every object it looks at (its
    reference count), which copies the page: so the objects made so far are frozen out of
    the collector in the children (`gc.freeze`, as Python's documentation advises before a
    fork). Here they are unfrozen again once the children exist."""
    gc.freeze()
    try:
        return multiprocessing.get_context("fork").Pool(
            processes, initializer=initializer, initargs=initargs)
    finally:
        gc.unfreeze()
