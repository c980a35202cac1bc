"""The public door: POST /api/create-lead, as websites' forms and scripts use it.

No token and no CSRF token: any website may post, and a post can only ever add a lead (or
a note on one). A browser's form post is answered with a redirect (303) to the form's own
thank-you page or Leadbook's, or with a readable page that says what is missing; a script
(JSON, fetch, curl) gets JSON: 201 or 422. Nothing in an answer says whether the person was
already a lead.
"""

from __future__ import annotations

import codecs
import contextlib
import json
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from django.conf import settings
from django.core import signing
from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.csrf import csrf_exempt

from leadbook.core.text import is_unicode, without_nul

from . import origins, ratelimit, spam
from .fields import FORM_KEY_FIELD, api_name, as_text, field_label
from .models import WebForm
from .services import Visitor, capture_submission

BACK_SALT = "leadbook.capture.back"
ALLOWED_METHODS = "POST, OPTIONS"
# Request headers a script may send besides the CORS-safe ones (echoed from the preflight).
HEADER_TOKEN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_, ")


class Refusal(Exception):
    """A post turned away before it reached the lead services."""

    def __init__(self, status: int, code: str, title: str, message: str,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.title, self.message = status, code, title, message
        self.headers = headers or {}


@csrf_exempt
def create_lead(request: HttpRequest) -> HttpResponse:
    if request.method == "OPTIONS":
        return _preflight(request)
    form: WebForm | None = None
    is_json = (request.content_type or "").endswith("json")
    try:
        if request.method != "POST":
            raise Refusal(405, "method_not_allowed", "This address receives web forms",
                          "Websites post their lead forms here; there is nothing to open. "
                          "See Settings → Web forms in Leadbook for the form to paste.",
                          headers={"Allow": ALLOWED_METHODS})
        data, is_json = _read_body(request)
        form = _pick_form(request, data)
        # A page with a no-referrer policy (or a sandboxed frame) sends "Origin: null": it
        # names no website, like a post with no Origin at all, which is taken.
        origin = request.headers.get("Origin", "")
        if origin == "null":
            origin = ""
        if origin and not form.allows_origin(origin):
            raise Refusal(403, "origin_not_allowed", "This website may not use this form",
                          f"The form “{form.name}” does not take posts from {origin}. "
                          "An admin can add the website to the form's allowed origins.")
        ip = ratelimit.client_ip(request)
        key = ratelimit.rate_key(ip)
        wait = ratelimit.retry_after(key)
        if wait is not None:
            raise Refusal(429, "rate_limited", "Too many forms sent",
                          f"Too many forms were sent from your address. Please try again in "
                          f"{_seconds(wait)}.", headers={"Retry-After": str(wait)})
        visitor = Visitor(ip=ip, rate_key=key, origin=origin or _referer_origin(request),
                          user_agent=request.headers.get("User-Agent", ""))
        result = capture_submission(form=form, data=data, visitor=visitor)
    except Refusal as refusal:
        response = _refusal_response(request, refusal, _wants_json(request, is_json))
        return _with_cors(request, response, form)
    if result.looks_accepted:
        response = _accepted_response(request, form, is_json)
    else:
        response = _invalid_response(request, form, result.errors, is_json)
    return _with_cors(request, response, form)


# --- Reading the request ----------------------------------------------------------------------


def _read_body(request: HttpRequest) -> tuple[dict[str, Any], bool]:
    """The posted fields (NUL characters dropped), and whether they came as JSON."""
    data, is_json = _posted(request)
    if not is_unicode(data):
        raise Refusal(400, "bad_request", "The form could not be read",
                      "The form sent text that is not valid Unicode.")
    return without_nul(data), is_json


def _posted(request: HttpRequest) -> tuple[dict[str, Any], bool]:
    """Form-encoded (in any charset), multipart, JSON and text/plain (a script's JSON or
    query string sent without a content type, or a form with enctype="text/plain")."""
    length = request.META.get("CONTENT_LENGTH") or ""
    if not length and "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
        # The WSGI server does not hand over a body of unknown length: say so rather than
        # answer that the fields are missing.
        raise Refusal(411, "length_required", "The form could not be read",
                      "Send the form with a Content-Length header, not in chunks.")
    length = length or "0"
    if not length.isdigit() or int(length) > settings.CAPTURE_MAX_BODY_BYTES:
        raise Refusal(413, "too_large", "The form sent too much",
                      f"A form may send at most {settings.CAPTURE_MAX_BODY_BYTES // 1024} KB.")
    content_type = request.content_type or ""
    try:
        if content_type == "application/x-www-form-urlencoded":
            return _collect(_query_pairs(request.body, _charset(request))), False
        if content_type == "multipart/form-data":
            return _form_data(request), False
        if content_type == "application/json" or content_type.endswith("+json"):
            return _json_object(request.body), True
        if content_type in ("text/plain", ""):
            body = request.body
            if body.lstrip().startswith(b"{"):
                return _json_object(body), True
            return _collect(_plain_text_pairs(body, _charset(request))), False
    except (MultiPartParserError, RequestDataTooBig, SuspiciousOperation, BadRequest,
            ValueError):
        raise Refusal(400, "bad_request", "The form could not be read",
                      "The data sent could not be read.") from None
    raise Refusal(415, "unsupported_media_type", "The form could not be read",
                  "Send the form as a normal HTML form post, or as JSON.")


def _charset(request: HttpRequest) -> str:
    """The body's declared character set, if Python knows it; else UTF-8 (also for ASCII,
    which UTF-8 contains)."""
    try:
        name = codecs.lookup(request.encoding or "utf-8").name
    except LookupError:
        return "utf-8"
    return "utf-8" if name == "ascii" else name


def _query_pairs(body: bytes, charset: str) -> list[tuple[str, str]]:
    """A URL-encoded body, in its declared charset (Django reads only UTF-8 ones, but older
    sites still declare ISO-8859-1 or windows-1252). ValueError past Django's field limit."""
    return parse_qsl(body.decode(charset, errors="replace"), keep_blank_values=True,
                     encoding=charset, errors="replace",
                     max_num_fields=settings.DATA_UPLOAD_MAX_NUMBER_FIELDS)


def _plain_text_pairs(body: bytes, charset: str) -> list[tuple[str, str]]:
    """A form sent with enctype="text/plain" is "name=value" lines, nothing escaped: a line
    without "=" continues the value above it (a textarea's line breaks). A single line of
    "a=1&b=2" is a script's query string sent as text."""
    text = body.decode(charset, errors="replace")
    lines = text.splitlines()
    if len(lines) == 1 and "&" in text and all("=" in part for part in text.split("&")):
        return _query_pairs(body, charset)
    pairs: list[tuple[str, str]] = []
    for line in lines:
        if "=" in line:
            key, value = line.split("=", 1)
            pairs.append((key, value))
        elif pairs:
            pairs[-1] = (pairs[-1][0], f"{pairs[-1][1]}\n{line}")
    return pairs


def _form_data(request: HttpRequest) -> dict[str, Any]:
    data = _collect((key, value) for key in request.POST for value in request.POST.getlist(key))
    for name, uploads in request.FILES.lists():
        files = ", ".join(upload.name or "" for upload in uploads)
        data.setdefault(name, f"{files} (a file: not kept)")
    return data


def _collect(pairs) -> dict[str, Any]:
    """Form pairs as a dict; a name sent several times (checkboxes) keeps all its values."""
    data: dict[str, Any] = {}
    for key, value in pairs:
        key = key.strip()
        if key in data:
            data[key] = [*data[key], value] if isinstance(data[key], list) else [data[key], value]
        else:
            data[key] = value
    return data


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body or b"{}", parse_constant=_not_a_number)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise Refusal(400, "bad_request", "The form could not be read",
                      "The body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise Refusal(400, "bad_request", "The form could not be read",
                      "Send one JSON object: {\"first_name\": ..., \"email\": ...}.")
    return data


def _not_a_number(name: str) -> float:
    """NaN and Infinity: Python's JSON reader takes them, JSON (and the database) does not."""
    raise ValueError(name)


def _pick_form(request: HttpRequest, data: dict[str, Any]) -> WebForm:
    """The form named by ?form=KEY or a `form` field, else the default form."""
    posted_key = next((value for name, value in data.items() if api_name(name) == FORM_KEY_FIELD),
                      None)  # "form", "Form", "FORM": read as every field name is
    key = without_nul(request.GET.get(FORM_KEY_FIELD) or as_text(posted_key))
    key = key.strip()
    forms = WebForm.objects.select_related("source", "status", "owner")
    form = forms.filter(key=key.lower()).first() if key else forms.filter(is_default=True).first()
    if form is None:
        raise Refusal(404, "unknown_form", "This form does not exist",
                      f"Leadbook has no web form “{key}”." if key else
                      "Leadbook has no default web form; name one with ?form=KEY.")
    if not form.is_active:
        raise Refusal(403, "inactive_form", "This form is switched off",
                      f"The form “{form.name}” is not taking posts at the moment.")
    return form


def _wants_json(request: HttpRequest, is_json: bool) -> bool:
    """A script (fetch, curl, JSON) gets JSON; a browser's own form post gets pages."""
    if is_json:
        return True
    if request.headers.get("Sec-Fetch-Mode") == "navigate":
        return False
    return "text/html" not in request.headers.get("Accept", "")


def _referer_origin(request: HttpRequest) -> str:
    return origins.normalise(request.headers.get("Referer", "")) or ""


def _back_url(request: HttpRequest) -> str:
    """The page the visitor came from (its origin when the browser sends only that)."""
    for candidate in (request.headers.get("Referer", ""), request.headers.get("Origin", "")):
        if urlsplit(candidate).scheme in ("http", "https"):
            return candidate
    return ""


def _seconds(seconds: int) -> str:
    if seconds < 90:
        return "1 second" if seconds == 1 else f"{seconds} seconds"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} minutes"
    return f"{round(seconds / 3600)} hours"


# --- Answers ------------------------------------------------------------------------------------


def _accepted_response(request: HttpRequest, form: WebForm, is_json: bool) -> HttpResponse:
    """The same answer whether the post made a lead, went on an existing one, or was spam."""
    if _wants_json(request, is_json):
        body = {"status": "accepted", "message": "Thank you! Your details were received."}
        if form.redirect_url:
            body["redirect_url"] = form.redirect_url
        return JsonResponse(body, status=201)
    if form.redirect_url:
        return _see_other(form.redirect_url)
    query = {"form": form.key}
    back = _back_url(request)
    if back:
        query["back"] = signing.Signer(salt=BACK_SALT).sign_object(back)
    return _see_other(reverse("capture:thanks") + "?" + urlencode(query))


def _see_other(location: str) -> HttpResponse:
    response = HttpResponse(status=303)
    response["Location"] = location
    return response


def _invalid_response(request: HttpRequest, form: WebForm, errors: dict[str, list[str]],
                      is_json: bool) -> HttpResponse:
    message = "Some fields are missing or not valid."
    if _wants_json(request, is_json):
        return JsonResponse({"status": "invalid", "message": message, "errors": errors},
                            status=422)
    problems = [(field_label(name), messages) for name, messages in errors.items()]
    return render(request, "capture/problem.html", {
        "title": "Please check the form", "message": message, "problems": problems,
        "back_url": _back_url(request), "form": form,
    }, status=422)


def _refusal_response(request: HttpRequest, refusal: Refusal, wants_json: bool
                      ) -> HttpResponse:
    if wants_json:
        response: HttpResponse = JsonResponse(
            {"status": refusal.code, "message": refusal.message}, status=refusal.status)
    else:
        response = render(request, "capture/problem.html", {
            "title": refusal.title, "message": refusal.message, "problems": [],
            "back_url": _back_url(request),
        }, status=refusal.status)
    for name, value in refusal.headers.items():
        response[name] = value
    return response


# --- CORS ----------------------------------------------------------------------------------------


def _cors_origin(request: HttpRequest, form: WebForm | None) -> str:
    """The Origin to allow in the answer: the request's, when the form (or, before the form
    is known, any active form) takes posts from it; else ''."""
    origin = request.headers.get("Origin", "")
    if not origin:
        return ""
    if form is not None:
        return origin if form.allows_origin(origin) else ""
    active = WebForm.objects.filter(is_active=True).only("allowed_origins")
    return origin if any(f.allows_origin(origin) for f in active) else ""


def _with_cors(request: HttpRequest, response: HttpResponse, form: WebForm | None
               ) -> HttpResponse:
    allowed = _cors_origin(request, form)
    if allowed:
        response["Access-Control-Allow-Origin"] = allowed
    patch_vary_headers(response, ("Origin", "Accept"))
    return response


def _preflight(request: HttpRequest) -> HttpResponse:
    """The browser asks before a script posts JSON: which origins, methods and headers."""
    key = request.GET.get(FORM_KEY_FIELD, "").strip().lower()
    form = WebForm.objects.filter(key=key, is_active=True).first() if key else None
    allowed = "" if key and form is None else _cors_origin(request, form)
    response = HttpResponse(status=204 if allowed else 403)
    if allowed:
        requested = request.headers.get("Access-Control-Request-Headers", "").lower()
        response["Access-Control-Allow-Origin"] = allowed
        response["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        response["Access-Control-Allow-Headers"] = (
            requested if requested and set(requested) <= HEADER_TOKEN_CHARS
            else "content-type, accept")
        response["Access-Control-Max-Age"] = "7200"
    patch_vary_headers(response, ("Origin", "Access-Control-Request-Method",
                                  "Access-Control-Request-Headers"))
    return response


# --- Pages for visitors -------------------------------------------------------------------------


def thanks(request: HttpRequest) -> HttpResponse:
    """Leadbook's own thank-you page, for forms without a redirect URL."""
    back = ""
    with contextlib.suppress(signing.BadSignature):
        back = signing.Signer(salt=BACK_SALT).unsign_object(request.GET.get("back", ""))
    host = urlsplit(back).hostname if back else ""
    return render(request, "capture/thanks.html", {"back_url": back, "back_host": host})


def embed_script(request: HttpRequest) -> HttpResponse:
    """The embed code's script: stamps when the page with the form opened (see spam.py)."""
    key = request.GET.get(FORM_KEY_FIELD, "").strip().lower()
    form = WebForm.objects.filter(key=key).first() if key else \
        WebForm.objects.filter(is_default=True).first()
    body = spam.embed_script(form.key) if form else "// Leadbook: no such web form.\n"
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8",
                            status=200 if form else 404)
    response["Cache-Control"] = "no-store"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response
