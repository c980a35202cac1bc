"""Preparing one row of a file: mapping, names looked up, the lead services' rules, errors
with their column. No file: rows are made in the test."""

import pytest
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from hypothesis import given, settings
from hypothesis import strategies as st

from leadbook.core.models import ContactRequirement, WorkspaceSettings
from leadbook.leads.models import LeadType, Source, Status
from leadbook.transfer.importer import build_context
from leadbook.transfer.mapping import auto_map
from leadbook.transfer.models import ImportJob
from leadbook.transfer.reading import Row
from leadbook.transfer.rows import (
    VALUE_INDEX,
    ChunkResult,
    RowPreparer,
    _compiled_patterns,
    parse_count,
)
from leadbook.transfer.similar import SIMILAR_FIELDS


def context(headers, *, requirement=ContactRequirement.NONE, replacements=None, **_):
    """The context a job with this file and these options would get."""
    WorkspaceSettings.objects.update_or_create(pk=1, defaults={
        "contact_requirement": requirement})
    job = ImportJob(headers=headers, mapping=auto_map(headers),
                    options={"replacements": replacements or {}})
    return build_context(job)


def prepare(headers, cells, **options):
    """(values by field name, given, type names) or the problems [(column, message)]."""
    preparer = RowPreparer(context(headers, **options))
    result = preparer.prepare_chunk([Row(2, cells)])
    if result.errors:
        return [(column, message) for _, column, _, message, _ in result.errors]
    (_number, values, given, type_ids, lead_id), = result.records
    by_name = {name: values[i] for name, i in VALUE_INDEX.items()}
    names = [LeadType.objects.get(pk=i).name for i in type_ids or ()]
    return by_name, set(given), names, lead_id


def test_a_row_is_normalised_and_keyed_like_the_lead_services_would(db):
    values, given, _types, _ = prepare(
        ["Name", "Email", "Phone", "Instagram", "Website", "City"],
        ["  Juniper &  Vine ", "Dana@Juniper.example ", "(512) 555-0142",
         "https://instagram.com/juniperandvine/", "https://www.juniperandvine.example/shop",
         "Austin"])
    assert values["name"] == "Juniper & Vine"
    assert values["email"] == "Dana@Juniper.example"
    assert values["email_key"] == "dana@juniper.example"
    assert values["phone_key"] == "+15125550142"
    assert values["instagram"] == "juniperandvine"
    assert values["website_key"] == "juniperandvine.example"
    assert values["name_key"] and values["search_text"]
    assert values["source_id"] == Source.objects.get(name="Import").pk  # no Source column
    assert values["status_id"] == Status.objects.get(name="New").pk
    assert values["temperature"] == "cold"
    assert given == {"name", "email", "phone", "instagram", "website", "city"}


def test_contact_name_fills_first_and_last_name_and_the_name(db):
    values, given, _, _ = prepare(["Contact Name", "Email"], ["Reyes, Dana", "d@x.example"])
    assert (values["first_name"], values["last_name"], values["name"]) == \
        ("Dana", "Reyes", "Dana Reyes")
    assert "name" not in given  # an update would not rename the lead


def test_a_cold_or_warm_status_fills_temperature(db):
    values, given, _, _ = prepare(["Name", "Status"], ["Juniper", "Warm"])
    assert values["temperature"] == "warm"
    assert values["status_id"] == Status.objects.get(name="New").pk
    assert given == {"name", "temperature"}
    values, _, _, _ = prepare(["Name", "Status"], ["Juniper", "hot"])
    assert values["temperature"] == "warm"


def test_names_of_statuses_types_and_sources_are_matched_without_case(db):
    values, _, types, _ = prepare(
        ["Name", "Status", "Lead Type", "Source"],
        ["Juniper", "proposal SENT", "wholesale, CONSIGNMENT;Wholesale", "trade show"])
    assert values["status_id"] == Status.objects.get(name="Proposal Sent").pk
    assert values["source_id"] == Source.objects.get(name="Trade show").pk
    assert types == ["Wholesale", "Consignment"]
    assert values["lead_types_label"] == "Consignment, Wholesale"  # in the list's order


def test_a_lead_type_whose_name_holds_a_separator_is_found_whole(db):
    LeadType.objects.create(name="Retail, online", position=9)
    for cell, expected in [
        ("Retail, online", ["Retail, online"]),
        ("Wholesale; retail, ONLINE", ["Wholesale", "Retail, online"]),
        ("Retail, online|Consignment", ["Retail, online", "Consignment"]),
    ]:
        _, _, types, _ = prepare(["Name", "Lead Type"], ["Juniper", cell])
        assert types == expected, cell
    problems = prepare(["Name", "Lead Type"], ["Juniper", "Retail, offline"])
    assert problems[0][1].startswith("“Retail” is not a lead type")


def test_phones_and_postal_codes_saved_as_decimal_numbers_are_read_as_digits(db):
    values, *_ = prepare(["Name", "Phone", "Postal Code"], ["Juniper", "5125550142.0", "2134.00"])
    assert (values["phone"], values["postal_code"]) == ("5125550142", "2134")
    assert values["phone_key"] == "+15125550142"
    problems = prepare(["Name", "Phone"], ["Juniper", "5.12555E+09"])
    assert problems == [("Phone", "“5.12555E+09” is a number your spreadsheet program "
                                  "shortened when it saved the file; digits may be lost. Format "
                                  "the Phone column as text and save the file again.")]


def test_an_unknown_name_is_an_error_with_a_suggestion(db):
    problems = prepare(["Name", "Status", "Lead Type"], ["Juniper", "Qualifed", "Wholesail"])
    assert ("Status", "“Qualifed” is not a status in Leadbook. Did you mean “Qualified”?") \
        in problems
    assert ("Lead Type", "“Wholesail” is not a lead type in Leadbook. Did you mean "
                         "“Wholesale”?") in problems


def test_a_replacement_chosen_in_the_review_fixes_an_unknown_name(db):
    values, _, _, _ = prepare(["Name", "Status"], ["Juniper", "Qualifed"],
                              replacements={"status": {"Qualifed": "Qualified"}})
    assert values["status_id"] == Status.objects.get(name="Qualified").pk


def test_owner_is_found_by_username_email_or_full_name(db, admin, member):
    for owner in ("dana", "DANA@example.com", "Dana Reyes"):
        values, _, _, _ = prepare(["Name", "Owner"], ["Juniper", owner])
        assert values["owner_id"] == admin.pk
    problems = prepare(["Name", "Owner"], ["Juniper", "Sammy"])
    assert problems == [("Owner", "No Leadbook user is called “Sammy”. Did you mean “sam”?")]


def test_every_problem_of_a_row_is_reported_with_its_column(db):
    problems = prepare(["Business", "E-mail", "Followers", "Temperature", "Web"],
                       ["Juniper", "dana@", "lots", "tepid", "not a site"])
    assert ("E-mail", "Enter a valid email address.") in problems
    assert ("Followers", "Followers is a whole number, like 12500 or 12.5k.") in problems
    assert ("Temperature", "Temperature is Cold or Warm.") in problems
    assert ("Web", "Enter a website like example.com or https://example.com.") in problems


def test_only_name_is_required_unless_the_workspace_asks_for_more(db):
    assert prepare(["Name", "City"], ["", "Austin"]) == [
        ("Name", "Enter a name, or a first and last name.")]
    assert isinstance(prepare(["Name"], ["Juniper"])[0], dict)
    assert prepare(["Name"], ["Juniper"], requirement=ContactRequirement.EMAIL) == [
        ("Email", "Enter an email address.")]


def test_cells_past_the_last_column_are_reported(db):
    problems = prepare(["Name", "City"], ["Juniper", "Austin", "TX"])
    assert problems[0][0] == ""
    assert "more cells than the file has columns" in problems[0][1]
    assert "“TX”" in problems[0][1]


def test_an_id_must_be_a_number(db):
    assert prepare(["ID", "Name"], ["abc", "Juniper"])[0][0] == "ID"
    assert prepare(["ID", "Name"], ["42", "Juniper"])[3] == 42


def test_a_value_too_long_for_its_field_is_an_error(db):
    problems = prepare(["Name", "City"], ["Juniper", "x" * 101])
    assert problems == [("City", "Ensure this value has at most 100 characters (it has 101).")]


def test_spellings_of_similar_value_columns_are_counted(db):
    preparer = RowPreparer(context(["Name", "City", "State"]))
    result = preparer.prepare_chunk([Row(2, ["A", "Austin", "TX"]), Row(3, ["B", " austin", "tx"]),
                                     Row(4, ["C", "Austin", "Texas"])])
    assert isinstance(result, ChunkResult)
    assert result.spellings["city"] == {"Austin": 2, "austin": 1}
    assert result.spellings["state"] == {"TX": 1, "tx": 1, "Texas": 1}
    assert set(result.spellings) == set(SIMILAR_FIELDS)


@pytest.mark.parametrize(("text", "number"), [
    ("12500", 12500), ("12,500", 12500), ("12.500", 12500), ("1,234,567", 1234567),
    ("12.5k", 12500), ("12,5K", 12500), ("1.2M", 1200000), ("12500.0", 12500), ("0", 0),
])
def test_follower_counts_are_read_as_people_write_them(text, number):
    assert parse_count(text) == number


@pytest.mark.parametrize("text", ["lots", "12.5", "-3", "1,2,3", "k"])
def test_what_is_not_a_count_is_refused(text):
    with pytest.raises(ValueError):
        parse_count(text)


def test_a_value_too_long_and_malformed_gets_every_message_in_the_fields_order(db):
    problems = prepare(["Name", "Email"], ["Juniper", "x" * 260])
    assert problems == [("Email", "Enter a valid email address."),
                        ("Email", "Ensure this value has at most 254 characters (it has 260).")]


@settings(max_examples=200, deadline=None)
@given(st.emails() | st.text(max_size=40) | st.from_regex(
    r"[\w.\"\\ -]{0,12}@(\[[0-9a-f:.]{0,20}\]|[\w.-]{0,20})", fullmatch=True))
def test_the_email_check_with_compiled_patterns_is_djangos(text):
    def verdict(validate):
        try:
            validate(text)
        except ValidationError as e:
            return e.messages
        return None

    assert verdict(_compiled_patterns(EmailValidator())) == verdict(EmailValidator())
