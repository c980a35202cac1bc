"""Walk every URL of the project and every operation of the API, with every persona.

Nothing here lists the protected URLs: they are discovered from Django's URL resolver and
the API's OpenAPI schema, so a page or an API operation added without protection fails
these tests. The only lists are the few pages that are public by design (PUBLIC_ROUTES) and
the pages about one's own account that any signed-in user may change (OWN_ACCOUNT_ROUTES).

- an anonymous visitor is sent to sign in (pages) or gets 401 (API);
- a viewer changes nothing: every write to a page or the API is refused (403, or 405 for a
  method the URL does not take) and the database is left exactly as it was;
- a member cannot reach admin settings (every page under /settings/, and every page that
  asks for the admin role): 403, and nothing changes.
"""

import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern
from django.utils import timezone

from leadbook.accounts.services import create_api_token
from leadbook.api.main import api
from leadbook.capture.services import create_web_form
from leadbook.conversions.services import convert_lead
from leadbook.core.models import WorkspaceSettings
from leadbook.leads.models import LeadType, Status
from leadbook.leads.services import delete_lead
from leadbook.outreach.models import OutreachKind
from leadbook.outreach.services import log_outreach
from leadbook.transfer import services as transfer_services
from leadbook.webhooks.models import Delivery
from leadbook.webhooks.services import create_webhook
from tests.api.conftest import ApiClient, token_for

# Who may open what does not depend on the database: walked once, in the SQLite pass.
pytestmark = pytest.mark.once

API_PREFIX = "api/v2/"
SAMPLE = Path(__file__).parents[1] / "transfer" / "samples" / "bulk_upload_example.csv"

# Open to anyone, by design. Everything else needs a signed-in user.
PUBLIC_ROUTES = {
    "healthz",                            # load balancers' health check
    "setup/",                             # first-run admin account (refused once one exists)
    "api/create-lead",                    # website forms post leads here
    "api/create-lead/",
    "api/create-lead/thanks",
    "api/create-lead/embed.js",
    "accounts/login/",
    "accounts/logout/",
    "accounts/password_reset/",
    "accounts/password_reset/done/",
    "accounts/reset/<uidb64>/<token>/",
    "accounts/reset/done/",
    "api/v2/openapi.json",                # the API's description and its docs page
    "api/v2/docs",
    "api/v2/",                            # the API's root: a JSON 404 pointing to the docs
}

# A user's own account: any signed-in user, a viewer too, may change these (their password,
# their API tokens, their notification emails). They change nothing of the lead book.
OWN_ACCOUNT_ROUTES = {
    "accounts/logout/",
    "accounts/password_change/",
    "accounts/password_change/done/",
    "accounts/profile/",
    "accounts/profile/tokens/",
    "accounts/profile/tokens/<int:pk>/revoke/",
    "accounts/profile/notifications/",
}

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
API_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
MISSING_ID = 987654


@dataclass(frozen=True)
class Route:
    route: str       # as written in the URLconf, e.g. "leads/<int:pk>/edit/"
    callback: object

    @property
    def is_api(self) -> bool:
        return self.route.startswith(API_PREFIX) and self.route not in PUBLIC_ROUTES

    @property
    def is_public(self) -> bool:
        return self.route in PUBLIC_ROUTES


def _walk(resolver: URLResolver, prefix: str = "") -> Iterator[Route]:
    for entry in resolver.url_patterns:
        if not isinstance(entry.pattern, RoutePattern):
            raise AssertionError(
                f"{prefix}{entry.pattern} is a regular expression: teach this walk to fill "
                f"it in, so that its protection is tested.")
        if isinstance(entry, URLResolver):
            yield from _walk(entry, prefix + str(entry.pattern))
        else:
            assert isinstance(entry, URLPattern)
            yield Route(prefix + str(entry.pattern), entry.callback)


def all_routes() -> list[Route]:
    routes: dict[str, Route] = {}
    for route in _walk(get_resolver()):
        routes.setdefault(route.route, route)  # the first match wins, as in Django
    return list(routes.values())


ROUTES = all_routes()
PAGES = [r for r in ROUTES if not r.is_api and not r.is_public]
PUBLIC = [r for r in ROUTES if r.is_public]
API_ROUTES = [r for r in ROUTES if r.is_api]


def _ids(routes: list[Route]) -> list[str]:
    return [r.route or "/" for r in routes]


# --- The world the walk runs in: one of everything, so that ids in URLs are real --------------


@pytest.fixture
def world(admin, member, viewer, make_lead):
    WorkspaceSettings.load()
    status = Status.objects.first()
    lead = make_lead(name="Corner Cup", email="ana@cornercup.example.com", owner=member,
                     lead_types=["Wholesale"])
    make_lead(name="Second Lead", email="bo@second.example.com")
    trashed = make_lead(name="Binned Lead", email="gone@binned.example.com")
    delete_lead(lead=trashed, actor=member)
    outreach = log_outreach(lead=lead, actor=member, kind=OutreachKind.objects.first(),
                            notes="Called about the wholesale order.")
    customer_lead = make_lead(name="Customer Lead", email="cy@customer.example.com")
    record = convert_lead(lead=customer_lead, actor=admin, target="customer")
    form = create_web_form(name="Contact page", lead_types=LeadType.objects.none())
    job = transfer_services.create_import(actor=member, data=SAMPLE)
    webhook = create_webhook(actor=admin, url="https://hooks.example.com/leadbook",
                             events=["lead.created"])
    delivery = Delivery.objects.create(webhook=webhook, event="lead.created", body="{}")
    viewer_token, _ = create_api_token(user=viewer, name="Viewer's token")
    # The thing a URL's id names: the literal segment before it (or the parameter before).
    by_kind = {
        "leads": lead.pk, "move": lead.pk, "column": status.pk, "outreach": outreach.pk,
        "target": record.pk, "web-forms": form.pk, "import": job.pk, "rows": 2,
        "webhooks": webhook.pk, "deliveries": delivery.pk, "tokens": viewer_token.pk,
        "users": member.pk, "trash": trashed.pk, "slug": status.pk,
        # the API's path parameters
        "lead_id": lead.pk, "outreach_id": outreach.pk, "record_id": record.pk,
        "job_id": job.pk,
    }
    return by_kind


CONVERTER_VALUES = {"slug": "statuses", "section": "customers", "target": "customer"}
PARAM = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>|\{(?P<api_name>\w+)\}")


def fill(route: str, world: dict) -> str:
    """A real path for a route: each id parameter becomes the id of an object of the kind
    the path names (or an id nobody has), each other parameter a valid value."""
    parts: list[str] = []
    position = 0
    previous_kind = ""
    for match in PARAM.finditer(route):
        literal = route[position:match.start()]
        segments = [s for s in literal.split("/") if s]
        if segments:
            previous_kind = segments[-1]
        converter, name = match["converter"] or "str", match["name"] or match["api_name"]
        if match["api_name"]:
            value = str(world.get(name, MISSING_ID))
        elif converter == "int":
            value = str(world.get(previous_kind, MISSING_ID))
        else:
            value = CONVERTER_VALUES.get(converter, "x")
        parts += [literal, value]
        if converter != "int":
            previous_kind = name
        position = match.end()
    parts.append(route[position:])
    return "/" + "".join(parts).lstrip("/")


# --- A snapshot of the database, to prove a refused write wrote nothing -------------------------

# Bookkeeping that reading may touch: sessions, and an API token's rate-limit counters.
IGNORED_TABLES = {"django_session", "audit_failedsignin"}
IGNORED_COLUMNS = {"rate_minute", "rate_count", "rate_previous", "last_used_at",
                   "last_login"}


def snapshot() -> dict[str, list[tuple]]:
    state = {}
    for model in apps.get_models(include_auto_created=True):
        table = model._meta.db_table
        if table in IGNORED_TABLES or not model._meta.managed:
            continue
        columns = [f.attname for f in model._meta.concrete_fields
                   if f.attname not in IGNORED_COLUMNS]
        state[table] = sorted(model._base_manager.values_list(*columns), key=repr)
    return state


def changed_tables(before: dict, after: dict) -> list[str]:
    return sorted(table for table in before if before[table] != after[table])


def is_sign_in_redirect(response) -> bool:
    login = resolve_url(settings.LOGIN_URL)
    return response.status_code == 302 and response["Location"].startswith(login + "?next=")


# --- The walk ------------------------------------------------------------------------------


def test_the_walk_finds_the_pages_and_the_api():
    """A sanity check of the discovery itself: a walk that finds nothing tests nothing."""
    routes = {r.route for r in ROUTES}
    assert {"", "leads/", "leads/<int:pk>/edit/", "settings/", "settings/users/",
            "leads/trash/"} <= routes
    assert len(PAGES) > 60
    assert len(API_ROUTES) >= 10
    assert PUBLIC_ROUTES - routes <= {"api/v2/"}, "the allowlist names pages that are gone"


@pytest.mark.parametrize("route", PAGES, ids=_ids(PAGES))
def test_an_anonymous_visitor_is_sent_to_sign_in(route, world, client):
    path = fill(route.route, world)
    before = snapshot()
    answers = {method: client.generic(method, path) for method in ("GET", "POST")}
    for method, response in answers.items():
        assert is_sign_in_redirect(response) or response.status_code == 405, \
            f"{method} {path} answered {response.status_code} to an anonymous visitor"
    assert any(is_sign_in_redirect(r) for r in answers.values()), \
        f"{path} neither sends anonymous visitors to sign in nor takes GET or POST"
    assert changed_tables(before, snapshot()) == []


@pytest.mark.parametrize("route", PAGES, ids=_ids(PAGES))
def test_a_viewer_changes_nothing(route, world, viewer_client, admin_client):
    path = fill(route.route, world)
    assert admin_client.get(path).status_code < 500, f"GET {path} fails for an admin"
    assert viewer_client.get(path).status_code < 500, f"GET {path} fails for a viewer"
    if route.route in OWN_ACCOUNT_ROUTES:
        return
    assert not getattr(route.callback, "own_account", False), \
        f"{route.route} lets viewers write (own_account) but is not in OWN_ACCOUNT_ROUTES"
    before = snapshot()
    for method in WRITE_METHODS:
        response = viewer_client.generic(method, path, data={"name": "Changed", "pk": "1"})
        assert response.status_code in (403, 405), \
            f"{method} {path} answered {response.status_code} to a viewer"
    assert changed_tables(before, snapshot()) == [], f"a viewer's write to {path} changed data"


ADMIN_PAGES = [r for r in PAGES if r.route.startswith("settings/")
               or getattr(r.callback, "required_role", None) == "admin"]


def test_admin_pages_are_found():
    routes = {r.route for r in ADMIN_PAGES}
    assert {"settings/", "settings/users/", "settings/audit/", "settings/webhooks/",
            "settings/web-forms/", "settings/<slug:slug>/"} <= routes


@pytest.mark.parametrize("route", ADMIN_PAGES, ids=_ids(ADMIN_PAGES))
def test_a_member_cannot_reach_admin_settings(route, world, member_client):
    path = fill(route.route, world)
    before = snapshot()
    answers = {method: member_client.generic(method, path) for method in ("GET", "POST")}
    for method, response in answers.items():
        assert response.status_code in (403, 405), \
            f"{method} {path} answered {response.status_code} to a member"
    assert any(r.status_code == 403 for r in answers.values())
    assert changed_tables(before, snapshot()) == []


@pytest.mark.parametrize("route", PUBLIC, ids=_ids(PUBLIC))
def test_public_pages_open_without_signing_in(route, world, client):
    """The allowlist is short and each entry really is public (a page behind sign-in that
    sits on the list by mistake shows up here)."""
    response = client.get(fill(route.route, world))
    assert not is_sign_in_redirect(response)
    assert response.status_code < 500


# --- The API -----------------------------------------------------------------------------


def api_operations() -> list[tuple[str, str]]:
    """(method, path) of every operation the API's OpenAPI schema describes."""
    schema = api.get_openapi_schema(path_prefix="/" + API_PREFIX.rstrip("/"))
    operations = []
    for path, item in schema["paths"].items():
        for method in item:
            if method.upper() in API_METHODS:
                operations.append((method.upper(), path))
    return sorted(operations)


OPERATIONS = api_operations()


def test_every_api_url_is_an_operation_of_the_schema():
    """So the schema walk below covers the whole API: no URL under /api/v2/ escapes it."""
    described = {re.sub(r"\{\w+\}", "<>", path) for _, path in OPERATIONS}
    for route in API_ROUTES:
        assert "/" + re.sub(r"<\w+>", "<>", route.route) in described, route.route
    assert len(OPERATIONS) >= 20


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[" ".join(o) for o in OPERATIONS])
def test_the_api_refuses_anonymous_callers_and_viewers_writes(method, path, world, admin,
                                                               admin_client, viewer, settings):
    settings.API_RATE_LIMIT = 100_000
    url = fill(path, world)
    anonymous = Client()
    response = anonymous.generic(method, url, data="{}", content_type="application/json")
    assert response.status_code == 401, f"{method} {url} answered {response.status_code} " \
                                        f"to an anonymous caller"
    # A browser's session is not an API credential (no CSRF check guards the API).
    response = admin_client.generic(method, url, data="{}", content_type="application/json")
    assert response.status_code == 401, f"{method} {url} accepted a session cookie"
    bad = anonymous.generic(method, url, data="{}", content_type="application/json",
                            headers={"Authorization": "Bearer not-a-token"})
    assert bad.status_code == 401
    if method == "GET":
        assert ApiClient(token_for(viewer)).request(method, url).status_code < 500
        return
    as_viewer = ApiClient(token_for(viewer))
    before = snapshot()
    response = as_viewer.request(method, url, {"name": "Changed"})
    assert response.status_code in (403, 405), \
        f"{method} {url} answered {response.status_code} to a viewer's token"
    assert changed_tables(before, snapshot()) == [], f"a viewer's {method} {url} changed data"


def test_revoked_and_expired_tokens_open_nothing(world, viewer, settings):
    settings.API_RATE_LIMIT = 100_000
    token, raw = create_api_token(user=viewer, name="Old")
    from leadbook.accounts.services import revoke_api_token

    revoke_api_token(token=token, actor=viewer)
    assert ApiClient(raw).get("/leads").status_code == 401
    token, raw = create_api_token(user=viewer, name="Expired")
    token.expires_at = timezone.now() - datetime.timedelta(days=1)
    token.save()
    assert ApiClient(raw).get("/leads").status_code == 401
