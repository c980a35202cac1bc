from django.contrib.auth import views as auth_views
from django.urls import include, path

from leadbook.accounts import token_views
from leadbook.accounts import views as account_views
from leadbook.accounts.forms import ThrottledAuthenticationForm
from leadbook.core import settings_views
from leadbook.core.views import healthz
from leadbook.dashboard.views import home

urlpatterns = [
    path("", home, name="dashboard"),
    path("healthz", healthz, name="healthz"),
    path("setup/", account_views.setup, name="setup"),
    # Web capture: /api/create-lead (before any /api/ include) and Settings → Web forms.
    path("", include("leadbook.capture.urls")),
    path("api/v2/", include("leadbook.api.urls")),
    path("leads/import/", include("leadbook.transfer.urls")),
    path("leads/", include("leadbook.leads.urls")),
    path("", include("leadbook.outreach.urls")),
    path("", include("leadbook.conversions.urls")),
    path("accounts/profile/", account_views.profile, name="profile"),
    path("accounts/profile/tokens/", token_views.api_token_create, name="api_token_create"),
    path("accounts/profile/tokens/<int:pk>/revoke/", token_views.api_token_revoke,
         name="api_token_revoke"),
    path("accounts/login/", auth_views.LoginView.as_view(
        authentication_form=ThrottledAuthenticationForm), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("settings/", settings_views.general, name="settings"),
    path("settings/audit/", include("leadbook.audit.urls")),
    path("settings/webhooks/", include("leadbook.webhooks.urls")),
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
handler500 = "leadbook.core.views.server_error"
