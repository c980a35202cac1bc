"""/api/v2/leads/{id}/convert and the converted records: /customers, /retailers, /podcasts,
/collabs. The schemas are built from one description per target, so the four resources
cannot drift apart."""

import datetime
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated, Any, Literal, Union, cast

from django.http import HttpRequest
from ninja import Query, Router, Status
from pydantic import BeforeValidator, Field, WithJsonSchema, create_model

from leadbook.conversions import services
from leadbook.conversions.forms import DETAIL_FIELDS
from leadbook.conversions.models import (
    CONTACT_FIELDS,
    RECORD_MODELS,
    ConvertedRecord,
    CustomerGroup,
)
from leadbook.conversions.sections import SECTIONS_BY_TARGET, filtered_records
from leadbook.leads.models import MAX_FOLLOWERS
from leadbook.leads.models import Status as LeadStatus

from .auth import require_admin
from .errors import AlreadyConvertedErrorOut, Conflict
from .leads import LeadId, live_lead
from .names import Names
from .openapi import DELETE_ONE, ONE, QUERY, WRITE_ONE, responses
from .schemas import MAX_NOTES, InputSchema, PageQuery, actor, id_path, page

router = Router()

RecordId = Annotated[int, id_path("The record's id.")]
Target = Literal["customer", "retailer", "podcast", "collab"]
NameStr = Annotated[str, Field(max_length=100)]
TEXT_LENGTHS = {f.name: getattr(f, "max_length", None)
                for f in ConvertedRecord._meta.get_fields() if f.name in CONTACT_FIELDS}


def _money(maximum: str, pattern: str) -> Any:
    """A decimal amount sent as a number or a string ("250.00"); numbers are rounded to
    cents."""
    limit = Decimal(maximum)

    def to_decimal(value: Any) -> Decimal:
        if isinstance(value, str):
            if not re.match(pattern, value):
                raise ValueError(f"Give an amount from 0 to {maximum} with at most two "
                                 f"decimals, e.g. \"250.00\".")
        elif isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            raise ValueError("Give an amount, e.g. 250 or \"250.00\".")
        try:
            amount = Decimal(str(value)).quantize(Decimal("0.01"), ROUND_HALF_UP)
        except InvalidOperation:
            raise ValueError(f"Give an amount from 0 to {maximum}.") from None
        if not Decimal(0) <= amount <= limit:
            raise ValueError(f"Give an amount from 0 to {maximum}.")
        return amount

    schema = {"anyOf": [{"type": "number", "minimum": 0, "maximum": float(limit)},
                        {"type": "string", "pattern": pattern}],
              "description": f"0 to {maximum}, as a number or a string; kept to the cent "
                             f"and returned as a string."}
    return Annotated[Decimal, BeforeValidator(to_decimal), WithJsonSchema(schema, "validation")]


Rent = _money("99999999.99", r"^[0-9]{1,8}(\.[0-9]{1,2})?$")
Percent = _money("100", r"^(100(\.0{1,2})?|[0-9]{1,2}(\.[0-9]{1,2})?)$")

# Each target's own fields: (type when sent, default on conversion, type when read).
DETAILS: dict[str, dict[str, tuple[Any, Any, Any]]] = {
    "customer": {
        "customer_group": (NameStr | None, None, str | None),
    },
    "retailer": {
        "kind": (Literal["consignment", "wholesale"], None, str),
        "rent": (Rent | None, None, Decimal | None),
        "rent_due_date": (datetime.date | None, None, datetime.date | None),
        "commission_rate": (Percent | None, None, Decimal | None),
    },
    "podcast": {
        "role": (Literal["guest", "host"], "guest", str),
        "start_date": (datetime.date | None, None, datetime.date | None),
        "end_date": (datetime.date | None, None, datetime.date | None),
    },
    "collab": {
        "collab_type": (Annotated[str, Field(max_length=100)], None, str),
        "start_date": (datetime.date | None, None, datetime.date | None),
        "end_date": (datetime.date | None, None, datetime.date | None),
        "starting_followers": (Annotated[int, Field(ge=0, le=MAX_FOLLOWERS)] | None, None,
                               int | None),
        "discount_code": (Annotated[str, Field(max_length=50)], "", str),
    },
}
assert {t: tuple(d) for t, d in DETAILS.items()} == DETAIL_FIELDS


def _no_default(schema: dict[str, Any]) -> None:
    for prop in schema.get("properties", {}).values():
        prop.pop("default", None)


def _no_default_model(model_name: str, /, **fields: Any) -> Any:
    """A body whose fields, when left out, change nothing (no default to show)."""
    model = create_model(model_name, __base__=InputSchema,  # type: ignore[call-overload]
                         **fields)
    model.model_config["json_schema_extra"] = _no_default
    model.model_rebuild(force=True)
    return model


# Contact details to record differently from the lead's when converting it.
ContactOverrides = _no_default_model("ContactOverrides", **{
    name: (str, Field(None, max_length=TEXT_LENGTHS[name])) for name in CONTACT_FIELDS})


def _convert_model(target: str) -> Any:
    """The body converting a lead into `target`: the target's own fields, and, under
    `contact`, any contact detail to record differently from the lead's."""
    details = {name: (kind, Field(default)) for name, (kind, default, _) in
               DETAILS[target].items()}
    return create_model(  # type: ignore[call-overload]
        f"Convert{target.title()}", __base__=InputSchema,
        target=(Literal[target], ...),  # type: ignore[valid-type]
        status=(NameStr | None, Field(None, description="The lead's status afterwards "
                                                        "(default: the first Won status).")),
        contact=(ContactOverrides, Field(None, description="Contact details to record "
                                                           "differently from the lead's.")),
        notes=(str, Field("", max_length=MAX_NOTES)),
        **details,
    )


def _patch_model(target: str) -> Any:
    fields = {name: (kind, Field(None)) for name, (kind, _, _) in DETAILS[target].items()}
    return _no_default_model(
        f"{target.title()}Patch",
        notes=(str, Field(None, max_length=MAX_NOTES)),
        **{name: (str, Field(None, max_length=TEXT_LENGTHS[name])) for name in CONTACT_FIELDS},
        **fields,
    )


def _out_model(target: str) -> Any:
    return create_model(  # type: ignore[call-overload]
        f"{target.title()}Out",
        id=(int, ...), lead_id=(int | None, Field(description="The lead it was converted "
                                                              "from.")),
        target=(Literal[target], ...),  # type: ignore[valid-type]
        **{name: (str, ...) for name in CONTACT_FIELDS},
        **{name: (kind, ...) for name, (_, _, kind) in DETAILS[target].items()},
        notes=(str, ...), created_at=(datetime.datetime, ...),
        updated_at=(datetime.datetime, ...),
    )


CONVERT = {target: _convert_model(target) for target in DETAILS}
PATCH = {target: _patch_model(target) for target in DETAILS}
OUT = {target: _out_model(target) for target in DETAILS}
ConvertIn: Any = Annotated[Union[tuple(CONVERT.values())],  # type: ignore[valid-type]  # noqa: UP007
                      Field(discriminator="target")]
RecordOut: Any = Annotated[Union[tuple(OUT.values())],  # type: ignore[valid-type]  # noqa: UP007
                      Field(discriminator="target")]


def record_json(record: ConvertedRecord) -> dict[str, Any]:
    data = {name: getattr(record, name) for name in (*CONTACT_FIELDS, *DETAILS[record.target],
                                                     "notes", "created_at", "updated_at")}
    if record.target == "customer":
        group = getattr(record, "customer_group", None)
        data["customer_group"] = group.name if group is not None else None
    return {**data, "id": record.pk, "lead_id": record.lead_id, "target": record.target}


def _resolve_details(target: str, values: dict[str, Any], names: Names) -> dict[str, Any]:
    if target == "customer" and values.get("customer_group") is not None:
        values["customer_group"] = names.one(CustomerGroup.objects.all(),
                                             values["customer_group"], "customer_group",
                                             "customer group")
    return values


# --- Converting ---------------------------------------------------------------------------------


@router.post("/leads/{lead_id}/convert", response=responses(
    {201: RecordOut}, *WRITE_ONE, _409=AlreadyConvertedErrorOut), tags=["Conversions"],
    summary="Convert a lead")
def convert_lead(request: HttpRequest, lead_id: LeadId, payload: ConvertIn):
    """Make a customer, retailer, podcast or collab record from the lead. Its contact
    details are the lead's unless given under `contact`; the lead is marked converted and,
    unless `status` says otherwise, Won. A target the lead's types do not allow is refused
    (422); so is converting into the same target twice (409)."""
    lead = live_lead(lead_id, request.user)
    target = payload.target
    data = payload.model_dump(exclude_unset=True, exclude={"target", "status", "contact"})
    overrides = payload.contact.model_dump(exclude_unset=True) if payload.contact else {}
    names = Names()
    status = cast(LeadStatus | None, names.one(
        LeadStatus.objects.all(), payload.status, "status", "status")
        if payload.status is not None else None)
    initial = services.conversion_initial_values(lead, target)
    contact = {name: overrides.get(name, initial[name]) for name in CONTACT_FIELDS}
    details = {name: data.get(name, initial.get(name, default))
               for name, (_, default, _) in DETAILS[target].items()}
    details = {k: v for k, v in details.items() if v is not None}
    details["notes"] = data.get("notes", "")
    details = _resolve_details(target, details, names)
    names.check()
    try:
        record = services.convert_lead(lead=lead, actor=actor(request), target=target,
                                       contact=contact, details=details, status=status)
    except services.AlreadyConverted as e:
        raise Conflict(str(e), target=e.record.target, record_id=e.record.pk) from None
    return Status(201, record_json(record))


# --- The converted records ----------------------------------------------------------------------

SORTS = ("name", "city", "created")


def _register(target: str) -> None:
    """list / get / PATCH / DELETE for one kind of record."""
    section = SECTIONS_BY_TARGET[target]
    model: Any = RECORD_MODELS[target]
    Out: Any = OUT[target]
    Patch: Any = PATCH[target]
    orderings = tuple(section.orderings)
    Ordering = Literal[tuple([*orderings, *(f"-{o}" for o in orderings)])]  # type: ignore
    tags = [section.title]
    path = f"/{section.slug}"
    noun = target

    ListQuery: Any = create_model(
        f"{section.title}Query", __base__=PageQuery,
        search=(str, Field("", max_length=200, description="Words in the name, contact, "
                                                           "email, city or company.")),
        ordering=(Ordering, Field("name", description="A column; `-` in front sorts "
                                                      "descending.")),
    )
    Page = create_model(f"{section.title}Page", items=(list[Out], ...), count=(int, ...))

    def get_record(pk: int) -> ConvertedRecord:
        return model.objects.select_related("lead").get(pk=pk)

    def list_records(request: HttpRequest, query: Query[ListQuery]):  # type: ignore[valid-type]
        records, _ = filtered_records(section, {"search": query.search,
                                                "ordering": query.ordering})
        if target == "customer":
            records = records.select_related("customer_group")
        return page(records, query, record_json)

    def read_record(request: HttpRequest, record_id: RecordId):
        return record_json(get_record(record_id))

    def update_record(request: HttpRequest, record_id: RecordId, payload: Patch):  # type: ignore[valid-type]
        record = get_record(record_id)
        names = Names()
        values = _resolve_details(target, payload.model_dump(exclude_unset=True), names)
        names.check()
        services.update_record(record=record, actor=actor(request), **values)
        return record_json(get_record(record_id))

    def undo_record(request: HttpRequest, record_id: RecordId):
        require_admin(request)
        services.undo_conversion(record=get_record(record_id), actor=actor(request))
        return Status(204, None)

    router.get(path, response=responses({200: Page}, *QUERY), tags=tags,
               operation_id=f"list_{section.slug}", summary=f"List {section.slug}",
               description=f"The {section.slug} made by converting leads.")(list_records)
    router.get(f"{path}/{{record_id}}", response=responses({200: Out}, *ONE), tags=tags,
               operation_id=f"get_{noun}", summary=f"Get a {noun}")(read_record)
    router.patch(f"{path}/{{record_id}}", response=responses({200: Out}, *WRITE_ONE),
                 tags=tags, operation_id=f"update_{noun}",
                 summary=f"Change some fields of a {noun}")(update_record)
    router.delete(f"{path}/{{record_id}}", response=responses({204: None}, *DELETE_ONE),
                  tags=tags, operation_id=f"undo_{noun}",
                  summary="Undo a conversion (admins)",
                  description=f"Deletes the {noun} record; the lead is unmarked as converted "
                              "when nothing else remains and gets its earlier status back. "
                              "Admins only.")(undo_record)


for _target in DETAILS:
    _register(_target)
