"""Merging leads that are one lead recorded more than once, and undoing a merge.

A merge keeps one lead, the survivor, with the values chosen field by field, the lead types
of all, and everything that was recorded about the others: every row of every table with a
foreign key to Lead moves to the survivor (outreach, web form submissions, ... whatever app
adds one later), found through `Lead._meta.related_objects` so that no app needs to tell
this module about itself. Tables that allow one row per lead (a conversion into a Retailer,
a Podcast...) move a row only when the survivor has none of that kind; otherwise the row
stays with its merged lead, and the merge says so.

The merged leads are not deleted: they leave every list (`Lead.objects`), link to the
survivor (`merged_into`) and keep their own history. The LeadMerge record holds what undo
needs: the survivor's values before and after, and the exact rows that moved, from where.

A model whose rows must stay with the lead they were recorded for sets
`stays_with_merged_lead = True` (e.g. a log of what an import created).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from leadbook.accounts.models import User
from leadbook.core import events

from . import duplicates, history, services
from .models import DuplicateDismissal, Lead, LeadMerge, LeadType

# The fields a merge chooses a value for: every field the lead services let people edit, in
# the order the lead form shows them.
MERGE_FIELDS: tuple[str, ...] = tuple(
    f.name for f in Lead._meta.fields if f.name in services.EDITABLE_FIELDS)
# Rows per UPDATE ... WHERE id IN (...): under SQLite's old limit of 999 variables.
CHUNK = 900


class MergeError(Exception):
    """A merge or an undo that cannot be done as asked; the message says why."""


@dataclass(frozen=True)
class UndoResult:
    survivor: Lead
    restored: list[Lead]
    # Labels of the survivor's fields changed again since the merge: left as they are now.
    kept_later_changes: list[str] = field(default_factory=list)


# --- Choosing values ------------------------------------------------------------------------


def is_empty(value: Any) -> bool:
    return value is None or value == ""


def newest_first(leads: Iterable[Lead]) -> list[Lead]:
    """The most recently updated lead first: its details are the freshest."""
    return sorted(leads, key=lambda lead: (lead.updated_at, lead.created_at, lead.pk),
                  reverse=True)


def preferred_sources(leads: Sequence[Lead]) -> dict[str, Lead]:
    """For each merge field, the lead whose value a merge takes unless told otherwise: the
    newest lead that has a value (the newest lead when none has)."""
    ordered = newest_first(leads)
    sources = {}
    for name in MERGE_FIELDS:
        attname = Lead._meta.get_field(name).attname
        sources[name] = next(
            (lead for lead in ordered if not is_empty(getattr(lead, attname))), ordered[0])
    return sources


def values_from(sources: Mapping[str, Lead]) -> dict[str, Any]:
    """The values chosen by naming, for each field, the lead to take it from."""
    return {name: getattr(lead, name) for name, lead in sources.items()}


def preferred_values(leads: Sequence[Lead]) -> dict[str, Any]:
    """What a merge of `leads` keeps when nobody chooses: non-empty and newest."""
    return values_from(preferred_sources(leads))


# --- What moves -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Relation:
    """A table with a foreign key to Lead whose rows follow a merge."""

    model: type[models.Model]
    field: models.ForeignKey
    one_per_lead: bool

    @property
    def label(self) -> str:
        return str(self.model._meta.verbose_name)

    @property
    def label_plural(self) -> str:
        return str(self.model._meta.verbose_name_plural)

    def rows_of(self, lead_ids: Iterable[int]) -> models.QuerySet:
        return self.model._base_manager.filter(**{f"{self.field.name}__in": list(lead_ids)})


def _is_one_per_lead(fk: models.ForeignKey) -> bool:
    """Whether the table allows one row per lead (a unique FK, or a unique constraint on it
    alone, conditional or not)."""
    if fk.unique:
        return True
    return any(isinstance(c, models.UniqueConstraint) and tuple(c.fields) == (fk.name,)
               for c in fk.model._meta.constraints)


def movable_relations() -> list[Relation]:
    """Every table whose rows move to the survivor: the foreign keys to Lead of all
    installed apps, except the lead's own history and links between leads (merged_into,
    "not a duplicate" pairs, merge records: those are about the leads themselves)."""
    relations = []
    for rel in Lead._meta.related_objects:
        model = rel.related_model
        if not rel.one_to_many or model is Lead or model in (
                DuplicateDismissal, LeadMerge, Lead.history.model):
            continue
        if getattr(model, "stays_with_merged_lead", False):
            continue
        relations.append(Relation(model, rel.field, _is_one_per_lead(rel.field)))
    return relations


def moves_preview(survivor: Lead, others: Sequence[Lead]) -> list[dict[str, Any]]:
    """What a merge would move, for the merge page: per table, how many rows move and which
    one-per-lead records stay with their lead."""
    preview = []
    other_ids = [lead.pk for lead in others]
    names = {lead.pk: lead.name for lead in others}
    for relation in movable_relations():
        rows = list(relation.rows_of(other_ids).order_by("pk"))
        if not rows:
            continue
        move, stay = _split_one_per_lead(relation, survivor, rows)
        preview.append({
            "label": relation.label if len(move) == 1 else relation.label_plural,
            "moving": len(move),
            "staying": [{"record": str(row), "lead": names[getattr(row, relation.field.attname)]}
                        for row in stay],
            "kind": relation.label,
        })
    return preview


def _split_one_per_lead(relation: Relation, survivor: Lead, rows: list[models.Model]
                        ) -> tuple[list[models.Model], list[models.Model]]:
    """(rows to move, rows that stay). For a one-per-lead table the survivor keeps its own
    record if it has one, else takes the oldest of the others'; the rest stay."""
    if not relation.one_per_lead:
        return rows, []
    taken = relation.rows_of([survivor.pk]).exists()
    if taken:
        return [], rows
    return rows[:1], rows[1:]


def _move_rows(survivor: Lead, merged: list[Lead]) -> tuple[list[dict], list[dict]]:
    """Move every movable row of the merged leads to the survivor: (moved, kept) as stored
    in LeadMerge."""
    moved, kept = [], []
    names = {lead.pk: lead.name for lead in merged}
    for relation in movable_relations():
        rows = list(relation.rows_of(names).order_by("pk"))
        if not rows:
            continue
        move, stay = _split_one_per_lead(relation, survivor, rows)
        attname = relation.field.attname
        if move:
            ids = [row.pk for row in move]
            for start in range(0, len(ids), CHUNK):
                relation.model._base_manager.filter(pk__in=ids[start:start + CHUNK]).update(
                    **{attname: survivor.pk})
            moved.append({"model": relation.model._meta.label_lower, "field": attname,
                          "rows": [[row.pk, getattr(row, attname)] for row in move]})
        kept.extend({"model": relation.model._meta.label_lower, "label": relation.label,
                     "id": row.pk, "lead_id": getattr(row, attname), "name": str(row),
                     "lead_name": names[getattr(row, attname)]} for row in stay)
    return moved, kept


def _move_back(moved: list[dict], survivor: Lead) -> None:
    """Return the rows a merge moved to their own leads, those still on the survivor."""
    for entry in moved:
        model = apps.get_model(entry["model"])
        by_lead: dict[int, list[int]] = defaultdict(list)
        for row_id, lead_id in entry["rows"]:
            by_lead[lead_id].append(row_id)
        for lead_id, ids in by_lead.items():
            for start in range(0, len(ids), CHUNK):
                model._base_manager.filter(
                    pk__in=ids[start:start + CHUNK], **{entry["field"]: survivor.pk}
                ).update(**{entry["field"]: lead_id})


def _refresh_outreach_summaries(leads: Iterable[Lead]) -> None:
    """Outreach moved: Last Outreach and Pending follow the log they summarise."""
    # Imported here: the outreach app builds on the leads app, not the other way round.
    from leadbook.outreach.services import refresh_outreach_summary

    for lead in leads:
        refresh_outreach_summary(lead)


# --- Snapshots of the survivor, for undo ----------------------------------------------------


def _plain(value: Any) -> Any:
    """A field value as JSON keeps it."""
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    return value


def _snapshot(lead: Lead) -> dict[str, Any]:
    fields = {name: _plain(getattr(lead, Lead._meta.get_field(name).attname))
              for name in (*MERGE_FIELDS, "converted_at", "converted_by")}
    return {"fields": fields,
            "lead_type_ids": sorted(lead.lead_types.values_list("pk", flat=True))}


def _restore(lead: Lead, name: str, value: Any) -> None:
    model_field = Lead._meta.get_field(name)
    setattr(lead, model_field.attname, model_field.to_python(value))


def _label(name: str) -> str:
    return str(Lead._meta.get_field(name).verbose_name).capitalize()


# --- Merge ----------------------------------------------------------------------------------


def _check_fields(values: Mapping[str, Any]) -> None:
    unknown = set(values) - set(MERGE_FIELDS)
    if unknown:
        raise TypeError(f"Not a field a merge can choose: {', '.join(sorted(unknown))}")


def _lock_live(ids: Sequence[int]) -> dict[int, Lead]:
    locked = {lead.pk: lead for lead in Lead.objects.select_for_update().filter(pk__in=ids)}
    missing = [pk for pk in ids if pk not in locked]
    if missing:
        raise MergeError("A lead to merge is no longer in the book (merged into another lead "
                         "or moved to the trash). Reload and try again.")
    return locked


def _check_versions(leads: Iterable[Lead], expected: Mapping[int, int] | None) -> None:
    for lead in leads:
        version = (expected or {}).get(lead.pk)
        if version is not None and version != lead.version:
            raise services.LeadConflict(lead, history.changes_since(lead, version))


def _earliest_conversion(leads: Iterable[Lead]) -> Lead | None:
    converted = [lead for lead in leads if lead.converted_at is not None]
    return min(converted, key=lambda lead: lead.converted_at) if converted else None


def merge_leads(
    *,
    survivor: Lead,
    others: Iterable[Lead],
    actor: User | None,
    values: Mapping[str, Any] | None = None,
    expected_versions: Mapping[int, int] | None = None,
) -> LeadMerge:
    """Merge `others` into `survivor`, atomically.

    `values` maps merge fields to the values the survivor keeps (foreign keys as objects, as
    for update_lead); fields left out keep the preferred value (non-empty and newest, see
    `preferred_values`). Lead types are united. With `expected_versions` ({lead id: version}
    as the person merging saw them), a lead changed meanwhile raises LeadConflict.
    Raises MergeError for leads that cannot be merged, ValidationError for values the lead
    rules refuse.
    """
    other_ids = list(dict.fromkeys(lead.pk for lead in others if lead.pk != survivor.pk))
    if not other_ids:
        raise MergeError("Choose at least two leads to merge.")
    if values is not None:
        _check_fields(values)
    with transaction.atomic():
        locked = _lock_live([survivor.pk, *other_ids])
        _check_versions(locked.values(), expected_versions)
        kept_lead, merged = locked[survivor.pk], [locked[pk] for pk in other_ids]
        all_leads = [kept_lead, *merged]
        before = _snapshot(kept_lead)
        chosen = {**preferred_values(all_leads), **(values or {})}
        for name, value in chosen.items():
            setattr(kept_lead, name, value)
        first_converted = _earliest_conversion(all_leads)
        if first_converted is not None:  # the survivor stands for all of them
            kept_lead.converted_at = first_converted.converted_at
            kept_lead.converted_by_id = first_converted.converted_by_id
        services.validate_lead(kept_lead)
        lead_types = list(LeadType.objects.filter(leads__in=[lead.pk for lead in all_leads])
                          .distinct().order_by("position", "pk"))
        kept_lead.version += 1
        names = [lead.name for lead in merged]
        kept_lead._change_reason = f"Merged with {', '.join(names)}"  # type: ignore[attr-defined]
        services._save(kept_lead, actor, lead_types)

        now = timezone.now()
        for lead in merged:
            lead.merged_into, lead.merged_at = kept_lead, now
            lead.version += 1
            lead._history_user = actor  # type: ignore[attr-defined]
            lead._change_reason = f"Merged into {kept_lead.name}"  # type: ignore[attr-defined]
            lead.save(update_fields=["merged_into", "merged_at", "version", "updated_at"])
        moved, kept = _move_rows(kept_lead, merged)
        _refresh_outreach_summaries([kept_lead])
        merge = LeadMerge.objects.create(
            survivor=kept_lead, merged_lead_ids=other_ids, merged_names=names, merged_by=actor,
            merged_at=now, before=before, after=_snapshot(kept_lead), moved=moved, kept=kept,
            added_dismissal_ids=_carry_over_dismissals(kept_lead, other_ids, actor),
        )
        duplicates.refresh_groups([kept_lead.pk, *other_ids])  # the Duplicates page
        events.emit("lead.merged", actor=actor, lead=kept_lead, merged=merged, merge=merge)
    return merge


def _carry_over_dismissals(survivor: Lead, merged_ids: list[int], actor: User | None
                           ) -> list[int]:
    """"Not a duplicate" answers given about a merged lead now concern the survivor, which
    carries its details: copy them, so that the same question is not asked again."""
    merged = set(merged_ids)
    partners = set()
    for lead_id, other_id in DuplicateDismissal.objects.filter(
            Q(lead__in=merged) | Q(other__in=merged)).values_list("lead", "other"):
        partners.add(other_id if lead_id in merged else lead_id)
    partners -= merged | {survivor.pk}
    added = []
    for partner in sorted(partners):
        low, high = sorted((survivor.pk, partner))
        dismissal, created = DuplicateDismissal.objects.get_or_create(
            lead_id=low, other_id=high, defaults={"dismissed_by": actor})
        if created:
            added.append(dismissal.pk)
    return added


# --- Undo -----------------------------------------------------------------------------------


def undo_merge(*, merge: LeadMerge, actor: User | None) -> UndoResult:
    """Undo a merge, atomically: the merged leads come back as they were, the rows that moved
    return to them, and the survivor gets back its values and lead types from before the
    merge, except those changed again since (kept as they are now, and named in the result).
    """
    with transaction.atomic():
        merge = LeadMerge.objects.select_for_update().get(pk=merge.pk)
        if merge.undone:
            raise MergeError("This merge was already undone.")
        survivor = Lead.objects.select_for_update().filter(pk=merge.survivor_id).first()
        if survivor is None:
            raise MergeError("The lead these were merged into is no longer in the book (merged "
                             "again, or in the trash): undo that first.")
        restored = list(Lead.all_objects.select_for_update().filter(
            pk__in=merge.merged_lead_ids, merged_into=survivor).order_by("pk"))
        for lead in restored:
            lead.merged_into, lead.merged_at = None, None
            lead.version += 1
            lead._history_user = actor  # type: ignore[attr-defined]
            lead._change_reason = f"Merge into {survivor.name} undone"  # type: ignore[attr-defined]
            lead.save(update_fields=["merged_into", "merged_at", "version", "updated_at"])
        _move_back(merge.moved, survivor)
        kept_later = _restore_survivor(survivor, merge, actor)
        DuplicateDismissal.objects.filter(pk__in=merge.added_dismissal_ids).delete()
        _refresh_outreach_summaries([survivor, *restored])
        merge.undone_at, merge.undone_by = timezone.now(), actor
        merge.save(update_fields=["undone_at", "undone_by"])
        duplicates.refresh_groups([survivor.pk, *merge.merged_lead_ids])
        events.emit("lead.updated", actor=actor, lead=survivor, fields=["merge undone"])
        for lead in restored:
            events.emit("lead.updated", actor=actor, lead=lead, fields=["merged_into"])
    return UndoResult(survivor, restored, kept_later)


def _restore_survivor(survivor: Lead, merge: LeadMerge, actor: User | None) -> list[str]:
    """Put back the survivor's values from before the merge where they are still the ones
    the merge set; returns the labels of the fields changed since, which are left alone."""
    before, after = merge.before, merge.after
    kept_later = []
    for name, old in before["fields"].items():
        merged_value = after["fields"].get(name)
        if old == merged_value:
            continue
        if _plain(getattr(survivor, Lead._meta.get_field(name).attname)) == merged_value:
            _restore(survivor, name, old)
        elif name not in ("converted_at", "converted_by"):
            kept_later.append(_label(name))
    lead_types = None
    current_types = sorted(survivor.lead_types.values_list("pk", flat=True))
    if current_types == after["lead_type_ids"]:
        if before["lead_type_ids"] != after["lead_type_ids"]:
            lead_types = list(LeadType.objects.filter(pk__in=before["lead_type_ids"])
                              .order_by("position", "pk"))
    else:
        kept_later.append("Lead types")
    survivor.version += 1
    survivor._change_reason = "Merge undone"  # type: ignore[attr-defined]
    services._save(survivor, actor, lead_types)
    return kept_later


def merges_into(lead: Lead) -> models.QuerySet[LeadMerge]:
    """The merges that kept `lead`, newest first."""
    return LeadMerge.objects.filter(survivor=lead).select_related("merged_by", "undone_by")

