import sys

from django.core.management.base import BaseCommand, CommandError

from leadbook.audit.services import audit_record
from leadbook.leads.filters import LeadFilter
from leadbook.leads.models import Lead
from leadbook.transfer.export import write_csv


class Command(BaseCommand):
    help = ("Export leads to CSV (UTF-8 with BOM, spreadsheet-safe). Filters are the leads "
            "table's: --search, --status, --lead-type, --source, --temperature, --owner, "
            "--active, --pending, --ordering.")
    # Django's system checks import every URLconf, the API's schemas with them (~1.1 s),
    # which this command does not use; `migrate` and `serve` run them.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("-o", "--output", help="File to write (default: standard output).")
        parser.add_argument("--search", default="")
        for name in ("status", "lead-type", "source", "owner"):
            parser.add_argument(f"--{name}", action="append", default=[],
                                help="Repeat or separate with commas for several.")
        parser.add_argument("--temperature", default="")
        parser.add_argument("--active", default="true", help="true (default), false or all.")
        parser.add_argument("--pending", default="")
        parser.add_argument("--ordering", default="")

    def handle(self, *args, output, **options):
        params = {
            "search": options["search"], "status": options["status"],
            "lead_type": options["lead_type"], "source": options["source"],
            "owner": options["owner"], "temperature": options["temperature"],
            "active": options["active"], "pending": options["pending"],
            "ordering": options["ordering"],
        }
        view = LeadFilter.from_params(params)
        if view.errors:
            raise CommandError(" ".join(view.errors.values()))
        queryset = view.apply(Lead.objects.all())
        audit_record(action="leads.exported", target="command line",
                     view="&".join(f"{k}={v}" for k, v in view.to_params())[:500])
        if output and output != "-":
            with open(output, "w", encoding="utf-8", newline="") as out:
                count = write_csv(queryset, out)
            self.stderr.write(f"Exported {count:,} leads to {output}.")
        else:
            write_csv(queryset, sys.stdout)
