from django import forms
from django.forms.renderers import TemplatesSetting


def add_service_errors(form: forms.Form, error, rename: dict[str, str] | None = None) -> None:
    """Put a service's ValidationError on the form, beside the fields it names."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            field = (rename or {}).get(field, field)
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


class FormRenderer(TemplatesSetting):
    """Every form field renders through one template: label, input, errors, help."""

    form_template_name = "forms/div.html"
    field_template_name = "forms/field.html"
