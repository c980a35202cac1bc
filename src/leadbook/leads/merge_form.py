"""The merge page's form: which lead to keep and, field by field, whose value."""

from __future__ import annotations

from typing import Any

from django import forms

from . import merging
from .models import Lead

ALL_NOTES = "all"


def shown_value(lead: Lead, name: str) -> str:
    """A field's value as the chooser shows it ('' when empty)."""
    value = getattr(lead, name)
    if merging.is_empty(value):
        return ""
    if name == "owner":
        return value.display_name
    if name == "temperature":
        return lead.get_temperature_display()
    if name == "instagram":
        return "@" + value
    return str(value)


class MergeForm(forms.Form):
    """Built for the leads being merged (oldest first). A field whose value is the same in
    every lead is not asked about; the rest are radio choices of a lead, preselected with
    the newest non-empty value. Notes may also be combined."""

    def __init__(self, leads: list[Lead], data=None):
        super().__init__(data)
        self.leads = leads
        self.fields["survivor"] = forms.TypedChoiceField(
            label="Keep", coerce=int, widget=forms.RadioSelect,
            choices=[(lead.pk, lead.name) for lead in leads], initial=leads[0].pk)
        sources = merging.preferred_sources(leads)
        self.same: list[tuple[str, str]] = []
        self.choice_names: list[str] = []
        for name in merging.MERGE_FIELDS:
            label = str(Lead._meta.get_field(name).verbose_name).capitalize()
            shown = [shown_value(lead, name) for lead in leads]
            attnames = {getattr(lead, Lead._meta.get_field(name).attname) for lead in leads}
            if len(attnames) == 1:
                if shown[0]:
                    self.same.append((label, shown[0]))
                continue
            choices = [(str(lead.pk), text) for lead, text in zip(leads, shown, strict=True)]
            if name == "notes" and sum(bool(text) for text in shown) > 1:
                choices.append((ALL_NOTES, "All of them, one after another"))
            self.fields[name] = forms.ChoiceField(
                label=label, choices=choices, widget=forms.RadioSelect,
                initial=str(sources[name].pk))
            self.choice_names.append(name)
        for lead in leads:
            self.fields[f"version_{lead.pk}"] = forms.IntegerField(
                widget=forms.HiddenInput, initial=lead.version, required=False)

    def survivor_options(self) -> list[dict[str, Any]]:
        current = str(self["survivor"].value())
        return [{"lead": lead, "checked": str(lead.pk) == current,
                 "id": f"id_survivor_{lead.pk}"} for lead in self.leads]

    def rows(self) -> list[dict[str, Any]]:
        """One row per field to choose: its options, one per lead (and 'all' for notes)."""
        names = {str(lead.pk): lead.name for lead in self.leads}
        rows = []
        for name in self.choice_names:
            bound = self[name]
            current = str(bound.value())
            options = []
            for value, text in self.fields[name].choices:
                options.append({
                    "value": value, "text": text, "checked": value == current,
                    "id": f"id_{name}_{value}", "combined": value == ALL_NOTES,
                    "multiline": name == "notes", "lead_name": names.get(value, ""),
                })
            rows.append({"name": name, "label": bound.label, "options": options,
                         "errors": bound.errors})
        return rows

    def hidden_versions(self):
        return [self[f"version_{lead.pk}"] for lead in self.leads]

    @property
    def survivor(self) -> Lead:
        chosen = self.cleaned_data["survivor"]
        return next(lead for lead in self.leads if lead.pk == chosen)

    @property
    def others(self) -> list[Lead]:
        return [lead for lead in self.leads if lead.pk != self.survivor.pk]

    def values(self) -> dict[str, Any]:
        """The chosen value of every field asked about."""
        by_id = {str(lead.pk): lead for lead in self.leads}
        values = {}
        for name in self.choice_names:
            chosen = self.cleaned_data[name]
            if chosen == ALL_NOTES:
                values[name] = "\n\n".join(dict.fromkeys(
                    lead.notes.strip() for lead in self.leads if lead.notes.strip()))
            else:
                values[name] = getattr(by_id[chosen], name)
        return values

    def expected_versions(self) -> dict[int, int]:
        return {lead.pk: self.cleaned_data[f"version_{lead.pk}"] for lead in self.leads
                if self.cleaned_data.get(f"version_{lead.pk}") is not None}

