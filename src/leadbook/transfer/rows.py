"""One row of an uploaded file → a lead ready to write, or the reasons it cannot be.

`prepare_chunk` does for a list of rows what the lead services do for one lead: map the cells
to fields, look up statuses, lead types, sources and owners by name, then normalise and
validate with the very functions `leads.services.validate_lead` uses (`Lead.normalise`, each
model field's own `clean`, `Lead.clean`, `check_contact_requirement`) and compute the match
keys with `Lead.refresh_derived_fields`. It touches no database: everything it needs is in an
`ImportContext`, built once, so chunks can be prepared in worker processes.

Why not call `validate_lead` itself: it calls `full_clean`, which also asks the database
whether the lead's source and owner exist and whether its check constraints hold, four
queries per lead; here the names are resolved from the context and the constraints (a name,
a known temperature) are what the field and model checks already ensure.
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, MaxLengthValidator
from django.db.models.base import ModelState
from rapidfuzz import fuzz, process

from leadbook.leads import matching
from leadbook.leads.models import CONTACT_FIELDS, Lead, Temperature
from leadbook.leads.normalize import clean_text
from leadbook.leads.services import check_contact_requirement

from .mapping import FIELD_LABELS, WHOLE_NUMBER, split_contact_name
from .reading import Row
from .similar import SIMILAR_FIELDS

# Fields whose cells name entries of an editable list.
CHOICE_FIELDS = ("status", "source", "lead_types", "owner")

# What the importer writes for each lead, in this order (the prepared values tuple).
TEXT_FIELDS = (*CONTACT_FIELDS, "collab_type", "notes")
DERIVED_FIELDS = ("lead_types_label", "email_key", "phone_key", "instagram_key", "website_key",
                  "name_key", "name_alt_key", "search_text")
VALUE_FIELDS = (*TEXT_FIELDS, "temperature", "followers", "status_id", "source_id", "owner_id",
                *DERIVED_FIELDS)
VALUE_INDEX = {name: i for i, name in enumerate(VALUE_FIELDS)}
# For an update: the prepared values a given field changes.
UPDATED_BY = {
    **{name: (name,) for name in TEXT_FIELDS},
    "temperature": ("temperature",), "followers": ("followers",), "status": ("status_id",),
    "source": ("source_id",), "owner": ("owner_id",),
}

# What an unknown name is replaced by to import its rows without it (the default status, no
# source, no owner, not that lead type). No list entry can be called this: names are stored
# stripped, and this starts with a space. (Not a NUL: PostgreSQL's JSON cannot hold one.)
LEAVE_EMPTY = " (leave empty)"

TEMPERATURE_WORDS = {"cold": Temperature.COLD, "warm": Temperature.WARM, "hot": Temperature.WARM}

LEAD_TYPE_SEPARATORS = re.compile(r"[,;\n|]")
COUNT_WITH_SUFFIX = re.compile(r"^(\d+(?:[.,]\d+)?)([km])$")
COUNT_WITH_SEPARATORS = re.compile(r"^\d{1,3}(?:([,.])\d{3})(?:\1\d{3})*$")
# A prepared lead's values (VALUE_FIELDS) as a tuple, in one C call.
_values_of = attrgetter(*VALUE_FIELDS)


@dataclass
class ImportContext:
    """Everything preparing a row needs, read from the database once (picklable)."""

    headers: list[str]
    mapping: dict[str, str | None]
    statuses: dict[str, int]  # folded name -> id
    status_names: dict[int, str]
    lead_types: dict[str, int]
    lead_type_order: dict[int, tuple[int, int, str]]  # id -> (position, id, name)
    sources: dict[str, int]
    source_names: dict[int, str]
    owners: dict[str, int | None]  # folded username, email or full name -> id (None: several)
    owner_names: list[str]
    default_status_id: int
    # The source of new leads when the file has no source column ("Import"), if there is one.
    default_source_id: int | None
    contact_requirement: str
    replacements: dict[str, dict[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.columns = [(i, f) for i, h in enumerate(self.headers)
                        if (f := self.mapping.get(h))]
        self.header_of = {f: self.headers[i] for i, f in self.columns}
        self.width = len(self.headers)

    def column_of(self, field_name: str) -> str:
        """The file's header for a field (the field's label if no column holds it)."""
        if field_name in self.header_of:
            return self.header_of[field_name]
        if field_name in ("first_name", "last_name") and "contact_name" in self.header_of:
            return self.header_of["contact_name"]
        return FIELD_LABELS.get(field_name, field_name)


def fold(value: str) -> str:
    """How names of statuses, types, sources and users are compared: case and spacing aside."""
    return " ".join(value.split()).casefold()


@dataclass
class ChunkResult:
    """What preparing a chunk of rows found."""

    # (row number, values tuple (VALUE_FIELDS), given field names, lead type ids or None,
    #  the ID column's lead id or None) for each valid row.
    records: list[tuple] = field(default_factory=list)
    # Once the records are written away: their row numbers, and (position, lead id) of
    # those that name a lead in an ID column.
    numbers: list[int] = field(default_factory=list)
    file_ids: list[tuple[int, int]] = field(default_factory=list)
    # The matching.Profile of each valid row, in the same order, as a plain tuple.
    profiles: list[tuple] = field(default_factory=list)
    # (row, column, field, message, value) of every problem.
    errors: list[tuple[int, str, str, str, str]] = field(default_factory=list)
    rows: int = 0
    invalid: int = 0
    last_row: int = 0
    # Spellings seen in the similar-value columns: {field: Counter(value)}.
    spellings: dict[str, Counter] = field(default_factory=dict)
    # Names not found in a list: {(field, name): rows}.
    unknown: Counter = field(default_factory=Counter)


class _Problems(Exception):
    def __init__(self, problems: list[tuple[str, str, str]]):
        self.problems = problems  # (field, message, value)


class RowPreparer:
    """Prepares rows with one context; remembers the lookups it has made (names repeat)."""

    def __init__(self, context: ImportContext):
        self.ctx = context
        self._choice_cache: dict[tuple[str, str], tuple[Any, str | None]] = {}
        self._blank = {f.attname: f.get_default() for f in Lead._meta.concrete_fields}
        # (field, its validators, its maximum length, the validators but that one): a value
        # within the length needs only the others, and nearly every value is within it.
        self._validators = []
        for name in (*TEXT_FIELDS, "followers"):
            validators = [_compiled_patterns(v) for v in Lead._meta.get_field(name).validators]
            limit = next((v.limit_value for v in validators if type(v) is MaxLengthValidator),
                         None)
            others = [v for v in validators if type(v) is not MaxLengthValidator]
            self._validators.append((name, validators, limit, others))
        self._valid: set[tuple[str, Any]] = set()
        self._type_names: dict[str, list[str]] = {}  # a Lead Type cell -> its names
        self._leaves_names_empty = any(LEAVE_EMPTY in replacements.values()
                                       for replacements in context.replacements.values())

    def prepare_chunk(self, rows: list[Row]) -> ChunkResult:
        result = ChunkResult(spellings={name: Counter() for name in SIMILAR_FIELDS})
        for row in rows:
            result.rows += 1
            result.last_row = row.number
            try:
                record, profile = self.prepare(row, result)
            except _Problems as e:
                result.invalid += 1
                for field_name, message, value in e.problems:
                    column = self.ctx.column_of(field_name) if field_name else ""
                    result.errors.append((row.number, column, field_name, message, value[:300]))
                continue
            result.records.append(record)
            result.profiles.append(profile)
        return result

    # --- One row ---------------------------------------------------------------------------

    def prepare(self, row: Row, result: ChunkResult) -> tuple[tuple, tuple]:
        ctx = self.ctx
        problems: list[tuple[str, str, str]] = []
        cells = row.cells
        if len(cells) > ctx.width:
            extra = next(c for c in cells[ctx.width:] if c)
            problems.append(("", "This row has more cells than the file has columns "
                                 f"(the first extra one holds “{extra[:60]}”): give that column a "
                                 "name in the header row, or, if a value holds a separator, put "
                                 "it in quotes.", extra))
        given: dict[str, str] = {}
        for index, field_name in ctx.columns:
            value = cells[index]
            if value:
                given[field_name] = value

        values = dict(self._blank)
        values["status_id"] = ctx.default_status_id
        if "source" not in ctx.header_of:
            values["source_id"] = ctx.default_source_id
        type_ids: list[int] | None = None
        lead_id: int | None = None

        if "contact_name" in given:
            first, last = split_contact_name(given.pop("contact_name"))
            if first:
                given.setdefault("first_name", first)
            if last:
                given.setdefault("last_name", last)
        for name in TEXT_FIELDS:
            if name in given:
                values[name] = given[name]  # tidied by Lead.normalise below
        for name in NUMBER_TEXT_FIELDS:
            if name in given:
                values[name] = _as_digits(name, given[name], problems)
        if "id" in given:
            raw_id = given.pop("id")
            try:
                lead_id = _parse_id(raw_id)
            except ValueError:
                problems.append(("id", "An ID is the number of an existing Leadbook lead, as in "
                                       "an export; leave it empty to add a new lead.", raw_id))
        if self._leaves_names_empty:
            for name in CHOICE_FIELDS:
                if name in given and self._left_empty(name, given[name]):
                    del given[name]  # imported without it; an updated lead keeps its own
        if "status" in given:
            self._apply_status(given, values, problems, result)
        if "temperature" in given:
            word = TEMPERATURE_WORDS.get(fold(given["temperature"]))
            if word is None:
                problems.append(("temperature", "Temperature is Cold or Warm.",
                                 given["temperature"]))
            else:
                values["temperature"] = word
        if "source" in given:
            values["source_id"] = self._choice("source", given["source"], problems, result)
        if "owner" in given:
            values["owner_id"] = self._choice("owner", given["owner"], problems, result)
        if "lead_types" in given:
            type_ids = self._lead_types(given["lead_types"], problems, result)
        if "followers" in given:
            try:
                values["followers"] = parse_count(given["followers"])
            except ValueError:
                problems.append(("followers", "Followers is a whole number, like 12500 or 12.5k.",
                                 given["followers"]))

        lead = self._lead(values)
        lead.normalise()
        for name in SIMILAR_FIELDS:
            text = getattr(lead, name)
            if text:
                result.spellings[name][text] += 1
                setattr(lead, name, self._replace(name, text))
        # As validate_lead: the fields' checks and the model's clean() together, then the
        # workspace's contact requirement once those pass.
        problems.extend(self._field_problems(lead, given))
        try:
            lead.clean()
        except ValidationError as e:
            problems.extend(_messages(e))
        if not problems:
            try:
                check_contact_requirement(lead, ctx.contact_requirement)
            except ValidationError as e:
                problems.extend(_messages(e))
        if problems:
            raise _Problems(problems)

        names = None
        if type_ids is not None:
            names = [name for _, _, name in sorted(ctx.lead_type_order[i] for i in type_ids)]
        lead.refresh_derived_fields(names if names is not None else [])
        profile = matching.profile_of_keyed(lead)
        record = (row.number, _values_of(lead), tuple(sorted(set(given) - {"contact_name"})),
                  type_ids, lead_id)
        return record, tuple(profile)

    def _lead(self, values: dict[str, Any]) -> Lead:
        """An unsaved Lead holding `values`, made without Model.__init__ (slow, and a import
        makes a great many of them); every concrete field is set, so nothing is deferred."""
        lead = Lead.__new__(Lead)
        lead.__dict__.update(values)
        lead._state = ModelState()
        return lead

    def _field_problems(self, lead: Lead, given: dict[str, str]) -> list[tuple[str, str, str]]:
        """Each model field's own validators (length, email, phone, Instagram, website...)
        on the values the row gives: what `clean_fields` runs for a text value. A maximum
        length is checked with len() (its validator runs only to say what is wrong); results
        for the columns whose values repeat (cities, positions) are remembered."""
        problems = []
        for name, validators, limit, others in self._validators:
            value = getattr(lead, name)
            if value is None or value == "":
                continue
            if limit is not None and len(value) > limit:
                checks = validators  # all of them, for their messages in their order
            elif others and (name, value) not in self._valid:
                checks = others
            else:
                continue
            messages = []
            for validate in checks:
                try:
                    validate(value)
                except ValidationError as e:
                    messages.extend(e.messages)
            if messages:
                problems.extend((name, m, given.get(name, str(value))) for m in messages)
            elif name in SIMILAR_FIELDS:
                self._valid.add((name, value))
        return problems

    # --- Names from the editable lists -------------------------------------------------------

    def _replace(self, field_name: str, value: str) -> str:
        replacements = self.ctx.replacements.get(field_name)
        return replacements.get(value, value) if replacements else value

    def _apply_status(self, given, values, problems, result) -> None:
        """A status by name; a temperature word (the small brand's Cold/Warm "Status") fills
        Temperature instead, unless a status of that name exists."""
        text = self._replace("status", clean_text(given["status"]))
        key = fold(text)
        if key not in self.ctx.statuses and key in TEMPERATURE_WORDS:
            if "temperature" not in given:
                values["temperature"] = TEMPERATURE_WORDS[key]
                given["temperature"] = text
            del given["status"]
            return
        values["status_id"] = self._choice("status", text, problems, result, replaced=True)

    def _lead_types(self, text: str, problems, result) -> list[int]:
        ids: list[int] = []
        for part in self._names_in_type_cell(text):
            type_id = self._choice("lead_types", part, problems, result)
            if type_id is not None and type_id not in ids:
                ids.append(type_id)
        return ids

    def _left_empty(self, field_name: str, text: str) -> bool:
        """Whether the user chose to import the rows with this unknown name without it (for
        lead types: every name in the cell)."""
        if field_name != "lead_types":
            return self._replace(field_name, clean_text(text)) == LEAVE_EMPTY
        names = self._names_in_type_cell(text)
        return bool(names) and all(self._replace(field_name, n) == LEAVE_EMPTY for n in names)

    def _names_in_type_cell(self, text: str) -> list[str]:
        names = self._type_names.get(text)
        if names is None:
            names = self._type_names[text] = self._lead_type_names(text)
        return names

    def _lead_type_names(self, text: str) -> list[str]:
        """The names in a Lead Type cell, split at commas, semicolons, bars and line breaks;
        but a known type whose own name holds one of them ("Retail, online") stays whole."""
        pieces = LEAD_TYPE_SEPARATORS.split(text)
        if len(pieces) == 1:
            return [clean_text(text)] if text.strip() else []
        names: list[str] = []
        start = 0
        while start < len(pieces):
            # The longest run of pieces from here that names a known type, else one piece.
            end = next((end for end in range(len(pieces), start + 1, -1)
                        if fold(_joined(text, pieces, start, end)) in self.ctx.lead_types),
                       start + 1)
            name = clean_text(_joined(text, pieces, start, end))
            if name:
                names.append(name)
            start = end
        return names

    def _choice(self, field_name: str, text: str, problems, result, replaced: bool = False):
        """The id of the list entry `text` names; an unknown name is a problem, with the
        closest known name as a suggestion."""
        text = clean_text(text)
        if not replaced:
            text = self._replace(field_name, text)
        if text == LEAVE_EMPTY:
            return None  # one of several lead types left out
        cached = self._choice_cache.get((field_name, text))
        if cached is None:
            cached = self._look_up(field_name, text)
            self._choice_cache[field_name, text] = cached
        found, message = cached
        if message:
            problems.append((field_name, message, text))
            result.unknown[field_name, text] += 1
        return found

    def _look_up(self, field_name: str, text: str) -> tuple[int | None, str | None]:
        ctx = self.ctx
        key = fold(text)
        table, noun, names = {
            "status": (ctx.statuses, "status", list(ctx.status_names.values())),
            "source": (ctx.sources, "source", list(ctx.source_names.values())),
            "lead_types": (ctx.lead_types, "lead type",
                           [name for _, _, name in ctx.lead_type_order.values()]),
            "owner": (ctx.owners, "user", ctx.owner_names),
        }[field_name]
        if key in table:
            if table[key] is None:
                return None, (f"Several users are called “{text}”: write their username or "
                              "email instead.")
            return table[key], None
        suggestion = suggest(text, names)
        hint = f" Did you mean “{suggestion}”?" if suggestion else ""
        if field_name == "owner":
            return None, f"No Leadbook user is called “{text}”.{hint}"
        return None, f"“{text}” is not a {noun} in Leadbook.{hint}"


# Text fields a spreadsheet program may have turned into numbers when the file was saved:
# 5125550142 written as "5125550142.0" (pandas) or "5.12555E+09" (Excel's CSV of a General
# cell, its last digits gone).
NUMBER_TEXT_FIELDS = ("phone", "postal_code")
FLOAT_WITH_ZERO_FRACTION = re.compile(r"(\d+)\.0+")
SCIENTIFIC_NUMBER = re.compile(r"\d(?:[.,]\d+)?[eE]\+?\d+")


def _as_digits(name: str, value: str, problems: list) -> str:
    whole = FLOAT_WITH_ZERO_FRACTION.fullmatch(value)
    if whole:
        return whole.group(1)
    if SCIENTIFIC_NUMBER.fullmatch(value):
        label = FIELD_LABELS[name]
        problems.append((name, f"“{value}” is a number your spreadsheet program shortened when "
                               f"it saved the file; digits may be lost. Format the {label} "
                               "column as text and save the file again.", value))
    return value


def _joined(text: str, pieces: list[str], start: int, end: int) -> str:
    """pieces[start:end] as they stand in `text`, separators included."""
    offset = sum(len(piece) + 1 for piece in pieces[:start])  # each separator is one char
    length = sum(len(piece) for piece in pieces[start:end]) + (end - start - 1)
    return text[offset:offset + length]


def _compiled_patterns(validator: Any) -> Any:
    """The validator, or for an EmailValidator a copy holding its patterns compiled. Django
    compiles them lazily, and every use of a lazy pattern goes through a proxy object: that
    was half the cost of checking an email."""
    if not isinstance(validator, EmailValidator):
        return validator
    validator = copy.copy(validator)
    for name in ("user_regex", "domain_regex", "literal_regex"):
        lazy = getattr(validator, name)
        setattr(validator, name, re.compile(lazy.pattern, lazy.flags))
    return validator


def _messages(error: ValidationError) -> list[tuple[str, str, str]]:
    return [(name, message, "") for name, messages in error.message_dict.items()
            for message in messages]


def suggest(text: str, names: list[str]) -> str | None:
    """The known name `text` most likely means, if one is close enough."""
    if not names:
        return None
    best = process.extractOne(fold(text), {n: fold(n) for n in names}, scorer=fuzz.WRatio,
                              score_cutoff=75)
    return best[2] if best else None


def parse_count(text: str) -> int:
    """A follower count as people write it: 12500, "12,500", "12.500", "12.5k", "1.2M"."""
    compact = text.replace(" ", "").replace("\u00a0", "").replace("_", "").lower()
    with_suffix = COUNT_WITH_SUFFIX.match(compact)
    if with_suffix:
        number = float(with_suffix.group(1).replace(",", "."))
        return round(number * (1000 if with_suffix.group(2) == "k" else 1_000_000))
    if COUNT_WITH_SEPARATORS.match(compact):
        return int(re.sub(r"[,.]", "", compact))
    if WHOLE_NUMBER.match(compact):
        return int(compact.split(".")[0])
    raise ValueError(text)


def _parse_id(text: str) -> int:
    if not WHOLE_NUMBER.match(text.strip()):
        raise ValueError(text)
    return int(text.strip().split(".")[0])
