from django.urls import include, path

from leadbook.accounts import views as account_views
from leadbook.core import settings_views
from leadbook.core.views import healthz
from leadbook.dashboard.views import home

urlpatterns = [
    path("", home, name="dashboard"),
    path("healthz", healthz, name="healthz"),
    path("setup/", account_views.setup, name="setup"),
    path("leads/", include("leadbook.leads.urls")),
    path("", include("leadbook.outreach.urls")),
    path("", include("leadbook.conversions.urls")),
    path("accounts/profile/", account_views.profile, name="profile"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("settings/", settings_views.general, name="settings"),
    path("settings/users/", account_views.user_list, name="user_list"),
    path("settings/users/new/", account_views.user_create, name="user_create"),
    path("settings/users/<int:pk>/", account_views.user_edit, name="user_edit"),
    path("settings/<slug:slug>/", settings_views.edit_list, name="settings_list"),
    path("settings/<slug:slug>/<int:pk>/move/", settings_views.move_entry,
         name="settings_move"),
    path("settings/<slug:slug>/<int:pk>/delete/", settings_views.delete_entry,
         name="settings_delete"),
]

handler403 = "leadbook.core.views.forbidden"
