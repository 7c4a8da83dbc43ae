"""Settings for wikicheck: every value that varies between machines comes from the environment
here, with defaults that make a fresh checkout run (the README's configuration table)."""

import os
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from wikicheck_site.env import env_bool, env_float, env_int, env_list, env_pairs, env_timeout

BASE_DIR = Path(__file__).resolve().parent.parent


# --- Django core -------------------------------------------------------------------------------

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "django-insecure-wikicheck-development-only"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
# A failed CSRF check (an expired form, blocked cookies) gets the site's page, saying what to do.
CSRF_FAILURE_VIEW = "checks.web.views.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "axes",
    "checks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After whitenoise, so static files keep their own headers; every other answer gets the
    # policy, error pages included.
    "csp.middleware.CSPMiddleware",
    # Answers most progress polls without the session, the user or the database.
    "checks.web.middleware.poll_answer_middleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Sees every answer given below it, the middleware's own refusals included.
    "checks.web.middleware.private_cache_middleware",
    # A NUL in the query string is refused before any view passes it to the database.
    "checks.web.middleware.nul_in_query_middleware",
    # Before CSRF, which would read (and parse) the whole body of an oversized submission.
    "checks.web.middleware.submission_size_limit_middleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Every page requires a login unless its view is marked login_not_required (the login view
    # is); Django's middleware, but htmx requests are sent to the login page whole.
    "checks.web.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # A view that waited out the database's lock answers 503 with Retry-After, not 500.
    "checks.web.middleware.DatabaseBusyMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "wikicheck_site.urls"
WSGI_APPLICATION = "wikicheck_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Content-Security-Policy (django-csp): nothing inline, nothing from elsewhere. htmx comes from
# static files ({% htmx_script %}) and is told not to inject its indicator <style> (base.html).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
    }
}

# --- Database ----------------------------------------------------------------------------------

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        # Seconds a thread keeps its connection between requests or Celery tasks; with a
        # database server, reconnecting (and authenticating) for each one costs CPU on both sides.
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # Worker threads write concurrently: IMMEDIATE takes the write lock at BEGIN, so a
        # transaction never fails half-way upgrading from reader to writer ("database is locked"),
        # and the busy timeout makes writers queue instead of failing.
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        # WAL lets the progress pollers read while workers write; a 32 MiB page cache (not 2)
        # keeps a large batch's indexes in memory while its rows go in.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
        "PRAGMA cache_size=-32768;",
    }
    # The in-memory test database cannot be shared between threads; a file can. One per test
    # run, so two runs in one checkout never share (and break) each other's database.
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"wikicheck-test-{os.getpid()}.sqlite3")
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth --------------------------------------------------------------------------------------

AUTHENTICATION_BACKENDS = [
    # First, so a locked-out username and address is refused before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Failed logins are throttled per username and client address, and, with a higher limit, per
# client address over all usernames (checks/web/login_throttle.py).
AXES_FAILURE_LIMIT = env_int("WIKICHECK_LOGIN_FAILURE_LIMIT", 5)
WIKICHECK_LOGIN_ADDRESS_FAILURE_LIMIT = env_int("WIKICHECK_LOGIN_ADDRESS_FAILURE_LIMIT", 30)
AXES_HANDLER = "checks.web.login_throttle.LoginThrottleHandler"
AXES_COOLOFF_TIME = timedelta(minutes=env_int("WIKICHECK_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Behind proxies everyone would share the proxy's address: the client is then the entry the
# outermost proxy appended to X-Forwarded-For. The last proxy's own address is REMOTE_ADDR, not in
# the header, hence the `- 1`; what a client wrote in front of the proxies' entries is not trusted.
WIKICHECK_PROXY_COUNT = env_int("WIKICHECK_PROXY_COUNT", 0)
if WIKICHECK_PROXY_COUNT > 0:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    AXES_IPWARE_PROXY_COUNT = WIKICHECK_PROXY_COUNT - 1
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)
    AXES_IPWARE_PROXY_COUNT = None
# Strict mode would refuse the whole header when a client put addresses of its own in front, and
# fall back to the proxy's address, which every such client would then share.
IPWARE_STRICT = False

# Messages stay on the server: one of them shows a new API token's key, once.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Production hardening: with DEBUG off, HTTPS only (behind a TLS proxy, see the README) -----

if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    if env_bool("SECURE_PROXY_SSL_HEADER", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Internationalisation and static files -----------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "checks": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
        # Django's own config writes to the console only while DEBUG is on: a server error's
        # traceback (django.request) would be lost in production. Its INFO lines stay for DEBUG.
        "django": {"handlers": ["console"], "level": "INFO" if DEBUG else "WARNING"},
    },
}

# --- wikicheck ---------------------------------------------------------------------------------

WIKICHECK_MAX_WORKERS = env_int("WIKICHECK_MAX_WORKERS", 8)
WIKICHECK_TIMEOUT = env_timeout("WIKICHECK_TIMEOUT", "3.05,10")
WIKICHECK_DEFAULT_WIKI = os.environ.get("WIKICHECK_DEFAULT_WIKI", "https://en.wikipedia.org/wiki/")
WIKICHECK_ALLOWED_HOSTS = env_list("WIKICHECK_ALLOWED_HOSTS", "*.wikipedia.org")
# Off: a name on the list that resolves to a loopback, private or link-local address is refused.
WIKICHECK_ALLOW_PRIVATE_ADDRESSES = env_bool("WIKICHECK_ALLOW_PRIVATE_ADDRESSES", False)
WIKICHECK_CONTACT = os.environ.get("WIKICHECK_CONTACT", "")
WIKICHECK_MAX_BATCH = env_int("WIKICHECK_MAX_BATCH", 100_000)
WIKICHECK_STRICT_TITLES = env_bool("WIKICHECK_STRICT_TITLES", False)
WIKICHECK_MAX_UPLOAD_BYTES = env_int("WIKICHECK_MAX_UPLOAD_BYTES", 5 * 1024 * 1024)
# A pasted batch may be as large as an uploaded one (with the form's other fields); Django's
# default (2.5 MB) would answer a bare 400. Larger requests get the 413 page unread.
DATA_UPLOAD_MAX_MEMORY_SIZE = WIKICHECK_MAX_UPLOAD_BYTES + 64 * 1024
WIKICHECK_RETRIES = env_int("WIKICHECK_RETRIES", 2)
WIKICHECK_RETRY_AFTER_MAX = env_int("WIKICHECK_RETRY_AFTER_MAX", 30)
# Pages on hosts not listed here get one HEAD request each.
WIKICHECK_API_PATHS = env_pairs("WIKICHECK_API_PATHS", "*.wikipedia.org=/w/api.php")
WIKICHECK_HOST_CONCURRENCY = [
    (pattern, int(limit))
    for pattern, limit in env_pairs("WIKICHECK_HOST_CONCURRENCY", "*.wikipedia.org=3")
]
# Asks Wikimedia's API to refuse work while its databases lag more than this (seconds).
WIKICHECK_MAXLAG = env_int("WIKICHECK_MAXLAG", 5)
# Sweeps find work no one was told about: another process's batch, rows requeued after a crash.
WIKICHECK_SWEEP_SECONDS = env_float("WIKICHECK_SWEEP_SECONDS", 5)
# Every checking process beats this often; one silent for WIKICHECK_HEARTBEAT_TIMEOUT is taken
# for dead and its rows are checked again (checks/engine/registry.py). A few beats, so a busy
# database or a pause does not kill a live process.
WIKICHECK_HEARTBEAT_SECONDS = env_float("WIKICHECK_HEARTBEAT_SECONDS", 5)
WIKICHECK_HEARTBEAT_TIMEOUT = env_float(
    "WIKICHECK_HEARTBEAT_TIMEOUT", 4 * WIKICHECK_HEARTBEAT_SECONDS
)
if WIKICHECK_HEARTBEAT_TIMEOUT < 2 * WIKICHECK_HEARTBEAT_SECONDS:
    raise ImproperlyConfigured(
        "WIKICHECK_HEARTBEAT_TIMEOUT must be at least twice WIKICHECK_HEARTBEAT_SECONDS"
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A process stopped or cut off inside a transaction would hold its row locks for ever, and
    # those taking over its rows would wait on them: PostgreSQL ends its session after half the
    # heartbeat timeout. Our own transactions last milliseconds.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c idle_in_transaction_session_timeout={int(WIKICHECK_HEARTBEAT_TIMEOUT * 500)}"
    )
WIKICHECK_POLL_SECONDS = env_float("WIKICHECK_POLL_SECONDS", 1)  # checks/web/polling.py
# Per-user limits, 0 for none; over either, nothing is stored and the answer is 429
# (checks/quotas.py).
WIKICHECK_USER_MAX_PENDING = env_int("WIKICHECK_USER_MAX_PENDING", 200_000)
if 0 < WIKICHECK_USER_MAX_PENDING < WIKICHECK_MAX_BATCH:
    raise ImproperlyConfigured(
        "WIKICHECK_USER_MAX_PENDING must be 0 or at least WIKICHECK_MAX_BATCH, so a full batch fits"
    )
WIKICHECK_USER_BATCHES_PER_HOUR = env_int("WIKICHECK_USER_BATCHES_PER_HOUR", 120)
# A history search stops after this long and says how far back it got (checks/web/search.py).
WIKICHECK_SEARCH_BUDGET_MS = env_int("WIKICHECK_SEARCH_BUDGET_MS", 500)

# --- Where checks run: the in-process thread pool, or Celery workers ----------------------------

WIKICHECK_BACKEND = os.environ.get("WIKICHECK_BACKEND", "threads").strip().lower() or "threads"
if WIKICHECK_BACKEND not in {"threads", "celery"}:
    raise ImproperlyConfigured(
        f"WIKICHECK_BACKEND must be 'threads' or 'celery', not '{WIKICHECK_BACKEND}'"
    )
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
# The per-host caps hold across processes through Redis; with Celery they must, since every
# worker on every machine sends requests.
WIKICHECK_HOST_LIMITER_URL = os.environ.get(
    "WIKICHECK_HOST_LIMITER_URL", CELERY_BROKER_URL if WIKICHECK_BACKEND == "celery" else ""
)
# Pages per Celery task (titles bound for an API go 50 to a task, one request).
WIKICHECK_CHUNK_PAGES = env_int("WIKICHECK_CHUNK_PAGES", 8)

CELERY_TASK_DEFAULT_QUEUE = "wikicheck"
# A task is acknowledged when it has run, so a worker that dies mid-chunk leaves its message to
# be delivered again; checks.engine.backends.celery makes running a chunk twice harmless.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Checking is waiting on the network: threads, as many as the thread backend has per process.
CELERY_WORKER_POOL = "threads"
CELERY_WORKER_CONCURRENCY = WIKICHECK_MAX_WORKERS
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Priorities let the first chunks of a new batch overtake the tail of a large one.
CELERY_BROKER_TRANSPORT_OPTIONS = {"priority_steps": list(range(10))}


# --- Watching lists ----------------------------------------------------------------------------

# Where the site is reached: the links in e-mails and webhooks about a list's changes.
WIKICHECK_SITE_URL = os.environ.get("WIKICHECK_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Hosts a list's webhook may post to (patterns as WIKICHECK_ALLOWED_HOSTS). Empty: no webhooks.
# An IP literal, or a name resolving to a private or loopback address, must be named exactly.
WIKICHECK_WEBHOOK_HOSTS = env_list("WIKICHECK_WEBHOOK_HOSTS", "")
WIKICHECK_WEBHOOK_ATTEMPTS = env_int("WIKICHECK_WEBHOOK_ATTEMPTS", 5)
# Whether this process's sweep fires schedules and sends deliveries; off where only cron's
# `manage.py runlists --due` should.
WIKICHECK_LISTS_IN_SWEEP = env_bool("WIKICHECK_LISTS_IN_SWEEP", True)
# E-mail about a list's changes: printed on the console unless SMTP is set up.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "wikicheck <wikicheck@localhost>")
