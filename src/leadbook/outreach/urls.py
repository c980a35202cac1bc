from django.urls import path

from . import views

app_name = "outreach"
urlpatterns = [
    path("leads/<int:pk>/outreach/", views.log, name="log"),
    path("leads/<int:pk>/follow-up/done/", views.follow_up_done, name="follow_up_done"),
    path("leads/<int:pk>/follow-up/reschedule/", views.follow_up_reschedule,
         name="follow_up_reschedule"),
    path("outreach/<int:pk>/edit/", views.edit, name="edit"),
    path("outreach/<int:pk>/delete/", views.delete, name="delete"),
    path("follow-ups/", views.follow_ups, name="follow_ups"),
]
