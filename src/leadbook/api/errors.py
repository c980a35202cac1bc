"""Every API error is JSON with a status code that means something.

The body is always `{"detail": "<what went wrong, for people>"}`, plus, where they help:
`errors` (422: one entry per failing field, with where it was and, for names, the valid
ones), `duplicates` (409 on create) or `changes` (412). The handlers below turn the
exceptions of ninja, pydantic, Django and the services into that shape.
"""

import datetime
import logging
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import (
    ObjectDoesNotExist,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError
from pydantic import BaseModel

from leadbook.core.faults import RETRY_AFTER_SECONDS, unavailable_message
from leadbook.leads.services import LeadConflict

logger = logging.getLogger("django.request")

# --- Error bodies (for the OpenAPI schema) ------------------------------------------------------


class FieldError(BaseModel):
    field: str | None = None  # "email", "lead_types.1", "If-Match"; None: the whole request
    location: str  # body | query | path | header
    message: str
    valid: list[str] | None = None  # for unknown names: the names that would do


class ErrorOut(BaseModel):
    detail: str
    errors: list[FieldError] | None = None


class DuplicateOut(BaseModel):
    lead_id: int
    reason: str  # email | phone | instagram | website | name
    score: float
    detail: str


class DuplicatesErrorOut(BaseModel):
    detail: str
    duplicates: list[DuplicateOut]


class ChangeOut(BaseModel):
    """A change someone else made since your version, as the lead's history shows it."""

    field: str
    old: str
    new: str
    by: str
    at: datetime.datetime


class PreconditionErrorOut(BaseModel):
    detail: str
    current_version: int
    changes: list[ChangeOut] = []


class AlreadyConvertedErrorOut(BaseModel):
    detail: str
    target: str
    record_id: int


# What each status means, as the OpenAPI schema describes it.
DESCRIPTIONS = {
    400: "The body cannot be read: not valid JSON (or, for a file upload, not valid "
         "multipart/form-data).",
    401: "No API token, or one that is unknown, revoked or expired.",
    403: "The token's user may not do this (a viewer's token only reads; some actions "
         "are for admins).",
    404: "No such record (or it is in the trash).",
    409: "Conflicts with what exists.",
    412: "If-Match names an older version: someone changed the lead since you read it. "
         "Nothing was written.",
    413: "The body is too large.",
    415: "The body is not sent as application/json.",
    422: "A field or parameter is missing, of the wrong type, unknown or not valid.",
    429: "Too many requests with this token; wait for Retry-After seconds.",
}


# --- Exceptions the API raises ----------------------------------------------------------------


class ApiError(Exception):
    """An error response: status, a message for people, and extra members for the body."""

    status = 400

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None, **extra: Any):
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"detail": self.detail, **self.extra}


class Unauthorized(ApiError):
    status = 401

    def __init__(self, detail: str, **kwargs: Any):
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="leadbook"'},
                         **kwargs)


class Forbidden(ApiError):
    status = 403


class NotFound(ApiError):
    status = 404


class Conflict(ApiError):
    status = 409


class PreconditionFailed(ApiError):
    status = 412


class UnsupportedMediaType(ApiError):
    status = 415


class RateLimited(ApiError):
    status = 429

    def __init__(self, retry_after: int, limit: int):
        super().__init__(f"Too many requests: this token may make {limit} a minute. "
                         f"Try again in {retry_after} s.",
                         headers={"Retry-After": str(retry_after)})


class Unprocessable(ApiError):
    """422 for one or more fields: `Unprocessable.field("status", "Unknown ...", valid=[...])`."""

    status = 422

    def __init__(self, errors: list[dict[str, Any]]):
        super().__init__(summary(errors), errors=errors)

    @classmethod
    def field(cls, field: str | None, message: str, *, location: str = "body",
              valid: Iterable[str] | None = None) -> "Unprocessable":
        return cls([field_error(field, message, location=location, valid=valid)])


def field_error(field: str | None, message: str, *, location: str = "body",
                valid: Iterable[str] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"field": field, "location": location, "message": message}
    if valid is not None:
        error["valid"] = list(valid)
    return error


def summary(errors: list[dict[str, Any]]) -> str:
    """One line for people: 'email: Enter a valid email address. status: Unknown status…'"""
    parts = [f"{e['field']}: {e['message']}" if e.get("field") else e["message"]
             for e in errors]
    return " ".join(parts) or "The request is not valid."


def from_django_validation_error(error: DjangoValidationError,
                                 *, rename: dict[str, str] | None = None) -> Unprocessable:
    """A service's ValidationError, field by field."""
    if not hasattr(error, "error_dict"):
        return Unprocessable([field_error(None, message) for message in error.messages])
    errors = []
    for field, messages in error.message_dict.items():
        name = None if field == "__all__" else (rename or {}).get(field, field)
        errors += [field_error(name, message) for message in messages]
    return Unprocessable(errors)


# --- Pydantic's complaints, worded for people ---------------------------------------------------

READ_ONLY_FIELDS = frozenset({
    "id", "version", "pending", "converted", "converted_at", "last_outreach_at",
    "next_follow_up_on", "created_at", "updated_at", "lead_id", "target", "by",
    "follow_up_done_at",
})


def _pydantic_message(error: dict[str, Any], field: str | None) -> str:
    kind = error.get("type", "")
    last = field.rsplit(".", 1)[-1] if field else ""
    if kind == "extra_forbidden":
        if last in READ_ONLY_FIELDS:
            return "This field is read-only: leave it out."
        return "Unknown field."
    if kind == "missing":
        return "This field is required."
    if kind == "string_unicode":
        return "Not valid Unicode text."
    message = str(error.get("msg", "Not valid."))
    return message if message.endswith(".") else message + "."


def from_ninja_validation_error(exc: NinjaValidationError) -> Unprocessable:
    errors = []
    for error in exc.errors:
        loc = [str(part) for part in error.get("loc", ())]
        location = loc[0] if loc else "body"
        path = loc[1:]
        # Bodies are read into one parameter (`payload`); people know the fields only.
        if location == "body" and path and path[0] == "payload":
            path = path[1:]
        # Query parameters read into one schema (`filters`, `query`) name it for list items.
        if location == "query" and len(path) > 1 and path[0] in QUERY_SCHEMA_PARAMS:
            path = path[1:]
        # A discriminated union reports the branch it tried ("retailer"): not a field.
        path = [p for p in path if not p.startswith("function-") and p not in UNION_TAGS]
        field = ".".join(path) or None
        errors.append(field_error(field, _pydantic_message(error, field), location=location))
    return Unprocessable(errors)


UNION_TAGS = {"customer", "retailer", "podcast", "collab"}
QUERY_SCHEMA_PARAMS = {"filters", "query"}


# --- Handlers ---------------------------------------------------------------------------------


def respond(api: NinjaAPI, request: HttpRequest, error: ApiError) -> HttpResponse:
    response = api.create_response(request, error.body(), status=error.status)
    for name, value in error.headers.items():
        response[name] = value
    return response


def install(api: NinjaAPI) -> None:
    """Register the handlers that give every error the shape described above."""

    def api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return respond(api, request, exc)

    def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        return respond(api, request, from_ninja_validation_error(exc))

    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        cause = exc.__cause__
        if isinstance(cause, ApiError):  # raised by our body parser, wrapped by ninja
            return respond(api, request, cause)
        if cause is not None:  # the body could not be parsed
            return respond(api, request, ApiError(f"The body is not valid JSON: {cause}."))
        error = {401: Unauthorized, 403: Forbidden, 404: NotFound}.get(exc.status_code)
        if error is not None:
            return respond(api, request, error(str(exc)))
        response = api.create_response(request, {"detail": str(exc)}, status=exc.status_code)
        return response

    def not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        return respond(api, request, NotFound("Not found."))

    def django_validation_error(request: HttpRequest,
                                exc: DjangoValidationError) -> HttpResponse:
        return respond(api, request, from_django_validation_error(exc))

    def lead_conflict(request: HttpRequest, exc: LeadConflict) -> HttpResponse:
        return respond(api, request, stale_version(exc))

    def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        error = ApiError("The body is too large.")
        error.status = 413
        return respond(api, request, error)

    def too_many_parts(request: HttpRequest, exc: Exception) -> HttpResponse:
        error = ApiError("The body has too many fields or files: send one file, and the "
                         "options once each.")
        error.status = 413
        return respond(api, request, error)

    def bad_multipart(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
        return respond(api, request, ApiError(
            f"The body is not valid multipart/form-data: {exc}."))

    def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        # Logged like any crash (and mailed to admins where that is set up); the client
        # gets JSON without internals. A database outage or a full disk is a 503 that says
        # so (core.faults).
        unavailable = unavailable_message(exc)
        status = 503 if unavailable else 500
        logger.error("%s: %s", "Service Unavailable" if unavailable else "Internal Server Error",
                     request.path, exc_info=exc, extra={"status_code": status,
                                                        "request": request})
        if unavailable:
            response = api.create_response(request, {"detail": unavailable}, status=503)
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return response
        return api.create_response(
            request, {"detail": "Something went wrong on our side. It has been logged."},
            status=500)

    api.add_exception_handler(Exception, server_error)
    api.add_exception_handler(ApiError, api_error)
    api.add_exception_handler(NinjaValidationError, validation_error)
    api.add_exception_handler(HttpError, http_error)
    api.add_exception_handler(Http404, not_found)
    api.add_exception_handler(ObjectDoesNotExist, not_found)
    api.add_exception_handler(DjangoValidationError, django_validation_error)
    api.add_exception_handler(LeadConflict, lead_conflict)
    api.add_exception_handler(RequestDataTooBig, too_big)
    api.add_exception_handler(TooManyFieldsSent, too_many_parts)
    api.add_exception_handler(TooManyFilesSent, too_many_parts)
    api.add_exception_handler(MultiPartParserError, bad_multipart)


def stale_version(conflict: LeadConflict) -> PreconditionFailed:
    changes = [
        {"field": c["field"], "old": str(c["old"]), "new": str(c["new"]), "by": str(c["who"]),
         "at": c["when"]}
        for c in conflict.changes
    ]
    return PreconditionFailed(
        "This lead was changed since the version you sent in If-Match: nothing was written. "
        "GET it again, apply your change, and send the new ETag.",
        current_version=conflict.lead.version, changes=changes)
