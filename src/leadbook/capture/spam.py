"""Telling bots from people, without ever troubling the people.

Two optional checks per web form, layered:

* Honeypot: the embed code has a text field hidden from people (off-screen, skipped by the
  keyboard and screen readers). Simple bots fill every field they find; a post that fills
  it is a bot's. A form without the field (the plain pasted form) passes.
* Minimum fill time: the embed code's script puts a signed timestamp (django.core.signing,
  so it cannot be forged or moved back) in a hidden field when the page opens. A post that
  carries one and comes back sooner than the form's minimum is a bot's (bots that run
  scripts fill forms in milliseconds); a forged one is a bot's too. A post without one
  passes: the page may not run scripts, and bots that do not run scripts are what the
  honeypot is for.

A bot is answered exactly like a person, so it learns nothing; its post is kept as spam,
never as a lead.
"""

import json
import time
from collections.abc import Mapping
from typing import Any

from django.core import signing

from .fields import HONEYPOT_FIELD, TIMESTAMP_FIELD, as_text
from .models import WebForm

SALT = "leadbook.capture.fill-time"


def fill_token(form_key: str, now: float | None = None) -> str:
    """A signed 'the form was shown at' value for the hidden timestamp field."""
    return signing.dumps({"f": form_key, "t": round(now if now is not None else time.time(), 1)},
                         salt=SALT)


def spam_reason(form: WebForm, data: Mapping[str, Any], now: float | None = None) -> str:
    """Why a post looks like a bot's ('honeypot', 'too fast', 'forged timestamp'), or ''."""
    if form.honeypot and as_text(data.get(HONEYPOT_FIELD)):
        return "honeypot"
    token = as_text(data.get(TIMESTAMP_FIELD))
    if form.min_fill_seconds and token:
        try:
            shown_at = float(signing.loads(token, salt=SALT)["t"])
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            return "forged timestamp"
        elapsed = (now if now is not None else time.time()) - shown_at
        if elapsed < form.min_fill_seconds:
            return "too fast"
    return ""


def embed_script(form_key: str) -> str:
    """The script the embed code loads: it stamps the hidden timestamp field(s) of the page
    with the time the page opened. Served fresh on every request."""
    token = json.dumps(fill_token(form_key))
    return (
        "// Leadbook: stamps when this page opened, so that forms sent by bots in a flash\n"
        "// can be told apart. Fills every empty input named " + TIMESTAMP_FIELD + ".\n"
        "(function () {\n"
        f"  var token = {token};\n"
        "  function fill() {\n"
        f"    var inputs = document.querySelectorAll('input[name=\"{TIMESTAMP_FIELD}\"]');\n"
        "    for (var i = 0; i < inputs.length; i++) {\n"
        "      if (!inputs[i].value) inputs[i].value = token;\n"
        "    }\n"
        "  }\n"
        "  fill();\n"
        "  if (document.readyState === 'loading') {\n"
        "    document.addEventListener('DOMContentLoaded', fill);\n"
        "  }\n"
        "})();\n"
    )
