"""Every error is JSON with a meaningful status: 400, 401, 403, 404, 405, 409, 412, 413,
415, 422, 429 — and bad input never a 500."""

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from leadbook.accounts.services import create_api_token, revoke_api_token
from leadbook.leads.models import MAX_LEAD_NOTES, Lead

from .conftest import ApiClient


def assert_json_error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    return body


# --- 401 ---------------------------------------------------------------------------------------


def test_no_token_is_401_with_a_hint(api_anonymous):
    response = api_anonymous.get("/leads")
    body = assert_json_error(response, 401)
    assert "Bearer" in body["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Token abc", "Bearer", "Bearer lb_nope", "Basic Zm9vOmJhcg=="])
def test_a_wrong_or_unknown_token_is_401(api_anonymous, header):
    assert_json_error(api_anonymous.get("/leads", headers={"Authorization": header}), 401)


def test_revoked_expired_and_deactivated_tokens_are_401(member):
    token, raw = create_api_token(user=member, name="Old")
    revoke_api_token(token=token, actor=member)
    assert "revoked" in assert_json_error(ApiClient(raw).get("/leads"), 401)["detail"]

    token, raw = create_api_token(user=member, name="Short")
    token.expires_at = timezone.now() - datetime.timedelta(minutes=1)
    token.save()
    assert "expired" in assert_json_error(ApiClient(raw).get("/leads"), 401)["detail"]

    _, raw = create_api_token(user=member, name="Gone")
    member.is_active = False
    member.save()
    assert_json_error(ApiClient(raw).get("/leads"), 401)


def test_a_signed_in_browser_session_does_not_open_the_api(member_client):
    response = member_client.get("/api/v2/leads")
    assert_json_error(response, 401)
    # ...nor can a session write without a token, CSRF token or not.
    response = member_client.post("/api/v2/leads", json.dumps({"name": "X"}),
                                  content_type="application/json")
    assert_json_error(response, 401)
    assert not Lead.objects.exists()


# --- 403 ---------------------------------------------------------------------------------------


def test_a_viewer_token_reads_but_cannot_write(api_viewer, make_lead):
    lead = make_lead(name="Corner Cup")
    assert api_viewer.get("/leads").status_code == 200
    assert api_viewer.get(f"/leads/{lead.pk}").status_code == 200
    assert_json_error(api_viewer.post("/leads", {"name": "New"}), 403)
    assert_json_error(api_viewer.patch(f"/leads/{lead.pk}", {"city": "X"}), 403)
    assert_json_error(api_viewer.put(f"/leads/{lead.pk}", {"name": "X"}), 403)
    assert_json_error(api_viewer.delete(f"/leads/{lead.pk}"), 403)
    assert_json_error(api_viewer.post(f"/leads/{lead.pk}/outreach", {"kind": "Email"}), 403)
    lead.refresh_from_db()
    assert (Lead.objects.count(), lead.city, lead.deleted_at) == (1, "", None)


# --- 404, 405 ----------------------------------------------------------------------------------


def test_missing_records_and_unknown_paths_are_json_404(api_member, db):
    assert_json_error(api_member.get("/leads/999999"), 404)
    assert_json_error(api_member.get("/outreach-log"), 404)
    assert_json_error(api_member.get("/"), 404)


def test_a_method_a_path_does_not_take_is_json_405_with_allow(api_member, db):
    response = api_member.request("TRACE", "/leads")
    body = assert_json_error(response, 405)
    assert "GET" in response["Allow"] and "POST" in response["Allow"]
    assert "TRACE" in body["detail"]


# --- Bad bodies: 400, 413, 415, 422 ------------------------------------------------------------


@pytest.mark.parametrize("raw", ['{"name": "X"', "not json", "[1, 2", '{"name": "\\ud800"}x',
                                 "\xff\xfe"])
def test_malformed_json_is_400(api_member, db, raw):
    assert "JSON" in assert_json_error(api_member.post("/leads", raw=raw), 400)["detail"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", ""])
def test_a_body_not_sent_as_json_is_415(api_member, db, content_type):
    response = api_member.post("/leads", {"name": "X"}, content_type=content_type)
    assert "application/json" in assert_json_error(response, 415)["detail"]
    assert not Lead.objects.exists()


def test_json_with_a_charset_is_fine(api_member, db):
    response = api_member.post("/leads", {"name": "X"},
                               content_type="application/json; charset=utf-8")
    assert response.status_code == 201


def test_a_huge_body_is_413(api_member, db, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api_member.post("/leads", {"name": "X", "notes": "a" * 2000})
    assert_json_error(response, 413)


@pytest.mark.parametrize("body, field", [
    ({"name": 42}, "name"),
    ({"name": "X", "followers": "many"}, "followers"),
    ({"name": "X", "followers": -1}, "followers"),
    ({"name": "X", "followers": 10**20}, "followers"),
    ({"name": "X", "lead_types": "Wholesale"}, "lead_types"),
    ({"name": "X", "temperature": "hot"}, "temperature"),
    ({"name": "X", "is_active": "maybe"}, "is_active"),
    ({"name": "x" * 10_000}, "name"),
    ({"name": "X", "notes": "n" * (MAX_LEAD_NOTES + 1)}, "notes"),
    ({"name": "X", "favourite_colour": "green"}, "favourite_colour"),
    ({"name": "X", "id": 5}, "id"),
    ({"name": "X", "lead_types": ["x" * 500]}, "lead_types.0"),
])
def test_wrong_types_huge_strings_and_unknown_fields_are_422(api_member, db, body, field):
    body = assert_json_error(api_member.post("/leads", body), 422)
    error = body["errors"][0]
    assert (error["field"], error["location"]) == (field, "body")
    assert error["message"].endswith(".")
    assert not Lead.objects.exists()


def test_a_read_only_field_says_so(api_member, db):
    body = assert_json_error(api_member.post("/leads", {"name": "X", "version": 3}), 422)
    assert "read-only" in body["errors"][0]["message"]


@pytest.mark.parametrize("raw", ["[]", '"a lead"', "42", "null"])
def test_a_body_that_is_not_an_object_is_422(api_member, db, raw):
    assert_json_error(api_member.post("/leads", raw=raw), 422)


def test_an_empty_body_is_422(api_member, db):
    body = assert_json_error(api_member.post("/leads", raw=""), 422)
    assert body["errors"][0]["message"] == "This field is required."
    assert not Lead.objects.exists()


def test_nul_characters_are_dropped(api_member, db):
    response = api_member.post("/leads", {"name": "Corner\x00 Cup", "notes": "a\x00b"})
    assert response.status_code == 201
    assert (response.json()["name"], response.json()["notes"]) == ("Corner Cup", "ab")
    assert api_member.get("/leads", search="cup\x00").status_code == 200


@pytest.mark.parametrize("query", [
    {"limit": 0}, {"limit": 501}, {"limit": "ten"}, {"offset": -1}, {"offset": 2**40},
    {"ordering": "colour"}, {"active": "maybe"}, {"temperature": "hot"},
    {"search": "x" * 300},
])
def test_bad_query_parameters_are_422(api_member, db, query):
    body = assert_json_error(api_member.get("/leads", **query), 422)
    assert body["errors"][0]["location"] == "query"
    assert body["errors"][0]["field"] == next(iter(query))


@pytest.mark.parametrize("lead_id", ["0", "-1", "abc", str(2**70), "1.5"])
def test_bad_ids_are_4xx(api_member, db, lead_id):
    response = api_member.get(f"/leads/{lead_id}")
    assert response.status_code in (404, 422)
    assert response.json()["detail"]


# --- 429 ---------------------------------------------------------------------------------------


def test_the_rate_limit_is_per_token_with_retry_after(settings, member):
    settings.API_RATE_LIMIT = 3
    first, second = (ApiClient(create_api_token(user=member, name=n)[1]) for n in "ab")
    assert [first.get("/statuses").status_code for _ in range(3)] == [200, 200, 200]
    response = first.get("/statuses")
    body = assert_json_error(response, 429)
    assert 1 <= int(response["Retry-After"]) <= 120
    assert "3 a minute" in body["detail"]
    assert second.get("/statuses").status_code == 200


def test_the_window_slides(member):
    from leadbook.api.auth import check_rate_limit
    from leadbook.api.errors import RateLimited

    token, _ = create_api_token(user=member, name="Script")
    start = 1_000_000 * 60  # the start of a minute
    for second in range(10):
        check_rate_limit(token, now=start + second, limit=10)
    with pytest.raises(RateLimited) as refused:
        check_rate_limit(token, now=start + 30, limit=10)
    # Refused requests do not count; at 10 of 10 the next fits once the previous minute's
    # weight drops under 9, i.e. 6 s into the next minute.
    assert refused.value.headers["Retry-After"] == "36"
    with pytest.raises(RateLimited):
        check_rate_limit(token, now=start + 65, limit=10)
    check_rate_limit(token, now=start + 67, limit=10)
    # Now 1 this minute and 10 the minute before, at 7 s in: one more must wait until the
    # weight of the ten drops to 8, 5 s on.
    with pytest.raises(RateLimited) as refused:
        check_rate_limit(token, now=start + 67, limit=10)
    assert refused.value.headers["Retry-After"] == "5"


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's separate count file")
def test_on_sqlite_counting_api_requests_writes_nothing_to_the_book(settings, member):
    """Any commit to the book's file makes SQLite's other connections drop their page caches
    (WAL), so the counts live in a file of their own (api/ratelimit.py)."""
    import sqlite3

    from leadbook.api.ratelimit import RATE_FILE

    settings.API_RATE_LIMIT = 50
    token, raw = create_api_token(user=member, name="Script")
    client = ApiClient(raw)
    assert client.get("/statuses").status_code == 200  # notes when the token was last used
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/statuses").status_code == 200
        assert client.get("/statuses").status_code == 200
    writes = [q["sql"] for q in queries.captured_queries
              if q["sql"].split()[0] in ("INSERT", "UPDATE", "DELETE")]
    assert writes == []
    counts = sqlite3.connect(settings.DATA_DIR / RATE_FILE)
    assert counts.execute("SELECT count FROM api_windows WHERE token = ?",
                          [token.key_hash]).fetchone() == (3,)


def test_a_rate_limit_of_zero_means_none(settings, api_member, db):
    settings.API_RATE_LIMIT = 0
    assert all(api_member.get("/statuses").status_code == 200 for _ in range(20))


# --- The docs ----------------------------------------------------------------------------------


def test_the_schema_and_docs_are_public_and_offline(client):
    schema = client.get("/api/v2/openapi.json")
    assert schema.status_code == 200 and schema.json()["openapi"].startswith("3.")
    page = client.get("/api/v2/docs")
    html = page.content.decode()
    assert page.status_code == 200
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower() and "https://" not in html


def test_a_trailing_slash_gets_a_hint(api_member, db):
    body = assert_json_error(api_member.get("/leads/"), 404)
    assert "/api/v2/leads (without the slash" in body["detail"]
