"""Which lead field each column of an uploaded file goes to.

`IMPORT_FIELDS` lists the fields a file can fill, with the words the template and the import
instructions show for them. `auto_map` guesses the field of each column from its header,
so that Leadbook's own export, its templates, and typical HubSpot and Salesforce exports
import without any manual mapping; `apply_overrides` applies the user's corrections
(the CLI's `--map "Header=field"`). Pure Python: no database, no Django.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class ImportField:
    name: str  # the Lead field (or pseudo-field) the column fills
    label: str  # the column header Leadbook's template and export use
    required: bool
    format: str  # how to write a value, for the instructions
    example: str
    # Where the allowed values come from, for fields limited to a list: the name of the
    # model (or choices class) in leadbook.leads.models. The importer and the template fill
    # in the actual names, since statuses, lead types and sources are edited by users.
    choices_from: str | None = None


IMPORT_FIELDS: list[ImportField] = [
    ImportField(
        "id", "ID", False,
        "Leadbook's number for an existing lead, as in an export from Leadbook. Leave empty "
        "for new leads.",
        "42",
    ),
    ImportField(
        "name", "Name", True,
        "The person or business. When empty, it is made from First Name and Last Name "
        "(or Contact Name), else from Company.",
        "Juniper & Vine",
    ),
    ImportField(
        "contact_name", "Contact Name", False,
        "The contact person's full name; split into First Name and Last Name.",
        "Dana Reyes",
    ),
    ImportField("first_name", "First Name", False, "Text.", "Dana"),
    ImportField("last_name", "Last Name", False, "Text.", "Reyes"),
    ImportField("company", "Company", False, "Text.", "Juniper & Vine LLC"),
    ImportField("position", "Position", False, "Job title.", "Owner"),
    ImportField("email", "Email", False, "An email address.", "dana@juniperandvine.example"),
    ImportField(
        "phone", "Phone", False, "A phone number with at least 5 digits, in any format.",
        "(512) 555-0142",
    ),
    ImportField(
        "instagram", "Instagram", False, "A handle, with or without @, or a profile link.",
        "@juniperandvine",
    ),
    ImportField(
        "website", "Website", False, "A web address, with or without https://.",
        "juniperandvine.example",
    ),
    ImportField("address", "Address", False, "Street and number.", "1200 S Congress Ave"),
    ImportField("city", "City", False, "Text.", "Austin"),
    ImportField("state", "State", False, "State, province or region.", "TX"),
    ImportField("postal_code", "Postal Code", False, "ZIP or postal code.", "78704"),
    ImportField("country", "Country", False, "Country name or code.", "USA"),
    ImportField(
        "source", "Source", False, "One of the sources set up in Leadbook.", "Trade show",
        choices_from="Source",
    ),
    ImportField(
        "status", "Status", False,
        "One of the statuses set up in Leadbook; empty means the first status.", "New",
        choices_from="Status",
    ),
    ImportField(
        "temperature", "Temperature", False, "Cold or Warm; empty means Cold.", "Warm",
        choices_from="Temperature",
    ),
    ImportField(
        "lead_types", "Lead Type", False,
        "One or more of the lead types set up in Leadbook, separated by commas.",
        "Consignment, Wholesale",
        choices_from="LeadType",
    ),
    ImportField("collab_type", "Collab Type", False, "Text.", "Giveaway"),
    ImportField("followers", "Followers", False, "A whole number.", "12500"),
    ImportField("notes", "Notes", False, "Any text.", "Met at spring market"),
    ImportField(
        "owner", "Owner", False, "The username or email of a Leadbook user.", "dana",
    ),
]

FIELDS_BY_NAME: dict[str, ImportField] = {f.name: f for f in IMPORT_FIELDS}
FIELD_LABELS: dict[str, str] = {f.name: f.label for f in IMPORT_FIELDS}

# Headers that mean each field, best first: when a file has two columns for one field, the
# one listed earlier wins (a file with both "Phone" and "Mobile" imports "Phone"), and the
# other column is not imported. Matching ignores case, spaces and punctuation, so "E-mail",
# "EMAIL" and "e_mail" are all "Email". A header listed nowhere is not imported.
#
# Deliberately absent:
# - other systems' record ids ("Record ID", "Lead ID", "Contact ID"): `id` is Leadbook's own
#   lead number, and taking a HubSpot id for one would update the wrong leads;
# - HubSpot's "Lifecycle Stage" (Subscriber, Marketing Qualified Lead...): its values are
#   stages, not statuses; "Lead Status" is HubSpot's status;
# - Leadbook's export columns that are not typed in: Active, Converted At, Last Outreach,
#   Next Follow-up, Created At, Updated At.
SYNONYMS: dict[str, list[str]] = {
    "id": ["ID", "Leadbook ID"],
    "name": [
        "Name", "Lead Name", "Business Name", "Business", "Brand", "Brand Name", "Store Name",
        "Shop Name", "Lead",
    ],
    "contact_name": [
        "Contact Name", "Full Name", "Contact Full Name", "Contact Person", "Contact",
        "Primary Contact", "Person",
    ],
    "first_name": ["First Name", "First", "Given Name", "Forename", "FName"],
    "last_name": ["Last Name", "Last", "Surname", "Family Name", "LName"],
    "company": [
        "Company", "Company Name", "Organization", "Organisation", "Organization Name",
        "Organisation Name", "Account Name", "Account", "Company / Account",
        "Associated Company", "Employer",
    ],
    "position": ["Position", "Job Title", "Title", "Role", "Job Role", "Occupation"],
    "email": [
        "Email", "Email Address", "Work Email", "Business Email",
        "Primary Email", "Personal Email", "Mail",
    ],
    "phone": [
        "Phone", "Phone Number", "Telephone", "Telephone Number", "Tel",
        "Work Phone", "Business Phone", "Office Phone", "Mobile", "Mobile Phone",
        "Mobile Phone Number", "Mobile Number", "Cell", "Cell Phone", "Cell Phone Number",
        "WhatsApp",
    ],
    "instagram": [
        "Instagram", "Instagram Handle", "Instagram Username", "Instagram Account",
        "Instagram URL", "Instagram Profile", "IG", "IG Handle", "Insta",
    ],
    "website": [
        "Website", "Website URL", "Company Website", "URL", "Web", "Homepage",
        "Site", "Domain", "Company Domain Name",
    ],
    "address": [
        "Address", "Street Address", "Street", "Address Line 1", "Address 1",
        "Mailing Street", "Mailing Address", "Billing Street", "Billing Address",
    ],
    "city": ["City", "Town", "City/Town", "Mailing City", "Billing City"],
    "state": [
        "State", "State/Region", "State/Province", "Province", "Region", "State Code",
        "Mailing State/Province", "Billing State/Province",
    ],
    "postal_code": [
        "Postal Code", "Zip/Postal Code", "Zip", "Zip Code", "Postcode",
        "Mailing Zip/Postal Code", "Billing Zip/Postal Code",
    ],
    "country": [
        "Country", "Country/Region", "Country Code", "Mailing Country", "Billing Country",
    ],
    "source": [
        "Source", "Lead Source", "Original Source", "Referral Source",
        "How did you hear about us",
    ],
    "status": ["Status", "Lead Status", "Lead Stage", "Stage"],
    "temperature": ["Temperature", "Lead Temperature", "Rating", "Lead Rating", "Temp"],
    "lead_types": [
        "Lead Type", "Lead Types", "Type", "Types", "Lead Category", "Category",
    ],
    "collab_type": ["Collab Type", "Collaboration Type"],
    "followers": [
        "Followers", "Follower Count", "Followers Count", "Instagram Followers",
        "IG Followers",
    ],
    "notes": [
        "Notes", "Note", "Description", "Comments", "Comment", "Remarks", "Details",
        "Message",
    ],
    "owner": [
        "Owner", "Lead Owner", "Contact Owner", "Account Owner", "Assigned To",
        "Sales Rep", "Rep",
    ],
}


def normalise_header(header: str) -> str:
    """A header reduced to lower-case letters and digits: "E-mail Address" -> "emailaddress".

    "&" counts as "and" and "#" as "number", so "Phone #" means "Phone Number".
    """
    text = header.casefold().replace("&", "and").replace("#", "number")
    return "".join(ch for ch in text if ch.isalnum())


def _build_lookup() -> dict[str, tuple[str, int]]:
    """normalised header -> (field, rank); a header listed twice is a mistake in SYNONYMS."""
    lookup: dict[str, tuple[str, int]] = {}
    for field_name, headers in SYNONYMS.items():
        if field_name not in FIELDS_BY_NAME:
            raise ValueError(f"SYNONYMS names an unknown field {field_name!r}")
        for rank, header in enumerate(headers):
            key = normalise_header(header)
            if key in lookup:
                raise ValueError(f"SYNONYMS lists {header!r} twice: {lookup[key][0]}, {field_name}")
            lookup[key] = (field_name, rank)
    return lookup


_LOOKUP = _build_lookup()


# Fields whose values have a shape the header alone does not promise: another system's "Id"
# column holds its own record ids ("00Q5e00000AbCdE"), not Leadbook's lead numbers, and a
# "Rating" may be stars (4.6) rather than Hot / Warm / Cold. Such a column is mapped only
# when most of its first values fit.
WHOLE_NUMBER = re.compile(r"^\d+(?:\.0+)?$")  # also how the importer reads an ID
VALUE_SHAPES: dict[str, re.Pattern[str]] = {
    "id": WHOLE_NUMBER,
    # the words rows.TEMPERATURE_WORDS reads (this module stays free of Django)
    "temperature": re.compile(r"^(?:cold|warm|hot)$", re.IGNORECASE),
}


def auto_map(headers: list[str],
             samples: dict[str, list[str]] | None = None) -> dict[str, str | None]:
    """Map each header to the field it most likely holds, or None to leave it out.

    Every field takes at most one column: the header ranked best in SYNONYMS, or among
    equals the leftmost. `samples` (header -> some of its values) keeps a column out of a
    field in VALUE_SHAPES whose values it does not fit. The result keeps the headers' order.
    """
    best_header_for: dict[str, tuple[int, int, str]] = {}  # field -> (rank, position, header)
    for position, header in enumerate(headers):
        match = _LOOKUP.get(normalise_header(header))
        if match is None:
            continue
        field_name, rank = match
        if samples and not _values_fit(field_name, samples.get(header, [])):
            continue
        candidate = (rank, position, header)
        if field_name not in best_header_for or candidate < best_header_for[field_name]:
            best_header_for[field_name] = candidate
    winners = {header: field_name for field_name, (_, _, header) in best_header_for.items()}
    return {header: winners.get(header) for header in headers}


def _values_fit(field_name: str, values: list[str]) -> bool:
    shape = VALUE_SHAPES.get(field_name)
    if shape is None or not values:
        return True
    fitting = sum(1 for value in values if shape.match(value.strip()))
    return fitting * 2 >= len(values)


def apply_overrides(mapping: dict[str, str | None], overrides: list[str]) -> dict[str, str | None]:
    """A copy of `mapping` with the user's "Header=field" corrections applied.

    "Header=" leaves a column out. The header may differ in case and spacing from the file's;
    the field may be its name ("first_name") or its label ("First Name"). A field given to a
    column is taken from whichever column the automatic mapping gave it to. Raises ValueError
    with a message for the user when a header or field is unknown or a field is given twice.
    """
    result = dict(mapping)
    given_by_user: dict[str, str] = {}  # field -> header
    for override in overrides:
        if "=" not in override:
            raise ValueError(
                f'"{override}" is not a mapping; write it as "Header=field", '
                'e.g. "E-mail=email", or "Header=" to leave a column out.'
            )
        # Split at the last "=": a header may contain "=", a field name never does.
        header_text, field_text = override.rsplit("=", 1)
        header = _find_header(header_text, list(mapping))
        field_name = _find_field(field_text)
        if field_name is not None:
            if field_name in given_by_user and given_by_user[field_name] != header:
                raise ValueError(
                    f'Both "{given_by_user[field_name]}" and "{header}" are mapped to '
                    f"{field_name}; a field can take only one column."
                )
            given_by_user[field_name] = header
            for other, other_field in result.items():
                if other_field == field_name:
                    result[other] = None
        result[header] = field_name
    return result


def _find_header(text: str, headers: list[str]) -> str:
    """The file header `text` names: exactly, else ignoring case and repeated spaces."""
    if text in headers:
        return text
    wanted = " ".join(text.split()).casefold()
    matches = [h for h in headers if " ".join(h.split()).casefold() == wanted]
    if len(matches) == 1:
        return matches[0]
    columns = ", ".join(f'"{h}"' for h in headers)
    raise ValueError(f'The file has no column "{text.strip()}". Its columns are: {columns}.')


def _find_field(text: str) -> str | None:
    """The field `text` names (name or label, any case); None for an empty text."""
    text = text.strip()
    if not text:
        return None
    key = normalise_header(text)
    for field in IMPORT_FIELDS:
        if key in (normalise_header(field.name), normalise_header(field.label)):
            return field.name
    known = [f.name for f in IMPORT_FIELDS]
    close = difflib.get_close_matches(text.lower(), known, n=1)
    hint = f' Did you mean "{close[0]}"?' if close else ""
    raise ValueError(
        f'"{text}" is not a field Leadbook can import.{hint} Fields: {", ".join(known)}.'
    )


# Titles before a name and suffixes after it; they are not first or last names.
NAME_TITLES = {"mr", "mrs", "ms", "miss", "mx", "dr", "prof"}
NAME_SUFFIXES = {"jr", "sr", "ii", "iii", "iv", "phd", "md", "esq"}


def split_contact_name(full_name: str) -> tuple[str, str]:
    """("Dana", "Reyes") from "Dana Reyes", "Reyes, Dana" or "Dr. Dana  Reyes".

    The first word is the first name and the rest the last name ("Mary Ann Smith" gives
    ("Mary", "Ann Smith")); a single word is a first name. "Last, First" is understood,
    except when what follows the comma is a suffix ("Dana Reyes, Jr." gives
    ("Dana", "Reyes Jr.")). A title such as "Dr." or "Ms" before the name is dropped
    ("Ms Reyes" gives ("", "Reyes")).
    """
    before, comma, after = full_name.partition(",")
    before, after = before.strip(), after.strip()
    if comma and before and after and not _is_suffix(after):
        return " ".join(_without_title(after.replace(",", " ").split())), " ".join(before.split())
    words = full_name.replace(",", " ").split()
    if not words:
        return "", ""
    if len(words) == 2 and _bare(words[0]) in NAME_TITLES:
        return "", words[1]  # "Ms Reyes": a title goes with the last name
    words = _without_title(words)
    return words[0], " ".join(words[1:])


def _without_title(words: list[str]) -> list[str]:
    if len(words) > 1 and _bare(words[0]) in NAME_TITLES:
        return words[1:]
    return words


def _bare(word: str) -> str:
    """A word without case or punctuation: "Jr." -> "jr"."""
    return re.sub(r"[^a-z]", "", word.casefold())


def _is_suffix(text: str) -> bool:
    return all(_bare(word) in NAME_SUFFIXES for word in text.split())
