"""Settings for the test suite: Leadbook's own, with fast password hashing and plain static
files (no collectstatic needed)."""

import os
import tempfile

# A data directory (uploads, import files) per test process: xdist workers inherit the
# controller's environment, and two workers' "import job 1" must not share files.
_worker = os.environ.get("PYTEST_XDIST_WORKER")
if _worker or "LEADBOOK_DATA_DIR" not in os.environ:
    os.environ["LEADBOOK_DATA_DIR"] = tempfile.mkdtemp(prefix=f"leadbook-test-{_worker or 'main'}-")

from leadbook.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = (  # noqa: F405
    "django.contrib.staticfiles.storage.StaticFilesStorage"
)
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# Serve static files straight from the apps, as DEBUG would, without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
