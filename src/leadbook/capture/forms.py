from typing import cast

from django import forms
from django.db import models

from leadbook.accounts.models import User
from leadbook.leads.models import LeadType, Source, Status

from .fields import REQUIRABLE_FIELDS, field_label
from .models import WebForm
from .services import WEB_FORM_FIELDS


def _formfield(field: models.Field, **kwargs) -> forms.Field | None:
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"  # "example.com/thanks" means https
    return field.formfield(**kwargs)


class WebFormForm(forms.ModelForm):
    """Settings → Web forms: one form's settings. Checks beyond the fields are the web form
    services' (key, origins), so the page and any other caller apply the same rules."""

    lead_types = forms.ModelMultipleChoiceField(
        queryset=LeadType.objects.all(), required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "lb-choices"}),
        label="Lead types", help_text="Given to every lead of this form.",
    )
    required_fields = forms.MultipleChoiceField(
        choices=[(name, field_label(name)) for name in REQUIRABLE_FIELDS], required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "lb-choices"}),
        label="Required fields",
        help_text="A post without these is refused with a page that says what is missing. "
                  "A lead always needs a name (first and last name, name or company).",
    )

    class Meta:
        model = WebForm
        formfield_callback = _formfield
        fields = ["name", "key", "source", "status", "lead_types", "owner", "redirect_url",
                  "allowed_origins", "required_fields", "honeypot", "min_fill_seconds",
                  "create_duplicates", "is_active"]
        labels = {"status": "Default status", "owner": "Owner", "source": "Source"}
        widgets = {
            "allowed_origins": forms.Textarea(attrs={"rows": 3, "placeholder":
                                                     "https://example.com"}),
            "redirect_url": forms.URLInput(attrs={"placeholder":
                                                  "https://example.com/thank-you"}),
            "min_fill_seconds": forms.NumberInput(attrs={"min": 0, "max": 600}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["key"].required = False
        self.fields["key"].help_text += " Left blank, it is made from the name."
        choices = {name: cast(forms.ModelChoiceField, self.fields[name])
                   for name in ("source", "status", "owner", "lead_types")}
        choices["source"].queryset = Source.objects.all()
        choices["source"].empty_label = "—"
        choices["status"].queryset = Status.objects.all()
        choices["status"].empty_label = "The first status"
        choices["owner"].queryset = User.objects.filter(is_active=True)
        choices["owner"].empty_label = "Nobody (admins are emailed)"
        choices["owner"].label_from_instance = lambda u: u.display_name  # type: ignore[method-assign,assignment]
        choices["lead_types"].label_from_instance = lambda t: t.name  # type: ignore[method-assign,assignment]
        if self.instance.pk:
            self.fields["lead_types"].initial = list(self.instance.lead_types.all())
        else:
            self.fields["required_fields"].initial = ["email"]
            self.fields["source"].initial = Source.objects.filter(name__iexact="Website").first()

    def _post_clean(self) -> None:
        # Model validation runs once, in the web form services.
        pass

    def service_fields(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k in WEB_FORM_FIELDS}


class NotificationsForm(forms.Form):
    notify_new_web_leads = forms.BooleanField(required=False)
