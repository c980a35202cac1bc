from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "leadbook.core"
    label = "core"
