from django.conf import settings

from .navigation import nav_for, settings_sections


def leadbook(request):
    context = {"site_url": settings.SITE_URL}
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        context["navigation"] = nav_for(request)
        if request.path.startswith("/settings/"):
            context["settings_sections"] = settings_sections(request)
    return context
