"""Mapping file headers to lead fields, user overrides, and splitting contact names."""

import csv
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadbook.transfer.mapping import (
    FIELD_LABELS,
    FIELDS_BY_NAME,
    IMPORT_FIELDS,
    SYNONYMS,
    apply_overrides,
    auto_map,
    normalise_header,
    split_contact_name,
)

SAMPLES = Path("/work/shared/samples")


def header_of(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return next(csv.reader(f))


# --- The field list ------------------------------------------------------------------------


def test_import_fields_cover_what_a_person_types_about_a_lead():
    assert [f.name for f in IMPORT_FIELDS] == [
        "id", "name", "contact_name", "first_name", "last_name", "company", "position",
        "email", "phone", "instagram", "website", "address", "city", "state", "postal_code",
        "country", "source", "status", "temperature", "lead_types", "collab_type",
        "followers", "notes", "owner",
    ]
    assert [f.name for f in IMPORT_FIELDS if f.required] == ["name"]
    assert all(f.label and f.format and f.example for f in IMPORT_FIELDS)
    assert FIELD_LABELS["lead_types"] == "Lead Type"
    choices = {f.name: f.choices_from for f in IMPORT_FIELDS if f.choices_from}
    assert choices == {
        "source": "Source", "status": "Status", "temperature": "Temperature",
        "lead_types": "LeadType",
    }


def test_fields_match_the_lead_model():
    from leadbook.leads import models

    lead_fields = {f.name for f in models.Lead._meta.get_fields()}
    pseudo_fields = {"contact_name"}  # split into first_name and last_name by the importer
    assert {f.name for f in IMPORT_FIELDS} - pseudo_fields <= lead_fields
    for field in IMPORT_FIELDS:
        if field.choices_from:
            assert hasattr(models, field.choices_from)
    temperature = FIELDS_BY_NAME["temperature"]
    assert all(label in temperature.format for label in models.Temperature.labels)


def test_every_field_has_synonyms_and_its_label_among_them():
    assert set(SYNONYMS) == set(FIELDS_BY_NAME)
    for field in IMPORT_FIELDS:
        assert normalise_header(field.label) in map(normalise_header, SYNONYMS[field.name])


def test_templates_labels_map_back_to_their_fields():
    labels = [f.label for f in IMPORT_FIELDS]
    assert auto_map(labels) == {f.label: f.name for f in IMPORT_FIELDS}


def test_header_normalisation():
    assert normalise_header("E-mail Address") == "emailaddress"
    assert normalise_header("  first_NAME ") == "firstname"
    assert normalise_header("Phone #") == "phonenumber"
    assert normalise_header("State/Region") == "stateregion"
    assert normalise_header("Zip/Postal Code") == "zippostalcode"


# --- Automatic mapping ---------------------------------------------------------------------


def test_brand_template_maps_fully():
    headers = header_of(SAMPLES / "bulk_upload_example.csv")
    assert auto_map(headers) == {
        "Name": "name", "Lead Type": "lead_types", "Status": "status",
        "Contact Name": "contact_name", "Email": "email", "Phone": "phone",
        "Instagram": "instagram", "City": "city", "State": "state", "Website": "website",
        "Collab Type": "collab_type", "Followers": "followers", "Notes": "notes",
    }


def test_guide_template_maps_fully():
    headers = header_of(SAMPLES / "leads_guide_template.csv")
    assert auto_map(headers) == {
        "First Name": "first_name", "Last Name": "last_name", "Email": "email",
        "Company": "company", "Phone": "phone", "Address": "address", "City": "city",
        "State": "state", "Country": "country",
    }


def test_leadbooks_own_export_maps_back():
    from leadbook.transfer.export import COLUMNS

    not_importable = {
        "Active", "Converted At", "Last Outreach", "Next Follow-up", "Created At", "Updated At",
    }
    mapping = auto_map([header for header, _ in COLUMNS])
    for header, path in COLUMNS:
        if header in not_importable:
            assert mapping[header] is None, header
        else:
            # The export's value paths are the field names (with a lookup for related names).
            expected = {"lead_types_label": "lead_types"}.get(path, path.split("__")[0])
            assert mapping[header] == expected, header


HUBSPOT = {
    "Record ID": None,  # HubSpot's id, not Leadbook's: never used to update a lead
    "First Name": "first_name",
    "Last Name": "last_name",
    "Email": "email",
    "Phone Number": "phone",
    "Mobile Phone Number": None,  # Phone Number wins
    "Company Name": "company",
    "Job Title": "position",
    "Street Address": "address",
    "City": "city",
    "State/Region": "state",
    "Postal Code": "postal_code",
    "Country/Region": "country",
    "Lead Status": "status",
    "Lifecycle Stage": None,
    "Contact owner": "owner",
    "Website URL": "website",
    "Original Source": "source",
    "Create Date": None,
    "Last Activity Date": None,
    "Associated Company": None,  # Company Name wins
    "Marketing contact status": None,
}

SALESFORCE = {
    "Lead ID": None,
    "Salutation": None,
    "First Name": "first_name",
    "Last Name": "last_name",
    "Title": "position",
    "Company": "company",
    "Email": "email",
    "Phone": "phone",
    "Mobile": None,  # Phone wins
    "Street": "address",
    "City": "city",
    "State/Province": "state",
    "Zip/Postal Code": "postal_code",
    "Country": "country",
    "Lead Source": "source",
    "Lead Status": "status",
    "Rating": "temperature",
    "Website": "website",
    "Description": "notes",
    "Lead Owner": "owner",
    "Instagram": "instagram",
    "Industry": None,
    "Annual Revenue": None,
    "Created Date": None,
}


@pytest.mark.parametrize("expected", [HUBSPOT, SALESFORCE], ids=["hubspot", "salesforce"])
def test_crm_exports_map_as_expected(expected):
    assert auto_map(list(expected)) == expected


def test_matching_ignores_case_spacing_and_punctuation():
    headers = ["E-MAIL", "first_name", " Last  Name ", "zip code", "PHONE #", "ig handle"]
    assert auto_map(headers) == {
        "E-MAIL": "email", "first_name": "first_name", " Last  Name ": "last_name",
        "zip code": "postal_code", "PHONE #": "phone", "ig handle": "instagram",
    }


def test_each_field_is_mapped_once_best_header_first():
    headers = ["Mobile", "Cell", "Phone", "Phone Number", "Email", "email (2)", "Notes", "Note"]
    assert auto_map(headers) == {
        "Mobile": None, "Cell": None, "Phone": "phone", "Phone Number": None,
        "Email": "email", "email (2)": None, "Notes": "notes", "Note": None,
    }


def test_equally_good_headers_go_to_the_leftmost():
    assert auto_map(["E-mail", "EMAIL"]) == {"E-mail": "email", "EMAIL": None}
    # Otherwise the better synonym wins wherever it is.
    assert auto_map(["Remarks", "Comments"]) == {"Remarks": None, "Comments": "notes"}


def test_an_id_or_rating_column_is_mapped_only_when_its_values_fit():
    headers = ["Id", "Name", "Rating"]
    salesforce = {"Id": ["00Q5e00000AbCdEEAV", "00Q5e00000AbCdFEAV"], "Rating": ["Hot", "Cold"]}
    assert auto_map(headers, salesforce) == {"Id": None, "Name": "name", "Rating": "temperature"}
    stars = {"Id": ["12", "13.0"], "Rating": ["4.6", "3.9", "Warm"]}
    assert auto_map(headers, stars) == {"Id": "id", "Name": "name", "Rating": None}
    # An empty column, or no samples at all, goes by its header.
    assert auto_map(headers, {"Id": [], "Rating": []}) == auto_map(headers)
    assert auto_map(headers)["Rating"] == "temperature"


def test_unknown_headers_map_to_none_and_order_is_kept():
    headers = ["Favourite colour", "Name", "", "Column 3"]
    mapping = auto_map(headers)
    assert list(mapping) == headers
    assert mapping == {"Favourite colour": None, "Name": "name", "": None, "Column 3": None}


@given(st.lists(st.text(max_size=20), unique=True, max_size=30))
def test_auto_map_never_gives_a_field_twice(headers):
    mapping = auto_map(headers)
    assert list(mapping) == headers
    fields = [f for f in mapping.values() if f is not None]
    assert len(fields) == len(set(fields))
    assert set(fields) <= set(FIELDS_BY_NAME)


# --- Overrides -----------------------------------------------------------------------------


def test_overrides_set_fields_and_leave_columns_out():
    mapping = auto_map(["Name", "Mobile", "Cell", "Remarks", "Secret"])
    result = apply_overrides(mapping, ["Cell=phone", "Remarks=", "secret = Notes"])
    assert result == {
        "Name": "name", "Mobile": None, "Cell": "phone", "Remarks": None, "Secret": "notes",
    }
    assert mapping["Mobile"] == "phone"  # the original is left alone


def test_override_header_may_contain_an_equals_sign_and_field_may_be_a_label():
    mapping = auto_map(["a=b", "Who"])
    assert apply_overrides(mapping, ["a=b=first_name", "WHO=Last Name"]) == {
        "a=b": "first_name", "Who": "last_name",
    }


def test_overrides_report_unknown_headers_and_fields():
    mapping = auto_map(["Name", "Email"])
    with pytest.raises(ValueError, match=r'no column "Phone".*"Name", "Email"'):
        apply_overrides(mapping, ["Phone=phone"])
    with pytest.raises(ValueError, match=r'"emial" is not a field.*Did you mean "email"'):
        apply_overrides(mapping, ["Email=emial"])
    with pytest.raises(ValueError, match="Header=field"):
        apply_overrides(mapping, ["Email"])


def test_overrides_refuse_one_field_for_two_columns():
    mapping = auto_map(["Phone", "Mobile"])
    with pytest.raises(ValueError, match="only one column"):
        apply_overrides(mapping, ["Phone=phone", "Mobile=phone"])
    # Moving a field to another column is fine, and the same override twice too.
    result = apply_overrides(mapping, ["Mobile=phone", "Mobile=phone"])
    assert result == {"Phone": None, "Mobile": "phone"}


# --- Contact names -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("full", "expected"),
    [
        ("Dana Reyes", ("Dana", "Reyes")),
        ("  Dana    Reyes  ", ("Dana", "Reyes")),
        ("Reyes, Dana", ("Dana", "Reyes")),
        ("Reyes,Dana", ("Dana", "Reyes")),
        ("Reyes, Dana Maria", ("Dana Maria", "Reyes")),
        ("Mary Ann Smith", ("Mary", "Ann Smith")),
        ("Cher", ("Cher", "")),
        ("", ("", "")),
        ("   ", ("", "")),
        ("Dana Reyes, Jr.", ("Dana", "Reyes Jr.")),
        ("Dr. Dana Reyes", ("Dana", "Reyes")),
        ("Reyes, Dr. Dana", ("Dana", "Reyes")),
        ("Ms Reyes", ("", "Reyes")),
        ("Reyes,", ("Reyes", "")),
        (", Dana", ("Dana", "")),
        ("Dana\tde la\nReyes", ("Dana", "de la Reyes")),
    ],
)
def test_split_contact_name(full, expected):
    assert split_contact_name(full) == expected


@given(st.text(max_size=40))
def test_split_contact_name_keeps_the_words(full):
    first, last = split_contact_name(full)
    assert first == first.strip() and last == last.strip()
    assert "  " not in first and "  " not in last
    kept = set(f"{first} {last}".split())
    assert kept <= set(full.replace(",", " ").split())
