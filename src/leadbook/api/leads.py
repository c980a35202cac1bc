"""/api/v2/leads: the lead book, through the same services as the pages."""

import datetime
import re
from collections import defaultdict
from typing import Annotated, Any, Literal

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.http import urlencode
from ninja import Header, Query, Router, Status
from pydantic import BaseModel, BeforeValidator, Field

from leadbook.accounts.models import User
from leadbook.core import paging
from leadbook.core.beside import beside
from leadbook.leads import history, keyset, services
from leadbook.leads.filters import ORDERINGS, STAGE_ORDER, LeadFilter
from leadbook.leads.matching import find_matches
from leadbook.leads.models import (
    CONTACT_FIELDS,
    MAX_FOLLOWERS,
    MAX_LEAD_NOTES,
    Lead,
    LeadType,
    Source,
    Stage,
)
from leadbook.leads.models import Status as LeadStatus
from leadbook.leads.tally import tallied_count

from .cursor import cursor_errors
from .errors import (
    Conflict,
    DuplicatesErrorOut,
    NotFound,
    PreconditionErrorOut,
    Unprocessable,
    field_error,
)
from .names import Names
from .openapi import (
    DELETE_ONE,
    ETAG,
    LOCATION,
    ONE,
    QUERY,
    WRITE,
    WRITE_ONE,
    responses,
    with_headers,
)
from .schemas import MAX_NAMES, InputSchema, PageQuery, actor, id_path

router = Router(tags=["Leads"])

LeadId = Annotated[int, id_path("The lead's id.")]
Temperature = Literal["cold", "warm"]
TriState = Literal["true", "false", "all"]
Ordering: Any = Literal[tuple([*ORDERINGS, *(f"-{key}" for key in ORDERINGS)])]  # type: ignore[valid-type]
def _iso_day(value: Any) -> Any:
    """Days are written YYYY-MM-DD (not numbers, which pydantic would read as timestamps)."""
    if isinstance(value, str) and not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise ValueError("Give a date like 2025-03-31.")
    if not isinstance(value, str | datetime.date):
        raise ValueError("Give a date like 2025-03-31.")
    return value


Day = Annotated[datetime.date, BeforeValidator(_iso_day)]
StageName: Any = Literal[tuple(Stage.values)]  # type: ignore[valid-type]
ReachedStage: Any = Literal[tuple(stage.value for stage in STAGE_ORDER)]  # type: ignore[valid-type]

# Each text field's longest value, as the database keeps it.
LENGTHS = {f.name: getattr(f, "max_length", None) for f in Lead._meta.get_fields()
           if f.name in (*CONTACT_FIELDS, "collab_type")}


# --- What a lead looks like ---------------------------------------------------------------------


class LeadOut(BaseModel):
    id: int
    name: str
    first_name: str
    last_name: str
    company: str
    position: str
    email: str
    phone: str
    instagram: str
    website: str
    address: str
    city: str
    state: str
    postal_code: str
    country: str
    source: str | None = Field(description="The source's name.")
    status: str = Field(description="The status's name.")
    temperature: Temperature
    lead_types: list[str] = Field(description="The lead types' names.")
    collab_type: str
    followers: int | None
    notes: str
    owner: str | None = Field(description="The owner's username.")
    is_active: bool
    pending: bool = Field(description="A follow-up is planned and nothing was logged since.")
    converted: bool
    converted_at: datetime.datetime | None
    last_outreach_at: datetime.datetime | None
    next_follow_up_on: datetime.date | None
    created_at: datetime.datetime
    updated_at: datetime.datetime
    version: int = Field(description="Goes up with every change; the ETag carries it.")


class LeadPage(BaseModel):
    items: list[LeadOut]
    count: int = Field(description="How many leads match, over all pages.")


class LeadListPage(LeadPage):
    count: int = Field(description="How many leads match, over all pages. A page read with "
                                   "a cursor gives the count of the walk's first page, so "
                                   "every page of one walk agrees. A list the database "
                                   "counts lead by lead (a search, a date range, a reached "
                                   "stage, several lead types) is counted up to 1,000 unless "
                                   "`exact_count` is sent: see `count_capped`.")
    count_capped: bool = Field(description="True when more leads match than `count` (which "
                                           "is then 1,000): walk on with `next_cursor` "
                                           "until it is null, or send `exact_count=true`.")
    next_cursor: str | None = Field(
        description="Send it as `cursor` (with the same filters and ordering) for the next "
                    "page; null on the last page.")


# The lead columns a lead's JSON is made from; names come from small lookup tables.
COLUMNS = (*CONTACT_FIELDS, "id", "source_id", "status_id", "temperature", "collab_type",
           "followers", "notes", "owner_id", "is_active", "converted_at", "last_outreach_at",
           "next_follow_up_on", "created_at", "updated_at", "version")


def leads_json(queryset: QuerySet[Lead]) -> list[dict[str, Any]]:
    """Leads as the API and webhooks show them, in the queryset's order.

    Read as plain rows, with the names of statuses, sources, owners and lead types looked
    up once for all of them: a page of 500 leads costs a handful of queries and no model
    instances."""
    rows = list(queryset.values(*COLUMNS))
    if not rows:
        return []
    statuses = dict(LeadStatus.objects.values_list("pk", "name"))
    sources = dict(Source.objects.values_list("pk", "name"))
    owner_ids = {row["owner_id"] for row in rows if row["owner_id"]}
    owners = dict(User.objects.filter(pk__in=owner_ids).values_list("pk", "username"))
    type_names = dict(LeadType.objects.values_list("pk", "name"))  # in position order
    order = {pk: i for i, pk in enumerate(type_names)}
    types: dict[int, list[int]] = defaultdict(list)
    links = Lead.lead_types.through.objects.filter(lead_id__in=[row["id"] for row in rows])
    for lead_id, type_id in links.values_list("lead_id", "leadtype_id"):
        types[lead_id].append(type_id)
    result = []
    for row in rows:
        data = {field: row[field] for field in CONTACT_FIELDS}
        data.update(
            id=row["id"], source=sources.get(row["source_id"]),
            status=statuses[row["status_id"]], temperature=row["temperature"],
            lead_types=[type_names[t] for t in sorted(types[row["id"]], key=order.__getitem__)],
            collab_type=row["collab_type"], followers=row["followers"], notes=row["notes"],
            owner=owners.get(row["owner_id"]), is_active=row["is_active"],
            pending=row["next_follow_up_on"] is not None,
            converted=row["converted_at"] is not None, converted_at=row["converted_at"],
            last_outreach_at=row["last_outreach_at"],
            next_follow_up_on=row["next_follow_up_on"], created_at=row["created_at"],
            updated_at=row["updated_at"], version=row["version"],
        )
        result.append(data)
    return result


def lead_json(lead_id: int, *, trash_too: bool = False) -> dict[str, Any]:
    """One lead's JSON, read fresh from the database (404 when it is not in the book)."""
    manager = Lead.all_objects if trash_too else Lead.objects
    found = leads_json(manager.filter(pk=lead_id))
    if not found:
        raise NotFound("No such lead (or it is in the trash).")
    return found[0]


def etag(lead: dict[str, Any]) -> str:
    return f'"{lead["version"]}"'


# --- What a client sends ----------------------------------------------------------------------


def _text(field: str) -> Any:
    return Field("", max_length=LENGTHS[field])


NameStr = Annotated[str, Field(max_length=100)]


class LeadWrite(InputSchema):
    """A whole lead (POST, PUT). Fields left out take their defaults: empty text, the first
    status of the Lead stage, cold, no types, no owner, active."""

    name: str = Field("", max_length=LENGTHS["name"],
                      description="Person or business. Left empty, it is made from the first "
                                  "and last name, else the company.")
    first_name: str = _text("first_name")
    last_name: str = _text("last_name")
    company: str = _text("company")
    position: str = _text("position")
    email: str = _text("email")
    phone: str = _text("phone")
    instagram: str = Field("", max_length=LENGTHS["instagram"],
                           description="@handle, handle or profile link.")
    website: str = _text("website")
    address: str = _text("address")
    city: str = _text("city")
    state: str = _text("state")
    postal_code: str = _text("postal_code")
    country: str = _text("country")
    source: NameStr | None = Field(None, description="A source's name (see /sources).")
    status: NameStr | None = Field(
        None, description="A status's name (see /statuses); the first status of the Lead "
                          "stage when left out.")
    temperature: Temperature = "cold"
    lead_types: list[NameStr] = Field(
        [], max_length=MAX_NAMES, description="Lead types' names (see /lead-types).")
    collab_type: str = _text("collab_type")
    followers: int | None = Field(None, ge=0, le=MAX_FOLLOWERS)
    notes: str = Field("", max_length=MAX_LEAD_NOTES)
    owner: NameStr | None = Field(None, description="A user's username, or null for nobody.")
    is_active: bool = Field(True, description="False sets the lead inactive (kept, out of "
                                              "the default view).")


def _unset_default(schema: dict[str, Any]) -> None:
    for prop in schema.get("properties", {}).values():
        prop.pop("default", None)


class LeadPatch(InputSchema):
    """Some fields of a lead (PATCH): only the fields sent change."""

    model_config = {"json_schema_extra": _unset_default}

    name: str = Field(None, max_length=LENGTHS["name"])  # type: ignore[assignment]
    first_name: str = Field(None, max_length=LENGTHS["first_name"])  # type: ignore[assignment]
    last_name: str = Field(None, max_length=LENGTHS["last_name"])  # type: ignore[assignment]
    company: str = Field(None, max_length=LENGTHS["company"])  # type: ignore[assignment]
    position: str = Field(None, max_length=LENGTHS["position"])  # type: ignore[assignment]
    email: str = Field(None, max_length=LENGTHS["email"])  # type: ignore[assignment]
    phone: str = Field(None, max_length=LENGTHS["phone"])  # type: ignore[assignment]
    instagram: str = Field(None, max_length=LENGTHS["instagram"])  # type: ignore[assignment]
    website: str = Field(None, max_length=LENGTHS["website"])  # type: ignore[assignment]
    address: str = Field(None, max_length=LENGTHS["address"])  # type: ignore[assignment]
    city: str = Field(None, max_length=LENGTHS["city"])  # type: ignore[assignment]
    state: str = Field(None, max_length=LENGTHS["state"])  # type: ignore[assignment]
    postal_code: str = Field(None, max_length=LENGTHS["postal_code"])  # type: ignore[assignment]
    country: str = Field(None, max_length=LENGTHS["country"])  # type: ignore[assignment]
    source: NameStr | None = None
    status: NameStr = None  # type: ignore[assignment]
    temperature: Temperature = None  # type: ignore[assignment]
    lead_types: list[NameStr] = Field(None, max_length=MAX_NAMES)  # type: ignore[assignment]
    collab_type: str = Field(None, max_length=LENGTHS["collab_type"])  # type: ignore[assignment]
    followers: int | None = Field(None, ge=0, le=MAX_FOLLOWERS)
    notes: str = Field(None, max_length=MAX_LEAD_NOTES)  # type: ignore[assignment]
    owner: NameStr | None = None
    is_active: bool = None  # type: ignore[assignment]


class LeadListQuery(PageQuery):
    search: str = Field("", max_length=200, description="Words in the name, contact, company, "
                                                        "email, phone, city or Instagram.")
    status: list[NameStr] = Field([], max_length=MAX_NAMES,
                                  description="Status names; repeat or separate with commas.")
    lead_type: list[NameStr] = Field([], max_length=MAX_NAMES, description="Lead type names.")
    source: list[NameStr] = Field([], max_length=MAX_NAMES,
                                  description="Source names; `none` for leads without a "
                                              "source.")
    owner: list[NameStr] = Field([], max_length=MAX_NAMES,
                                 description="Usernames; `none` for leads nobody owns.")
    temperature: Temperature | None = None
    active: TriState = Field("true", description="Active leads (default), inactive, or all.")
    pending: TriState = Field("all", description="With a pending follow-up, without, or all.")
    converted: TriState = "all"
    created_after: Day | None = Field(
        None, description="Added on or after this day (YYYY-MM-DD, the workspace's time "
                          "zone).")
    created_before: Day | None = Field(
        None, description="Added on or before this day (inclusive).")
    stage: list[StageName] = Field(
        [], max_length=MAX_NAMES, description="The current status's stage; repeat for several.")
    reached: ReachedStage | None = Field(
        None, description="Leads whose status is at or beyond this stage of the lifecycle "
                          "(lead → qualified → opportunity → won), and Lost leads that got "
                          "there before they were lost.")
    ordering: Ordering = Field("name", description="A column; `-` in front sorts descending.")
    cursor: str | None = Field(
        None, max_length=2000,
        description="Where to go on from: the `next_cursor` of the previous page, with the "
                    "same filters and ordering. Deep pages cost no more than the first "
                    "(unlike `offset`). Not with `offset`.")
    exact_count: bool = Field(
        False, description="Count a search (or another list counted lead by lead) exactly, "
                           "however many leads match, instead of up to 1,000. At a million "
                           "leads that costs tens of milliseconds more.")


# --- Turning a request into service arguments ---------------------------------------------------

TEXT_FIELDS = (*CONTACT_FIELDS, "collab_type", "notes")


def service_arguments(data: dict[str, Any]) -> tuple[dict[str, Any], list | None, bool | None]:
    """(fields for create_lead/update_lead, lead types or None, is_active or None) from the
    fields a client sent, with names resolved."""
    names = Names()
    fields = {k: data[k] for k in (*TEXT_FIELDS, "temperature", "followers") if k in data}
    if "status" in data:
        fields["status"] = names.one(LeadStatus.objects.all(), data["status"], "status",
                                     "status") if data["status"] is not None \
            else services.default_status()
    if "source" in data:
        fields["source"] = names.one(Source.objects.all(), data["source"], "source",
                                     "source") if data["source"] is not None else None
    if "owner" in data:
        fields["owner"] = names.user(data["owner"]) if data["owner"] is not None else None
    lead_types = names.many(LeadType.objects.all(), data["lead_types"], "lead_types",
                            "lead type") if "lead_types" in data else None
    names.check()
    return fields, lead_types, data.get("is_active")


def _duplicates_of(fields: dict[str, Any]) -> list[dict[str, Any]]:
    """Existing leads the new one probably repeats (checked once it is otherwise valid)."""
    candidate = Lead(**fields)
    services.validate_lead(candidate)  # normalised as it would be saved
    matches = find_matches({field: getattr(candidate, field) for field in CONTACT_FIELDS})
    return [{"lead_id": m.lead_id, "reason": m.reason, "score": m.score, "detail": m.detail}
            for m in matches]


def expected_version(if_match: str | None, lead: Lead) -> int | None:
    """The version an If-Match header names (None when absent or `*`); a header that names
    no version of this lead is stale by definition."""
    if if_match is None or not if_match.strip():
        return None
    tags = [t.strip().removeprefix("W/").strip('"') for t in if_match.split(",")]
    if "*" in tags:
        return None
    if str(lead.version) in tags:
        return lead.version
    versions = [int(t) for t in tags if t.isdigit() and len(t) < 10]
    return max(versions) if versions else 0


def live_lead(lead_id: int, user: User | None = None) -> Lead:
    """One lead of the book (not in the trash, not merged), among those `user` may see."""
    leads = Lead.objects.visible_to(user) if user is not None else Lead.objects
    return leads.get(pk=lead_id)


def _save(request: HttpRequest, lead: Lead, data: dict[str, Any],
          if_match: str | None) -> dict[str, Any]:
    """Apply changes (PUT or PATCH) in one transaction, honouring If-Match. is_active goes
    through its own action, as on the pages."""
    fields, lead_types, is_active = service_arguments(data)
    version = expected_version(if_match, lead)
    with transaction.atomic():
        if fields or lead_types is not None:
            services.update_lead(lead=lead, actor=actor(request), expected_version=version,
                                 lead_types=lead_types, **fields)
        elif version is not None:
            current = Lead.objects.select_for_update().get(pk=lead.pk)
            if current.version != version:
                raise services.LeadConflict(current, history.changes_since(current, version))
        if is_active is not None:
            services.set_lead_active(lead=lead, actor=actor(request), active=is_active)
    return lead_json(lead.pk)


IF_MATCH = Header(None, alias="If-Match", max_length=200,
                  description="The ETag from your GET. When the lead changed since, the "
                              "request fails with 412 and nothing is written.")


# --- Operations -------------------------------------------------------------------------------


@router.get("/leads", response=responses({200: LeadListPage}, *QUERY), summary="List leads")
def list_leads(request: HttpRequest, filters: Query[LeadListQuery]):
    """The leads table's view: the same filters, search and ordering as /leads/ in the app.
    Only active leads unless `active` says otherwise.

    Page with `limit` and `offset`, or, for long lists, with `cursor`: every page answers
    a `next_cursor`; send it back (with the same filters and ordering) for the next page,
    until it is null. A cursor page costs the same however deep it is."""
    if filters.cursor and filters.offset:
        raise Unprocessable.field("offset", "Send either cursor or offset, not both.",
                                  location="query")
    params = filters.model_dump(exclude={"limit", "offset", "cursor", "exact_count"})
    params = {k: v for k, v in params.items() if v not in ("", None, [])}
    view = LeadFilter.from_params(params)
    if view.errors:
        raise Unprocessable([field_error(param, message, location="query")
                             for param, message in view.errors.items()])
    visible = Lead.objects.visible_to(request.user)
    leads = view.apply(visible)
    # A walk by cursor counts the list once, on its first page, and carries the count in
    # its cursors: counting a million leads costs more than reading any page of them. Most
    # lists are counted from the tallies (leads/tally.py); the rest lead by lead, up to
    # paging.DEFAULT_CAP unless asked for exactly, as the table does ("1,000+"): a search
    # matching 15,000 of a million leads took 27 ms to count on PostgreSQL, 11 ms capped.
    counted = f"{request.user.pk}?{urlencode(view.to_params())}"
    count = keyset.carried_count(filters.cursor, counted) if filters.cursor else None
    if count is None:
        count = tallied_count(view, request.user)
    cap = None if filters.exact_count else paging.DEFAULT_CAP
    by_id = view.by_id(visible)
    found: list[int] = []
    # Counted beside the reading of the page (core/beside.py) when neither the
    # tallies nor the page's own query count it.
    counting = beside(lambda: _count(leads, cap)) if count is None and by_id is None else None
    with cursor_errors():
        rows = keyset.read_after(view.pages(visible), view.ordering, filters.cursor,
                                 offset=filters.offset,
                                 limit=filters.limit + 1,  # one more: is there a next page?
                                 read=leads_json, within=view.whole_list(visible),
                                 by_id=by_id, on_count=found.append if count is None else None,
                                 count_upto=cap)
    more = len(rows) > filters.limit
    items = rows[:filters.limit]
    capped = False
    if count is None and not found and not filters.cursor and not more \
            and (rows or not filters.offset):
        count = filters.offset + len(rows)  # the list ends on this page: nothing to count
    elif count is None:
        found = found or [counting() if counting else _count(leads, cap)]
        capped = cap is not None and found[0] > cap
        count = cap if capped else found[0]
    return {"items": items, "count": count, "count_capped": capped,
            "next_cursor": keyset.make_cursor(
                view.ordering, items[-1]["id"],
                count=None if capped else (counted, count)) if more else None}


def _count(leads: QuerySet[Lead], cap: int | None) -> int:
    """How many leads `leads` holds: exactly, or (with a `cap`) up to `cap` + 1."""
    return leads.count() if cap is None else paging.count_upto(leads, cap)


@router.post("/leads", response=responses(
    {201: LeadOut}, *WRITE, _409=DuplicatesErrorOut), openapi_extra=with_headers(
    _201={"ETag": ETAG, "Location": LOCATION}), summary="Create a lead")
def create_lead(request: HttpRequest, response: HttpResponse, payload: LeadWrite,
                allow_duplicate: bool = Query(
                    False, description="Create the lead even when it looks like one you "
                                       "already have (otherwise: 409 listing them).")):
    fields, lead_types, is_active = service_arguments(payload.model_dump())
    fields.setdefault("status", services.default_status())
    if not allow_duplicate:
        duplicates = _duplicates_of(fields)
        if duplicates:
            raise Conflict("This looks like a lead you already have. Send "
                           "?allow_duplicate=true to add it anyway.", duplicates=duplicates)
    with transaction.atomic():
        lead = services.create_lead(actor=actor(request), lead_types=lead_types or [], **fields)
        if is_active is False:
            services.set_lead_active(lead=lead, actor=actor(request), active=False)
    data = lead_json(lead.pk)
    response["ETag"] = etag(data)
    response["Location"] = f"{request.path.rstrip('/')}/{lead.pk}"
    return Status(201, data)


@router.get("/leads/{lead_id}", response=responses({200: LeadOut}, *ONE),
            openapi_extra=with_headers(_200={"ETag": ETAG}), summary="Get a lead")
def get_lead(request: HttpRequest, response: HttpResponse, lead_id: LeadId):
    data = lead_json(live_lead(lead_id, request.user).pk)
    response["ETag"] = etag(data)
    return data


@router.put("/leads/{lead_id}", response=responses(
    {200: LeadOut}, *WRITE_ONE, _412=PreconditionErrorOut),
    openapi_extra=with_headers(_200={"ETag": ETAG}), summary="Replace a lead")
def replace_lead(request: HttpRequest, response: HttpResponse, lead_id: LeadId,
                 payload: LeadWrite, if_match: str = IF_MATCH):
    """Every field is set: those left out take their defaults (see PATCH to change some)."""
    data = _save(request, live_lead(lead_id, request.user), payload.model_dump(), if_match)
    response["ETag"] = etag(data)
    return data


@router.patch("/leads/{lead_id}", response=responses(
    {200: LeadOut}, *WRITE_ONE, _412=PreconditionErrorOut),
    openapi_extra=with_headers(_200={"ETag": ETAG}), summary="Change some fields of a lead")
def update_lead(request: HttpRequest, response: HttpResponse, lead_id: LeadId,
                payload: LeadPatch, if_match: str = IF_MATCH):
    data = _save(request, live_lead(lead_id, request.user),
                 payload.model_dump(exclude_unset=True), if_match)
    response["ETag"] = etag(data)
    return data


@router.delete("/leads/{lead_id}", response=responses({204: None}, *DELETE_ONE),
               summary="Delete a lead (to the trash)")
def delete_lead(request: HttpRequest, lead_id: LeadId):
    """The lead goes to the trash, out of every list; it can be restored in the app."""
    services.delete_lead(lead=live_lead(lead_id, request.user), actor=actor(request))
    return Status(204, None)
