from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from leadbook.core.forms import add_service_errors

from . import services
from .forms import SetupForm, UserCreateForm, UserEditForm
from .middleware import FirstRunMiddleware
from .models import User
from .permissions import admin_required, own_account_required
from .token_views import token_context


def setup(request: HttpRequest) -> HttpResponse:
    """First visit to a new install: create the admin account."""
    if User.objects.exists():
        return redirect("login")
    form = SetupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.create_first_admin(
                username=form.cleaned_data["username"], password=form.cleaned_data["password1"],
                email=form.cleaned_data["email"],
            )
        except ValidationError as e:
            add_service_errors(form, e, rename={"password": "password1"})
        else:
            FirstRunMiddleware.setup_done = True
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "Welcome to Leadbook. Your admin account is ready.")
            return redirect("dashboard")
    return render(request, "accounts/setup.html", {"form": form})


@own_account_required
def profile(request: HttpRequest, token_form=None) -> HttpResponse:
    return render(request, "accounts/profile.html", token_context(request, token_form))


@admin_required
def user_list(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/user_list.html", {"users": User.objects.all()})


@admin_required
def user_create(request: HttpRequest) -> HttpResponse:
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.create_user(
                username=data["username"], password=data["password"] or None, role=data["role"],
                email=data["email"], first_name=data["first_name"], last_name=data["last_name"],
            )
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            if not data["password"]:
                services.send_invitation(user)
                messages.success(request, f"Added {user.username}; a link to set a password "
                                          f"was emailed to {user.email}.")
            else:
                messages.success(request, f"Added {user.username}.")
            return redirect("user_list")
    return render(request, "accounts/user_form.html", {"form": form, "editing": None})


@admin_required
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(User, pk=pk)
    form = UserEditForm.for_user(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_user(user=user, actor=request.user, **form.cleaned_data)
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            messages.success(request, f"Saved {user.username}.")
            return redirect("user_list")
    return render(request, "accounts/user_form.html", {"form": form, "editing": user})
