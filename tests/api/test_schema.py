"""Schemathesis against the OpenAPI schema, in process (WSGI) with a real admin token: every
operation, with valid and invalid input; no server error, and no response the schema does
not describe (status, content type, headers, body).

Valid requests are steered to names and ids that exist (a status called "New", a lead that
is there), so they reach past the 404s and 422s into the code that does the work. The
`positive_data_acceptance` check is left out: some rules cannot be written in OpenAPI (an
email address that is really one, a follow-up not before the outreach, a name or a contact
detail, a target the lead's types allow), and the 422 they give schema-valid requests is
the right answer.
"""

import json
import logging
import re

import pytest
import schemathesis
from django.core import signals
from django.core.serializers.json import DjangoJSONEncoder
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from leadbook.api.main import api
from leadbook.wsgi import application

schema = schemathesis.openapi.from_dict(
    json.loads(json.dumps(api.get_openapi_schema(), cls=DjangoJSONEncoder)))
schema.app = application
# The token is sent with every request (below); the schema's security scheme is not fuzzed.
schema.config.generation.update(with_security_parameters=False)

# Fields and parameters that hold a name, and where the valid names come from.
NAME_FIELDS = {
    "status": ("leads", "Status"), "source": ("leads", "Source"),
    "lead_type": ("leads", "LeadType"), "lead_types": ("leads", "LeadType"),
    "kind": ("outreach", "OutreachKind"), "customer_group": ("conversions", "CustomerGroup"),
}


@pytest.fixture
def world(request, admin, member, make_lead, settings):
    """A token, and the records the operation under test can find (a lead, an outreach
    entry, one record of each conversion target)."""
    from django.apps import apps

    from leadbook.accounts.services import create_api_token
    from leadbook.conversions.services import convert_lead
    from leadbook.outreach.models import OutreachKind
    from leadbook.outreach.services import log_outreach

    settings.API_RATE_LIMIT = 0
    logging.getLogger("django.request").setLevel(logging.ERROR)
    # Requests go straight to the WSGI app, which closes "old" database connections when a
    # request ends, the test's own included (on PostgreSQL); Django's test client keeps it
    # open the same way.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    lead = make_lead(name="Juniper & Vine", email="dana@juniper.example.com",
                     lead_types=["Wholesale", "Podcast Guest", "Collab"])
    operation = request.node.name
    outreach = log_outreach(lead=lead, actor=admin, kind=OutreachKind.objects.first())
    records = {t: convert_lead(lead=lead, actor=admin, target=t).pk
               for t in ("customer", "retailer", "podcast", "collab") if f"/{t}s" in operation}
    names = {field: [o.name for o in apps.get_model(app, model).objects.all()]
             for field, (app, model) in NAME_FIELDS.items()}
    names["owner"] = ["dana", "sam", "none"]
    ids = {"lead_id": lead.pk, "outreach_id": outreach.pk, **{
        f"{t}s": pk for t, pk in records.items()}}
    yield {"token": create_api_token(user=admin, name="Schemathesis")[1], "names": names,
           "ids": ids}
    logging.getLogger("django.request").setLevel(logging.NOTSET)
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _steer(case, world) -> None:
    """Point a valid request at names and ids that exist (the choice still varies with the
    generated value)."""
    names = world["names"]

    def pick(field, value):
        options = names[field]
        return options[hash(str(value)) % len(options)]

    for params in (case.query or {},):
        for field in list(params):
            if field in names:
                value = params[field]
                params[field] = [pick(field, v) for v in value] if isinstance(value, list) \
                    else pick(field, value)
    if isinstance(case.body, dict):
        for field, value in case.body.items():
            if field in names and isinstance(value, str):
                case.body[field] = pick(field, value)
            elif field in names and isinstance(value, list):
                case.body[field] = [pick(field, v) for v in value if isinstance(v, str)]
            elif field == "owner" and isinstance(value, str):
                case.body[field] = pick("owner", value)
    path = case.path_parameters or {}
    for param in path:
        if isinstance(path[param], int) and path[param] % 3 == 0:
            key = param if param != "record_id" else case.path.split("/")[3]
            path[param] = world["ids"].get(key, path[param])
    if case.headers and "If-Match" in case.headers:
        del case.headers["If-Match"]


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_matches_its_schema(case, world):
    if case.meta is not None and case.meta.generation.mode.is_positive:
        _steer(case, world)
    case.call_and_validate(headers={"Authorization": f"Bearer {world['token']}"},
                           excluded_checks=[positive_data_acceptance, ignored_auth])


# `ignored_auth` would repeat every generated request without the token and with a wrong
# one, tripling the run; instead every operation is tried both ways once, here.
OPERATIONS = [(method.upper(), path) for path, methods in api.get_openapi_schema()["paths"].items()
              for method in methods]


@pytest.mark.parametrize("method, path", OPERATIONS)
@pytest.mark.parametrize("authorization", [None, "Bearer lb_not-a-real-token", "Basic abc"])
def test_every_operation_needs_a_token(client, db, method, path, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    response = client.generic(method, re.sub(r"\{\w+\}", "1", path), data="{}",
                              content_type="application/json", headers=headers)
    assert response.status_code == 401
    assert response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")
