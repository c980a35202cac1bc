"""Settings → Web forms: list, create/edit, embed page; and the profile's email switch."""

import pytest

from leadbook.capture.models import WebForm
from leadbook.leads.models import LeadType, Source
from tests.capture.conftest import GUIDE_FORM


@pytest.fixture
def urls(default_form):
    pk = default_form.pk
    return [("get", "/settings/web-forms/"), ("get", "/settings/web-forms/new/"),
            ("get", f"/settings/web-forms/{pk}/"), ("get", f"/settings/web-forms/{pk}/edit/"),
            ("post", f"/settings/web-forms/{pk}/default/"),
            ("post", f"/settings/web-forms/{pk}/delete/")]


def test_only_admins_open_and_change_web_forms(client, member_client, viewer_client, urls):
    for method, url in urls:
        outsider = getattr(client, method)(url)
        assert outsider.status_code == 302 and outsider["Location"].startswith("/accounts/login/")
        assert getattr(member_client, method)(url).status_code == 403, url
        assert getattr(viewer_client, method)(url).status_code == 403, url
    member_client.post("/settings/web-forms/new/", {"name": "Sneaky", "is_active": "on"})
    assert not WebForm.objects.filter(name="Sneaky").exists()


def test_the_settings_nav_leads_to_web_forms(admin_client, default_form, post_form):
    post_form(GUIDE_FORM)
    settings_page = admin_client.get("/settings/").content.decode()
    assert 'href="/settings/web-forms/"' in settings_page and "Web forms" in settings_page
    page = admin_client.get("/settings/web-forms/").content.decode()
    assert "Website" in page and "Default" in page and "<code>website</code>" in page
    assert 'aria-current="page" href="/settings/web-forms/"' in page
    row = page.split('id="web-forms"')[1]
    assert '<td data-label="Submissions">1</td>' in row


def test_an_admin_adds_a_form_and_gets_its_code(admin_client, member):
    response = admin_client.post("/settings/web-forms/new/", {
        "name": "Wholesale inquiries", "key": "", "source": Source.objects.by_name("Website").pk,
        "status": "", "owner": member.pk,
        "lead_types": [LeadType.objects.by_name("Wholesale").pk],
        "redirect_url": "https://shop.example/thanks",
        "allowed_origins": "shop.example\nhttps://www.shop.example/contact, http://localhost:3000",
        "required_fields": ["email", "phone"], "honeypot": "on", "min_fill_seconds": "3",
        "is_active": "on",
    })
    form = WebForm.objects.get(name="Wholesale inquiries")
    assert response.status_code == 302 and response["Location"] == f"/settings/web-forms/{form.pk}/"
    assert form.key == "wholesale-inquiries" and form.owner == member
    assert form.allowed_origins == ("https://shop.example\nhttps://www.shop.example\n"
                                    "http://localhost:3000")
    assert form.required_fields == ["email", "phone"]
    assert [t.name for t in form.lead_types.all()] == ["Wholesale"]

    page = admin_client.get(response["Location"]).content.decode()
    assert ("&lt;form action=&quot;http://127.0.0.1:8000/api/create-lead?form=wholesale-inquiries"
            "&quot; method=&quot;POST&quot;&gt;") in page
    assert "name=&quot;phone&quot;" in page and "name=&quot;lb_hp&quot;" in page
    assert "embed.js?form=wholesale-inquiries" in page  # the fill-time script
    assert 'data-copy-target="#embed-code"' in page and 'id="embed-code"' in page
    assert 'id="submission-count">0<' in page


def test_a_forms_settings_are_checked(admin_client, default_form):
    response = admin_client.post("/settings/web-forms/new/", {
        "name": "Second", "key": "website", "allowed_origins": "not a site\nftp://x.example",
        "redirect_url": "", "min_fill_seconds": "0", "is_active": "on"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Another form already has the key “website”." in page
    assert "Not a website address: not a site, ftp://x.example." in page
    assert not WebForm.objects.filter(name="Second").exists()


def test_editing_keeps_what_is_not_changed(admin_client, make_form):
    form = make_form(name="Podcast", key="podcast", lead_types=["Podcast Guest"])
    admin_client.post(f"/settings/web-forms/{form.pk}/edit/", {
        "name": "Podcast guests", "key": "podcast", "lead_types": [t.pk for t in
                                                                   form.lead_types.all()],
        "redirect_url": "", "allowed_origins": "", "min_fill_seconds": "0",
        "create_duplicates": "on"})
    form.refresh_from_db()
    assert form.name == "Podcast guests" and form.create_duplicates and not form.is_active
    assert [t.name for t in form.lead_types.all()] == ["Podcast Guest"]


def test_the_embed_page_counts_submissions_and_lists_the_latest(admin_client, default_form,
                                                                post_form):
    post_form(GUIDE_FORM)
    post_form(GUIDE_FORM)  # the same person again
    post_form({"first_name": "Only"})  # refused: no email
    post_form({**GUIDE_FORM, "email": "bot@x.example", "lb_hp": "spam"})
    page = admin_client.get(f"/settings/web-forms/{default_form.pk}/").content.decode()
    assert 'id="submission-count">2<' in page
    assert "<strong>1</strong><span>New lead</span>" in page
    assert "<strong>1</strong><span>Added to an existing lead</span>" in page
    assert "<strong>1</strong><span>Caught as spam</span>" in page
    assert "Email: This field is required." in page
    assert "Dana Reyes · dana@juniper.example" in page and "(honeypot)" in page


def test_the_default_form_moves_and_stays(admin_client, make_form, default_form):
    other = make_form(name="Other", key="other")
    response = admin_client.post(f"/settings/web-forms/{default_form.pk}/delete/")
    assert WebForm.objects.filter(pk=default_form.pk).exists()
    assert "default form" in admin_client.get(response["Location"]).content.decode()
    admin_client.post(f"/settings/web-forms/{other.pk}/default/")
    assert WebForm.objects.get(is_default=True) == other
    admin_client.post(f"/settings/web-forms/{default_form.pk}/delete/")
    assert not WebForm.objects.filter(pk=default_form.pk).exists()


def test_a_source_a_form_uses_is_not_deleted(admin_client, default_form):
    website = Source.objects.by_name("Website")
    admin_client.post(f"/settings/sources/{website.pk}/delete/")
    assert Source.objects.filter(pk=website.pk).exists()


def test_anyone_signed_in_flips_their_own_email_switch(viewer_client, viewer, client):
    page = viewer_client.get("/accounts/profile/").content.decode()
    assert 'name="notify_new_web_leads" checked' in page
    response = viewer_client.post("/accounts/profile/notifications/", {})
    assert response["Location"] == "/accounts/profile/"
    viewer.refresh_from_db()
    assert not viewer.notify_new_web_leads
    viewer_client.post("/accounts/profile/notifications/", {"notify_new_web_leads": "on"})
    viewer.refresh_from_db()
    assert viewer.notify_new_web_leads
    assert client.post("/accounts/profile/notifications/", {}).status_code == 302
    assert viewer_client.get("/accounts/profile/notifications/").status_code == 405
