"""The REST API at /api/v2/: one NinjaAPI, one router per resource."""

from typing import Any

from ninja import NinjaAPI, Swagger

from . import choices, conversions, errors, imports, leads, merges, outreach
from .auth import TokenAuth
from .openapi import describe
from .parser import JsonParser

DESCRIPTION = """\
Leadbook's lead book for programs: leads, outreach, follow-ups, conversions.

**Authentication**: send `Authorization: Bearer <token>`. Create a token on your profile page
(or `leadbook create_api_token USERNAME`). A viewer's token only reads.

**Names**: statuses, sources, lead types, outreach kinds, customer groups and owners are sent
and returned by name (owners by username), matched without regard to case. The valid names
are listed at `/statuses`, `/sources`, `/lead-types`, `/outreach-kinds`, `/customer-groups`.

**Lists** answer `{"items": [...], "count": N}` and take `limit` (1–500, default 50) and
`offset`.

**Cursor paging** (`GET /leads`): each page also answers `next_cursor`; send it back as
`cursor` with the same filters and ordering for the next page, until it is null. Cursor
pages cost the same however deep they go (an `offset` makes the database step over every
skipped lead). A cursor is opaque and signed: an altered one, or one from another ordering,
is a 422.

**Bulk upload**: `POST /imports` takes a CSV or Excel file as `multipart/form-data` and
answers 202 with a job to follow at `GET /imports/{id}` until `progress.busy` is false; its
`report` lists what was created, updated, skipped and why rows failed.

**Concurrency**: `GET /leads/{id}` returns an `ETag`; send it back as `If-Match` with `PUT` or
`PATCH` and the change is refused with 412 (and nothing written) when someone changed the lead
meanwhile.

**Errors** are JSON: `{"detail": "...", "errors": [{"field", "location", "message"}]}`.

**Rate limit**: each token may make a set number of requests a minute (600 unless the
operator changed it); beyond that, 429 with `Retry-After`.
"""


class LeadbookAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs: Any):  # type: ignore[override]
        return describe(super().get_openapi_schema(**kwargs))


api = LeadbookAPI(
    title="Leadbook API",
    version="2",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=TokenAuth(),
    parser=JsonParser(),
    docs=Swagger(settings={"persistAuthorization": True, "tryItOutEnabled": False,
                           "defaultModelsExpandDepth": 0}),
)
errors.install(api)
api.add_router("", leads.router)
api.add_router("", merges.router)
api.add_router("", outreach.router)
api.add_router("", conversions.router)
api.add_router("", imports.router)
api.add_router("", choices.router)
