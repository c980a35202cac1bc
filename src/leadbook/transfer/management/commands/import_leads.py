import json
import sys
import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from leadbook.accounts.models import User
from leadbook.transfer import services
from leadbook.transfer.models import DuplicateAction, ImportState
from leadbook.transfer.reading import FileReadError

SHOWN_PROBLEMS = 20


class Command(BaseCommand):
    help = ("Import leads from a CSV or Excel file: the same checks as the web's Bulk Upload "
            "(errors, duplicates, similar values), then the import. With --dry-run nothing is "
            "written. Rows are numbered as a spreadsheet shows them (the header is row 1).")
    # Django's system checks import every URLconf, the API's schemas with them (~1.1 s),
    # which this command does not use; `migrate` and `serve` run them.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("file", help="The .csv or .xlsx file.")
        parser.add_argument("--dry-run", action="store_true",
                            help="Check the file and report; import nothing.")
        parser.add_argument("--format", choices=["text", "json"], default="text",
                            help="json prints the import report (see docs/import.md).")
        parser.add_argument("--on-duplicate", choices=DuplicateAction.values, default="skip",
                            help="What to do with rows that match an existing lead or an "
                                 "earlier row: skip (default), update the existing lead, or "
                                 "create anyway.")
        parser.add_argument("--map", action="append", default=[], metavar="HEADER=FIELD",
                            help='Correct the automatic column mapping, e.g. --map "E-mail '
                                 'address=email"; "Header=" leaves a column out. Repeatable.')
        parser.add_argument("--accept-similar", action="store_true",
                            help="Use the suggested spelling for similar values (e.g. Austin "
                                 "for austin and Austn).")
        parser.add_argument("--leave-unknown", action="store_true",
                            help="Import rows whose Status, Source, Lead Type or Owner names "
                                 "nothing in Leadbook without that name (new leads get the "
                                 "default status), instead of reporting them as errors.")
        parser.add_argument("--user", help="Record the import as done by this username.")

    def handle(self, *args, file, dry_run, format, on_duplicate, map, accept_similar,
               leave_unknown, user, **options):
        actor = None
        if user:
            actor = User.objects.filter(username=user).first()
            if actor is None:
                raise CommandError(f"No user is called {user!r}.")
        bar = _ProgressBar(self.stderr) if self.stderr.isatty() else None
        try:
            job = services.import_file(
                actor=actor, data=file, mapping_overrides=map, on_duplicate=on_duplicate,
                dry_run=dry_run, accept_similar=accept_similar, leave_unknown=leave_unknown,
                progress=bar.show if bar else None)
        except FileNotFoundError as e:
            raise CommandError(f"There is no file {file!r}.") from e
        except IsADirectoryError as e:
            raise CommandError(f"{file!r} is a folder; name a .csv or .xlsx file in it.") from e
        except OSError as e:  # e.g. no permission to read it
            raise CommandError(f"Cannot read {file!r}: {e.strerror or e}.") from e
        except FileReadError as e:
            raise CommandError(e.message) from e
        except (ValueError, ValidationError) as e:
            raise CommandError(" ".join(getattr(e, "messages", [str(e)]))) from e
        finally:
            if bar:
                bar.end()
        report = services.import_report(job)
        if job.state == ImportState.FAILED:
            message = job.message
            if dry_run:
                services.delete_draft(job=job)
            raise CommandError(message)
        if format == "json":
            self.stdout.write(json.dumps(report, indent=2, ensure_ascii=False))
        else:
            self._write_text(job, report, dry_run)
        if dry_run:
            services.delete_draft(job=job)

    def _write_text(self, job, report, dry_run: bool) -> None:
        out = self.stdout.write
        verb = "Would create" if dry_run else "Created"
        out(f"{job.filename}: {report['rows']:,} rows, {report['valid']:,} valid, "
            f"{report['invalid']:,} with errors.")
        out(f"{verb} {report['created']:,}, {'would update' if dry_run else 'updated'} "
            f"{report['updated']:,}, {'would skip' if dry_run else 'skipped'} "
            f"{report['skipped']:,}.")
        for error in report["errors"][:SHOWN_PROBLEMS]:
            where = f"{error['column']}: " if error["column"] else ""
            out(f"  row {error['row']}: {where}{error['message']}")
        if len(report["errors"]) > SHOWN_PROBLEMS:
            out(f"  … and {len(report['errors']) - SHOWN_PROBLEMS:,} more problems "
                "(--format json lists them all).")
        if report["duplicates"]:
            out(f"{len(report['duplicates']):,} rows look like existing leads or earlier rows "
                f"({job.on_duplicate}).")
        for group in report["similar_values"][:SHOWN_PROBLEMS]:
            out(f"  similar {group['column']}: {', '.join(group['values'])} "
                f"→ {group['suggested']}")
        if report["similar_values"] and not job.options.get("accept_similar"):
            out("Use --accept-similar to import the suggested spellings.")
        left_out = services.names_left_empty(job)
        if left_out:
            verb = "Would import" if dry_run else "Imported"
            out(f"{verb} without these unknown names: {', '.join(left_out)}.")
        elif job.unknown_values:
            out("Use --leave-unknown to import rows with unknown names without them.")
        if not dry_run:
            out(f"Import #{job.pk}: undo it from Leads → Import in the web app.")


class _ProgressBar:
    """One line on the terminal: phase, bar, rows, rate and time left."""

    WIDTH = 30
    NAMES = {"checking": "Checking ", "importing": "Importing"}

    def __init__(self, stream):
        self.stream = stream
        self.phase = ""
        self.started = time.monotonic()
        self.shown = False

    def show(self, phase: str, done: int, total: int) -> None:
        if phase != self.phase:
            if self.shown:
                self.stream.write("")
            self.phase, self.started = phase, time.monotonic()
        elapsed = time.monotonic() - self.started
        share = done / total if total else 1
        filled = round(self.WIDTH * share)
        rate = done / elapsed if elapsed > 0.2 else 0
        left = f"  {max(0, total - done) / rate:,.0f}s left" if rate and done < total else ""
        speed = f"  {rate:,.0f} rows/s" if rate else ""
        self.stream.write(
            f"\r{self.NAMES.get(phase, phase)} [{'#' * filled}{'.' * (self.WIDTH - filled)}] "
            f"{done:,}/{total:,}{speed}{left}   ", ending="")
        self.stream.flush()
        self.shown = True

    def end(self) -> None:
        if self.shown:
            self.stream.write("")
        sys.stderr.flush()
