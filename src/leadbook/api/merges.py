"""/api/v2/leads/{id}/merge and /api/v2/merges/{id}/undo: merging duplicate leads through
leads.merging, as the Duplicates page does."""

from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from ninja import Router
from pydantic import BaseModel, Field, create_model

from leadbook.leads import merging
from leadbook.leads.models import Lead, LeadMerge

from .errors import Conflict, NotFound, PreconditionErrorOut, Unprocessable, field_error
from .leads import (
    IF_MATCH,
    LeadId,
    LeadOut,
    LeadPatch,
    etag,
    expected_version,
    lead_json,
    leads_json,
    live_lead,
    service_arguments,
)
from .openapi import ETAG, WRITE_ONE, header, responses, with_headers
from .schemas import MAX_ID, InputSchema, actor, id_path

router = Router(tags=["Duplicates"])

MergeId = Annotated[int, id_path("The merge's id (the Merge-Id header of the merge).")]
MAX_MERGED = 50
MERGE_ID = header("The merge's id: POST /merges/{id}/undo takes it back.", "7")


def _no_default(schema: dict[str, Any]) -> None:
    for prop in schema.get("properties", {}).values():
        prop.pop("default", None)


# The fields whose surviving value a merge chooses: a lead's editable fields, as PATCH takes
# them (lead types are not chosen: the survivor gets those of all the leads).
MergeValues: Any = create_model(  # type: ignore[call-overload]
    "MergeValues", __base__=InputSchema,
    **{name: (field.annotation, field) for name, field in LeadPatch.model_fields.items()
       if name in merging.MERGE_FIELDS},
)
MergeValues.model_config["json_schema_extra"] = _no_default
MergeValues.model_rebuild(force=True)


class MergeIn(InputSchema):
    merge_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        min_length=1, max_length=MAX_MERGED,
        description="The leads to merge into this one. They leave every list, linked to it; "
                    "their outreach, form submissions and conversions move to it.")
    values: MergeValues | None = Field(  # type: ignore[valid-type]
        None, description="The value to keep for some fields, by the API's field names "
                          "(statuses, sources and owners by name). Fields left out keep the "
                          "newest non-empty value among the leads. Lead types are united.")


class UndoMergeOut(BaseModel):
    survivor: LeadOut = Field(description="The lead the others had been merged into, with "
                                          "its values from before the merge.")
    restored: list[LeadOut] = Field(description="The merged leads, back in the book.")
    kept_later_changes: list[str] = Field(
        description="Fields of the survivor changed again since the merge: they keep the "
                    "newer value.")


def _others(request: HttpRequest, survivor: Lead, merge_ids: list[int]) -> list[Lead]:
    ids = list(dict.fromkeys(pk for pk in merge_ids if pk != survivor.pk))
    if not ids:
        raise Unprocessable.field("merge_ids", "Name at least one other lead to merge into "
                                               "this one.")
    found = Lead.objects.visible_to(actor(request)).in_bulk(ids)
    missing = [field_error(f"merge_ids.{merge_ids.index(pk)}",
                           f"No lead {pk} in the book (it may have been merged into another "
                           "lead, or moved to the trash).")
               for pk in ids if pk not in found]
    if missing:
        raise Unprocessable(missing)
    return [found[pk] for pk in ids]


def _chosen_values(values: dict[str, Any]) -> dict[str, Any]:
    """Merge values with names resolved; errors name the field under `values`."""
    try:
        fields, _, _ = service_arguments(values)
    except Unprocessable as e:
        raise Unprocessable([{**error, "field": f"values.{error['field']}"}
                             for error in e.extra["errors"]]) from None
    return fields


@router.post("/leads/{lead_id}/merge", response=responses(
    {200: LeadOut}, *WRITE_ONE, 409, _412=PreconditionErrorOut),
    openapi_extra=with_headers(_200={"ETag": ETAG, "Merge-Id": MERGE_ID}),
    summary="Merge leads into this one")
def merge_into(request: HttpRequest, response: HttpResponse, lead_id: LeadId,
               payload: MergeIn, if_match: str = IF_MATCH):
    """Merge the leads named in `merge_ids` into this lead, the survivor, in one
    transaction: each field keeps the value named in `values`, else the newest non-empty
    one; lead types are united; outreach, form submissions and conversions move to the
    survivor (a second record of a one-per-lead kind stays with its lead). The merged
    leads are kept, linked to the survivor, out of every list. Answers the survivor, with
    the merge's id in `Merge-Id` for undo.

    With `If-Match` (the survivor's ETag), a survivor changed since is refused with 412
    and nothing is merged. A lead that is not in the book is a 422; one merged or deleted
    by someone else while this request ran, a 409."""
    survivor = live_lead(lead_id, actor(request))
    others = _others(request, survivor, payload.merge_ids)
    values = _chosen_values(payload.values.model_dump(exclude_unset=True)) \
        if payload.values is not None else {}
    version = expected_version(if_match, survivor)
    try:
        merge = merging.merge_leads(
            survivor=survivor, others=others, actor=actor(request), values=values,
            expected_versions={survivor.pk: version} if version is not None else None)
    except merging.MergeError as e:
        raise Conflict(str(e)) from None
    data = lead_json(survivor.pk)
    response["ETag"] = etag(data)
    response["Merge-Id"] = str(merge.pk)
    return data


@router.post("/merges/{merge_id}/undo", response=responses({200: UndoMergeOut}, *WRITE_ONE,
                                                           409),
             summary="Undo a merge")
def undo_merge(request: HttpRequest, merge_id: MergeId):
    """The merged leads come back as they were and the rows that moved return to them; the
    survivor gets back its values and lead types from before the merge, except those
    changed again since (named in `kept_later_changes`). A merge already undone, or whose
    survivor has since been merged or deleted, is a 409."""
    merge = LeadMerge.objects.get(pk=merge_id)
    if not Lead.all_objects.visible_to(actor(request)).filter(pk=merge.survivor_id).exists():
        raise NotFound("No such merge.")
    try:
        result = merging.undo_merge(merge=merge, actor=actor(request))
    except merging.MergeError as e:
        raise Conflict(str(e)) from None
    restored = leads_json(Lead.objects.filter(pk__in=[lead.pk for lead in result.restored])
                          .order_by("pk"))
    return {"survivor": lead_json(result.survivor.pk), "restored": restored,
            "kept_later_changes": result.kept_later_changes}
