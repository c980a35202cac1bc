from django.urls import include, path

from . import duplicate_views, trash_views, views

app_name = "leads"
urlpatterns = [
    path("", views.lead_list, name="list"),
    path("new/", views.lead_create, name="create"),
    path("export.csv", views.lead_export, name="export"),
    path("<int:pk>/", views.lead_detail, name="detail"),
    path("<int:pk>/edit/", views.lead_edit, name="edit"),
    path("<int:pk>/active/", views.lead_set_active, name="set_active"),
    path("<int:pk>/delete/", trash_views.lead_delete, name="delete"),
    path("trash/", trash_views.trash_list, name="trash"),
    path("trash/<int:pk>/restore/", trash_views.trash_restore, name="trash_restore"),
    path("trash/<int:pk>/erase/", trash_views.trash_erase, name="trash_erase"),
    path("board/", include("leadbook.dashboard.board_urls")),  # board, board_column, board_move
    # Duplicates and merges
    path("duplicates/", duplicate_views.duplicate_list, name="duplicates"),
    path("duplicates/check/", duplicate_views.duplicate_scan_start, name="duplicates_check"),
    path("duplicates/status/", duplicate_views.duplicate_scan_status,
         name="duplicates_status"),
    path("duplicates/dismiss/", duplicate_views.duplicate_dismiss, name="duplicates_dismiss"),
    path("duplicates/undismiss/", duplicate_views.duplicate_undismiss,
         name="duplicates_undismiss"),
    path("merge/", duplicate_views.lead_merge, name="merge"),
    path("merges/<int:pk>/undo/", duplicate_views.merge_undo, name="merge_undo"),
]
