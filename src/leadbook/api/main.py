"""The REST API at /api/v2/: one NinjaAPI, one router per resource."""

from typing import Any

from ninja import NinjaAPI, Swagger

from . import choices, conversions, errors, leads, outreach
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
api.add_router("", outreach.router)
api.add_router("", conversions.router)
api.add_router("", choices.router)
