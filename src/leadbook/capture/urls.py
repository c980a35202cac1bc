"""The public endpoint (mounted before any /api/ include, so it is never the ninja API's),
the visitors' pages it leads to, and Settings → Web forms."""

from django.urls import path

from . import public, views

app_name = "capture"
urlpatterns = [
    path("api/create-lead", public.create_lead, name="create_lead"),
    path("api/create-lead/", public.create_lead),
    path("api/create-lead/thanks", public.thanks, name="thanks"),
    path("api/create-lead/embed.js", public.embed_script, name="embed_js"),
    path("settings/web-forms/", views.form_list, name="forms"),
    path("settings/web-forms/new/", views.form_create, name="form_create"),
    path("settings/web-forms/<int:pk>/", views.form_embed, name="form_embed"),
    path("settings/web-forms/<int:pk>/edit/", views.form_edit, name="form_edit"),
    path("settings/web-forms/<int:pk>/default/", views.form_make_default,
         name="form_make_default"),
    path("settings/web-forms/<int:pk>/delete/", views.form_delete, name="form_delete"),
    path("accounts/profile/notifications/", views.notification_switch, name="notifications"),
]
