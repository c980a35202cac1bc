"""The API's side of cursor pagination (leads.keyset): a bad cursor is a 422 on `cursor`."""

from contextlib import contextmanager

from leadbook.leads import keyset

from .errors import Unprocessable


@contextmanager
def cursor_errors():
    """Turn a cursor the client damaged or reused elsewhere into a 422 naming `cursor`."""
    try:
        yield
    except keyset.InvalidCursor as e:
        raise Unprocessable.field("cursor", e.message, location="query") from None
