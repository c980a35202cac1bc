"""API tokens on the profile page: make one (shown once), see when each was last used, revoke.

Any signed-in user may make tokens: they act as that user, so a viewer's token only reads.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from leadbook.core.forms import add_service_errors

from . import services
from .forms import ApiTokenForm
from .models import ApiToken
from .permissions import own_account_required

# The session key holding a token just made, until the profile page has shown it once.
NEW_TOKEN_KEY = "new_api_token"  # noqa: S105 (a session key, not a secret)


def token_context(request: HttpRequest, form: ApiTokenForm | None = None) -> dict:
    """What the profile page's API tokens section shows."""
    return {
        "api_tokens": ApiToken.objects.filter(user=request.user),
        "api_token_form": form or ApiTokenForm(),
        "new_api_token": request.session.pop(NEW_TOKEN_KEY, None),
    }


@require_POST
@own_account_required
def api_token_create(request: HttpRequest) -> HttpResponse:
    from .views import profile

    form = ApiTokenForm(request.POST)
    if form.is_valid():
        try:
            token, raw = services.create_api_token(
                user=request.user, name=form.cleaned_data["name"],
                expires_at=form.expires_at())
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            # Shown on the next page only: after that, nobody can see it again.
            request.session[NEW_TOKEN_KEY] = {"id": token.pk, "name": token.name, "token": raw}
            return redirect("profile")
    return profile(request, token_form=form)


@require_POST
@own_account_required
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    services.revoke_api_token(token=token, actor=request.user)
    messages.success(request, f"Token “{token.name}” revoked: it no longer opens the API.")
    return redirect("profile")
