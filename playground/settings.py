"""One settings module, driven by the environment.

With no variables set it runs on the embedded default: SQLite, an in-memory
channel layer, runs executed in a thread of the web process. `REDIS_URL`
switches on channels-redis and Celery; `DATABASE_URL` PostgreSQL.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name}={value!r}: expected true or false")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r}: expected a whole number") from None


def install_secret(path: Path) -> str:
    """This install's secret key, made on first use: random, in a file only its user can read.

    Several processes start together under `make run` (daphne and the Celery worker):
    the key is written to a private temporary file and linked into place, which fails
    if another process got there first, so every process ends up reading the same key.
    """
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    import secrets

    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_urlsafe(50) + "\n")
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()
    return path.read_text().strip()


# Production-safe by default: DEBUG keeps every SQL statement in memory and shows the
# URLconf on a 404, so it is on only when asked for. The secret key is the environment's
# SECRET_KEY, else one generated for this install (var/ is not in git).
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY") or install_secret(
    Path(env_str("SECRET_KEY_FILE", str(BASE_DIR / "var" / "secret_key")))
)
ALLOWED_HOSTS = [
    h for h in env_str("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [o for o in env_str("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "django_htmx",
    "ninja",
    "playground",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "playground.i18n.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "playground.error_pages.ApiRefusalShape",
]

ROOT_URLCONF = "playground.urls"
ASGI_APPLICATION = "playground.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
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

DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    import dj_database_url

    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("DJANGO_DB_PATH", str(BASE_DIR / "db.sqlite3")),
            # The runner thread writes while requests read: wait, don't fail.
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    # The pub/sub layer publishes a run's batch once per web process, which fans
    # it out to its local viewers; the core layer copies it into every viewer's
    # list in Redis (100 viewers: 100 copies a tick). Both are at-most-once: the
    # database holds every event and viewers fill gaps from it.
    CHANNEL_LAYER = env_str("CHANNEL_LAYER", "pubsub")
    if CHANNEL_LAYER == "pubsub":
        CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                # redis-py 8's 5 s default would drop an idle viewer (channels_redis #422).
                "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": None}]},
            }
        }
    elif CHANNEL_LAYER == "core":
        CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {
                    "hosts": [{"address": REDIS_URL, "socket_timeout": None}],
                    # group_send drops silently past capacity; 100 lost a quarter of a burst.
                    "capacity": 5000,
                    "expiry": 60,
                },
            }
        }
    else:
        raise ImproperlyConfigured(f"CHANNEL_LAYER={CHANNEL_LAYER!r}: expected pubsub or core")
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = None
else:
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 5000}}
    }
    CELERY_BROKER_URL = ""

# "celery" when a broker is configured, "thread" otherwise; tests may force one.
RUN_BACKEND = env_str("RUN_BACKEND", "celery" if REDIS_URL else "thread")
if RUN_BACKEND not in ("celery", "thread"):
    raise ImproperlyConfigured(f"RUN_BACKEND={RUN_BACKEND!r}: expected celery or thread")

# Queued or running runs of all visitors who are not logged in, together
# (playground.topologies.limits).
ANON_MAX_ACTIVE_RUNS = env_int("ANON_MAX_ACTIVE_RUNS", 20)
# A run queued this long with no worker claiming it is failed
# (playground.runs.reaper.queue_timeout).
RUN_QUEUE_TIMEOUT_SECONDS = env_int("RUN_QUEUE_TIMEOUT_SECONDS", 600)

# Deadline sweeps (playground.experiments.sweeps): queued or running at once over the whole
# site, and how long one may stay so before it is taken for lost (a sweep is ~2 s of engine time).
SWEEP_MAX_ACTIVE = env_int("SWEEP_MAX_ACTIVE", 8)
SWEEP_STALE_SECONDS = env_int("SWEEP_STALE_SECONDS", 120)
# Parameter sweeps without Celery (playground/experiments/param_sweeps.py): local processes;
# 0 = one a core.
SWEEP_PROCESSES = env_int("SWEEP_PROCESSES", 0)
# A parameter sweep with no point ended for this long is failed as lost (its worker died).
SWEEP_POINT_STALE_SECONDS = env_int("SWEEP_POINT_STALE_SECONDS", 600)

# --- Workers: queues, pools, broker outages, the sweep (playground/runs/workers.py, reaper.py) ---
# The database is the truth about a run and the claim (QUEUED -> RUNNING) is its real
# acknowledgement, so a message is acked when a worker takes it, not when the run ends.
# Late acks kept a message unacknowledged for the whole run, and on a broker outage kombu
# 5.7 restores unacked messages on a connection it has already torn down (AttributeError
# on `conninfo.hostname`), which stopped the worker. With early acks and no prefetch, a
# worker holds no unacknowledged message while it runs, so nothing is restored.
CELERY_TASK_ACKS_LATE = False
CELERY_TASK_REJECT_ON_WORKER_LOST = False
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Take a message only when a pool slot is free: none waits unacked behind a long run.
CELERY_WORKER_DISABLE_PREFETCH = True
# A run goes on through a broker outage: it talks to the database, not to the broker.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None  # retry for ever: the supervisor is the last resort
CELERY_TASK_DEFAULT_QUEUE = "runs"
CELERY_TASK_TIME_LIMIT = env_int("RUN_WALL_LIMIT_SECONDS", 1800) + 60
# Processes for signed-in users' runs at full speed (CPU-bound: about one per core).
WORKER_PROCESSES = env_int("WORKER_CONCURRENCY", 2)
# Threads of the one process that drives signed-in users' paced runs (they mostly sleep).
WORKER_PACED_THREADS = env_int("WORKER_PACED_THREADS", 40)
# Threads of the one process that drives every visitor's run: as many as visitors may have.
WORKER_VISITOR_THREADS = env_int("WORKER_VISITOR_THREADS", ANON_MAX_ACTIVE_RUNS)
# How often a worker (or, with the thread backend, the web process) fails the runs whose
# heartbeat stopped, whether or not anyone reads them; 0 turns the sweep off.
RUN_SWEEP_SECONDS = env_int("RUN_SWEEP_SECONDS", 5)
# --- end of Workers ---

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

TIME_ZONE = "UTC"

# ---- Korean and English (issue 16; docs/i18n.md) ------------------------------------------
# English is the source language of every string; Korean comes from locale/ko (gettext
# catalogs, compiled by `make setup`). The language is, in order: the one chosen in the
# header's switch (kept in the session and in a cookie for a year), else the browser's
# Accept-Language, else English (playground/i18n.py).
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ko", "한국어")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"

# Requests bigger than this are refused with a 400 before parsing.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("MAX_BODY_BYTES", 1_000_000)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# ---- Content-Security-Policy: no script from data (issue 12) ----------------------------
# Scripts, styles, images and connections from this origin only: no inline <script>, no
# on* attribute, no eval, no <style> element or style attribute (the front end sets styles
# through the CSSOM, which the policy allows). A value from a document that reaches the page
# as markup can therefore not run, even where an escape is missed. `frame-ancestors 'none'`:
# nothing here is meant to be embedded. The API docs page (django-ninja's Swagger UI, served
# from static/ninja) differs in one point: API_DOCS_CSP below. docs/front-end-security.md.
from django.utils.csp import CSP  # noqa: E402

MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
)
SECURE_CSP: dict[str, list[str]] = {
    "default-src": [CSP.NONE],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],  # the run socket is same-origin ws(s):, which 'self' covers
    "manifest-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
}
# Django's defaults, named because the policy relies on them: nosniff keeps a JSON or CSV
# answer of ours from ever running as a script; XFrameOptionsMiddleware also sends DENY.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Swagger UI's stylesheet draws its icons (the select arrow, "copy") as data: SVG images; a
# data: image cannot run script. Everything else is the same policy (playground/api/__init__.py).
API_DOCS_CSP: dict[str, list[str]] = {**SECURE_CSP, "img-src": [CSP.SELF, "data:"]}
