"""Django settings for heard.

Everything a deployment changes comes from the environment (``HEARD_*``), so that the same code runs
the embedded default (SQLite in ``var/``) and production (PostgreSQL, several web processes and
workers) without edits. See docs/deploying.md.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.conf import locale as django_locale
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("HEARD_DATA_DIR", Path.cwd() / "var")).resolve()


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """Take the key from the environment, else from a file made on first run (never the repo)."""
    if key := os.environ.get("HEARD_SECRET_KEY"):
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _env_bool("HEARD_DEBUG", False)
ALLOWED_HOSTS = [
    h for h in os.environ.get("HEARD_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("HEARD_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks_db",
    "ninja",
    "heard.core",
    "heard.engagements",
    "heard.plan",
    "heard.listen",
    "heard.record",
    "heard.sense",
    "heard.opinions",
    "heard.report",
    "heard.policy",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "heard.urls"
WSGI_APPLICATION = "heard.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _database() -> dict:
    url = os.environ.get("HEARD_DATABASE_URL")
    if url:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
        if config["ENGINE"] == "django.db.backends.postgresql":
            config.setdefault("TEST", {})["NAME"] = os.environ.get("HEARD_TEST_DATABASE_NAME")
        return config
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DATA_DIR / "heard.sqlite3",
        # WAL lets the web processes read while the worker writes; IMMEDIATE takes the write
        # lock at the start of a transaction, so concurrent writers queue instead of failing
        # with "database is locked" half-way through. See docs/decisions/0002-sqlite-default.md.
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# te reo Māori is not in Django's own list of languages: add it so that {% get_language_info %}
# and the language switcher know its name.
django_locale.LANG_INFO.setdefault(
    "mi", {"bidi": False, "code": "mi", "name": "Maori", "name_local": "Te reo Māori"}
)
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("mi", _("Te reo Māori"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = os.environ.get("HEARD_TIME_ZONE", "Pacific/Auckland")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = _env_bool("HEARD_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# Uploaded import files are read in memory and stored in the database (so that a preview made by
# one web process can be confirmed on another); cap them.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
HEARD_IMPORT_MAX_BYTES = int(os.environ.get("HEARD_IMPORT_MAX_BYTES", 5 * 1024 * 1024))
HEARD_CONTRIBUTION_MAX_CHARS = 20_000
HEARD_API_TOKEN_MAX_AGE_DAYS = int(os.environ.get("HEARD_API_TOKEN_MAX_AGE_DAYS", "90"))
# The site's public address, e.g. https://heard.example.nz (used where a full URL is written out).
HEARD_BASE_URL = os.environ.get("HEARD_BASE_URL", "")
# The record's signing key: a file outside the database and the repository, made on first use.
HEARD_RECORD_KEY_FILE = Path(
    os.environ.get("HEARD_RECORD_KEY_FILE", DATA_DIR / "record-signing.key")
)
# The log's origin (C2SP): one per site, fixed when the key is made, e.g. "heard.example.nz/record".
HEARD_RECORD_ORIGIN = os.environ.get("HEARD_RECORD_ORIGIN", "")
# Witnesses whose cosignatures the site accepts: their verifier keys, comma-separated.
HEARD_RECORD_WITNESSES = [
    w for w in os.environ.get("HEARD_RECORD_WITNESSES", "").split(",") if w.strip()
]

# Optional theme summaries from a language model (off unless both URL and model are set). The
# quotes of a theme are sent to this endpoint: see docs/deploying.md before turning it on.
HEARD_LLM_BASE_URL = os.environ.get("HEARD_LLM_BASE_URL", "")  # e.g. https://llm.example.nz/v1
HEARD_LLM_MODEL = os.environ.get("HEARD_LLM_MODEL", "")
HEARD_LLM_API_KEY_FILE = os.environ.get("HEARD_LLM_API_KEY_FILE", "")  # read when used
HEARD_LLM_TIMEOUT = float(os.environ.get("HEARD_LLM_TIMEOUT", "60"))
HEARD_LLM_JSON_MODE = _env_bool("HEARD_LLM_JSON_MODE", True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("HEARD_LOG_LEVEL", "WARNING")},
}
