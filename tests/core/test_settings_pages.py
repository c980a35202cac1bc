import pytest

from leadbook.core.models import WorkspaceSettings
from leadbook.leads.models import LeadType, Source, Status


@pytest.mark.parametrize("url", ["/settings/", "/settings/statuses/", "/settings/lead-types/",
                                 "/settings/sources/", "/settings/outreach-kinds/"])
def test_only_admins_open_settings(client, db, member_client, viewer_client, admin_client, url):
    assert client.get(url).status_code == 302
    assert member_client.get(url).status_code == 403
    assert viewer_client.get(url).status_code == 403
    assert admin_client.get(url).status_code == 200


def test_members_cannot_change_settings(member_client):
    member_client.post("/settings/sources/", {"new-name": "Podcast"})
    member_client.post("/settings/", {"contact_requirement": "email"})
    assert not Source.objects.filter(name="Podcast").exists()
    assert WorkspaceSettings.load().contact_requirement == "none"


def test_an_unknown_list_is_not_found(admin_client):
    assert admin_client.get("/settings/colours/").status_code == 404


def test_an_admin_sets_the_required_fields(admin_client):
    admin_client.post("/settings/", {"contact_requirement": "email_or_phone"})
    assert WorkspaceSettings.load().contact_requirement == "email_or_phone"


def test_an_admin_adds_renames_and_reorders_statuses(admin_client):
    admin_client.post("/settings/statuses/", {"new-name": "On Hold", "new-stage": "lead"})
    on_hold = Status.objects.get(name="On Hold")
    assert on_hold.position == Status.objects.count() - 1
    admin_client.post("/settings/statuses/", {"pk": on_hold.pk, f"e{on_hold.pk}-name": "Paused",
                                              f"e{on_hold.pk}-stage": "lost"})
    on_hold.refresh_from_db()
    assert (on_hold.name, on_hold.stage) == ("Paused", "lost")
    admin_client.post(f"/settings/statuses/{on_hold.pk}/move/", {"direction": "up"})
    names = list(Status.objects.values_list("name", flat=True))
    assert names[-2:] == ["Paused", "Lost"]


def test_names_must_be_unique_and_the_form_says_so(admin_client):
    response = admin_client.post("/settings/lead-types/", {"new-name": "wholesale",
                                                           "new-target": "retailer"})
    assert "already" in response.content.decode()
    assert LeadType.objects.filter(name__iexact="wholesale").count() == 1


def test_an_entry_in_use_is_not_deleted(admin_client, make_lead):
    make_lead(lead_types=["Collab"])
    collab = LeadType.objects.get(name="Collab")
    response = admin_client.post(f"/settings/lead-types/{collab.pk}/delete/", follow=True)
    assert "is in use" in response.content.decode()
    assert LeadType.objects.filter(pk=collab.pk).exists()
    new = Status.objects.get(name="New")
    admin_client.post(f"/settings/statuses/{new.pk}/delete/")
    assert Status.objects.filter(pk=new.pk).exists()


def test_an_unused_entry_is_deleted(admin_client):
    other = Source.objects.get(name="Other")
    admin_client.post(f"/settings/sources/{other.pk}/delete/")
    assert not Source.objects.filter(name="Other").exists()
