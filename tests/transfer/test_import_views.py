"""The Bulk Upload wizard's pages: who may open them, and each step through the test client."""

import datetime
from pathlib import Path

import pytest
from django.urls import reverse

from leadbook.leads.models import Lead
from leadbook.transfer import services
from leadbook.transfer.models import ImportJob, ImportState
from leadbook.transfer.rows import LEAVE_EMPTY

SAMPLE = Path(__file__).parent / "samples" / "bulk_upload_example.csv"


@pytest.fixture
def job(member):
    return services.create_import(actor=member, data=SAMPLE)


def urls(pk):
    return {
        "get": [reverse("transfer:import"), reverse("transfer:template_csv"),
                reverse("transfer:template_xlsx"), reverse("transfer:instructions"),
                reverse("transfer:job", args=[pk]), reverse("transfer:mapping", args=[pk]),
                reverse("transfer:review", args=[pk]), reverse("transfer:progress", args=[pk]),
                reverse("transfer:undo", args=[pk]), reverse("transfer:failed_rows", args=[pk])],
        "post": [reverse("transfer:import"), reverse("transfer:mapping", args=[pk]),
                 reverse("transfer:fix_values", args=[pk]),
                 reverse("transfer:default_action", args=[pk]),
                 reverse("transfer:row_action", args=[pk, 2]),
                 reverse("transfer:start", args=[pk]), reverse("transfer:discard", args=[pk]),
                 reverse("transfer:resume", args=[pk]), reverse("transfer:undo", args=[pk])],
    }


def test_an_outsider_is_sent_to_sign_in_everywhere(client, job):
    for method, addresses in urls(job.pk).items():
        for url in addresses:
            response = getattr(client, method)(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith(reverse("login")), url


def test_a_viewer_can_neither_see_nor_change_imports(viewer_client, job):
    for method, addresses in urls(job.pk).items():
        for url in addresses:
            assert getattr(viewer_client, method)(url).status_code == 403, (method, url)
    assert ImportJob.objects.get().state == ImportState.MAPPING


def test_the_leads_table_offers_bulk_upload_to_members_only(member_client, viewer_client):
    assert reverse("transfer:import").encode() in member_client.get("/leads/").content
    assert reverse("transfer:import").encode() not in viewer_client.get("/leads/").content


def test_the_whole_wizard_through_the_client(member_client, make_lead):
    existing = make_lead(name="Corner Cup", email="sam@cornercup.example")
    with SAMPLE.open("rb") as upload:
        response = member_client.post(reverse("transfer:import"), {"file": upload})
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("transfer:mapping", args=[job.pk])

    page = member_client.get(response["Location"])
    assert b"Juniper &amp; Vine" in page.content  # a sample of the Name column
    chosen = {f"column-{i}": job.mapping[h] or "" for i, h in enumerate(job.headers)}
    response = member_client.post(reverse("transfer:mapping", args=[job.pk]), chosen)
    assert response["Location"] == job.get_absolute_url()
    response = member_client.get(response["Location"])
    assert response["Location"] == reverse("transfer:review", args=[job.pk])

    review = member_client.get(reverse("transfer:review", args=[job.pk])).content.decode()
    assert "Enter a name, or a first and last name." in review  # the Errors tab comes first
    similar = member_client.get(reverse("transfer:review", args=[job.pk]) + "?tab=similar")
    assert "Austn" in similar.content.decode()
    duplicates = member_client.get(reverse("transfer:review", args=[job.pk]) + "?tab=duplicates")
    assert "Same email sam@cornercup.example" in duplicates.content.decode()

    member_client.post(reverse("transfer:fix_values", args=[job.pk]),
                       {"use-0": "on", "spelling-0": "Austin", "spelling-1": "TX"})
    job.refresh_from_db()
    assert job.replacements == {"city": {"austin": "Austin", "Austn": "Austin"}, "state": {}}

    response = member_client.post(reverse("transfer:row_action", args=[job.pk, 3]),
                                  {"action": "update"}, headers={"HX-Request": "true"})
    assert 'id="action-form-3"' in response.content.decode()
    assert 'hx-swap-oob="true"' in response.content.decode()  # the counts follow

    response = member_client.post(reverse("transfer:start", args=[job.pk]))
    assert response["Location"] == job.get_absolute_url()
    report = member_client.get(job.get_absolute_url()).content.decode()
    assert "Imported" in report and "Undo import" in report
    existing.refresh_from_db()
    assert existing.name == "Corner Cup Coffee"
    assert set(Lead.objects.values_list("city", flat=True)) == {"Austin", "Nashville"}

    failed = member_client.get(reverse("transfer:failed_rows", args=[job.pk]))
    assert b"This row has no Name" in b"".join(failed.streaming_content)

    lead = Lead.objects.get(name="Kit & Kin")
    assert "imported this lead" in member_client.get(lead.get_absolute_url()).content.decode()

    response = member_client.post(reverse("transfer:undo", args=[job.pk]))
    assert response["Location"] == job.get_absolute_url()
    assert list(Lead.objects.values_list("name", flat=True)) == ["Corner Cup"]


def test_an_unreadable_upload_is_refused_on_the_page(member_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("leads.pdf", b"%PDF-1.4 \x00\x01binary")
    response = member_client.post(reverse("transfer:import"), {"file": upload})
    assert response.status_code == 200
    assert "not a CSV or Excel file" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_an_unknown_name_can_be_replaced_or_left_out_in_the_review(member_client, member):
    data = b"Name,Status,Source\nJuniper,Qualifed,Fair\nCorner Cup,Open Deal,\n"
    job = services.create_import(actor=member, data=data, filename="leads.csv")
    services.check_import(job=job)
    review = member_client.get(reverse("transfer:review", args=[job.pk])).content.decode()
    assert "— import without it (default status) —" in review
    assert "Qualified (suggested)" in review
    fixes = {(u["field"], u["value"]): i for i, u in enumerate(job.unknown_values)}
    member_client.post(reverse("transfer:fix_values", args=[job.pk]), {
        f"fix-{fixes['status', 'Qualifed']}": "Qualified",
        f"fix-{fixes['status', 'Open Deal']}": LEAVE_EMPTY,
        f"fix-{fixes['source', 'Fair']}": ""})  # left as it is: the row is not imported
    job.refresh_from_db()
    assert (job.valid_rows, job.invalid_rows) == (1, 1)
    assert [(u["field"], u["value"]) for u in job.unknown_values] == [("source", "Fair")]
    assert services.names_left_empty(job) == ["Status “Open Deal”"]


def test_a_mapping_without_a_name_stays_on_the_page_with_the_reason(member_client, job):
    blank = {f"column-{i}": "" for i in range(len(job.headers))}
    response = member_client.post(reverse("transfer:mapping", args=[job.pk]), blank)
    assert response.status_code == 200
    assert "No column goes to Name" in response.content.decode()


def test_the_progress_bar_polls_while_busy_and_reloads_when_done(member_client, job):
    now = datetime.datetime.now(datetime.UTC)
    ImportJob.objects.filter(pk=job.pk).update(
        state=ImportState.IMPORTING, total_rows=100, rows_done=40, heartbeat_at=now,
        phase_started_at=now - datetime.timedelta(seconds=4), started_at=now)
    page = member_client.get(reverse("transfer:progress", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in page
    assert "40 of 100 rows" in page and "10 rows/s" in page and "about 6 s left" in page
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=now - datetime.timedelta(hours=1))
    stalled = member_client.get(job.get_absolute_url()).content.decode()
    assert "Resume" in stalled and 'hx-trigger="every 1s"' not in stalled
    ImportJob.objects.filter(pk=job.pk).update(state=ImportState.DONE)
    response = member_client.get(reverse("transfer:progress", args=[job.pk]),
                                 headers={"HX-Request": "true"})
    assert response["HX-Refresh"] == "true"


def test_another_member_cannot_undo_someone_elses_import(client, job, member):
    from leadbook.accounts.models import User

    services.check_import(job=job)
    services.start_import(job=job, actor=member)
    other = User.objects.create_user(username="lee", password="x-long-password-1", role="member")
    client.force_login(other)
    assert client.post(reverse("transfer:undo", args=[job.pk])).status_code == 403
    assert Lead.objects.count() == 4


def test_throwing_a_file_away_deletes_the_job(member_client, job):
    response = member_client.post(reverse("transfer:discard", args=[job.pk]))
    assert response["Location"] == reverse("transfer:import")
    assert not ImportJob.objects.exists()


def test_the_template_downloads_name_their_files(member_client):
    csv_response = member_client.get(reverse("transfer:template_csv"))
    body = b"".join(csv_response.streaming_content).decode("utf-8-sig")
    assert body.splitlines()[0].startswith("Name,First Name,Last Name,Company")
    assert "leadbook-import-template.csv" in csv_response["Content-Disposition"]
    xlsx = member_client.get(reverse("transfer:template_xlsx"))
    assert xlsx.content.startswith(b"PK")
    page = member_client.get(reverse("transfer:instructions")).content.decode()
    assert "Consignment, Wholesale" in page and "Required" in page


def test_the_review_pages_through_many_errors_keeping_its_tab(member_client, member,
                                                             monkeypatch):
    from leadbook.transfer import views

    monkeypatch.setattr(views, "PER_PAGE", 1)
    data = b"Name,Email\n,a@example.com\n,b@example.com\n,c@example.com\n"
    job = services.create_import(actor=member, data=data, filename="no-names.csv")
    services.check_import(job=job)
    review = reverse("transfer:review", args=[job.pk])
    first = member_client.get(f"{review}?tab=errors").content.decode()
    assert "1–1 of 3" in first and 'href="?tab=errors&amp;page=2"' in first
    second = member_client.get(f"{review}?tab=errors&page=2").content.decode()
    assert "2–2 of 3" in second and "Row" in second
