import time

from django.core.management.base import BaseCommand

from leadbook.leads.demo import seed_demo


class Command(BaseCommand):
    help = "Add realistic demo leads with outreach history (bulk inserts; fast)."

    def add_arguments(self, parser):
        parser.add_argument("--leads", type=int, default=200, help="How many leads to add.")
        parser.add_argument("--seed", type=int, default=None,
                            help="Random seed, for the same data every time.")

    def handle(self, *args, leads, seed, **options):
        started = time.monotonic()
        show = self.stdout.isatty() and leads >= 10_000

        def progress(done, total):
            if show:
                self.stdout.write(f"\r{done:,}/{total:,} leads", ending="")
                self.stdout.flush()

        made = seed_demo(leads, seed=seed, progress=progress)
        if show:
            self.stdout.write("")
        elapsed = time.monotonic() - started
        self.stdout.write(f"Added {made:,} demo leads in {elapsed:.1f}s.")
