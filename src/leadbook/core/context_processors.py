from django.conf import settings

from .navigation import nav_for


def leadbook(request):
    context = {"site_url": settings.SITE_URL}
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        context["navigation"] = nav_for(request)
    return context
