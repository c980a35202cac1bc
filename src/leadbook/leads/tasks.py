"""Background jobs of the leads app, run by the django-tasks worker (`leadbook serve`)."""

from django_tasks import task

from . import duplicates


@task()
def scan_duplicates(scan_id: int) -> int:
    """Check the whole book for duplicates (DuplicateScan `scan_id`); returns the number of
    groups found."""
    return duplicates.run_scan(scan_id)
