"""/api/v2/imports: upload a file, follow the job, read the report (DESIGN.md's shape)."""

from pathlib import Path

import pytest

from leadbook.leads.models import Lead
from leadbook.transfer.models import ImportJob

SAMPLE = (Path(__file__).parent.parent / "transfer" / "samples" /
          "bulk_upload_example.csv").read_bytes()
REPORT_KEYS = ["rows", "valid", "invalid", "created", "updated", "skipped", "mapping",
               "errors", "duplicates", "similar_values"]


def upload(client, content=SAMPLE, filename="leads.csv", **fields):
    return client.upload("/imports", {"file": (filename, content)}, fields)


def test_an_upload_is_imported_and_the_job_reports_it(api_member):
    response = upload(api_member)
    assert response.status_code == 202, response.json()
    job = response.json()
    assert response["Location"] == f"/api/v2/imports/{job['id']}"
    # The tests' task backend runs the job at once; a real worker would take a moment.
    followed = api_member.get(f"/imports/{job['id']}")
    assert followed.status_code == 200
    job = followed.json()
    assert job["state"] == "done" and job["progress"]["busy"] is False
    assert job["dry_run"] is False and job["created_by"] == "sam"
    report = job["report"]
    assert list(report) == REPORT_KEYS
    assert (report["rows"], report["valid"], report["invalid"]) == (5, 4, 1)
    assert (report["created"], report["updated"], report["skipped"]) == (4, 0, 0)
    assert report["errors"] == [
        {"row": 6, "column": "Name", "message": "Enter a name, or a first and last name."}]
    assert report["mapping"]["Contact Name"] == "contact_name"
    assert {"column": "City", "values": ["Austin", "Austn", "austin"], "suggested": "Austin"} \
        in report["similar_values"]
    assert set(Lead.objects.values_list("name", flat=True)) == {
        "Juniper & Vine", "Corner Cup Coffee", "The Makers Hour", "Kit & Kin"}
    # ...and the leads are in the API like any other.
    assert api_member.get("/leads", search="juniper").json()["count"] == 1


def test_a_dry_run_writes_nothing_and_says_what_importing_would_do(api_member):
    response = upload(api_member, dry_run="true")
    assert response.status_code == 202
    job = api_member.get(f"/imports/{response.json()['id']}").json()
    assert job["dry_run"] is True and job["state"] == "review"
    assert job["report"]["created"] == 4
    assert not Lead.objects.exists()


def test_duplicates_follow_on_duplicate_and_the_report_lists_them(api_member, make_lead):
    existing = make_lead(name="Juniper & Vine", email="dana@juniperandvine.example")
    job = upload(api_member, on_duplicate="update").json()
    report = api_member.get(f"/imports/{job['id']}").json()["report"]
    assert {"row": 2, "lead_id": existing.pk, "reason": "email"} in report["duplicates"]
    assert report["updated"] == 1 and report["created"] == 3
    existing.refresh_from_db()
    assert existing.city == "Austin"  # updated from the file


def test_the_mapping_can_be_corrected_and_similar_values_accepted(api_member):
    job = upload(api_member, map=["Notes=", "Collab Type=collab_type"],
                 accept_similar="true").json()
    report = api_member.get(f"/imports/{job['id']}").json()["report"]
    assert report["mapping"]["Notes"] is None
    assert set(Lead.objects.values_list("city", flat=True)) == {"Austin", "Nashville"}
    assert not Lead.objects.exclude(notes="").exists()


def test_failed_rows_download_as_csv_with_the_error_first(api_member):
    job = upload(api_member).json()
    response = api_member.get(f"/imports/{job['id']}/failed-rows")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Import error,Name,Lead Type")
    assert len(lines) == 2 and "Enter a name" in lines[1]


def test_the_list_shows_your_imports_and_an_admin_sees_all(api_member, api_admin, api_viewer):
    upload(api_member)
    upload(api_admin, dry_run="true")
    assert api_member.get("/imports").json()["count"] == 1
    assert api_admin.get("/imports").json()["count"] == 2
    assert api_viewer.get("/imports").json() == {"items": [], "count": 0}


def test_someone_elses_import_is_a_404_for_a_member(api_member, api_admin):
    job = upload(api_admin, dry_run="true").json()
    assert api_member.get(f"/imports/{job['id']}").status_code == 404
    assert api_admin.get(f"/imports/{job['id']}").status_code == 200
    assert api_member.get("/imports/999999").status_code == 404
    assert api_member.get("/imports/999999/failed-rows").status_code == 404


def test_a_viewer_cannot_import(api_viewer):
    response = upload(api_viewer)
    assert response.status_code == 403
    assert not ImportJob.objects.exists()


def test_without_a_token_it_is_a_401(api_anonymous):
    assert upload(api_anonymous).status_code == 401


@pytest.mark.parametrize("content, filename, words", [
    (b"", "leads.csv", "empty"),
    (b"\x00\x01\x02 not a spreadsheet" * 50, "leads.xlsx", ""),
    (b"PK\x03\x04 broken zip", "leads.xlsx", ""),
])
def test_a_file_that_cannot_be_read_is_a_422_with_the_readers_message(
        api_member, content, filename, words):
    response = upload(api_member, content, filename)
    assert response.status_code == 422, response.content
    error = response.json()["errors"][0]
    assert error["field"] == "file" and error["message"]
    assert words in error["message"].lower()
    assert not ImportJob.objects.exists()


def test_a_bad_mapping_is_a_422(api_member):
    response = upload(api_member, map=["No Such Header=email"])
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "map"
    response = upload(api_member, map=["Name=nonsense_field"])
    assert response.status_code == 422
    response = upload(api_member, map=["Name=", "Contact Name=", "Email=email"])
    assert response.status_code == 422
    assert "Name" in response.json()["detail"]
    assert not ImportJob.objects.exists()


def test_bad_options_and_a_missing_file_are_422s(api_member):
    assert upload(api_member, on_duplicate="merge").status_code == 422
    response = api_member.upload("/imports", {}, {"dry_run": "true"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "file"
    response = api_member.post("/imports", {"file": "leads.csv"})  # JSON instead of a form
    assert response.status_code == 422


def test_a_file_over_the_upload_limit_is_a_413(api_member, settings):
    settings.MAX_UPLOAD_BYTES = 100
    response = upload(api_member)
    assert response.status_code == 413
    assert "larger than" in response.json()["detail"]
    assert not ImportJob.objects.exists()


def test_a_body_with_too_many_fields_is_a_413_not_a_crash(api_member, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    response = upload(api_member, map=[f"H{i}=" for i in range(10)])
    assert response.status_code == 413


def test_a_broken_multipart_body_is_a_400(api_member):
    response = api_member.request(
        "POST", "/imports", raw=b"--x\r\nContent-Disposition: form-data; name=\"file\"",
        content_type="multipart/form-data; boundary=")
    assert response.status_code in (400, 422), response.content
    assert response.json()["detail"]
