from django.shortcuts import redirect
from django.urls import reverse

from .models import User


class FirstRunMiddleware:
    """Until the first account exists, every page leads to the admin setup form.

    There is no default password: whoever installs Leadbook creates the first admin.
    """

    # Once an account exists it stays that way, so the check stops costing a query.
    setup_done = False
    EXEMPT_PREFIXES = ("/static/", "/healthz", "/api/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not FirstRunMiddleware.setup_done:
            if User.objects.exists():
                FirstRunMiddleware.setup_done = True
            elif not request.path.startswith(self.EXEMPT_PREFIXES) and \
                    request.path != reverse("setup"):
                return redirect("setup")
        return self.get_response(request)
