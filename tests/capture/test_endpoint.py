"""POST /api/create-lead as websites, browsers and scripts use it."""

import json
import time
from urllib.parse import urlencode

import pytest
from django.test import Client

from leadbook.capture import spam
from leadbook.capture.models import Outcome, Submission
from leadbook.leads.models import Lead
from tests.capture.conftest import BROWSER_HEADERS, ENDPOINT, GUIDE_FORM


def test_the_guides_plain_form_creates_an_unread_lead_and_thanks_the_visitor(post_form, client):
    response = post_form(GUIDE_FORM)

    assert response.status_code == 303
    assert response["Location"].startswith("/api/create-lead/thanks?form=website")
    lead = Lead.objects.get()
    assert (lead.name, lead.first_name, lead.last_name, lead.email) == (
        "Dana Reyes", "Dana", "Reyes", "dana@juniper.example")
    assert lead.source.name == "Website" and lead.status.name == "New"
    assert lead.is_unread and lead.owner is None
    submission = Submission.objects.get()
    assert submission.lead == lead and submission.outcome == Outcome.CREATED
    assert submission.data == GUIDE_FORM
    assert submission.origin == "https://shop.example" and submission.ip == "127.0.0.1"

    thanks = client.get(response["Location"])
    page = thanks.content.decode()
    assert thanks.status_code == 200 and "Thank you!" in page
    assert 'href="https://shop.example/contact"' in page and "Back to shop.example" in page
    assert "csrftoken" not in thanks.cookies and "sessionid" not in thanks.cookies


def test_the_thank_you_page_links_back_only_to_where_the_post_came_from(client, db):
    page = client.get("/api/create-lead/thanks?form=website&back=https://evil.example")
    assert page.status_code == 200 and "evil.example" not in page.content.decode()


def test_the_endpoint_needs_no_csrf_token_nor_sign_in(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post(ENDPOINT, GUIDE_FORM, headers=BROWSER_HEADERS)  # multipart
    assert response.status_code == 303 and Lead.objects.count() == 1


def test_posts_work_before_leadbook_is_set_up(post_form):
    from leadbook.accounts.middleware import FirstRunMiddleware

    FirstRunMiddleware.setup_done = False  # no account exists yet
    assert post_form(GUIDE_FORM).status_code == 303
    assert Lead.objects.count() == 1


def test_a_json_post_gets_201_and_any_lead_field_by_its_api_name(post_json):
    response = post_json({
        "first_name": "Sam", "last_name": "Ortiz", "email": "sam@cornercup.example",
        "phone": "(512) 555-0142", "company": "Corner Cup", "city": "Austin",
        "notes": "Wants the spring line sheet.", "lead_types": ["Wholesale", "consignment"],
        "temperature": "Warm", "status": "qualified", "source": "Referral",
        "followers": "12,500", "instagram": "@cornercup",
    })

    assert response.status_code == 201
    assert response.json() == {"status": "accepted",
                               "message": "Thank you! Your details were received."}
    lead = Lead.objects.get()
    assert (lead.name, lead.company, lead.city, lead.phone) == (
        "Sam Ortiz", "Corner Cup", "Austin", "(512) 555-0142")
    assert lead.status.name == "Qualified" and lead.source.name == "Referral"
    assert lead.temperature == "warm" and lead.followers == 12500 and lead.instagram == "cornercup"
    assert sorted(t.name for t in lead.lead_types.all()) == ["Consignment", "Wholesale"]
    assert lead.notes == "Wants the spring line sheet."


def test_unknown_fields_and_choices_are_kept_in_the_notes(post_form):
    post_form({**GUIDE_FORM, "Message": "Do you ship to Canada?", "utm_source": "newsletter",
               "source": "Billboard", "lead type": "Wholesale", "notes": "Hi!"})
    lead = Lead.objects.get()
    assert lead.notes == ("Hi!\n\nMessage: Do you ship to Canada?\nutm_source: newsletter\n"
                          "Source: Billboard")
    assert lead.source.name == "Website"  # the form's, since Billboard is no source
    assert [t.name for t in lead.lead_types.all()] == ["Wholesale"]


def test_field_names_are_read_in_any_case_and_spacing(post_form):
    post_form({"First Name": "Dana", "LAST-NAME": "Reyes", "E-mail 2": "x", "Email": "d@x.example"})
    lead = Lead.objects.get()
    assert (lead.first_name, lead.last_name, lead.email) == ("Dana", "Reyes", "d@x.example")
    assert "E-mail 2: x" in lead.notes


def test_form_builders_default_field_names_are_understood(post_form, post_json):
    # Contact Form 7's default form, and the usual spellings of other builders.
    post_form({"your-name": "Dana Reyes", "your-email": "dana@juniper.example",
               "your-subject": "Wholesale", "your-message": "Your prices?"})
    post_json({"firstname": "Sam", "lastname": "Lee", "email_address": "sam@cornercup.example",
               "phone_number": "512-555-0142", "company_name": "Corner Cup", "zip": "78701"})
    dana = Lead.objects.get(email="dana@juniper.example")
    assert dana.name == "Dana Reyes"
    assert "your-subject: Wholesale" in dana.notes and "your-message: Your prices?" in dana.notes
    sam = Lead.objects.get(email="sam@cornercup.example")
    assert (sam.first_name, sam.last_name, sam.phone, sam.company, sam.postal_code) == (
        "Sam", "Lee", "512-555-0142", "Corner Cup", "78701")


def test_a_post_missing_a_required_field_gets_a_readable_page_with_a_way_back(post_form):
    response = post_form({"first_name": "Dana", "last_name": "Reyes"})

    assert response.status_code == 422
    page = response.content.decode()
    assert "Please check the form" in page
    assert "<strong>Email</strong>: This field is required." in page
    assert 'href="https://shop.example/contact"' in page and "data-history-back" in page
    assert not Lead.objects.exists()
    refused = Submission.objects.get()
    assert refused.outcome == Outcome.INVALID and refused.errors == {
        "email": ["This field is required."]}


def test_a_post_with_no_name_is_told_so(post_form):
    page = post_form({"email": "dana@juniper.example"}).content.decode()
    assert "Enter a name, or a first and last name." in page
    assert not Lead.objects.exists()


def test_json_validation_errors_are_422_with_the_fields(post_json):
    response = post_json({"first_name": "Dana", "email": "not-an-email", "phone": "12"})
    assert response.status_code == 422
    body = response.json()
    assert body["status"] == "invalid"
    assert body["errors"]["email"] == ["Enter a valid email address."]
    assert "phone" in body["errors"]
    assert not Lead.objects.exists()


def test_the_answer_is_the_same_whether_or_not_the_person_was_a_lead(post_form, post_json):
    headers_to_compare = ("Location", "Content-Type", "Access-Control-Allow-Origin", "Vary")

    def answer(response):
        return (response.status_code, response.content,
                [response.headers.get(h) for h in headers_to_compare])

    first, again = post_form(GUIDE_FORM), post_form({**GUIDE_FORM, "email": "DANA@juniper.example"})
    assert answer(first) == answer(again)
    json_first = post_json({**GUIDE_FORM, "email": "new@juniper.example"})
    json_again = post_json({**GUIDE_FORM, "email": "new@juniper.example"})
    assert answer(json_first) == answer(json_again)
    assert Lead.objects.count() == 2
    assert [s.outcome for s in Submission.objects.order_by("id")] == [
        "created", "matched", "created", "matched"]


def test_a_form_is_picked_by_query_string_or_hidden_field(post_form, post_json, make_form):
    make_form(name="Wholesale inquiries", key="wholesale", lead_types=["Wholesale"])
    post_form({**GUIDE_FORM, "email": "a@x.example"}, url=ENDPOINT + "?form=wholesale")
    post_form({**GUIDE_FORM, "email": "b@x.example", "form": "Wholesale"})
    post_json({**GUIDE_FORM, "email": "c@x.example", "form": "wholesale"})
    post_form({**GUIDE_FORM, "email": "d@x.example"})  # names none: the default form
    post_form({**GUIDE_FORM, "email": "e@x.example", "Form": "wholesale"})  # any case
    types = {lead.email: [t.name for t in lead.lead_types.all()] for lead in Lead.objects.all()}
    assert types == {"a@x.example": ["Wholesale"], "b@x.example": ["Wholesale"],
                     "c@x.example": ["Wholesale"], "d@x.example": [],
                     "e@x.example": ["Wholesale"]}
    assert list(Submission.objects.filter(form__key="wholesale").values_list("outcome", flat=True)
                ) == ["created"] * 4


def test_a_trailing_slash_works_too(post_form):
    assert post_form(GUIDE_FORM, url=ENDPOINT + "/").status_code == 303


def test_the_forms_defaults_go_on_the_lead(post_form, make_form, member):
    from leadbook.leads.models import Source, Status

    make_form(key="podcast", lead_types=["Podcast Guest"], owner=member,
              source=Source.objects.by_name("Social media"),
              status=Status.objects.by_name("Contacted"))
    post_form(GUIDE_FORM, url=ENDPOINT + "?form=podcast")
    lead = Lead.objects.get()
    assert lead.owner == member and lead.source.name == "Social media"
    assert lead.status.name == "Contacted"
    assert [t.name for t in lead.lead_types.all()] == ["Podcast Guest"]


def test_the_form_owner_cannot_be_chosen_by_the_poster(post_form, admin):
    post_form({**GUIDE_FORM, "owner": "dana"})
    lead = Lead.objects.get()
    assert lead.owner is None and "owner: dana" in lead.notes


@pytest.mark.parametrize("key, status, code", [("nope", 404, "unknown_form"),
                                               ("closed", 403, "inactive_form")])
def test_unknown_and_inactive_forms_are_refused(post_form, post_json, make_form, key, status,
                                                code):
    make_form(name="Closed", key="closed", is_active=False)
    page = post_form(GUIDE_FORM, url=f"{ENDPOINT}?form={key}")
    assert page.status_code == status and "<h1>" in page.content.decode()
    response = post_json(GUIDE_FORM, url=f"{ENDPOINT}?form={key}")
    assert response.status_code == status and response.json()["status"] == code
    assert not Lead.objects.exists() and not Submission.objects.exists()


def test_posts_naming_no_form_are_refused_while_the_default_form_is_off(post_json, default_form):
    default_form.is_active = False
    default_form.save()
    assert post_json(GUIDE_FORM).status_code == 403


def test_get_shows_what_the_address_is_for(client, db):
    response = client.get(ENDPOINT, headers={"Accept": "text/html"})
    assert response.status_code == 405 and response["Allow"] == "POST, OPTIONS"
    assert "receives web forms" in response.content.decode()


def test_other_encodings_are_read(client, db):
    multipart = client.post(ENDPOINT, {**GUIDE_FORM, "lead_types": ["Wholesale", "Collab"]})
    assert multipart.status_code == 201  # a script's post (no text/html in Accept): JSON
    plain_json = client.post(ENDPOINT, json.dumps({**GUIDE_FORM, "email": "b@x.example"}),
                             content_type="text/plain;charset=UTF-8")
    assert plain_json.status_code == 201
    plain_lines = client.post(ENDPOINT, "first_name=Ana\r\nlast_name=Ruiz\r\nemail=ana@x.example",
                              content_type="text/plain")
    assert plain_lines.status_code == 201
    assert sorted(Lead.objects.values_list("email", flat=True)) == [
        "ana@x.example", "b@x.example", "dana@juniper.example"]
    assert sorted(t.name for t in Lead.objects.get(email="dana@juniper.example")
                  .lead_types.all()) == ["Collab", "Wholesale"]


def test_files_are_not_kept_but_their_names_are_noted(client, db):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.post(ENDPOINT, {**GUIDE_FORM, "resume": SimpleUploadedFile("cv.pdf", b"%PDF")})
    assert Lead.objects.get().notes == "resume: cv.pdf (a file: not kept)"


def test_unreadable_bodies_are_refused(client, db):
    assert client.post(ENDPOINT, "{oops", content_type="application/json").status_code == 400
    assert client.post(ENDPOINT, "[1, 2]", content_type="application/json").status_code == 400
    assert client.post(ENDPOINT, "<x/>", content_type="application/xml").status_code == 415
    assert not Submission.objects.exists()


@pytest.mark.parametrize("body", [
    '{"name": "N", "email": "n@example.com", "x": NaN}',  # JSON has no NaN
    '{"name": "N", "email": "n@example.com", "x": -Infinity}',
    '{"name": "Sur \\ud83d Two", "email": "s@example.com"}',  # half a surrogate pair
    '{"name": "N", "\\udc00": "x"}',
    '{"a": ' + "[" * 5000 + "]" * 5000 + "}",  # nested past Python's recursion limit
])
def test_json_no_database_could_store_is_a_400_not_a_crash(client, db, body):
    response = client.post(ENDPOINT, body, content_type="application/json",
                           headers={"Origin": "https://shop.example"})
    assert response.status_code == 400, response.content
    assert response.json()["status"] == "bad_request"
    assert response["Access-Control-Allow-Origin"] == "https://shop.example"
    assert not Submission.objects.exists()


def test_nul_characters_are_dropped_from_every_field_and_name(post_form, post_json):
    assert post_form({"name": "Nul\x00 Byte", "email": "x@example.com", "a\x00b": "c\x00d",
                      "notes": "one\x00two"}).status_code == 303
    assert post_json({**GUIDE_FORM, "company": "Ju\x00niper"},
                     url=ENDPOINT + "?form=web\x00site").status_code in (201, 404)
    lead = Lead.objects.get(email="x@example.com")
    assert (lead.name, lead.notes) == ("Nul Byte", "onetwo\n\nab: cd")


@pytest.mark.parametrize("followers", ["\u00b2", "1" * 5000, "2147483648", "-5", "12k"])
def test_followers_that_are_not_a_storable_whole_number_are_a_422(post_json, followers):
    response = post_json({**GUIDE_FORM, "followers": followers})
    assert response.status_code == 422
    assert "Enter a whole number up to 2,147,483,647" in str(response.json())
    assert post_json({**GUIDE_FORM, "followers": "2,147,483,647"}).status_code == 201


@pytest.mark.parametrize("charset", ["utf8", "iso-8859-1", "windows-1252", "us-ascii", "nope"])
def test_a_form_post_in_any_declared_charset_is_read(client, db, charset):
    body = urlencode({**GUIDE_FORM, "city": "Zürich"}, encoding="latin-1"
                     if charset in ("iso-8859-1", "windows-1252") else "utf-8")
    response = client.generic("POST", ENDPOINT, body.encode(), headers={"Accept": "*/*"},
                              content_type=f"application/x-www-form-urlencoded; charset={charset}")
    assert response.status_code == 201, response.content
    assert Lead.objects.get().city == "Zürich"


def test_a_text_plain_form_keeps_a_textareas_lines_and_its_characters(client, db):
    # What a browser sends for <form enctype="text/plain">: name=value lines, nothing escaped.
    body = ("first_name=Tom & Jerry\r\nemail=solo+tag@example.com\r\n"
            "message=Line one\r\nLine two has no equals\r\n")
    assert client.post(ENDPOINT, body, content_type="text/plain").status_code == 201
    lead = Lead.objects.get()
    assert (lead.first_name, lead.email) == ("Tom & Jerry", "solo+tag@example.com")
    assert "Line one\nLine two has no equals" in lead.notes
    # A script's query string sent as text is still a query string.
    query = "first_name=Ana&email=ana%40example.com"
    assert client.post(ENDPOINT, query, content_type="text/plain").status_code == 201
    assert Lead.objects.filter(email="ana@example.com").exists()


def test_a_chunked_body_is_refused_with_411_rather_than_read_as_empty(client, db):
    response = client.generic("POST", ENDPOINT, b"", content_type="application/json",
                              HTTP_TRANSFER_ENCODING="chunked", CONTENT_LENGTH="")
    assert response.status_code == 411
    assert response.json()["status"] == "length_required"


def test_a_page_sending_origin_null_is_taken_like_one_sending_no_origin(post_form, make_form):
    make_form(key="shop", allowed_origins="https://shop.example")
    response = post_form(GUIDE_FORM, url=ENDPOINT + "?form=shop", Origin="null", Referer="")
    assert response.status_code == 303
    assert Lead.objects.exists()


# --- CORS --------------------------------------------------------------------------------------


def test_a_preflight_is_answered_for_the_forms_allowed_origins(client, make_form):
    make_form(key="shop", allowed_origins="https://shop.example\nhttps://*.juniper.example")
    for origin in ("https://shop.example", "https://www.juniper.example"):
        response = client.options(ENDPOINT + "?form=shop", headers={
            "Origin": origin, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type"})
        assert response.status_code == 204
        assert response["Access-Control-Allow-Origin"] == origin
        assert response["Access-Control-Allow-Methods"] == "POST, OPTIONS"
        assert response["Access-Control-Allow-Headers"] == "content-type"
        assert "Origin" in response["Vary"]
    refused = client.options(ENDPOINT + "?form=shop", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert refused.status_code == 403 and "Access-Control-Allow-Origin" not in refused


def test_posts_from_other_websites_are_refused_when_origins_are_listed(post_form, post_json,
                                                                       make_form):
    make_form(key="shop", allowed_origins="shop.example")  # stored as https://shop.example
    url = ENDPOINT + "?form=shop"
    refused = post_json(GUIDE_FORM, url=url, Origin="https://evil.example")
    assert refused.status_code == 403 and refused.json()["status"] == "origin_not_allowed"
    assert "Access-Control-Allow-Origin" not in refused
    page = post_form(GUIDE_FORM, url=url, Origin="https://evil.example")
    assert page.status_code == 403 and "https://evil.example" in page.content.decode()
    assert not Submission.objects.exists()

    allowed = post_json(GUIDE_FORM, url=url, Origin="https://shop.example")
    assert allowed.status_code == 201
    assert allowed["Access-Control-Allow-Origin"] == "https://shop.example"
    assert post_json({**GUIDE_FORM, "email": "x@y.example"}, url=url).status_code == 201  # curl
    assert Lead.objects.count() == 2


def test_any_website_may_post_to_a_form_without_origins(post_json, client, db):
    response = post_json(GUIDE_FORM, Origin="https://anywhere.example")
    assert response["Access-Control-Allow-Origin"] == "https://anywhere.example"
    assert "Origin" in response["Vary"]
    invalid = post_json({"first_name": "x"}, Origin="https://anywhere.example")
    assert invalid.status_code == 422  # readable by the script: CORS on errors too
    assert invalid["Access-Control-Allow-Origin"] == "https://anywhere.example"
    preflight = client.options(ENDPOINT, headers={"Origin": "https://anywhere.example",
                                                  "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 204


# --- Abuse --------------------------------------------------------------------------------------


def test_a_filled_honeypot_looks_like_success_and_stores_no_lead(post_form, post_json):
    real = post_form({**GUIDE_FORM, "lb_hp": ""})
    bot = post_form({**GUIDE_FORM, "email": "bot@spam.example", "lb_hp": "http://spam.example"})
    assert (bot.status_code, bot["Location"]) == (real.status_code, real["Location"])
    json_bot = post_json({**GUIDE_FORM, "lb_hp": "x"})
    assert json_bot.status_code == 201
    assert list(Lead.objects.values_list("email", flat=True)) == ["dana@juniper.example"]
    assert sorted(Submission.objects.values_list("outcome", "spam_reason")) == [
        ("created", ""), ("spam", "honeypot"), ("spam", "honeypot")]


def test_the_honeypot_can_be_switched_off(post_form, default_form):
    default_form.honeypot = False
    default_form.save()
    post_form({**GUIDE_FORM, "lb_hp": "autofilled"})
    assert Lead.objects.count() == 1


def test_a_form_sent_faster_than_the_minimum_fill_time_is_spam(post_form, default_form):
    default_form.min_fill_seconds = 3
    default_form.save()
    now = time.time()
    too_fast = post_form({**GUIDE_FORM, "email": "fast@x.example",
                          "lb_ts": spam.fill_token("website", now - 1)})
    forged = post_form({**GUIDE_FORM, "email": "forged@x.example",
                        "lb_ts": spam.fill_token("website", now - 60)[:-2] + "xx"})
    person = post_form({**GUIDE_FORM, "email": "person@x.example",
                        "lb_ts": spam.fill_token("website", now - 8)})
    no_script = post_form({**GUIDE_FORM, "email": "plain@x.example"})  # the guide's form
    assert {r.status_code for r in (too_fast, forged, person, no_script)} == {303}
    assert sorted(Lead.objects.values_list("email", flat=True)) == [
        "person@x.example", "plain@x.example"]
    assert sorted(Submission.objects.filter(outcome="spam").values_list("spam_reason", flat=True)
                  ) == ["forged timestamp", "too fast"]


def test_the_embed_script_stamps_a_fresh_signed_time(client, default_form):
    response = client.get("/api/create-lead/embed.js?form=website")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert response["Content-Type"].startswith("text/javascript")
    script = response.content.decode()
    token = script.split('var token = "')[1].split('"')[0]
    assert spam.spam_reason(default_form, {"lb_ts": token}) == ""
    default_form.min_fill_seconds = 60
    assert spam.spam_reason(default_form, {"lb_ts": token}) == "too fast"
    assert client.get("/api/create-lead/embed.js?form=nope").status_code == 404


def test_too_many_posts_from_one_address_get_429(post_form, post_json, settings, client):
    settings.CAPTURE_RATE_LIMIT = (2, 60)
    assert post_form(GUIDE_FORM).status_code == 303
    assert post_form({"first_name": "No email"}).status_code == 422  # counted too
    limited = post_form({**GUIDE_FORM, "email": "third@x.example"})
    assert limited.status_code == 429 and 0 < int(limited["Retry-After"]) <= 60
    assert "Too many forms" in limited.content.decode()
    assert post_json(GUIDE_FORM).json()["status"] == "rate_limited"
    other_address = client.post(ENDPOINT, {**GUIDE_FORM, "email": "other@x.example"},
                                REMOTE_ADDR="203.0.113.9")
    assert other_address.status_code == 201
    assert Submission.objects.count() == 3


def test_a_proxy_forwarded_address_is_used_when_behind_a_proxy(client, settings, db):
    settings.CAPTURE_RATE_LIMIT = (1, 60)
    settings.CAPTURE_TRUST_X_FORWARDED_FOR = True
    for n, address in enumerate(["198.51.100.1", "198.51.100.2"]):
        response = client.post(ENDPOINT, {**GUIDE_FORM, "email": f"{n}@x.example"},
                               headers={"X-Forwarded-For": f"10.0.0.1, {address}"})
        assert response.status_code == 201
    assert set(Submission.objects.values_list("ip", flat=True)) == {"198.51.100.1",
                                                                     "198.51.100.2"}


def test_a_body_over_the_limit_is_refused_with_413(post_form, post_json, settings):
    settings.CAPTURE_MAX_BODY_BYTES = 1024
    assert post_form({**GUIDE_FORM, "notes": "x" * 2000}).status_code == 413
    response = post_json({**GUIDE_FORM, "notes": "x" * 2000})
    assert response.status_code == 413 and response.json()["status"] == "too_large"
    assert post_form({**GUIDE_FORM, "notes": "x" * 500}).status_code == 303
    assert Submission.objects.count() == 1
