"""`leadbook create_api_token USERNAME`: print a new API token for that user (and nothing else),
so scripts can capture it: TOKEN=$(leadbook create_api_token dana)."""

import datetime

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from leadbook.accounts.models import User
from leadbook.accounts.services import create_api_token


class Command(BaseCommand):
    help = "Create an API token for a user and print it (only the token)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="Command line",
                            help="What the token is for, as the profile page lists it.")
        parser.add_argument("--expires-days", type=int, default=None,
                            help="Expire the token after this many days (default: never).")

    def handle(self, *args, username: str, name: str, expires_days: int | None, **options):
        try:
            user = User.objects.get(username__iexact=username.strip())
        except User.DoesNotExist:
            raise CommandError(f"No user called {username!r}.") from None
        if not user.is_active:
            raise CommandError(f"{user.username} is deactivated; their token would not work.")
        if expires_days is not None and expires_days < 1:
            raise CommandError("--expires-days must be 1 or more.")
        expires_at = (timezone.now() + datetime.timedelta(days=expires_days)
                      if expires_days else None)
        try:
            _, raw = create_api_token(user=user, name=name, expires_at=expires_at)
        except ValidationError as e:
            raise CommandError(" ".join(e.messages)) from None
        self.stdout.write(raw)
