"""The import pipeline through its service functions: check, duplicates, write, report,
resume, undo; the same for every door (wizard, command line, API)."""

import csv
import datetime
import io
import json
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from leadbook.leads.models import Lead, LeadType, Source, Status
from leadbook.leads.services import update_lead
from leadbook.transfer import importer, services
from leadbook.transfer.models import ImportedLead, ImportJob, ImportState, RowDuplicate

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).parent / "samples"
BULK_SAMPLE = SAMPLES / "bulk_upload_example.csv"


def csv_bytes(rows, *, delimiter=",", encoding="utf-8") -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return out.getvalue().encode(encoding)


def run(rows, *, actor=None, filename="leads.csv", **options) -> ImportJob:
    data = rows if isinstance(rows, bytes) else csv_bytes(rows)
    return services.import_file(actor=actor, data=data, filename=filename, **options)


# --- The sample file ------------------------------------------------------------------------


def test_the_sample_bulk_upload_file_imports_its_valid_rows(admin):
    job = services.import_file(actor=admin, data=BULK_SAMPLE)
    assert job.state == ImportState.DONE
    report = services.import_report(job)
    assert (report["rows"], report["valid"], report["invalid"]) == (5, 4, 1)
    assert (report["created"], report["updated"], report["skipped"]) == (4, 0, 0)
    assert report["errors"] == [
        {"row": 6, "column": "Name", "message": "Enter a name, or a first and last name."}]
    juniper = Lead.objects.get(name="Juniper & Vine")
    assert (juniper.first_name, juniper.last_name) == ("Dana", "Reyes")
    assert juniper.temperature == "warm"  # the brand's Cold/Warm "Status"
    assert juniper.lead_types_label == "Consignment, Wholesale"
    assert juniper.source.name == "Import"
    assert juniper.phone_key == "+15125550142"
    kit = Lead.objects.get(name="Kit & Kin")
    assert kit.followers == 12500
    assert kit.instagram == "kitandkin"
    assert Lead.objects.get(name="The Makers Hour").instagram == "makershour"


def test_the_report_has_the_shape_design_md_fixes(admin):
    job = services.import_file(actor=admin, data=BULK_SAMPLE, dry_run=True)
    report = services.import_report(job)
    assert list(report) == ["rows", "valid", "invalid", "created", "updated", "skipped",
                            "mapping", "errors", "duplicates", "similar_values"]
    assert report["mapping"]["Contact Name"] == "contact_name"
    assert {"column": "City", "values": ["Austin", "Austn", "austin"], "suggested": "Austin"} \
        in report["similar_values"]
    assert {"column": "State", "values": ["TX", "Texas", "tx"], "suggested": "TX"} \
        in report["similar_values"]
    assert report["created"] == 4  # a dry run says what importing would do
    assert not Lead.objects.exists()


def test_accepting_similar_values_imports_one_spelling(admin):
    services.import_file(actor=admin, data=BULK_SAMPLE, accept_similar=True)
    assert set(Lead.objects.values_list("city", flat=True)) == {"Austin", "Nashville"}
    assert set(Lead.objects.values_list("state", flat=True)) == {"TX", "TN"}


# --- Files of every kind ------------------------------------------------------------------------


def test_a_windows_excel_csv_with_semicolons_and_accents_imports():
    data = csv_bytes([["Nom", "Name", "City"], ["x", "Café Élan", "Montréal"]],
                     delimiter=";", encoding="cp1252")
    job = run(data, mapping_overrides=["Nom="])
    assert job.created == 1
    assert Lead.objects.get().name == "Café Élan"


def test_quoted_cells_with_commas_and_line_breaks_import():
    job = run([["Name", "Notes"], ["Juniper, Inc.", "line one\nline two, with a comma"]])
    assert job.created == 1
    assert Lead.objects.get().notes == "line one\nline two, with a comma"


def test_an_excel_workbook_imports(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Business Name", "Email Address", "Zip", "Lead Types"])
    sheet.append(["Juniper & Vine", "dana@juniper.example", 2134, "Wholesale, Collab"])
    sheet["C2"].number_format = "00000"
    path = tmp_path / "leads.xlsx"
    workbook.save(path)
    job = services.import_file(actor=None, data=path)
    assert job.created == 1
    lead = Lead.objects.get()
    assert (lead.postal_code, lead.email) == ("02134", "dana@juniper.example")
    assert lead.lead_types_label == "Wholesale, Collab"


def test_a_hubspot_export_maps_and_imports_without_help(admin):
    job = run([
        ["Record ID", "First Name", "Last Name", "Email", "Phone Number", "Company Name",
         "Job Title", "Lead Status", "Contact owner", "City", "State/Region", "Create Date"],
        ["7001", "Dana", "Reyes", "dana@juniper.example", "+1 512 555 0142", "Juniper & Vine",
         "Owner", "Contacted", "Dana Reyes", "Austin", "Texas", "2024-05-01"],
    ])
    assert job.mapping["Record ID"] is None
    lead = Lead.objects.get()
    assert (lead.name, lead.company, lead.position) == ("Dana Reyes", "Juniper & Vine", "Owner")
    assert lead.status.name == "Contacted"
    assert lead.owner == admin


HUBSPOT_VALUES = [
    ["First Name", "Last Name", "Email", "Lead Status", "Original Source", "Contact owner",
     "Lead Type"],
    ["Dana", "Reyes", "dana@juniper.example", "Open Deal", "Offline Sources", "Admin User",
     "Wholesale, Newsletter"],
    ["Sam", "Lee", "sam@cornercup.example", "Contacted", "Direct Traffic", "", "Newsletter"],
]


def test_unknown_names_are_errors_unless_the_rows_are_to_be_imported_without_them(admin):
    job = run(HUBSPOT_VALUES, dry_run=True)
    assert (job.valid_rows, job.invalid_rows) == (0, 2)
    assert {(u["field"], u["value"]) for u in job.unknown_values} == {
        ("status", "Open Deal"), ("source", "Offline Sources"), ("source", "Direct Traffic"),
        ("owner", "Admin User"), ("lead_types", "Newsletter")}

    job = run(HUBSPOT_VALUES, leave_unknown=True)
    assert (job.valid_rows, job.invalid_rows, job.created) == (2, 0, 2)
    dana, sam = Lead.objects.order_by("pk")
    assert (dana.status.name, dana.source, dana.owner, dana.lead_types_label) == \
        ("New", None, None, "Wholesale")  # the default status; the known type stays
    assert (sam.status.name, sam.source, sam.lead_types_label) == ("Contacted", None, "")
    assert services.names_left_empty(job) == [
        "Status “Open Deal”", "Source “Direct Traffic”", "Source “Offline Sources”",
        "Lead Type “Newsletter”", "Owner “Admin User”"]


def test_a_lead_updated_from_a_row_with_unknown_names_keeps_its_own(make_lead, admin):
    existing = make_lead(name="Dana Reyes", email="dana@juniper.example",
                         status=Status.objects.get(name="Qualified"),
                         lead_types=["Consignment"], owner=admin)
    run(HUBSPOT_VALUES[:2], leave_unknown=True, on_duplicate="update")
    existing.refresh_from_db()
    assert (existing.status.name, existing.owner) == ("Qualified", admin)
    assert existing.lead_types_label == "Wholesale"  # the known type in the cell replaces


def test_the_command_imports_rows_without_their_unknown_names_when_asked(tmp_path):
    path = tmp_path / "hubspot.csv"
    path.write_bytes(csv_bytes(HUBSPOT_VALUES))
    out = io.StringIO()
    call_command("import_leads", str(path), "--dry-run", stdout=out)
    assert "Use --leave-unknown" in out.getvalue()
    out = io.StringIO()
    call_command("import_leads", str(path), "--leave-unknown", stdout=out)
    assert "Created 2" in out.getvalue()
    assert "Imported without these unknown names: Status “Open Deal”" in out.getvalue()


def test_an_unreadable_file_is_refused_with_a_message():
    from leadbook.transfer.reading import FileReadError

    with pytest.raises(FileReadError, match="old Excel file"):
        run(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, filename="leads.xls")
    assert not ImportJob.objects.exists()


def test_a_mapping_without_a_name_column_is_refused():
    job = services.create_import(actor=None, data=csv_bytes([["Email"], ["a@b.example"]]),
                                 filename="x.csv")
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="No column goes to Name"):
        services.check_import(job=job)


# --- Duplicates ---------------------------------------------------------------------------------


HEADER = ["Name", "Email", "City", "Notes"]


def test_duplicates_of_leads_and_of_earlier_rows_are_found(make_lead):
    existing = make_lead(name="Corner Cup", email="sam@cornercup.example", city="Austin")
    job = run([HEADER, ["Corner Cup Coffee", "SAM@cornercup.example", "Austin", "new note"],
               ["Fern Studio", "fern@studio.example", "Denver", ""],
               ["Fern Studio", "fern@studio.example", "Denver", "again"]], dry_run=True)
    report = services.import_report(job)
    assert report["duplicates"] == [
        {"row": 2, "lead_id": existing.pk, "reason": "email"},
        {"row": 4, "duplicate_of_row": 3, "reason": "email"},
    ]
    assert (report["created"], report["skipped"]) == (1, 2)


def test_a_duplicate_row_is_previewed_with_its_prepared_values(make_lead):
    make_lead(name="Corner Cup", email="sam@cornercup.example", city="Austin")
    job = run([["Name", "First Name", "Last Name", "Email", "Phone", "City", "State"],
               ["Corner  Cup Coffee", "Sam", "Ortiz", "SAM@cornercup.example",
                "(512) 555-0142", "Austin", "TX"]], dry_run=True)
    assert RowDuplicate.objects.get(job=job).preview == {
        "name": "Corner Cup Coffee", "contact": "Sam Ortiz", "company": "",
        "email": "SAM@cornercup.example", "phone": "(512) 555-0142", "instagram": "",
        "city": "Austin", "state": "TX"}


def test_skip_leaves_the_existing_lead_alone(make_lead):
    existing = make_lead(name="Corner Cup", email="sam@cornercup.example")
    job = run([HEADER, ["Corner Cup Coffee", "sam@cornercup.example", "Austin", "x"]])
    assert (job.created, job.updated, job.skipped) == (0, 0, 1)
    existing.refresh_from_db()
    assert (existing.name, existing.city) == ("Corner Cup", "")


def test_update_fills_the_existing_lead_with_the_rows_values(make_lead, admin):
    existing = make_lead(name="Corner Cup", email="sam@cornercup.example", phone="512 555 0187",
                         lead_types=["Wholesale"])
    job = run([[*HEADER, "Lead Type"],
               ["Corner Cup Coffee", "sam@cornercup.example", "Austin", "", "Consignment"]],
              on_duplicate="update", actor=admin)
    assert (job.created, job.updated) == (0, 1)
    existing.refresh_from_db()
    assert (existing.name, existing.city, existing.phone) == \
        ("Corner Cup Coffee", "Austin", "512 555 0187")  # empty cells change nothing
    assert existing.lead_types_label == "Consignment"
    assert existing.version == 2
    assert existing.history.first().history_user == admin
    assert "corner cup coffee" in existing.search_text


def test_create_anyway_makes_a_second_lead(make_lead):
    make_lead(name="Corner Cup", email="sam@cornercup.example")
    job = run([HEADER, ["Corner Cup", "sam@cornercup.example", "", ""]], on_duplicate="create")
    assert job.created == 1
    assert Lead.objects.filter(name="Corner Cup").count() == 2


def test_a_choice_for_one_row_beats_the_default(make_lead):
    a = make_lead(name="A Shop", email="a@shop.example")
    make_lead(name="B Shop", email="b@shop.example")
    job = services.create_import(actor=None, filename="x.csv", data=csv_bytes([
        HEADER, ["A Shop", "a@shop.example", "Austin", ""],
        ["B Shop", "b@shop.example", "Denver", ""]]))
    services.check_import(job=job)
    services.set_default_action(job=job, action="skip")
    services.set_duplicate_action(job=job, row=2, action="update")
    assert services.planned_counts(job) | {} == {"create": 0, "update": 1, "skip": 1,
                                                 "errors": 0, "duplicates": 2}
    services.start_import(job=job)
    a.refresh_from_db()
    assert a.city == "Austin"
    assert Lead.objects.get(name="B Shop").city == ""


def test_updating_an_earlier_row_merges_into_the_lead_it_made():
    job = run([HEADER, ["Fern Studio", "fern@studio.example", "Denver", ""],
               ["Fern Studio", "fern@studio.example", "", "second row's note"]],
              on_duplicate="update")
    assert (job.created, job.updated) == (1, 1)
    lead = Lead.objects.get()
    assert (lead.city, lead.notes) == ("Denver", "second row's note")


# --- Updating by ID -----------------------------------------------------------------------------


def test_an_id_updates_its_lead_when_the_row_looks_like_it(make_lead):
    lead = make_lead(name="Corner Cup", email="sam@cornercup.example")
    job = run([["ID", "Name", "City"], [str(lead.pk), "Corner Cup", "Austin"]])
    assert (job.created, job.updated) == (0, 1)
    lead.refresh_from_db()
    assert lead.city == "Austin"


def test_an_id_of_another_lead_or_of_none_is_reported(make_lead):
    lead = make_lead(name="Corner Cup", email="sam@cornercup.example")
    job = run([["ID", "Name"], [str(lead.pk), "Totally Different"], ["999999", "New One"]])
    errors = services.import_report(job)["errors"]
    assert [(e["row"], e["column"]) for e in errors] == [(2, "ID"), (3, "ID")]
    assert "does not look like this row" in errors[0]["message"]
    assert "No lead has ID 999999" in errors[1]["message"]
    assert job.created == job.updated == 0
    lead.refresh_from_db()
    assert lead.name == "Corner Cup"


# --- Undo ---------------------------------------------------------------------------------------


def test_undo_removes_what_the_import_made_and_restores_what_it_changed(make_lead, admin):
    existing = make_lead(name="Corner Cup", email="sam@cornercup.example", city="Denver",
                         lead_types=["Wholesale"], notes="keep me")
    before = {f: getattr(existing, f) for f in ("name", "city", "notes", "lead_types_label",
                                                "search_text", "email_key")}
    job = run([[*HEADER, "Lead Type"],
               ["Corner Cup Coffee", "sam@cornercup.example", "Austin", "", "Collab"],
               ["Fern Studio", "fern@studio.example", "Denver", "", ""]],
              on_duplicate="update", actor=admin)
    assert (job.created, job.updated) == (1, 1)
    summary = services.undo_import(job=job, actor=admin)
    assert summary == {"removed": 1, "restored": 1, "kept": 0}
    existing.refresh_from_db()
    assert {f: getattr(existing, f) for f in before} == before
    assert list(existing.lead_types.values_list("name", flat=True)) == ["Wholesale"]
    assert not Lead.objects.filter(name="Fern Studio").exists()
    job.refresh_from_db()
    assert job.state == ImportState.UNDONE


def test_undo_keeps_leads_changed_since_the_import(admin):
    job = run([HEADER, ["Fern Studio", "", "", ""], ["Moss Goods", "", "", ""]], actor=admin)
    edited = Lead.objects.get(name="Fern Studio")
    update_lead(lead=edited, actor=admin, city="Boulder")
    assert services.undo_import(job=job, actor=admin) == {"removed": 1, "restored": 0, "kept": 1}
    assert list(Lead.objects.values_list("name", flat=True)) == ["Fern Studio"]


def test_only_the_importer_or_an_admin_may_undo(admin, member, viewer):
    job = run([HEADER, ["Fern Studio", "", "", ""]], actor=member)
    assert services.can_undo(job, member) and services.can_undo(job, admin)
    from django.core.exceptions import PermissionDenied

    other = type(member).objects.create_user(username="lee", role="member")
    with pytest.raises(PermissionDenied):
        services.undo_import(job=job, actor=other)


# --- Batches, resume, workers ------------------------------------------------------------------


def rows_for(count):
    return [HEADER, *([f"Shop {n}", f"owner{n}@shop{n}.example", "Austin", ""]
                      for n in range(count))]


def test_a_failure_mid_import_keeps_whole_batches_and_resume_finishes(monkeypatch):
    monkeypatch.setattr(importer, "BATCH_ROWS", 10)
    original = importer._BatchWriter._insert
    calls = {"n": 0}

    def flaky(self, creates, now):
        calls["n"] += 1
        original(self, creates, now)
        if calls["n"] == 3:
            raise RuntimeError("the worker was killed")

    monkeypatch.setattr(importer._BatchWriter, "_insert", flaky)
    job = run(rows_for(35))
    assert job.state == ImportState.FAILED
    assert (job.created, job.last_row) == (20, 21)  # two committed batches, nothing of the third
    assert Lead.objects.count() == 20
    services.resume_import(job=job)
    job.refresh_from_db()
    assert job.state == ImportState.DONE
    assert job.created == 35
    assert Lead.objects.count() == 35
    assert ImportedLead.objects.filter(job=job).count() == 35


def test_a_stalled_import_can_be_resumed_and_a_second_run_cannot_take_a_live_one():
    job = services.create_import(actor=None, data=csv_bytes(rows_for(3)), filename="x.csv")
    services.check_import(job=job)
    long_ago = job.created_at - datetime.timedelta(minutes=10)
    ImportJob.objects.filter(pk=job.pk).update(state=ImportState.IMPORTING,
                                               heartbeat_at=long_ago)
    job.refresh_from_db()
    assert importer.is_stalled(job)
    assert importer.claim(job) is not None  # the stalled run's job is taken over
    assert importer.claim(job) is None  # ...and now has a live owner


def test_big_files_are_checked_in_worker_processes_with_the_same_result(monkeypatch):
    rows = rows_for(300)
    rows[50][1] = "not an email"
    rows.append(["Shop 7", "owner7@shop7.example", "Austin", ""])
    serial = run(rows, dry_run=True)
    monkeypatch.setattr(importer, "CHUNK_ROWS", 40)
    parallel = services.import_file(actor=None, data=csv_bytes(rows), filename="x.csv",
                                    dry_run=True, workers=2)
    assert services.import_report(parallel) == services.import_report(serial)
    assert services.import_report(parallel)["duplicates"] == [
        {"row": 302, "duplicate_of_row": 9, "reason": "email"}]


# --- Failed rows, template, command line -------------------------------------------------------


def test_failed_rows_download_with_their_errors_and_import_once_fixed():
    job = run([HEADER, ["Good", "good@x.example", "", ""], ["", "bad@", "", "fix me"]])
    rows = list(services.failed_rows(job))
    assert rows == [["Import error", *HEADER],
                    ["Email: Enter a valid email address. Name: Enter a name, or a first and "
                     "last name.", "", "bad@", "", "fix me"]]
    rows[1][1:3] = ["Fixed", "fixed@x.example"]
    again = run(rows)
    assert again.created == 1 and again.failed == 0


def test_the_template_imports_its_example_row(admin):
    from leadbook.transfer.template import template_rows, template_xlsx

    job = run(template_rows(admin))
    assert job.created == 1 and job.failed == 0
    lead = Lead.objects.get()
    assert lead.owner == admin
    assert lead.lead_types.count() == 2
    workbook = openpyxl.load_workbook(io.BytesIO(template_xlsx(admin)))
    assert workbook.sheetnames == ["Leads", "Instructions"]
    instructions = {row[0]: row for row in workbook["Instructions"].iter_rows(values_only=True)}
    assert instructions["Name"][1] == "Yes"
    assert "Wholesale" in instructions["Lead Type"][3]


def test_the_command_prints_the_json_report_and_imports(tmp_path, capsys):
    path = tmp_path / "leads.csv"
    path.write_bytes(csv_bytes([["E-mail address", "Shop"], ["dana@x.example", "Juniper"]]))
    call_command("import_leads", str(path), "--format", "json", "--map", "Shop=name",
                 "--map", "E-mail address=email")
    report = json.loads(capsys.readouterr().out)
    assert report["created"] == 1
    assert report["mapping"] == {"E-mail address": "email", "Shop": "name"}
    assert Lead.objects.get().email == "dana@x.example"


def test_the_command_dry_run_writes_nothing_and_leaves_no_job(capsys):
    call_command("import_leads", str(BULK_SAMPLE), "--dry-run")
    out = capsys.readouterr().out
    assert "Would create 4" in out
    assert "row 6: Name: Enter a name" in out
    assert not Lead.objects.exists() and not ImportJob.objects.exists()


def test_the_command_explains_a_bad_option(tmp_path):
    with pytest.raises(CommandError, match="not a field Leadbook can import"):
        call_command("import_leads", str(BULK_SAMPLE), "--map", "Name=nmae")
    with pytest.raises(CommandError, match="no file"):
        call_command("import_leads", str(tmp_path / "missing.csv"))
    with pytest.raises(CommandError, match="is a folder"):
        call_command("import_leads", str(tmp_path))
    assert not ImportJob.objects.exists()


def test_submit_import_checks_and_imports_in_the_background():
    job = services.submit_import(actor=None, data=BULK_SAMPLE.read_bytes(),
                                 filename="leads.csv")
    job.refresh_from_db()  # the tests' task backend runs it at once
    assert job.state == ImportState.DONE
    assert services.import_status(job)["percent"] == 100
    assert RowDuplicate.objects.filter(job=job).count() == 0
    assert Source.objects.get(name="Import").lead_set.count() == 4
    assert LeadType.objects.get(name="Wholesale").leads.count() == 2


def test_a_check_whose_worker_died_is_checked_again_on_resume():
    job = services.create_import(actor=None, data=csv_bytes(rows_for(3)), filename="x.csv")
    long_ago = job.created_at - datetime.timedelta(minutes=10)
    ImportJob.objects.filter(pk=job.pk).update(state=ImportState.CHECKING,
                                               heartbeat_at=long_ago)
    job.refresh_from_db()
    services.resume_import(job=job)
    job.refresh_from_db()
    assert job.state == ImportState.REVIEW and job.valid_rows == 3
