"""Page numbers over big tables without counting every row on every request."""

from django.core.paginator import Paginator
from django.utils.functional import cached_property

from .beside import beside

# Most views are counted exactly and cheaply from the tallies (leads/tally.py); the cap is
# for the rest (searches, date ranges), where "1–50 of 1,000+" says enough.
DEFAULT_CAP = 1_000


def page_number(value) -> int:
    """A page number from a query parameter: 1 when missing, not a number or below 1."""
    try:
        return max(1, int(value or 1))
    except (TypeError, ValueError):
        return 1


def count_upto(queryset, limit: int) -> int:
    """How many rows `queryset` holds, counted no further than `limit` + 1 (more than
    `limit`: there are more). A sliced queryset counts as SELECT COUNT(*) FROM (... LIMIT
    n): an index range, not the whole table."""
    return queryset.order_by()[: limit + 1].count()


class CappedPaginator(Paginator):
    """A Paginator that counts rows only as far as it needs to.

    Counting a million matching leads costs more than showing fifty of them, and "1–50 of
    1,000+" tells a person as much as the exact figure. The count goes up to `cap` rows, or
    a page beyond the one asked for when that is further; `capped` says the real count is
    higher (there is then always a next page). A count known beforehand (`count`, from
    leads/tally.py) is taken as it is.
    """

    def __init__(self, object_list, per_page, *, cap: int | None = None, wanted_page=1,
                 count: int | None = None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.limit = max(cap or DEFAULT_CAP, page_number(wanted_page) * self.per_page + 1)
        self.capped = False
        self._counting = self._count_rows
        if count is not None:
            self.__dict__["count"] = count  # what the cached property would have kept

    @cached_property
    def count(self) -> int:
        return self._capped(self._counting())

    def count_beside(self) -> None:
        """Start counting now, beside what the request does next (core/beside.py)."""
        if "count" not in self.__dict__:
            self._counting = beside(self._count_rows, using=self.object_list.db)

    def _count_rows(self) -> int:
        return count_upto(self.object_list, self.limit)

    def counted(self, rows: int) -> None:
        """Take `rows` as the count, counted elsewhere up to `limit` + 1 rows (in the query
        that read the page, say), instead of counting."""
        self.__dict__["count"] = self._capped(rows)

    def _capped(self, counted: int) -> int:
        if counted > self.limit:
            self.capped = True
            return self.limit
        return counted
