"""Leadbook settings.

Everything an operator may change comes from environment variables (see `.env.example`).
The helpers below fail loudly on values they cannot read, so a typo in production is an
error at start-up rather than a silently ignored setting.
"""

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} must be true or false, not {value!r}")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {value!r}") from None


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


RATE_UNITS = {"second": 1, "sec": 1, "s": 1, "minute": 60, "min": 60, "m": 60, "hour": 3600,
              "h": 3600, "day": 86400, "d": 86400}


def envrate(name: str, default: str) -> tuple[int, int]:
    """A rate such as "10/minute" as (count, seconds); "0" or "off" is (0, 0): no limit."""
    value = env(name, default).strip().lower()
    if value in ("0", "off", "none"):
        return 0, 0
    count, _, unit = value.partition("/")
    unit = unit.strip() or "minute"
    unit = unit[:-1] if unit.endswith("s") and unit[:-1] in RATE_UNITS else unit
    if not count.strip().isdigit() or unit not in RATE_UNITS:
        raise ValueError(f"{name} must look like 10/minute (or second, hour, day), or 0 for "
                         f"no limit, not {value!r}")
    return int(count), RATE_UNITS[unit]


PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env("LEADBOOK_DATA_DIR", "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """The key from the environment, else one generated once and kept in the data directory."""
    if key := env("LEADBOOK_SECRET_KEY"):
        return key
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = envbool("LEADBOOK_DEBUG", False)

# The address people use to reach Leadbook. It decides the links in emails and embed code,
# and whether the HTTPS-only protections (secure cookies, HSTS, redirect) are switched on.
SITE_URL = env("LEADBOOK_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
_site = urlsplit(SITE_URL)
if _site.scheme not in ("http", "https") or not _site.hostname:
    raise ValueError(f"LEADBOOK_SITE_URL must be an http(s) URL, not {SITE_URL!r}")
HTTPS = _site.scheme == "https"

ALLOWED_HOSTS = envlist("LEADBOOK_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
if _site.hostname not in ALLOWED_HOSTS:
    ALLOWED_HOSTS.append(_site.hostname)
CSRF_TRUSTED_ORIGINS = [f"{_site.scheme}://{_site.netloc}"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "simple_history",
    "ninja",  # its Swagger UI files, served by Leadbook: the API docs work offline
    "leadbook.core",
    "leadbook.accounts",
    "leadbook.leads",
    "leadbook.outreach",
    "leadbook.conversions",
    "leadbook.capture",
    "leadbook.audit",
    "leadbook.transfer",
    "leadbook.dashboard",
    "leadbook.webhooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "leadbook.core.middleware.SecurityHeadersMiddleware",
    "leadbook.api.middleware.ApiJsonErrorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "leadbook.accounts.middleware.FirstRunMiddleware",
]

ROOT_URLCONF = "leadbook.urls"
FORM_RENDERER = "leadbook.core.forms.FormRenderer"
WSGI_APPLICATION = "leadbook.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "leadbook.core.context_processors.leadbook",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite in the data directory unless DATABASE_URL names another database. WAL lets readers
# carry on while one writer writes; IMMEDIATE transactions take the write lock up front, so a
# busy database makes writers wait (up to the timeout) instead of failing with "locked".
SQLITE_PATH = DATA_DIR / "leadbook.sqlite3"
if env("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(env("DATABASE_URL"), conn_max_age=60)}
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            # Each server thread keeps its connection, and with it the pages it has read
            # (and its memory map): a new connection per request starts cold.
            "CONN_MAX_AGE": 600,
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA cache_size=-32000;"
                    # Read the file through the OS page cache, shared by every worker, instead
                    # of copying pages into each connection's own cache: a search that sorts
                    # 15,000 matching leads of a million reads twice as fast (docs/performance.md).
                    # SQLite maps at most 2 GiB (its build's limit, the value here); a bigger
                    # book reads the rest through the page cache.
                    "PRAGMA mmap_size=2147418112;"
                ),
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("LEADBOOK_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# Region used to read phone numbers typed without a country code.
DEFAULT_PHONE_REGION = env("LEADBOOK_DEFAULT_PHONE_REGION", "US").upper()

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
_bootstrap_dir = Path(__import__("bootstrap_wrapper").get_bootstrap_dir())
STATICFILES_DIRS.append(("bootstrap", _bootstrap_dir))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = DATA_DIR / "uploads"

# --- Email ----------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env("LEADBOOK_EMAIL_FROM", "Leadbook <leadbook@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if env("LEADBOOK_SMTP_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env("LEADBOOK_SMTP_HOST")
    EMAIL_PORT = envint("LEADBOOK_SMTP_PORT", 587)
    EMAIL_HOST_USER = env("LEADBOOK_SMTP_USER")
    EMAIL_HOST_PASSWORD = env("LEADBOOK_SMTP_PASSWORD")
    EMAIL_USE_TLS = envbool("LEADBOOK_SMTP_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# --- Background tasks -----------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": env("LEADBOOK_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = envint("LEADBOOK_SESSION_AGE", 14 * 24 * 3600)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and envbool("LEADBOOK_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = envint("LEADBOOK_HSTS_SECONDS", 31536000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
# Asking browsers to preload HSTS for the domain cannot be taken back quickly: opt in only.
SECURE_HSTS_PRELOAD = HTTPS and envbool("LEADBOOK_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if envbool("LEADBOOK_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
# A TLS-terminating proxy checks HTTPS itself; the redirect is then its job, not ours.
SILENCED_SYSTEM_CHECKS = [] if SECURE_SSL_REDIRECT or not HTTPS else ["security.W008"]
# Not preloading HSTS is the operator's choice (LEADBOOK_HSTS_PRELOAD), not an oversight.
if HTTPS and not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS.append("security.W021")

# Sign-in throttle: failures allowed per username and per address in 15 minutes.
SIGN_IN_MAX_FAILURES_PER_USER = envint("LEADBOOK_SIGN_IN_MAX_FAILURES", 5)
SIGN_IN_MAX_FAILURES_PER_IP = envint("LEADBOOK_SIGN_IN_MAX_FAILURES_PER_IP", 30)
SESSION_EXPIRE_AT_BROWSER_CLOSE = False

# --- Leadbook -------------------------------------------------------------------------------
LEADS_PER_PAGE = envint("LEADBOOK_LEADS_PER_PAGE", 50)
MAX_UPLOAD_BYTES = envint("LEADBOOK_MAX_UPLOAD_MB", 50) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# REST API: requests one token may make per minute (0 = no limit). Counted in the database,
# so the limit holds across all web workers.
API_RATE_LIMIT = envint("LEADBOOK_API_RATE_LIMIT", 600)

# --- Web capture (/api/create-lead) ---------------------------------------------------------
# Posts one visitor (IP address) may send: "10/minute" (second, minute, hour, day); 0 = no limit.
CAPTURE_RATE_LIMIT = envrate("LEADBOOK_CAPTURE_RATE_LIMIT", "10/minute")
# Largest post accepted, in KB (a contact form with a long message is a few KB).
CAPTURE_MAX_BODY_BYTES = envint("LEADBOOK_CAPTURE_MAX_KB", 64) * 1024
# Behind a proxy, the visitor's address is the last one the proxy adds to X-Forwarded-For.
CAPTURE_TRUST_X_FORWARDED_FOR = envbool("LEADBOOK_BEHIND_PROXY", False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LEADBOOK_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
