"""The HTML a site owner pastes into their website for a web form, and a script example."""

from html import escape

from django.conf import settings
from django.urls import reverse

from .fields import HONEYPOT_FIELD, REQUIRABLE_FIELDS, TIMESTAMP_FIELD, field_label
from .models import WebForm

# The fields every embed code asks for, as the general CRM guide's form does.
BASE_FIELDS = ("first_name", "last_name", "email")
INPUT_TYPES = {"email": "email", "phone": "tel", "followers": "number"}
AUTOCOMPLETE = {
    "first_name": "given-name", "last_name": "family-name", "email": "email", "phone": "tel",
    "company": "organization", "position": "organization-title",
    "address": "street-address", "city": "address-level2", "state": "address-level1",
    "postal_code": "postal-code", "country": "country-name", "website": "url",
}


def endpoint_url(form: WebForm) -> str:
    return f"{settings.SITE_URL}{reverse('capture:create_lead')}?form={form.key}"


def script_url(form: WebForm) -> str:
    return f"{settings.SITE_URL}{reverse('capture:embed_js')}?form={form.key}"


def _input(name: str, required: bool) -> str:
    attrs = f'name="{name}"'
    if name in AUTOCOMPLETE:
        attrs += f' autocomplete="{AUTOCOMPLETE[name]}"'
    if required:
        attrs += " required"
    label = escape(field_label(name))
    if name == "notes":
        return f"  <label>Message <textarea {attrs}></textarea></label>"
    return f'  <label>{label} <input type="{INPUT_TYPES.get(name, "text")}" {attrs}></label>'


def embed_code(form: WebForm) -> str:
    """The form to paste: the guide's three fields plus any the form requires, labelled,
    with the honeypot and the timestamp script when the form uses them."""
    required = set(form.required_fields) | {"first_name"}  # a lead needs a name
    names = [*BASE_FIELDS, *(f for f in REQUIRABLE_FIELDS
                             if f in form.required_fields and f not in BASE_FIELDS)]
    lines = [f'<form action="{escape(endpoint_url(form))}" method="POST">']
    lines += [_input(name, name in required) for name in names]
    if form.honeypot:
        lines += [
            "  <!-- Catches bots: hidden from people, so leave it in and leave it empty. -->",
            # `hidden` rather than a style: it holds under any stylesheet or CSP.
            f'  <div hidden><input type="text" name="{HONEYPOT_FIELD}" tabindex="-1" '
            'autocomplete="off"></div>',
        ]
    if form.min_fill_seconds:
        lines.append(f'  <input type="hidden" name="{TIMESTAMP_FIELD}">')
    lines += ['  <input type="submit" value="Send">', "</form>"]
    if form.min_fill_seconds:
        lines.append(f'<script src="{escape(script_url(form))}" async></script>')
    return "\n".join(lines)


def fetch_example(form: WebForm) -> str:
    """How a script posts to the form (JSON; the browser asks first, and Leadbook answers
    for the form's allowed origins)."""
    return (
        f'fetch("{endpoint_url(form)}", {{\n'
        '  method: "POST",\n'
        '  headers: {"Content-Type": "application/json"},\n'
        '  body: JSON.stringify({first_name: "Dana", last_name: "Reyes",\n'
        '                        email: "dana@example.com", notes: "Hello!"})\n'
        "}).then(function (response) {\n"
        "  // 201: received. 422: {errors: {field: [messages]}} says what to fix.\n"
        "  return response.json();\n"
        "});"
    )


def curl_example(form: WebForm) -> str:
    return (f'curl -X POST "{endpoint_url(form)}" \\\n'
            '  -d first_name=Dana -d last_name=Reyes -d email=dana@example.com')
