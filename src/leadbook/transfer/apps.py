from django.apps import AppConfig


class TransferConfig(AppConfig):
    name = "leadbook.transfer"
    label = "transfer"
