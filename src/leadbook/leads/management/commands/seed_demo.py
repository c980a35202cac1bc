import time

from django.core.management.base import BaseCommand

from leadbook.leads.demo import seed_demo


class Command(BaseCommand):
    help = ("Add realistic demo leads with outreach history, fast (bulk inserts; COPY on "
            "PostgreSQL): `seed_demo --leads 1000000` takes minutes.")

    def add_arguments(self, parser):
        parser.add_argument("--leads", type=int, default=200, help="How many leads to add.")
        parser.add_argument("--seed", type=int, default=None,
                            help="Random seed, for the same data every time.")
        parser.add_argument("--workers", type=int, default=None,
                            help="Processes drawing the leads while this one writes them "
                                 "(from 20,000 leads; default: one per CPU).")

    def handle(self, *args, leads, seed, workers, **options):
        started = time.monotonic()
        show = self.stdout.isatty() and leads >= 10_000

        def progress(done, total):
            if show:
                rate = done / max(time.monotonic() - started, 1e-6)
                self.stdout.write(f"\r{done:,}/{total:,} leads ({rate:,.0f}/s)", ending="")
                self.stdout.flush()

        made = seed_demo(leads, seed=seed, workers=workers, progress=progress)
        if show:
            self.stdout.write("")
        elapsed = time.monotonic() - started
        rate = f" ({made / elapsed:,.0f} a second)" if made and elapsed else ""
        self.stdout.write(f"Added {made:,} demo leads in {elapsed:.1f}s{rate}.")
