from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "leadbook.dashboard"
    label = "dashboard"
