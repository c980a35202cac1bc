"""Errors under /api/v2/ that happen before or outside the API's handlers (an unknown path, a
method the path does not take, a crash) still answer in JSON, like every other API error."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve

API_PREFIX = "/api/v2/"
MESSAGES = {
    404: "No such endpoint. The API is described at /api/v2/docs.",
    500: "Something went wrong on our side. It has been logged.",
}
# Headers worth keeping from the response being replaced.
KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")


class ApiJsonErrorsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (response.status_code >= 400 and request.path_info.startswith(API_PREFIX)
                and not response.get("Content-Type", "").startswith("application/json")):
            return self._as_json(request, response)
        return response

    def _as_json(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        status = response.status_code
        if status == 405:
            allowed = response.get("Allow", "")
            detail = f"{request.method} is not allowed here. Allowed: {allowed}."
        elif status == 404 and _resolves(request.path_info.rstrip("/")):
            detail = f"No such endpoint. Did you mean {request.path_info.rstrip('/')} " \
                     f"(without the slash at the end)?"
        else:
            detail = MESSAGES.get(status, response.reason_phrase + ".")
        replacement = JsonResponse({"detail": detail}, status=status)
        for name in KEPT_HEADERS:
            if name in response:
                replacement[name] = response[name]
        return replacement


def _resolves(path: str) -> bool:
    if not path.startswith(API_PREFIX) or path == API_PREFIX.rstrip("/"):
        return False
    try:
        resolve(path)
    except Resolver404:
        return False
    return True
