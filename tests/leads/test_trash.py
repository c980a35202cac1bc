"""Leads → Trash: deleting, restoring, erasing a person's data (GDPR) and the 30-day purge."""

import datetime
import json

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from leadbook.audit.models import AuditEntry
from leadbook.capture.models import Submission
from leadbook.leads import trash
from leadbook.leads.models import Lead
from leadbook.leads.services import delete_lead
from leadbook.outreach.models import Outreach, OutreachKind
from leadbook.outreach.services import log_outreach
from leadbook.transfer.models import ImportedLead, ImportJob, RowDuplicate, RowError
from leadbook.webhooks.models import Delivery, Webhook

EMAIL = "ana@cornercup.example.com"


@pytest.fixture
def lead(make_lead, member):
    return make_lead(name="Corner Cup", first_name="Ana", last_name="Silva", email=EMAIL,
                     phone="(512) 555-0142", actor=member, owner=member)


def in_trash(lead, actor, days_ago=0):
    delete_lead(lead=lead, actor=actor)
    if days_ago:
        Lead.all_objects.filter(pk=lead.pk).update(
            deleted_at=timezone.now() - datetime.timedelta(days=days_ago))
    return Lead.all_objects.get(pk=lead.pk)


def test_delete_from_the_lead_page_moves_the_lead_to_the_trash(member_client, member, lead):
    response = member_client.post(reverse("leads:delete", args=[lead.pk]))
    assert response.status_code == 302
    assert not Lead.objects.filter(pk=lead.pk).exists()
    page = member_client.get(reverse("leads:trash"))
    assert page.status_code == 200
    row = page.content.decode()
    assert "Corner Cup" in row and EMAIL in row
    assert member.display_name in row  # deleted by
    assert AuditEntry.objects.filter(action="lead.deleted", target=f"lead #{lead.pk}").exists()


def test_a_viewer_cannot_delete_or_open_the_trash(viewer_client, lead):
    assert viewer_client.post(reverse("leads:delete", args=[lead.pk])).status_code == 403
    assert viewer_client.get(reverse("leads:trash")).status_code == 403
    assert Lead.objects.filter(pk=lead.pk).exists()


def test_restore_brings_the_lead_back(member_client, member, lead):
    in_trash(lead, member)
    response = member_client.post(reverse("leads:trash_restore", args=[lead.pk]))
    assert response.status_code == 302
    assert Lead.objects.filter(pk=lead.pk).exists()
    member_client.get(reverse("leads:detail", args=[lead.pk]))  # shows the message
    assert f'id="trash-{lead.pk}"' not in member_client.get(reverse("leads:trash")).content.decode()
    assert AuditEntry.objects.filter(action="lead.restored").exists()


def test_only_leads_in_the_trash_are_restored_or_erased(admin_client, lead):
    assert admin_client.post(reverse("leads:trash_restore", args=[lead.pk])).status_code == 404
    assert admin_client.post(reverse("leads:trash_erase", args=[lead.pk]),
                             {"confirm": "yes"}).status_code == 404
    assert Lead.objects.filter(pk=lead.pk).exists()


def test_members_restore_but_only_admins_erase(member_client, admin_client, member, lead):
    in_trash(lead, member)
    assert "Erase personal data" not in member_client.get(reverse("leads:trash")).content.decode()
    assert "Erase personal data" in admin_client.get(reverse("leads:trash")).content.decode()
    response = member_client.post(reverse("leads:trash_erase", args=[lead.pk]),
                                  {"confirm": "yes"})
    assert response.status_code == 403
    assert Lead.all_objects.filter(pk=lead.pk).exists()


def test_erase_asks_for_confirmation(admin_client, member, lead):
    in_trash(lead, member)
    admin_client.post(reverse("leads:trash_erase", args=[lead.pk]))
    assert Lead.all_objects.filter(pk=lead.pk).exists()


def _everything_about(lead, member, admin):
    """The person's data in every place Leadbook keeps a copy of it."""
    log_outreach(lead=lead, actor=member, kind=OutreachKind.objects.first(),
                 notes=f"Spoke to Ana, she wants samples at {EMAIL}")
    Submission.objects.create(lead=lead, outcome="created",
                              data={"email": EMAIL, "first_name": "Ana"})
    job = ImportJob.objects.create(created_by=member, filename="leads.csv")
    ImportedLead.objects.create(job=job, lead=lead, row=3, action="created")
    RowError.objects.create(job=job, row=3, column="Phone", field="phone",
                            message="Too short", value="555-01")
    RowDuplicate.objects.create(job=job, row=7, lead_id=lead.pk, reason="email",
                                detail=f"Same email {EMAIL}", preview={"email": EMAIL})
    other_row = RowError.objects.create(job=job, row=4, column="Email", message="Invalid",
                                        value="someone-else@")
    webhook = Webhook.objects.create(url="https://hooks.example.com/x", events=["lead.created"],
                                     secret="s", created_by=admin)
    body = json.dumps({"id": "e1", "event": "lead.created", "created_at": "2026-01-01",
                       "data": {"lead": {"name": "Corner Cup", "email": EMAIL,
                                         "id": lead.pk, "status": "New"}}})
    delivery = Delivery.objects.create(webhook=webhook, event="lead.created", body=body,
                                       response_body=EMAIL)
    unrelated = Delivery.objects.create(
        webhook=webhook, event="lead.created",
        body=json.dumps({"data": {"lead": {"id": lead.pk + 1000, "email": "x@example.com"}}}))
    return job, delivery, unrelated, other_row


def test_erase_personal_data_removes_every_copy_and_keeps_an_audit_entry_without_it(
        admin_client, admin, member, lead, make_lead):
    job, delivery, unrelated, other_row = _everything_about(lead, member, admin)
    duplicate = make_lead(name="Corner Cup Coffee", email="ana.silva@cornercup.example.com")
    from leadbook.leads.merging import merge_leads

    merge_leads(survivor=lead, others=[duplicate], actor=member)
    lead.refresh_from_db()
    in_trash(lead, member)
    assert Lead.history.model.objects.filter(id=lead.pk).exists()

    response = admin_client.post(reverse("leads:trash_erase", args=[lead.pk]),
                                 {"confirm": "yes"})
    assert response.status_code == 302

    assert not Lead.all_objects.filter(pk__in=[lead.pk, duplicate.pk]).exists()
    assert not Lead.history.model.objects.filter(id__in=[lead.pk, duplicate.pk]).exists()
    assert not Outreach.objects.filter(notes__contains="Ana").exists()
    assert not Submission.objects.filter(data__email=EMAIL).exists()
    assert list(RowError.objects.filter(job=job, row=3).values_list("value", flat=True)) \
        == [trash.ERASED]
    assert RowError.objects.get(pk=other_row.pk).value == "someone-else@"  # not this person
    assert RowDuplicate.objects.get(job=job, row=7).preview == {}
    delivery.refresh_from_db()
    assert EMAIL not in delivery.body and EMAIL not in delivery.response_body
    assert json.loads(delivery.body)["erased"] is True
    unrelated.refresh_from_db()
    assert "x@example.com" in unrelated.body

    entry = AuditEntry.objects.get(action="lead.erased")
    assert entry.actor == admin and entry.target == f"lead #{lead.pk}"
    assert entry.details == {"lead": lead.pk, "merged_leads": [duplicate.pk]}
    # Nothing anywhere in the audit log holds the person's data.
    for logged in AuditEntry.objects.all():
        text = json.dumps([logged.target, logged.details])
        assert EMAIL not in text and "Corner Cup" not in text and "Silva" not in text


def test_the_purge_erases_leads_older_than_thirty_days(member, make_lead, lead):
    in_trash(lead, member, days_ago=31)
    recent = in_trash(make_lead(name="Recent"), member, days_ago=29)
    live = make_lead(name="Still here")

    call_command("purge_trash", dry_run=True)
    assert Lead.all_objects.filter(pk=lead.pk).exists()

    call_command("purge_trash")
    assert not Lead.all_objects.filter(pk=lead.pk).exists()
    assert not Lead.history.model.objects.filter(id=lead.pk).exists()
    assert Lead.all_objects.filter(pk=recent.pk).exists()
    assert Lead.objects.filter(pk=live.pk).exists()
    entry = AuditEntry.objects.get(action="lead.purged")
    assert entry.actor is None and entry.details["lead"] == lead.pk


def test_the_trash_page_says_when_each_lead_will_be_erased(member_client, member, lead):
    in_trash(lead, member, days_ago=10)
    purge_on = timezone.localdate() + datetime.timedelta(days=20)
    html = member_client.get(reverse("leads:trash")).content.decode()
    assert f"{purge_on.day} {purge_on:%b %Y}" in html


def test_the_trash_respects_members_see_own_leads_only(member_client, admin, member,
                                                      make_lead, lead):
    from leadbook.core.services import update_workspace_settings

    others = make_lead(name="Admin's lead", owner=admin)
    in_trash(lead, member)
    in_trash(others, admin)
    update_workspace_settings(members_see_own_leads_only=True)
    html = member_client.get(reverse("leads:trash")).content.decode()
    assert "Corner Cup" in html and "Admin&#x27;s lead" not in html
    assert member_client.post(reverse("leads:trash_restore", args=[others.pk])).status_code \
        == 404
