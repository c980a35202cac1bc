"""Background jobs of bulk upload, run by the django-tasks worker (`leadbook serve`)."""

from django_tasks import task

from . import services


@task()
def check_import_task(job_id: int) -> None:
    """Check an uploaded file (ImportJob `job_id`): nothing is written."""
    services.perform_check(job_id)


@task()
def import_task(job_id: int) -> None:
    """Import a checked file, or go on with one that stopped half-way."""
    services.perform_import(job_id)


@task()
def submitted_import_task(job_id: int) -> None:
    """Check and import a file submitted in one go (the API)."""
    services.perform_submitted(job_id)
