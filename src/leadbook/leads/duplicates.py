"""Duplicates as people meet them: the whole-book check behind the Duplicates page (a
background job whose result is kept until the next check), the pairs someone said are not
duplicates, and the duplicate checks of the lead form and the lead page.

The matching itself is `matching`'s; this module remembers and filters its answers.
"""

from __future__ import annotations

import datetime
import itertools
import logging
import time
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from leadbook.accounts.models import User

from .matching import Match, find_duplicate_groups, find_matches
from .models import (
    DuplicateDismissal,
    DuplicateScan,
    DuplicateScanGroup,
    Lead,
    ScanState,
)

log = logging.getLogger(__name__)

# A check still waiting or running after this long is taken for dead (its worker stopped):
# a new one may start.
SCAN_GIVEN_UP_AFTER = datetime.timedelta(minutes=30)
IN_CHUNK = 900

Pair = tuple[int, int]


def pair(a: int, b: int) -> Pair:
    """A pair of lead ids as dismissals store it: the lower first."""
    return (a, b) if a < b else (b, a)


# --- "Not a duplicate" ----------------------------------------------------------------------


def dismiss_pairs(*, pairs: Iterable[Pair], actor: User | None) -> list[DuplicateDismissal]:
    """Remember that each pair of leads is not a duplicate; returns the new answers (pairs
    already dismissed are left as they are)."""
    wanted = {pair(a, b) for a, b in pairs if a != b}
    with transaction.atomic():
        known = _dismissed_among({lead_id for p in wanted for lead_id in p})
        created = DuplicateDismissal.objects.bulk_create(
            [DuplicateDismissal(lead_id=a, other_id=b, dismissed_by=actor)
             for a, b in sorted(wanted - known)])
        refresh_groups({lead_id for p in wanted for lead_id in p})
    return created  # with their ids: bulk_create sets them on SQLite and PostgreSQL


def undo_dismissals(*, dismissal_ids: Collection[int], actor: User | None) -> set[int]:
    """Forget "not a duplicate" answers (an Undo right after giving them); returns the ids of
    the leads concerned."""
    with transaction.atomic():
        dismissals = DuplicateDismissal.objects.filter(pk__in=list(dismissal_ids))
        lead_ids = {lead_id for p in dismissals.values_list("lead", "other") for lead_id in p}
        dismissals.delete()
        refresh_groups(lead_ids)
    return lead_ids


def _dismissed_among(lead_ids: Collection[int]) -> set[Pair]:
    """The dismissed pairs whose two leads are both among `lead_ids`."""
    ids = sorted(lead_ids)
    found: set[Pair] = set()
    for start in range(0, len(ids), IN_CHUNK):
        chunk = ids[start:start + IN_CHUNK]
        found.update(DuplicateDismissal.objects.filter(lead__in=chunk, other__in=ids)
                     .values_list("lead", "other"))
    return found


def dismissed_partners(lead_id: int) -> set[int]:
    """The leads someone said are not duplicates of this one."""
    rows = DuplicateDismissal.objects.filter(Q(lead=lead_id) | Q(other=lead_id))
    return {b if a == lead_id else a for a, b in rows.values_list("lead", "other")}


def open_members(lead_ids: Sequence[int], dismissed: set[Pair]) -> list[int]:
    """The leads of a group still worth showing together: each must have at least one other
    member it has not been told apart from. Fewer than two means the group is settled."""
    members = list(lead_ids)
    while True:
        keep = [a for a in members
                if any(pair(a, b) not in dismissed for b in members if b != a)]
        if keep == members:
            return members if len(members) >= 2 else []
        members = keep


# --- The whole-book check (a background job) ------------------------------------------------


def scan_in_progress() -> DuplicateScan | None:
    given_up = timezone.now() - SCAN_GIVEN_UP_AFTER
    return (DuplicateScan.objects
            .filter(state__in=[ScanState.QUEUED, ScanState.RUNNING], requested_at__gte=given_up)
            .first())


def latest_result() -> DuplicateScan | None:
    """The newest finished check: what the Duplicates page shows."""
    return DuplicateScan.objects.filter(state=ScanState.DONE).first()


def latest_failure() -> DuplicateScan | None:
    """The newest check when it failed (so the page can say so), else None."""
    latest = DuplicateScan.objects.exclude(state__in=[ScanState.QUEUED, ScanState.RUNNING]
                                           ).first()
    return latest if latest is not None and latest.state == ScanState.FAILED else None


def start_scan(*, actor: User | None) -> DuplicateScan:
    """Queue a check of the whole book, unless one is already waiting or running (that one
    is returned). The background worker runs it; see `run_scan`."""
    running = scan_in_progress()
    if running is not None:
        return running
    scan = DuplicateScan.objects.create(requested_by=actor)
    from .tasks import scan_duplicates

    scan_duplicates.enqueue(scan.pk)
    scan.refresh_from_db()  # an immediate backend has already run it
    return scan


def run_scan(scan_id: int) -> int:
    """Run a queued check: find the groups, keep them (replacing the previous result) and
    record when and how long. Returns how many groups were found."""
    scan = DuplicateScan.objects.get(pk=scan_id)
    scan.state, scan.started_at = ScanState.RUNNING, timezone.now()
    scan.save(update_fields=["state", "started_at"])
    started = time.perf_counter()
    try:
        groups = find_duplicate_groups()
        lead_count = Lead.objects.count()
        dismissed = _dismissed_among({i for g in groups for i in g.lead_ids})
        rows = []
        for group in groups:
            members = open_members(group.lead_ids, dismissed)
            if members:
                rows.append(DuplicateScanGroup(
                    scan=scan, position=len(rows), found_lead_ids=list(group.lead_ids),
                    lead_ids=members, reason=group.reason, score=group.score,
                    detail=group.detail[:500], reasons=list(group.reasons)))
        with transaction.atomic():
            DuplicateScanGroup.objects.bulk_create(rows, batch_size=500)
            scan.state, scan.finished_at = ScanState.DONE, timezone.now()
            scan.seconds = round(time.perf_counter() - started, 2)
            scan.group_count, scan.lead_count = len(rows), lead_count
            scan.save()
            # Only the newest result is kept.
            (DuplicateScan.objects.filter(state__in=[ScanState.DONE, ScanState.FAILED],
                                          requested_at__lte=scan.requested_at)
             .exclude(pk=scan.pk).delete())
    except Exception as error:
        log.exception("The duplicate check %s failed", scan_id)
        DuplicateScan.objects.filter(pk=scan_id).update(
            state=ScanState.FAILED, finished_at=timezone.now(),
            seconds=round(time.perf_counter() - started, 2), error=str(error)[:1000])
        raise
    return len(rows)


def refresh_groups(lead_ids: Collection[int]) -> None:
    """Bring the kept groups that hold any of `lead_ids` up to date after a merge, an undo
    or a "not a duplicate" answer: their members are the leads found then that are still
    in the book and not told apart since."""
    result = latest_result()
    if result is None or not lead_ids:
        return
    wanted = set(lead_ids)
    touched = [(group_id, found) for group_id, found in
               result.groups.values_list("id", "found_lead_ids") if wanted.intersection(found)]
    if not touched:
        return
    all_ids = {lead_id for _, found in touched for lead_id in found}
    live = set(Lead.objects.filter(pk__in=all_ids).values_list("pk", flat=True))
    dismissed = _dismissed_among(all_ids)
    for group_id, found in touched:
        members = open_members([i for i in found if i in live], dismissed)
        DuplicateScanGroup.objects.filter(pk=group_id).update(
            lead_ids=members or [i for i in found if i in live], is_open=bool(members))


# --- What the Duplicates page shows ---------------------------------------------------------


@dataclass(frozen=True)
class GroupView:
    """A kept group as the page shows it: its leads as they are now."""

    group: DuplicateScanGroup
    leads: list[Lead]

    @property
    def lead_ids(self) -> list[int]:
        return [lead.pk for lead in self.leads]

    @property
    def ids_param(self) -> str:
        """'12,40,41': the leads as a query or form value."""
        return ",".join(str(lead.pk) for lead in self.leads)


def open_groups(scan: DuplicateScan, reason: str = ""):
    """The scan's groups still open, best first (a queryset, to paginate)."""
    groups = scan.groups.filter(is_open__in=[True])
    return groups.filter(reason=reason) if reason else groups


def reason_counts(scan: DuplicateScan) -> dict[str, int]:
    rows = open_groups(scan).order_by().values("reason").annotate(n=Count("id"))
    return {row["reason"]: row["n"] for row in rows}


def with_leads(groups: Iterable[DuplicateScanGroup]) -> list[GroupView]:
    """Groups of one page with their leads read in one query. A lead changed elsewhere since
    (trashed, merged) is left out, and so is a group left with fewer than two."""
    groups = list(groups)
    ids = {lead_id for group in groups for lead_id in group.lead_ids}
    leads = {lead.pk: lead for lead in Lead.objects.for_table().filter(pk__in=ids)}
    views = []
    for group in groups:
        members = [leads[i] for i in group.lead_ids if i in leads]
        if len(members) >= 2:
            views.append(GroupView(group, members))
    return views


# --- One lead: the form's warning and the lead page -----------------------------------------


@dataclass(frozen=True)
class LikelyDuplicate:
    lead: Lead
    match: Match


def likely_duplicates(candidate: Lead | dict[str, Any], *, lead: Lead | None = None,
                      limit: int = 5) -> list[LikelyDuplicate]:
    """The leads `candidate` (a lead, or the fields typed for `lead`, or for a new lead) is
    probably a duplicate of, best first, leaving out those already said not to be."""
    excluded = dismissed_partners(lead.pk) | {lead.pk} if lead is not None else set()
    matches = find_matches(candidate, exclude_ids=excluded, limit=limit)
    leads = Lead.objects.for_table().in_bulk([m.lead_id for m in matches])
    return [LikelyDuplicate(leads[m.lead_id], m) for m in matches if m.lead_id in leads]


def new_duplicates_for_form(values: dict[str, Any], lead: Lead | None,
                            confirmed_ids: Collection[int]) -> list[LikelyDuplicate]:
    """What the lead form warns about before saving `values`: likely duplicates not already
    confirmed by "Save anyway" (`confirmed_ids`). Editing a lead warns only about leads its
    new values match and its saved ones did not: known duplicates are the lead page's and
    the Duplicates page's business, not every edit's."""
    found = likely_duplicates(values, lead=lead)
    if lead is not None and found:
        already = {m.lead_id for m in find_matches(lead, exclude_ids=[lead.pk], limit=None)}
        found = [d for d in found if d.lead.pk not in already]
    return [d for d in found if d.lead.pk not in confirmed_ids]


def group_pairs(lead_ids: Sequence[int]) -> list[Pair]:
    return [pair(a, b) for a, b in itertools.combinations(lead_ids, 2)]
