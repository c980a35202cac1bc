"""The one place that decides who may open a page."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from .models import Role

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def role_required(role: str = Role.VIEWER, *, own_account: bool = False) -> Callable:
    """Send anonymous visitors to sign in; refuse signed-in users below `role` with 403.

    A viewer changes nothing: a write (POST, PUT, PATCH, DELETE) from a user who cannot edit
    is refused with 403 whatever the page, unless the page only changes the user's own
    account (`own_account`: their API tokens, their notification emails)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not request.user.has_role(role):
                raise PermissionDenied
            if request.method not in SAFE_METHODS and not own_account \
                    and not request.user.can_edit:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.required_role = role  # type: ignore[attr-defined]
        wrapper.own_account = own_account  # type: ignore[attr-defined]
        return wrapper

    return decorator


viewer_required = role_required(Role.VIEWER)
member_required = role_required(Role.MEMBER)
admin_required = role_required(Role.ADMIN)
# Pages about the signed-in user's own account, which any user (a viewer too) may change.
own_account_required = role_required(Role.VIEWER, own_account=True)
