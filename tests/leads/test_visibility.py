"""The workspace setting "members see only the leads they own"."""

import pytest
from django.urls import reverse

from leadbook.core.services import update_workspace_settings
from leadbook.leads.models import Lead
from tests.api.conftest import ApiClient, token_for


@pytest.fixture
def leads(make_lead, member, admin):
    return {
        "mine": make_lead(name="Mine Ltd", owner=member),
        "theirs": make_lead(name="Theirs Ltd", owner=admin),
        "nobody": make_lead(name="Nobodys Ltd"),
    }


@pytest.fixture
def own_only(db):
    update_workspace_settings(members_see_own_leads_only=True)


def names(response) -> set[str]:
    html = response.content.decode()
    return {name for name in ("Mine Ltd", "Theirs Ltd", "Nobodys Ltd") if name in html}


def test_off_by_default_members_see_every_lead(member, member_client, leads):
    assert Lead.objects.visible_to(member).count() == 3
    assert names(member_client.get(reverse("leads:list"))) == {"Mine Ltd", "Theirs Ltd",
                                                               "Nobodys Ltd"}


def test_on_a_member_sees_only_their_own_leads(member, member_client, leads, own_only):
    assert list(Lead.objects.visible_to(member)) == [leads["mine"]]
    assert names(member_client.get(reverse("leads:list"))) == {"Mine Ltd"}
    assert names(member_client.get(reverse("leads:board"))) <= {"Mine Ltd"}
    export = b"".join(member_client.get(reverse("leads:export")).streaming_content).decode()
    assert "Mine Ltd" in export and "Theirs Ltd" not in export
    theirs = leads["theirs"].pk
    assert member_client.get(reverse("leads:detail", args=[leads["mine"].pk])).status_code \
        == 200
    assert member_client.get(reverse("leads:detail", args=[theirs])).status_code == 404
    assert member_client.get(reverse("leads:edit", args=[theirs])).status_code == 404
    assert member_client.post(reverse("leads:set_active", args=[theirs]),
                              {"active": "false"}).status_code == 404
    assert member_client.post(reverse("leads:delete", args=[theirs])).status_code == 404
    assert member_client.get(reverse("outreach:log", args=[theirs])).status_code == 404
    assert Lead.objects.get(pk=theirs).is_active


def test_on_admins_and_viewers_still_see_every_lead(admin, viewer, admin_client,
                                                    viewer_client, leads, own_only):
    assert Lead.objects.visible_to(admin).count() == 3
    assert Lead.objects.visible_to(viewer).count() == 3
    every = {"Mine Ltd", "Theirs Ltd", "Nobodys Ltd"}
    assert names(admin_client.get(reverse("leads:list"))) == every
    assert names(viewer_client.get(reverse("leads:list"))) == every


def test_on_the_api_shows_a_member_only_their_own_leads(member, leads, own_only, settings):
    settings.API_RATE_LIMIT = 100_000
    client = ApiClient(token_for(member))
    listed = client.get("/leads").json()
    assert [item["name"] for item in listed["items"]] == ["Mine Ltd"]
    assert listed["count"] == 1
    assert client.get(f"/leads/{leads['mine'].pk}").status_code == 200
    theirs = leads["theirs"].pk
    assert client.get(f"/leads/{theirs}").status_code == 404
    assert client.patch(f"/leads/{theirs}", {"notes": "mine now"}).status_code == 404
    assert client.delete(f"/leads/{theirs}").status_code == 404
    assert client.post(f"/leads/{theirs}/outreach", {"kind": "Email"}).status_code == 404
    assert Lead.objects.get(pk=theirs).notes == ""


def test_the_setting_is_on_the_settings_page(admin_client, db):
    from leadbook.core.models import WorkspaceSettings

    page = admin_client.get(reverse("settings")).content.decode()
    assert "Members see only the leads they own" in page
    response = admin_client.post(reverse("settings"), {
        "contact_requirement": "none", "first_outreach_moves_to_contacted": "on",
        "members_see_own_leads_only": "on"})
    assert response.status_code == 302
    assert WorkspaceSettings.load().members_see_own_leads_only


def test_on_the_api_a_member_cannot_reach_outreach_on_others_leads(member, admin, leads,
                                                                   own_only, settings):
    from leadbook.outreach.models import OutreachKind
    from leadbook.outreach.services import log_outreach

    settings.API_RATE_LIMIT = 100_000
    entry = log_outreach(lead=leads["theirs"], actor=admin, notes="Called",
                         kind=OutreachKind.objects.get(name="Email"))
    client = ApiClient(token_for(member))
    assert client.patch(f"/outreach/{entry.pk}", {"notes": "changed"}).status_code == 404
    assert client.delete(f"/outreach/{entry.pk}").status_code == 404
    entry.refresh_from_db()
    assert entry.notes == "Called"
