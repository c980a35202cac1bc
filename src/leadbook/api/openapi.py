"""Helpers that keep the OpenAPI schema truthful: each operation declares the statuses it can
answer with, and the headers that come with them."""

from typing import Any

from .errors import DESCRIPTIONS, ErrorOut

# The statuses shared by groups of operations.
AUTH = (401, 429)
READ = AUTH  # an operation without parameters that can be wrong
QUERY = (*AUTH, 422)  # reads with query or path parameters
ONE = (*QUERY, 404)  # reads one record by id
BODY = (400, 413, 415, 422)  # anything that takes a JSON body
WRITE = (*AUTH, 403, *BODY)
WRITE_ONE = (*WRITE, 404)
DELETE_ONE = (*AUTH, 403, 404, 422)


def responses(ok: dict[int, Any], *errors: int, **models: Any) -> dict[int, Any]:
    """The `response=` of an operation: its success models, then an ErrorOut for each error
    status (or the model given as e.g. `_409=DuplicatesErrorOut`)."""
    result = dict(ok)
    for status in errors:
        result[status] = models.get(f"_{status}", ErrorOut)
    for key, model in models.items():
        result[int(key.lstrip("_"))] = model
    return result


def header(description: str, example: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if example:
        schema["example"] = example
    return {"description": description, "schema": schema}


ETAG = header("The lead's version, for If-Match on a later PUT or PATCH.", '"3"')
LOCATION = header("Where the new record can be read.", "/api/v2/leads/42")


def with_headers(**by_status: dict[str, Any]) -> dict[str, Any]:
    """`openapi_extra` declaring response headers: with_headers(_200={"ETag": ETAG})."""
    return {"responses": {int(k.lstrip("_")): {"headers": h} for k, h in by_status.items()}}


def describe(schema: dict[str, Any]) -> dict[str, Any]:
    """Give every error response its meaning and the headers that come with it."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                code = int(status)
                if code in DESCRIPTIONS:
                    response["description"] = DESCRIPTIONS[code]
                if code == 429:
                    response.setdefault("headers", {})["Retry-After"] = {
                        "description": "Seconds to wait before trying again.",
                        "schema": {"type": "string", "pattern": "^[0-9]+$"}}
                if code == 401:
                    response.setdefault("headers", {})["WWW-Authenticate"] = header(
                        "How to authenticate.", 'Bearer realm="leadbook"')
    return schema
