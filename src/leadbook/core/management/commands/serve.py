"""`leadbook serve`: migrate, load defaults, then run the web server and the task worker.

gunicorn serves the pages (whitenoise serves static files); the django-tasks database worker
runs background jobs beside it. Stopping either stops both, so nothing runs half-alive.
"""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Migrate, then serve Leadbook with gunicorn and a background task worker."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("LEADBOOK_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int,
                            default=int(os.environ.get("LEADBOOK_PORT", "8000")))
        parser.add_argument("--workers", type=int,
                            default=int(os.environ.get("LEADBOOK_WEB_WORKERS", "2")))
        parser.add_argument("--threads", type=int,
                            default=int(os.environ.get("LEADBOOK_WEB_THREADS", "4")))
        parser.add_argument("--no-worker", action="store_true",
                            help="Do not start the background task worker here.")

    def handle(self, *args, host, port, workers, threads, no_worker, **options):
        call_command("migrate", interactive=False, verbosity=0)
        if not settings.DEBUG:
            call_command("collectstatic", interactive=False, verbosity=0)
        python = sys.executable
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get(
            "DJANGO_SETTINGS_MODULE", "leadbook.settings")}
        web = [
            python, "-m", "gunicorn", "leadbook.wsgi:application",
            "--bind", f"{host}:{port}", "--workers", str(workers), "--threads", str(threads),
            "--access-logfile", "-", "--graceful-timeout", "10", "--timeout", "120",
            "--no-control-socket",
        ]
        processes = [subprocess.Popen(web, env=env)]
        if not no_worker:
            worker = [python, "-m", "leadbook.cli", "db_worker", "--queue-name", "default",
                      "--no-reload"]
            processes.append(subprocess.Popen(worker, env=env))
        self.stdout.write(f"Leadbook is at http://{host}:{port}/  (Ctrl+C stops it)")
        self._supervise(processes)

    def _supervise(self, processes: list[subprocess.Popen]) -> None:
        def stop(signum=None, frame=None):
            for p in processes:
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            while all(p.poll() is None for p in processes):
                time.sleep(0.5)
        finally:
            stop()
            deadline = time.monotonic() + 15
            for p in processes:
                try:
                    p.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    p.kill()
        codes = [p.returncode for p in processes]
        if any(code not in (0, -signal.SIGTERM, -signal.SIGINT) for code in codes):
            raise SystemExit(1)
