"""`leadbook serve`: migrate, load defaults, then run the web server and the task worker.

gunicorn serves the pages (whitenoise serves static files); the django-tasks database worker
runs background jobs beside it. Stopping Leadbook (Ctrl+C, SIGTERM) or the web server stops
both. A worker that dies (killed for memory, or stopped by an error such as a lost database
connection) is started again after a few seconds, so the site stays up; a job it was running
is resumed from the import page.
"""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

WORKER_RESTART_SECONDS = 5


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
        worker = None
        if not no_worker:
            worker = [python, "-m", "leadbook.cli", "db_worker", "--queue-name", "default",
                      "--no-reload"]
            processes.append(subprocess.Popen(worker, env=env))
        self.stdout.write(f"Leadbook is at http://{host}:{port}/  (Ctrl+C stops it)")
        self._supervise(processes, worker, env)

    def _supervise(self, processes: list[subprocess.Popen], worker: list[str] | None,
                   env: dict) -> None:
        stopping = False
        signalled: set[int] = set()

        def stop(signum=None, frame=None):
            # Each process is asked once: a second SIGTERM makes the task worker abandon the
            # job it is running (django-tasks reads it as "force"), failing that job.
            nonlocal stopping
            stopping = True
            for p in processes:
                if p.poll() is None and p.pid not in signalled:
                    signalled.add(p.pid)
                    p.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        restart_at = None
        try:
            while not stopping and processes[0].poll() is None:
                if worker and processes[1].poll() is not None:
                    if restart_at is None:
                        restart_at = time.monotonic() + WORKER_RESTART_SECONDS
                        self.stderr.write(
                            f"The task worker stopped (exit code {processes[1].returncode}); "
                            f"starting it again in {WORKER_RESTART_SECONDS} s.")
                    elif time.monotonic() >= restart_at:
                        processes[1] = subprocess.Popen(worker, env=env)
                        restart_at = None
                time.sleep(0.5)
        finally:
            stop()
            deadline = time.monotonic() + 15
            for p in processes:
                try:
                    p.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    p.kill()
        # A worker that had died and was waiting to be started again has been reported.
        codes = [p.returncode for p in (processes if restart_at is None else processes[:1])]
        if any(code not in (0, -signal.SIGTERM, -signal.SIGINT) for code in codes):
            raise SystemExit(1)
