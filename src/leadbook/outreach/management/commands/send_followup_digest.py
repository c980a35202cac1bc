from django.core.management.base import BaseCommand

from leadbook.outreach.digest import send_digests


class Command(BaseCommand):
    help = ("Email each lead owner their follow-ups due today and overdue. Run it daily, "
            "e.g. from cron: 0 7 * * * leadbook send_followup_digest")

    def handle(self, *args, **options):
        sent = send_digests()
        self.stdout.write(f"Sent {sent} digest{'s' if sent != 1 else ''}.")
