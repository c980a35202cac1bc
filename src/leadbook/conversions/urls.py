from django.urls import path, register_converter

from . import views
from .sections import SECTIONS


class SectionConverter:
    regex = "|".join(SECTIONS)

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class TargetConverter(SectionConverter):
    regex = "customer|retailer|podcast|collab"


register_converter(SectionConverter, "section")
register_converter(TargetConverter, "target")

app_name = "conversions"
urlpatterns = [
    path("leads/<int:pk>/convert/", views.convert, name="convert"),
    path("<section:section>/", views.record_list, name="list"),
    path("<section:section>/export.csv", views.record_export, name="export"),
    path("records/<target:target>/<int:pk>/", views.record_detail, name="detail"),
    path("records/<target:target>/<int:pk>/edit/", views.record_edit, name="edit"),
    path("records/<target:target>/<int:pk>/undo/", views.record_undo, name="undo"),
]
