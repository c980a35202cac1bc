import sys

from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import never_cache

from .faults import DISK_FULL, RETRY_AFTER_SECONDS, unavailable_message


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return JsonResponse({"status": "error", "detail": "database unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


def forbidden(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "403.html", status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: an outage of the database or a full disk (see core.faults) is a 503 that
    says so; anything else is the plain 500 page. Rendered without the request's context
    (its context processors may need the database that just failed)."""
    message = unavailable_message(sys.exc_info()[1])
    if message is None:
        return HttpResponseServerError(loader.get_template("500.html").render())
    if request.path.startswith("/api/") or (
            "json" in request.headers.get("Accept", "")
            and "text/html" not in request.headers.get("Accept", "")):
        response: HttpResponse = JsonResponse({"detail": message}, status=503)
    else:
        title = "Out of disk space" if message == DISK_FULL else "Leadbook is unavailable"
        response = HttpResponse(loader.get_template("503.html").render(
            {"title": title, "message": message}), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
