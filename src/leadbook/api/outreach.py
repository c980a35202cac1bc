"""/api/v2/leads/{id}/outreach, /api/v2/outreach/{id} and /api/v2/followups."""

import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status
from pydantic import BaseModel, Field, field_validator

from leadbook.leads.models import Lead
from leadbook.outreach import services
from leadbook.outreach.models import Outreach, OutreachKind

from .leads import LeadId, LeadPage, leads_json, live_lead
from .names import Names
from .openapi import DELETE_ONE, ONE, QUERY, WRITE_ONE, responses
from .schemas import MAX_NOTES, InputSchema, PageQuery, actor, id_path, page

router = Router(tags=["Outreach"])

OutreachId = Annotated[int, id_path("The outreach entry's id.")]
EARLIEST = datetime.datetime(1900, 1, 1, tzinfo=datetime.UTC)


class OutreachOut(BaseModel):
    id: int
    lead_id: int
    kind: str = Field(description="The outreach kind's name (see /outreach-kinds).")
    happened_at: datetime.datetime
    notes: str
    follow_up_on: datetime.date | None
    follow_up_done_at: datetime.datetime | None = Field(
        description="When the follow-up was marked done without logging outreach.")
    by: str | None = Field(description="Who logged it (username).")
    created_at: datetime.datetime
    updated_at: datetime.datetime


class OutreachPage(BaseModel):
    items: list[OutreachOut]
    count: int


def outreach_json(outreach: Outreach) -> dict[str, Any]:
    return {
        "id": outreach.pk, "lead_id": outreach.lead_id, "kind": outreach.kind.name,
        "happened_at": outreach.happened_at, "notes": outreach.notes,
        "follow_up_on": outreach.follow_up_on, "follow_up_done_at": outreach.follow_up_done_at,
        "by": outreach.by.username if outreach.by is not None else None,
        "created_at": outreach.created_at, "updated_at": outreach.updated_at,
    }


def _aware(value: datetime.datetime | None) -> datetime.datetime | None:
    """A time without a zone is read in Leadbook's time zone; times before 1900 are refused
    (they are typing mistakes, and some cannot be converted between zones)."""
    if value is None:
        return None
    if timezone.is_naive(value):
        if value.year < 1900:
            raise ValueError("Give a date from 1900 on.")
        value = timezone.make_aware(value)
    if value < EARLIEST:
        raise ValueError("Give a date from 1900 on.")
    return value


class OutreachIn(InputSchema):
    kind: str = Field(max_length=100, description="An outreach kind's name: Email, Call, "
                                                  "Text, DM, In person, Other...")
    notes: str = Field("", max_length=MAX_NOTES)
    happened_at: datetime.datetime | None = Field(
        None, description="When it happened (default: now). Without a time zone, "
                          "Leadbook's own is assumed.")
    follow_up_on: datetime.date | None = Field(
        None, description="When to follow up: the lead is pending until then.")

    _happened_at = field_validator("happened_at")(_aware)


def _no_default(schema: dict[str, Any]) -> None:
    for prop in schema.get("properties", {}).values():
        prop.pop("default", None)


class OutreachPatch(InputSchema):
    model_config = {"json_schema_extra": _no_default}

    kind: str = Field(None, max_length=100)  # type: ignore[assignment]
    notes: str = Field(None, max_length=MAX_NOTES)  # type: ignore[assignment]
    happened_at: datetime.datetime = None  # type: ignore[assignment]
    follow_up_on: datetime.date | None = None

    _happened_at = field_validator("happened_at")(_aware)


def _kind(name: str) -> OutreachKind:
    names = Names()
    kind = names.one(OutreachKind.objects.all(), name, "kind", "outreach kind")
    names.check()
    return kind  # type: ignore[return-value]


def live_outreach(outreach_id: int, user) -> Outreach:
    """An outreach entry of a lead that is in the book (not in the trash, not merged) and
    that `user` may see."""
    return Outreach.objects.select_related("kind", "by", "lead").get(
        pk=outreach_id, lead__in=Lead.objects.visible_to(user))


@router.get("/leads/{lead_id}/outreach", response=responses({200: OutreachPage}, *ONE),
            summary="List a lead's outreach")
def list_outreach(request: HttpRequest, lead_id: LeadId, query: Query[PageQuery]):
    """Latest first."""
    lead = live_lead(lead_id, request.user)
    entries = Outreach.objects.filter(lead=lead).select_related("kind", "by").latest_first()
    return page(entries, query, outreach_json)


@router.post("/leads/{lead_id}/outreach", response=responses({201: OutreachOut}, *WRITE_ONE),
             summary="Log outreach")
def log_outreach(request: HttpRequest, lead_id: LeadId, payload: OutreachIn):
    """Updates the lead's last outreach and pending follow-up, like logging it in the app."""
    lead = live_lead(lead_id, request.user)
    outreach = services.log_outreach(
        lead=lead, actor=actor(request), kind=_kind(payload.kind), notes=payload.notes,
        happened_at=payload.happened_at, follow_up_on=payload.follow_up_on)
    return Status(201, outreach_json(live_outreach(outreach.pk, request.user)))


@router.patch("/outreach/{outreach_id}", response=responses({200: OutreachOut}, *WRITE_ONE),
              summary="Change an outreach entry")
def update_outreach(request: HttpRequest, outreach_id: OutreachId, payload: OutreachPatch):
    outreach = live_outreach(outreach_id, request.user)
    changes = payload.model_dump(exclude_unset=True)
    services.update_outreach(
        outreach=outreach, actor=actor(request),
        kind=_kind(changes["kind"]) if "kind" in changes else outreach.kind,
        notes=changes.get("notes", outreach.notes),
        happened_at=changes.get("happened_at", outreach.happened_at),
        follow_up_on=changes.get("follow_up_on", outreach.follow_up_on),
    )
    return outreach_json(live_outreach(outreach.pk, request.user))


@router.delete("/outreach/{outreach_id}", response=responses({204: None}, *DELETE_ONE),
               summary="Delete an outreach entry")
def delete_outreach(request: HttpRequest, outreach_id: OutreachId):
    services.delete_outreach(outreach=live_outreach(outreach_id, request.user),
                             actor=actor(request))
    return Status(204, None)


class FollowUpQuery(PageQuery):
    due: Literal["today", "overdue"] = Field(
        "today", description="`today`: due today or earlier (everything to do today); "
                             "`overdue`: due before today.")
    owner: str | None = Field(None, max_length=150,
                              description="Only this user's leads (username), or `none`.")


@router.get("/followups", response=responses({200: LeadPage}, *QUERY), tags=["Outreach"],
            summary="List follow-ups due")
def list_followups(request: HttpRequest, query: Query[FollowUpQuery]):
    """Active leads whose follow-up is due, the most overdue first."""
    today = timezone.localdate()
    leads = Lead.objects.visible_to(request.user).active()
    leads = leads.overdue(today) if query.due == "overdue" else leads.due_by(today)
    if query.owner is not None:
        if query.owner.strip().lower() == "none":
            leads = leads.filter(owner__isnull=True)
        else:
            names = Names(location="query")
            owner = names.user(query.owner)
            names.check()
            leads = leads.filter(owner=owner)
    return page(leads.order_by("next_follow_up_on", "name", "id"), query, many=leads_json)
