"""The import template (CSV, and Excel with an Instructions sheet) and its instructions.

The columns are the importer's fields in Leadbook's words (the same headers the export
uses), so a filled-in template maps itself. The example row is valid in this workspace: its
status, lead types, source and owner are ones that exist here.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from leadbook.accounts.models import User
from leadbook.leads.models import LeadType, Source, Status, Temperature
from leadbook.leads.services import default_status

from .mapping import IMPORT_FIELDS

# The template leaves out ID (it is for files exported from Leadbook, to update their leads)
# and Contact Name (First Name and Last Name say the same, split).
TEMPLATE_FIELDS = [f for f in IMPORT_FIELDS if f.name not in ("id", "contact_name")]


@dataclass
class Column:
    label: str
    field: str
    required: str  # "Yes" / "No" / a condition
    format: str
    allowed: str  # allowed values, "" when free


def instructions(user: User | None = None) -> list[Column]:
    """One entry per column a file may have, with what it must hold."""
    allowed = {
        "Status": ", ".join(Status.objects.values_list("name", flat=True)),
        "LeadType": ", ".join(LeadType.objects.values_list("name", flat=True)),
        "Source": ", ".join(Source.objects.values_list("name", flat=True)),
        "Temperature": ", ".join(label for _, label in Temperature.choices),
    }
    columns = []
    for field in IMPORT_FIELDS:
        text = field.format
        if field.name == "status":
            text += " A status of Cold or Warm fills Temperature instead."
        if field.name == "owner":
            text = "The username, email or full name of a Leadbook user."
        if field.name == "source":
            text += " With no Source column, leads get the source “Import”."
        columns.append(Column(
            label=field.label, field=field.name,
            required="Yes" if field.required else "No",
            format=text,
            allowed=allowed.get(field.choices_from or "", ""),
        ))
    return columns


def example_row(user: User | None = None) -> dict[str, str]:
    """Values for one lead, valid here."""
    values = {f.name: f.example for f in IMPORT_FIELDS}
    status = default_status()
    values["status"] = status.name
    types = list(LeadType.objects.values_list("name", flat=True)[:2])
    values["lead_types"] = ", ".join(types)
    values["source"] = Source.objects.values_list("name", flat=True).first() or ""
    values["owner"] = user.username if user else ""
    return values


def template_rows(user: User | None = None) -> list[list[str]]:
    example = example_row(user)
    return [[f.label for f in TEMPLATE_FIELDS], [example[f.name] for f in TEMPLATE_FIELDS]]


def template_xlsx(user: User | None = None) -> bytes:
    """The template as a workbook: a Leads sheet (header and example row) and an
    Instructions sheet (each column: required?, format, allowed values)."""
    import openpyxl
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Leads"
    for row in template_rows(user):
        sheet.append(row)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="E9EFFF")
    for cell in sheet[1]:
        cell.font = bold
        cell.fill = fill
    sheet.freeze_panes = "A2"
    for index, field in enumerate(TEMPLATE_FIELDS, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = max(12, len(field.label) + 4,
                                                    min(30, len(field.example) + 2))
        if field.name in ("postal_code", "phone"):  # keep leading zeros and "+1 ..."
            for row in range(2, 1001):
                sheet.cell(row=row, column=index).number_format = "@"
    _add_choice_lists(sheet, DataValidation)

    help_sheet = workbook.create_sheet("Instructions")
    help_sheet.append(["Column", "Required", "Format", "Allowed values"])
    for cell in help_sheet[1]:
        cell.font = bold
        cell.fill = fill
    for column in instructions(user):
        help_sheet.append([column.label, column.required, column.format, column.allowed])
    help_sheet.append([])
    for line in NOTES:
        help_sheet.append([line])
    for letter, width in zip("ABCD", (16, 10, 70, 50), strict=True):
        help_sheet.column_dimensions[letter].width = width
    for row in help_sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _add_choice_lists(sheet, DataValidation) -> None:
    """Drop-down lists for the single-choice columns (Status, Temperature, Source)."""
    lists = {
        "status": [*Status.objects.values_list("name", flat=True), "Cold", "Warm"],
        "temperature": [label for _, label in Temperature.choices],
        "source": list(Source.objects.values_list("name", flat=True)),
    }
    for index, field in enumerate(TEMPLATE_FIELDS, start=1):
        names = lists.get(field.name)
        formula = ",".join(n.replace(",", " ").replace('"', "") for n in names or [])
        if not names or len(formula) > 250:  # Excel's limit for an inline list
            continue
        letter = sheet.cell(row=1, column=index).column_letter
        check = DataValidation(type="list", formula1=f'"{formula}"', allow_blank=True,
                               showErrorMessage=False)
        check.add(f"{letter}2:{letter}5000")
        sheet.add_data_validation(check)


NOTES = [
    "Only Name is required; when it is empty, First Name + Last Name (or Company) is used.",
    "Lead Type takes several types separated by commas, e.g. “Consignment, Wholesale”.",
    "Names of statuses, lead types, sources and users are matched without regard to case.",
    "Leadbook checks every row before importing anything: you see the errors, likely "
    "duplicates and similar spellings (Austin / austin) first.",
    "Delete the example row before importing, or keep it to import one example lead.",
]

