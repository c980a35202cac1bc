"""Work handed out a few items ahead of the one that uses its results."""

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def in_order(start: Callable[[T], Callable[[], R]], items: Iterable[T], *,
             ahead: int) -> Iterator[R]:
    """The results of the work on each item, in the items' order. `start(item)` hands the
    work out (to a pool of threads or processes) and returns what waits for its result; at
    most `ahead` items are under way at once, so memory stays flat however many there are."""
    under_way: deque[Callable[[], R]] = deque()
    for item in items:
        under_way.append(start(item))
        if len(under_way) >= ahead:
            yield under_way.popleft()()
    while under_way:
        yield under_way.popleft()()
