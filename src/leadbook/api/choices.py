"""Read-only lists of the names the API accepts: statuses, lead types, sources, outreach
kinds and customer groups (admins edit them in Settings), and who the token belongs to."""

import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router
from pydantic import BaseModel, Field, create_model

from leadbook.conversions.models import CustomerGroup
from leadbook.leads.models import ConversionTarget, LeadType, Source, Stage, Status
from leadbook.outreach.models import OutreachKind

from .openapi import READ, responses
from .schemas import actor

router = Router(tags=["Lists"])


class StatusOut(BaseModel):
    id: int
    name: str
    stage: Literal[tuple(Stage.values)]  # type: ignore[valid-type]
    position: int


class LeadTypeOut(BaseModel):
    id: int
    name: str
    target: Literal[tuple(ConversionTarget.values)] = Field(  # type: ignore[valid-type]
        description="What a lead of this type converts into.")
    position: int


class NamedOut(BaseModel):
    id: int
    name: str
    position: int


def _page_of(model: type[BaseModel]) -> type[BaseModel]:
    return create_model(f"{model.__name__.removesuffix('Out')}List",
                        items=(list[model], ...), count=(int, ...))  # type: ignore[valid-type]


def _all(queryset, fields: tuple[str, ...]) -> dict[str, Any]:
    items = list(queryset.values("id", "name", "position", *fields))
    return {"items": items, "count": len(items)}


@router.get("/statuses", response=responses({200: _page_of(StatusOut)}, *READ),
            summary="List statuses")
def list_statuses(request: HttpRequest):
    """In pipeline order."""
    return _all(Status.objects.all(), ("stage",))


@router.get("/lead-types", response=responses({200: _page_of(LeadTypeOut)}, *READ),
            summary="List lead types")
def list_lead_types(request: HttpRequest):
    return _all(LeadType.objects.all(), ("target",))


@router.get("/sources", response=responses({200: _page_of(NamedOut)}, *READ),
            summary="List sources")
def list_sources(request: HttpRequest):
    return _all(Source.objects.all(), ())


class OutreachKindOut(NamedOut):
    pass


class CustomerGroupOut(NamedOut):
    pass


@router.get("/outreach-kinds", response=responses({200: _page_of(OutreachKindOut)}, *READ),
            summary="List outreach kinds")
def list_outreach_kinds(request: HttpRequest):
    return _all(OutreachKind.objects.all(), ())


@router.get("/customer-groups", response=responses({200: _page_of(CustomerGroupOut)}, *READ),
            summary="List customer groups")
def list_customer_groups(request: HttpRequest):
    return _all(CustomerGroup.objects.all(), ())


class TokenOut(BaseModel):
    name: str
    prefix: str = Field(description="The token's first characters.")
    created_at: datetime.datetime
    expires_at: datetime.datetime | None


class MeOut(BaseModel):
    id: int
    username: str
    first_name: str
    last_name: str
    email: str
    role: Literal["admin", "member", "viewer"] = Field(
        description="admin and member tokens read and write; a viewer's token only reads.")
    token: TokenOut


@router.get("/me", response=responses({200: MeOut}, *READ), tags=["Account"],
            summary="Who this token acts as")
def me(request: HttpRequest):
    user, token = actor(request), request.api_token  # type: ignore[attr-defined]
    return {
        "id": user.pk, "username": user.username, "first_name": user.first_name,
        "last_name": user.last_name, "email": user.email, "role": user.role,
        "token": {"name": token.name, "prefix": token.prefix, "created_at": token.created_at,
                  "expires_at": token.expires_at},
    }
