from django import forms

from leadbook.leads.models import ConversionTarget, Status

from .models import CONTACT_FIELDS, RECORD_MODELS, CustomerGroup

DETAIL_FIELDS: dict[str, tuple[str, ...]] = {
    ConversionTarget.CUSTOMER: ("customer_group",),
    ConversionTarget.RETAILER: ("kind", "rent", "rent_due_date", "commission_rate"),
    ConversionTarget.PODCAST: ("role", "start_date", "end_date"),
    ConversionTarget.COLLAB: ("collab_type", "start_date", "end_date", "starting_followers",
                              "discount_code"),
}
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
LABELS = {
    "first_name": "First name", "last_name": "Last name", "postal_code": "Postal code",
    "customer_group": "Customer group", "rent_due_date": "Rent due", "commission_rate":
    "Commission rate (%)", "start_date": "Start date", "end_date": "End date",
    "starting_followers": "Starting followers", "discount_code": "Discount code",
    "collab_type": "Collab type", "rent": "Rent ($)",
}


class RecordForm(forms.ModelForm):
    """A converted record's reviewed contact details and its own fields. Model validation is
    left to the conversion services."""

    target: str

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "customer_group" in self.fields:
            self.fields["customer_group"].queryset = CustomerGroup.objects.all()
            self.fields["customer_group"].empty_label = "—"

    def _post_clean(self) -> None:
        pass

    def contact(self) -> dict:
        return {k: self.cleaned_data[k] for k in CONTACT_FIELDS if k in self.cleaned_data}

    def details(self) -> dict:
        return {k: self.cleaned_data[k] for k in (*DETAIL_FIELDS[self.target], "notes")}


def record_form_class(target: str) -> type[RecordForm]:
    """The form for a record of `target`."""
    widgets = {name: DATE_WIDGET for name in ("rent_due_date", "start_date", "end_date")}
    widgets.update({"kind": forms.RadioSelect, "role": forms.RadioSelect,
                    "notes": forms.Textarea(attrs={"rows": 2})})
    form = forms.modelform_factory(
        RECORD_MODELS[target], form=RecordForm, widgets=widgets, labels=LABELS,
        fields=(*CONTACT_FIELDS, *DETAIL_FIELDS[target], "notes"))
    form.target = target
    return form


class ConvertChoiceForm(forms.Form):
    """What to convert into, and the status the lead takes."""

    target = forms.ChoiceField(label="Into")
    status = forms.ModelChoiceField(queryset=Status.objects.all(), label="Lead status after",
                                    empty_label=None)

    def __init__(self, *args, targets: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(ConversionTarget.choices)
        self.fields["target"].choices = [(t, labels[t]) for t in targets]
