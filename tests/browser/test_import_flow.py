"""Bulk Upload in a real browser: the whole wizard with the sample file, the live progress
bar, and undo."""

import csv
import datetime
import io
from pathlib import Path

from django.utils import timezone
from playwright.sync_api import expect

from leadbook.leads.models import Lead
from leadbook.transfer.models import ImportJob, ImportState
from tests.browser.conftest import sign_in

SAMPLE = Path(__file__).resolve().parents[1] / "transfer" / "samples" / "bulk_upload_example.csv"


def test_upload_review_import_and_undo_the_sample_file(page, member, make_lead):
    existing = make_lead(name="Corner Cup", email="sam@cornercup.example", city="Austin")
    sign_in(page, "sam")
    page.goto("/leads/")
    page.get_by_role("link", name="Bulk Upload").click()
    expect(page.get_by_role("heading", name="Import leads")).to_be_visible()
    with page.expect_download() as template:
        page.get_by_role("link", name="Template (.csv)").click()
    assert template.value.suggested_filename == "leadbook-import-template.csv"

    # Upload → Match columns: every column of the sample maps by itself.
    page.get_by_label("Your file").set_input_files(str(SAMPLE))
    page.get_by_role("button", name="Upload and match columns").click()
    expect(page.get_by_role("heading", name="Match columns")).to_be_visible()
    expect(page.get_by_label("Contact Name")).to_have_value("contact_name")
    expect(page.get_by_label("Followers")).to_have_value("followers")
    page.get_by_role("button", name="Check the file").click()

    # Review: counts first, then the tabs.
    expect(page.get_by_role("heading", name="Review")).to_be_visible()
    counts = page.locator("#import-counts")
    expect(counts).to_contain_text("3 will be created")
    expect(counts).to_contain_text("1 will be skipped")
    expect(counts).to_contain_text("1 row with errors")
    expect(page.locator("#row-errors")).to_contain_text("Enter a name, or a first and last name.")

    page.locator("a.nav-link", has_text="Similar values").click()
    groups = page.locator("#similar-groups")
    expect(groups).to_contain_text("Austn")
    page.get_by_role("button", name="Use these and check again").click()
    expect(page.get_by_text("Checked the file again with your changes.")).to_be_visible()

    page.locator("a.nav-link", has_text="Duplicates").click()
    row = page.locator("#dup-3")
    expect(row).to_contain_text("Corner Cup Coffee")
    expect(row).to_contain_text("Same email sam@cornercup.example")
    page.get_by_label("What to do with row 3").select_option("update")
    expect(counts).to_contain_text("1 will update an existing lead")  # updated in place

    page.get_by_role("button", name="Import 4 leads").click()
    expect(page.get_by_role("heading", name="Imported", exact=True)).to_be_visible()
    report = page.locator("#import-report")
    expect(report).to_contain_text("3 created")
    expect(report).to_contain_text("1 updated")
    expect(report).to_contain_text("1 failed")
    existing.refresh_from_db()
    assert existing.name == "Corner Cup Coffee"
    assert set(Lead.objects.values_list("state", flat=True)) == {"TX", "TN"}

    with page.expect_download() as failed:
        page.get_by_role("link", name="Download rows not imported (.csv)").click()
    rows = list(csv.reader(io.StringIO(Path(failed.value.path()).read_text("utf-8-sig"))))
    assert rows[0][0] == "Import error" and len(rows) == 2

    page.get_by_role("link", name="Undo import").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("will be removed")
    dialog.get_by_role("button", name="Undo import").click()
    expect(page.locator("#undo-summary")).to_contain_text("3 leads removed, 1 restored")
    existing.refresh_from_db()
    assert existing.name == "Corner Cup"
    assert Lead.objects.count() == 1


def test_the_progress_bar_follows_a_running_import_and_survives_a_reload(page, member):
    sign_in(page, "sam")
    job = ImportJob.objects.create(
        created_by=member, filename="big.csv", file="imports/big.csv",
        state=ImportState.IMPORTING, total_rows=100_000, rows_done=25_000,
        started_at=timezone.now(), heartbeat_at=timezone.now(),
        phase_started_at=timezone.now() - datetime.timedelta(seconds=5), valid_rows=100_000)
    page.goto(f"/leads/import/{job.pk}/")
    progress = page.locator("#import-progress")
    expect(progress).to_contain_text("25,000 of 100,000 rows")
    ImportJob.objects.filter(pk=job.pk).update(rows_done=60_000, heartbeat_at=timezone.now())
    expect(progress).to_contain_text("60,000 of 100,000 rows")  # polled, no reload
    page.reload()
    expect(progress).to_contain_text("60% ")
    ImportJob.objects.filter(pk=job.pk).update(
        state=ImportState.DONE, rows_done=100_000, created=100_000, finished_at=timezone.now())
    expect(page.get_by_role("heading", name="Imported", exact=True)).to_be_visible()
    expect(page.locator("#import-report")).to_contain_text("100,000 created")


def test_a_crm_export_with_unknown_names_imports_without_them(page, member, tmp_path):
    export = tmp_path / "hubspot-contacts.csv"
    export.write_text("Record ID,First Name,Last Name,Email,Lead Status,Original Source\n"
                      "7001,Dana,Reyes,dana@juniper.example,Open Deal,Offline Sources\n"
                      "7002,Sam,Lee,sam@cornercup.example,Qualifed,Offline Sources\n")
    sign_in(page, "sam")
    page.goto("/leads/import/")
    page.get_by_label("Your file").set_input_files(str(export))
    page.get_by_role("button", name="Upload and match columns").click()
    expect(page.get_by_label("Record ID")).to_have_value("")  # another system's id: left out
    page.get_by_role("button", name="Check the file").click()

    counts = page.locator("#import-counts")
    expect(counts).to_contain_text("2 rows with errors")
    names = page.locator("#fix-names")
    expect(names).to_contain_text("“Open Deal”")
    page.get_by_label("Use for “Open Deal”").select_option(
        label="— import without it (default status) —")
    page.get_by_label("Use for “Qualifed”").select_option(label="Qualified (suggested)")
    page.get_by_label("Use for “Offline Sources”").select_option(label="— import without it —")
    names.get_by_role("button", name="Use these and check again").click()
    expect(page.get_by_text("Checked the file again with your changes.")).to_be_visible()
    expect(counts).to_contain_text("2 will be created")

    page.get_by_role("button", name="Import 2 leads").click()
    expect(page.get_by_role("heading", name="Imported", exact=True)).to_be_visible()
    leads = {lead.email: (lead.status.name, lead.source) for lead in Lead.objects.all()}
    assert leads == {"dana@juniper.example": ("New", None),
                     "sam@cornercup.example": ("Qualified", None)}
