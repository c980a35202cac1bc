"""Pieces every resource's schemas share."""

from typing import Any, cast

from django.http import HttpRequest
from ninja import Path
from pydantic import BaseModel, ConfigDict, Field, model_validator

from leadbook.accounts.models import User
from leadbook.core.text import without_nul

# The largest id a database row can have (64-bit); larger ones are refused with 422 rather
# than reaching the database, which would fail on them.
MAX_ID = 2**63 - 1
MAX_OFFSET = 2**31 - 1
# Text fields without a length of their own (notes) still have one here: a client sending
# megabytes of notes is a mistake worth reporting.
MAX_NOTES = 20_000
MAX_NAMES = 50  # lead types on one lead, names in one filter


class InputSchema(BaseModel):
    """A request body or a set of query parameters: unknown fields are refused (422), so a
    typo never goes unnoticed; NUL characters are dropped."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _drop_nul(cls, data: Any) -> Any:
        return without_nul(data)


class QuerySchema(InputSchema):
    # Query strings may carry parameters meant for someone else (a cache buster): ignore them.
    model_config = ConfigDict(extra="ignore")


class PageQuery(QuerySchema):
    limit: int = Field(50, ge=1, le=500, description="How many items to return (1–500).")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="How many items to skip.")


def page(queryset, query: PageQuery, to_json=None, *, many=None) -> dict[str, Any]:
    """{"items": [...], "count": N} for one slice of `queryset`, each item made by
    `to_json(obj)`, or all at once by `many(queryset_slice)`."""
    window = queryset[query.offset:query.offset + query.limit]
    items = many(window) if many is not None else [to_json(obj) for obj in window]
    return {"items": items, "count": queryset.count()}


def id_path(description: str) -> Any:
    """A record's id in the path: 1 up to the largest id a database row can have."""
    return Path(..., ge=1, le=MAX_ID, description=description)


def actor(request: HttpRequest) -> User:
    """The user the request's token belongs to (TokenAuth has checked it)."""
    return cast(User, request.user)
