"""capture_submission and its parts: matching, filling, unread marking, notifications."""

import pytest
from django.core import mail

from leadbook.capture import origins
from leadbook.capture.fields import read_post
from leadbook.capture.models import Submission
from leadbook.capture.services import Visitor, capture_submission, mark_lead_read
from leadbook.leads.models import Lead
from leadbook.settings import envrate
from tests.capture.conftest import GUIDE_FORM


def capture(form, **data):
    return capture_submission(form=form, data=data, visitor=Visitor(ip="192.0.2.1",
                                                                    rate_key="192.0.2.1"))


# --- Reading posts ------------------------------------------------------------------------------


def test_posted_names_map_to_lead_fields(db):
    posted = read_post({"First Name": " Dana ", "lead-type": "Wholesale, Nope",
                        "lead_types": "Collab", "temperature": "WARM", "followers": "12k",
                        "status": "Qualified", "form": "website", "lb_hp": "", "extra": [1, 2],
                        "empty": ""})
    assert posted.fields["first_name"] == "Dana" and posted.fields["temperature"] == "warm"
    assert posted.fields["status"].name == "Qualified"
    assert [t.name for t in posted.lead_types] == ["Wholesale"]
    assert posted.extra == [("Lead type", "Nope"), ("lead_types", "Collab"), ("extra", "1, 2")]
    assert posted.errors == {"followers": ["Enter a whole number up to 2,147,483,647, e.g. 12500."]}


@pytest.mark.parametrize("typed, stored", [
    ("https://Shop.Example:443/contact?x=1", "https://shop.example"),
    ("shop.example", "https://shop.example"),
    ("http://localhost:3000", "http://localhost:3000"),
    ("http://[::1]:8080", "http://[::1]:8080"),
    ("https://*.shop.example", "https://*.shop.example"),
    ("*", "*"),
    ("null", ""), ("ftp://shop.example", ""), ("https://", ""), ("not a site", ""),
])
def test_origins_are_stored_in_one_form(typed, stored):
    assert origins.normalise(typed) == stored


def test_origins_match_exactly_or_by_subdomain():
    allowed = ["https://shop.example", "https://*.juniper.example"]
    assert origins.matches("https://shop.example", allowed)
    assert origins.matches("https://a.b.juniper.example", allowed)
    assert not origins.matches("http://shop.example", allowed)
    assert not origins.matches("https://juniper.example.evil.example", allowed)
    assert not origins.matches("https://eviljuniper.example", allowed)
    assert not origins.matches("null", allowed) and origins.matches("null", ["*"])


@pytest.mark.parametrize("value, rate", [("10/minute", (10, 60)), ("5/s", (5, 1)),
                                         ("100/hours", (100, 3600)), ("0", (0, 0)),
                                         ("off", (0, 0)), ("30", (30, 60))])
def test_the_rate_limit_setting_is_read(monkeypatch, value, rate):
    monkeypatch.setenv("LEADBOOK_CAPTURE_RATE_LIMIT", value)
    assert envrate("LEADBOOK_CAPTURE_RATE_LIMIT", "10/minute") == rate


def test_a_mistyped_rate_limit_fails_loudly(monkeypatch):
    monkeypatch.setenv("LEADBOOK_CAPTURE_RATE_LIMIT", "ten a minute")
    with pytest.raises(ValueError, match="10/minute"):
        envrate("LEADBOOK_CAPTURE_RATE_LIMIT", "10/minute")


# --- Existing leads ------------------------------------------------------------------------------


def test_a_post_from_an_existing_lead_fills_only_its_empty_fields(default_form, make_lead, admin):
    lead = make_lead(name="Juniper & Vine", email="dana@juniper.example", company="Juniper & Vine",
                     actor=admin)
    version = lead.version
    result = capture(default_form, **{**GUIDE_FORM, "email": "Dana@Juniper.example "},
                     phone="512-555-0142", company="Other Co", city="Austin", notes="Hi again")

    assert result.outcome == "matched" and Lead.objects.count() == 1
    lead.refresh_from_db()
    assert (lead.name, lead.company) == ("Juniper & Vine", "Juniper & Vine")  # kept
    assert (lead.first_name, lead.phone, lead.city, lead.notes) == (
        "Dana", "512-555-0142", "Austin", "Hi again")  # were empty
    assert lead.version == version + 1 and lead.is_unread
    assert result.submission.filled_fields == ["city", "first_name", "last_name", "notes",
                                               "phone", "source"]
    assert lead.source.name == "Website"


def test_a_phone_in_another_format_is_the_same_person(default_form, make_lead):
    make_lead(name="Corner Cup", phone="(512) 555-0142")
    default_form.required_fields = []
    assert capture(default_form, first_name="Sam", phone="+1 512 555 0142").outcome == "matched"


def test_a_shared_website_or_a_similar_name_is_not_the_same_person(default_form, make_lead):
    make_lead(name="Dana Reyes", city="Austin", website="juniper.example",
              email="info@juniper.example")
    result = capture(default_form, **GUIDE_FORM, website="https://juniper.example", city="Austin")
    assert result.outcome == "created" and Lead.objects.count() == 2


def test_a_trashed_lead_does_not_catch_the_post(default_form, make_lead):
    from leadbook.leads.services import delete_lead

    delete_lead(lead=make_lead(email="dana@juniper.example"), actor=None)
    assert capture(default_form, **GUIDE_FORM).outcome == "created"


def test_a_form_can_create_a_lead_even_when_it_exists(default_form, make_lead):
    make_lead(email="dana@juniper.example")
    default_form.create_duplicates = True
    default_form.save()
    assert capture(default_form, **GUIDE_FORM).outcome == "created"
    assert Lead.objects.filter(email="dana@juniper.example").count() == 2


def test_an_existing_lead_that_breaks_a_rule_still_gets_the_post(default_form, make_lead):
    lead = make_lead(email="dana@juniper.example")
    Lead.objects.filter(pk=lead.pk).update(website="not a website")  # say, from an old import
    result = capture(default_form, **GUIDE_FORM, phone="512-555-0142")
    assert result.outcome == "matched" and result.submission.lead == lead
    assert result.submission.filled_fields == []


# --- Unread, timeline, notifications ------------------------------------------------------------


def test_opening_a_new_web_lead_marks_it_read_without_editing_it(post_form, viewer_client):
    post_form(GUIDE_FORM)
    lead = Lead.objects.get()
    table = viewer_client.get("/leads/").content.decode()
    assert 'class="lb-name lb-unread"' in table and "lb-unread-dot" in table
    history = lead.history.count()

    page = viewer_client.get(f"/leads/{lead.pk}/").content.decode()
    lead.refresh_from_db()
    assert not lead.is_unread and lead.version == 1 and lead.history.count() == history
    assert "Sent the web form</strong> “Website”" in page
    assert "<dt>First name</dt><dd>Dana</dd>" in page
    assert "lb-unread" not in viewer_client.get("/leads/").content.decode()


def test_mark_lead_read_writes_only_when_needed(make_lead, django_assert_num_queries):
    lead = make_lead()
    with django_assert_num_queries(0):
        mark_lead_read(lead=lead)


def test_the_timeline_says_what_a_repeat_post_filled(post_form, viewer_client):
    post_form(GUIDE_FORM)
    post_form({**GUIDE_FORM, "phone": "512-555-0142", "Message": "Still interested!"})
    lead = Lead.objects.get()
    page = viewer_client.get(f"/leads/{lead.pk}/").content.decode()
    assert "“Website” again" in page and "Filled in: Notes, Phone" in page
    assert "Is unread" not in page  # a reading flag, not a change anyone made
    assert "<dt>Message</dt><dd>Still interested!</dd>" in page
    assert "lb-submission" in page


def test_the_forms_owner_is_emailed_about_a_new_lead(default_form, member, admin):
    default_form.owner = member
    default_form.save()
    capture(default_form, **GUIDE_FORM, phone="512-555-0142")
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["sam@example.com"]
    assert email.subject == "New web lead: Dana Reyes (Website form)"
    lead = Lead.objects.get()
    assert f"http://127.0.0.1:8000/leads/{lead.pk}/" in email.body
    assert "Phone: 512-555-0142" in email.body and "the lead is yours" in email.body
    assert "/accounts/profile/" in email.body


def test_admins_are_emailed_when_nobody_owns_the_lead(default_form, admin, member):
    from leadbook.accounts.services import create_user

    create_user(username="quiet", password=None, role="admin", email="quiet@example.com")
    from leadbook.accounts.models import User

    User.objects.filter(username="quiet").update(notify_new_web_leads=False)
    capture(default_form, **GUIDE_FORM)
    assert [m.to for m in mail.outbox] == [["dana@example.com"]]
    assert "nobody owns the lead and you are an admin" in mail.outbox[0].body


def test_nobody_is_emailed_when_their_switch_is_off_or_for_a_repeat_post(default_form, member,
                                                                        admin):
    member.notify_new_web_leads = False
    member.save()
    default_form.owner = member
    default_form.save()
    capture(default_form, **GUIDE_FORM)
    default_form.owner = None
    default_form.save()
    capture(default_form, **GUIDE_FORM)  # the same person: not a new lead
    capture(default_form, first_name="Bot", lb_hp="x", email="bot@x.example")  # spam
    assert mail.outbox == []
    assert Submission.objects.count() == 3


def test_posts_of_a_lead_merged_into_another_show_on_the_survivor(default_form, make_lead):
    from leadbook.core.timeline import timeline_for

    survivor = make_lead(name="Juniper & Vine", email="shop@juniper.example")
    capture(default_form, **GUIDE_FORM)
    merged = Lead.objects.get(email="dana@juniper.example")
    Lead.all_objects.filter(pk=merged.pk).update(merged_into=survivor)
    kinds = [entry.kind for entry in timeline_for(survivor)]
    assert kinds.count("submission") == 1
