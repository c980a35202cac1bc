from django.urls import path

from . import views

app_name = "transfer"
urlpatterns = [
    path("", views.start, name="import"),
    path("template.csv", views.template_csv, name="template_csv"),
    path("template.xlsx", views.template_xlsx, name="template_xlsx"),
    path("instructions/", views.instructions, name="instructions"),
    path("<int:pk>/", views.job_page, name="job"),
    path("<int:pk>/columns/", views.mapping, name="mapping"),
    path("<int:pk>/review/", views.review, name="review"),
    path("<int:pk>/review/values/", views.fix_values, name="fix_values"),
    path("<int:pk>/review/default/", views.default_action, name="default_action"),
    path("<int:pk>/review/rows/<int:row>/", views.row_action, name="row_action"),
    path("<int:pk>/start/", views.start_import, name="start"),
    path("<int:pk>/discard/", views.discard, name="discard"),
    path("<int:pk>/progress/", views.progress, name="progress"),
    path("<int:pk>/resume/", views.resume, name="resume"),
    path("<int:pk>/undo/", views.undo, name="undo"),
    path("<int:pk>/failed.csv", views.failed_rows, name="failed_rows"),
]
