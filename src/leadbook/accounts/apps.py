from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "leadbook.accounts"
    label = "accounts"
