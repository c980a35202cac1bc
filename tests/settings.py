"""Settings for the test suite: Leadbook's own, with fast password hashing and plain static
files (no collectstatic needed)."""

import os
import tempfile

os.environ.setdefault("LEADBOOK_DATA_DIR", tempfile.mkdtemp(prefix="leadbook-test-"))

from leadbook.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = (  # noqa: F405
    "django.contrib.staticfiles.storage.StaticFilesStorage"
)
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# Serve static files straight from the apps, as DEBUG would, without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
