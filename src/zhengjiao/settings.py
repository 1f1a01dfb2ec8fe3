"""Django settings, read from the environment. Bad values fail loudly at start-up.

Environment:
- ``ZJ_ENV``: ``development`` (default) or ``production``.
- ``DATABASE_URL``: ``sqlite:///path/to/file.sqlite3`` (default ``sqlite:///<ZJ_HOME>/var/zhengjiao.sqlite3``)
  or ``postgres://user:password@host:port/name``.
- ``SECRET_KEY``: required in production (at least 50 characters); in development a random key is
  generated once into ``<ZJ_HOME>/var/secret_key``.
- ``ZJ_ALLOWED_HOSTS``: comma-separated host names; required in production.
- ``ZJ_HOME``: where the embedded database and generated files live (default: the working directory).
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from urllib.parse import unquote, urlparse

from django.core.exceptions import ImproperlyConfigured

PACKAGE_DIR = Path(__file__).resolve().parent


def _env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = os.environ.get(name, default).strip()
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r} is invalid; expected one of {', '.join(choices)}")
    return value


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true/false)")


def _env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}")
    return value


def _env_json(name: str, default: dict) -> dict:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ImproperlyConfigured(f"{name} must be a JSON object")
    return value


def database_from_url(url: str) -> dict:
    """Translate a DATABASE_URL into Django's DATABASES entry; unknown schemes are an error."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        # sqlite:///relative/path or sqlite:////absolute/path: whatever follows the third slash.
        if not url.startswith("sqlite:///"):
            raise ImproperlyConfigured(f"DATABASE_URL={url!r}: write sqlite:///relative or sqlite:////absolute")
        name = unquote(url[len("sqlite:///") :])
        if not name:
            raise ImproperlyConfigured(f"DATABASE_URL={url!r} names no SQLite file")
        if name != ":memory:":
            Path(name).parent.mkdir(parents=True, exist_ok=True)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": name,
            "OPTIONS": {
                # Durable and concurrent enough for the embedded default: write-ahead log, fsync on commit.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
            },
        }
    if parsed.scheme in {"postgres", "postgresql", "pgsql"}:
        name = unquote(parsed.path.lstrip("/"))
        if not name:
            raise ImproperlyConfigured(f"DATABASE_URL={url!r} names no database")
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            "CONN_MAX_AGE": 60,
            "OPTIONS": {},
        }
    raise ImproperlyConfigured(
        f"DATABASE_URL scheme {parsed.scheme!r} is not supported; use sqlite:/// or postgres://"
    )


ZJ_ENV = _env_choice("ZJ_ENV", "development", ("development", "production"))
PRODUCTION = ZJ_ENV == "production"
ZJ_HOME = Path(os.environ.get("ZJ_HOME", os.getcwd())).resolve()
VAR_DIR = ZJ_HOME / "var"

if PRODUCTION:
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        raise ImproperlyConfigured("SECRET_KEY must be set to at least 50 varied characters in production")
else:
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    if not SECRET_KEY:
        key_file = VAR_DIR / "secret_key"
        if not key_file.exists():
            VAR_DIR.mkdir(parents=True, exist_ok=True)
            key_file.write_text(secrets.token_urlsafe(50))
            key_file.chmod(0o600)
        SECRET_KEY = key_file.read_text().strip()

DEBUG = _env_bool("ZJ_DEBUG", default=not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("ZJ_DEBUG must not be on in production")

_hosts = [h.strip() for h in os.environ.get("ZJ_ALLOWED_HOSTS", "").split(",") if h.strip()]
if PRODUCTION and not _hosts:
    raise ImproperlyConfigured("ZJ_ALLOWED_HOSTS must list the host names served in production")
ALLOWED_HOSTS = _hosts or ["127.0.0.1", "localhost", "testserver"]

DATABASES = {
    "default": database_from_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'zhengjiao.sqlite3'}")
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "zhengjiao.accounts",
    "zhengjiao.audit",
    "zhengjiao.exchange",
    "zhengjiao.registry",
    "zhengjiao.policy",
    "zhengjiao.banks",
    "zhengjiao.assessment",
    "zhengjiao.collection",
    "zhengjiao.arrears",
    "zhengjiao.fiscal",
    "zhengjiao.api",
    "zhengjiao.web",
    "zhengjiao.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "zhengjiao.audit.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "zhengjiao.accounts.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "zhengjiao.urls"
WSGI_APPLICATION = "zhengjiao.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["zhengjiao.accounts.backends.LockoutModelBackend"]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "zhengjiao.web.context_processors.chrome",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
WHITENOISE_USE_FINDERS = True
if not PRODUCTION:
    # Development serves files through the finders; the folder only has to exist (whitenoise warns otherwise).
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Background work started from the web (declaration imports, assessment runs) is queued in the
# database and run by `zj db_worker` (the demo starts one). ZJ_TASKS_IMMEDIATE=true runs it inline.
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks.backends.immediate.ImmediateBackend"
            if _env_bool("ZJ_TASKS_IMMEDIATE", default=False)
            else "django_tasks_db.DatabaseBackend"
        ),
        "QUEUES": ["default"],
    }
}

# Accounts: lockout and second factor.
ZJ_LOGIN_MAX_FAILURES = _env_int("ZJ_LOGIN_MAX_FAILURES", 5, minimum=1)
ZJ_LOGIN_LOCKOUT_MINUTES = _env_int("ZJ_LOGIN_LOCKOUT_MINUTES", 15, minimum=1)
ZJ_REQUIRE_TOTP_FOR_STAFF = _env_bool("ZJ_REQUIRE_TOTP_FOR_STAFF", default=PRODUCTION)
ZJ_TOKEN_DEFAULT_DAYS = _env_int("ZJ_TOKEN_DEFAULT_DAYS", 90, minimum=1)
# The public contribution calculator: calls per window per client address (a fixed window in the
# cache; use a shared cache such as Redis or the database cache when several processes serve).
ZJ_CALCULATOR_RATE_LIMIT = _env_int("ZJ_CALCULATOR_RATE_LIMIT", 60, minimum=1)
ZJ_CALCULATOR_RATE_WINDOW_SECONDS = _env_int("ZJ_CALCULATOR_RATE_WINDOW_SECONDS", 60, minimum=1)

# The exchange between the sides (docs/internal/exchange-contract.md). One deployment hosts every
# side by default; the node names this deployment in message envelopes.
ZJ_EXCHANGE_NODE = os.environ.get("ZJ_EXCHANGE_NODE", "province")
ZJ_EXCHANGE_DELIVER_ON_COMMIT = _env_bool("ZJ_EXCHANGE_DELIVER_ON_COMMIT", default=True)
# Signing keys per party pair: JSON {"agency|tax": {"k1": "secret"}, ...}; without it, keys are
# derived from SECRET_KEY (fine for one deployment, where every side shares that secret).
ZJ_EXCHANGE_KEYS = _env_json("ZJ_EXCHANGE_KEYS", {})
ZJ_EXCHANGE_SIGNING_KEY_ID = os.environ.get("ZJ_EXCHANGE_SIGNING_KEY_ID", "k1")
# Separately deployed sides: party → {"url": ..., "token": ...}; inbound bearer token → party.
ZJ_EXCHANGE_PEERS = _env_json("ZJ_EXCHANGE_PEERS", {})
ZJ_EXCHANGE_INBOUND_TOKENS = _env_json("ZJ_EXCHANGE_INBOUND_TOKENS", {})
# The bank holding the fiscal special accounts and the tax collection account; account numbers
# per insurance type (JSON {"pension": "...", ...}); unset ones follow exchange.parties' numbering.
ZJ_FISCAL_ACCOUNT_BANK = os.environ.get("ZJ_FISCAL_ACCOUNT_BANK", "105")
ZJ_FISCAL_ACCOUNTS = _env_json("ZJ_FISCAL_ACCOUNTS", {})
ZJ_TAX_COLLECTION_ACCOUNT = os.environ.get("ZJ_TAX_COLLECTION_ACCOUNT", "")

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = _env_bool("ZJ_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = _env_int("ZJ_HSTS_SECONDS", 31536000, minimum=1)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    STORAGES["staticfiles"] = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("ZJ_LOG_LEVEL", "WARNING")},
}
