"""`leadbook purge_trash`: erase for good the leads deleted more than 30 days ago.

Run it daily, e.g. from cron: `15 3 * * * leadbook purge_trash`."""

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from leadbook.leads import trash
from leadbook.leads.models import Lead


class Command(BaseCommand):
    help = (f"Erase for good (with their history, outreach and web form posts) the leads in "
            f"the trash for more than {trash.TRASH_DAYS} days.")

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=trash.TRASH_DAYS,
                            help="Erase leads deleted more than this many days ago "
                                 f"(default {trash.TRASH_DAYS}).")
        parser.add_argument("--dry-run", action="store_true",
                            help="Only say how many leads would be erased.")

    def handle(self, *args, days: int, dry_run: bool, **options):
        if days < 0:
            self.stderr.write("--days must be 0 or more.")
            raise SystemExit(2)
        if dry_run:
            due = Lead.all_objects.filter(
                deleted_at__lt=timezone.now() - timedelta(days=days),
                merged_into__isnull=True).count()
            self.stdout.write(f"{due} lead{'s' if due != 1 else ''} would be erased.")
            return
        erased = trash.purge_trash(days=days)
        self.stdout.write(f"Erased {len(erased)} lead{'s' if len(erased) != 1 else ''} "
                          f"from the trash.")
