"""Navi settings: everything comes from the environment (or `.env`), checked at start-up.

A bad value raises ConfigError naming the variable; manage.py and asgi.py print it as one line and exit.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from navi_project import config

BASE_DIR = Path(__file__).resolve().parent.parent
env = config.env_reader(BASE_DIR)

# --- Files on disk -------------------------------------------------------------------------------------------
NAVI_DATA_DIR = config.writable_dir("NAVI_DATA_DIR", (BASE_DIR / env.str("NAVI_DATA_DIR", default="data")).resolve())
NAVI_PROFILES_DIR = config.readable_dir(
    "NAVI_PROFILES_DIR", (BASE_DIR / env.str("NAVI_PROFILES_DIR", default="profiles")).resolve(), required=True
)
NAVI_USER_TOOLS_DIR = config.readable_dir(
    "NAVI_USER_TOOLS_DIR", (BASE_DIR / env.str("NAVI_USER_TOOLS_DIR", default="user_tools")).resolve(), required=False
)
# MCP servers whose tools agents may use: the file and its `mcpServers` document (docs/tools.md).
NAVI_MCP_CONFIG, NAVI_MCP_DOCUMENT = config.mcp_config(env, "NAVI_MCP_CONFIG", BASE_DIR)
NAVI_SESSION_FILES_DIR = config.writable_dir(
    "NAVI_SESSION_FILES_DIR",
    (BASE_DIR / env.str("NAVI_SESSION_FILES_DIR", default=str(NAVI_DATA_DIR / "session_files"))).resolve(),
)
NAVI_STORAGE = config.choice(env, "NAVI_STORAGE", "local", ("local", "s3"))
NAVI_MAX_UPLOAD_MB = config.positive_number(env, "NAVI_MAX_UPLOAD_MB", 200, integer=True)
NAVI_FILE_RETENTION_HOURS = config.positive_number(env, "NAVI_FILE_RETENTION_HOURS", 24)
if NAVI_STORAGE == "s3":
    if not env.str("AWS_STORAGE_BUCKET_NAME", default=""):
        raise config.ConfigError("NAVI_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME")
    _session_files = {
        "BACKEND": "sessions_app.file_storage_s3.S3SessionStorage",
        # Files are served through Navi's own download view, never by bucket URLs.
        "OPTIONS": {
            "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
            "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default="") or None,
            "location": env.str("AWS_LOCATION", default="session_files"),
            "file_overwrite": False,
            "default_acl": None,
        },
    }
else:
    _session_files = {
        "BACKEND": "sessions_app.file_storage.LocalSessionStorage",
        "OPTIONS": {"location": str(NAVI_SESSION_FILES_DIR)},
    }
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "session_files": _session_files,
}

# --- Django core ---------------------------------------------------------------------------------------------
SECRET_KEY = config.secret_key(env, NAVI_DATA_DIR)
DEBUG = config.boolean(env, "DEBUG", False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])

INSTALLED_APPS = [
    "daphne",  # first, so `runserver` is daphne's and serves WebSockets
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",  # the OpenAPI schema at /api/schema (navi_project/openapi.py)
    "drf_spectacular_sidecar",  # Swagger UI's files, served by Navi itself at /api/docs
    "accounts_app",
    "sessions_app",
    "agents_app",
    "admin_app",
    "channels",  # after agents_app, whose `runworker` (closing MCP connections at shutdown) then wins
]

MIDDLEWARE = [
    # Outermost, so it sees every error answer, Django's own included (docs/errors-and-limits.md).
    "navi_project.errors.JsonErrorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After Django's: the console's own login wins, else the Navi login (role admin reaches /django-admin/).
    "accounts_app.middleware.NaviUserMiddleware",
    "accounts_app.middleware.CrossSiteRequestGuard",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "navi_project.urls"
CSRF_FAILURE_VIEW = "navi_project.views.csrf_failure"
ASGI_APPLICATION = "navi_project.asgi.application"
APPEND_SLASH = False
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
            ]
        },
    }
]

# --- Database ------------------------------------------------------------------------------------------------
try:
    DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{NAVI_DATA_DIR / 'navi.sqlite3'}")}
except Exception as exc:  # django-environ raises several types for a malformed URL
    raise config.ConfigError(f"DATABASE_URL is not a database URL django-environ understands: {exc}") from None
if DATABASES["default"]["ENGINE"] not in ("django.db.backends.sqlite3", "django.db.backends.postgresql"):
    raise config.ConfigError("DATABASE_URL must be a postgres:// or sqlite:// URL")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if sqlite3.sqlite_version_info < (3, 35):  # a run is claimed with UPDATE ... RETURNING
        raise config.ConfigError(f"SQLite {sqlite3.sqlite_version} is too old: Navi needs 3.35 or newer")
    # WAL lets readers (the REST API) go on while the runner writes; the timeout rides out short write locks.
    # IMMEDIATE: a transaction takes the write lock when it begins, so it waits its turn on the busy timeout. A
    # deferred one that reads first and then writes is refused "database is locked" at once instead of waiting.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A pool per process: Django runs each request's sync code on a thread of its own, and kept connections (one
    # per thread) ran PostgreSQL out of connections at 90 requests at once. Requests beyond the pool wait for one.
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {"min_size": 2, "max_size": 10, "timeout": 30}
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps them
    # Health checks make the pool try a connection before it lends it (psycopg_pool's check_connection), so a
    # PostgreSQL restart costs reconnects, not errors.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Navi's tables are small enough to stay in memory: PostgreSQL's default random_page_cost (4) prices each
    # index read as a disk seek, so it sorted a user's whole session list (9 ms for 10,000, spilling past
    # work_mem) instead of reading it in its index's order (2.5 ms). 1.1 is the usual figure for SSDs; an
    # `options` in DATABASE_URL (`?options=-c%20random_page_cost%3D2`) replaces it.
    DATABASES["default"]["OPTIONS"].setdefault("options", "-c random_page_cost=1.1")
else:
    # Keep connections: Channels closes "old" ones around every database_sync_to_async call, and opening one per
    # call (SQLite's PRAGMAs included) costs more than the query.
    DATABASES["default"].setdefault("CONN_MAX_AGE", 600)
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts_app.User"

# --- Channels and the agent runner ---------------------------------------------------------------------------
REDIS_URL = config.url(env, "REDIS_URL", None, ("redis", "rediss", "unix"))
NAVI_RUNNER = config.choice(env, "NAVI_RUNNER", "worker" if REDIS_URL else "inprocess", ("inprocess", "worker"))
if NAVI_RUNNER == "worker" and not REDIS_URL:
    raise config.ConfigError("NAVI_RUNNER=worker needs REDIS_URL: workers reach the server through Redis")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "capacity": 1500, "expiry": 60, "group_expiry": 86400},
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "navi_project.memory_layer.MemoryChannelLayer", "CONFIG": {"capacity": 1500}}
    }
NAVI_HEARTBEAT_SECONDS = config.positive_number(env, "NAVI_HEARTBEAT_SECONDS", 20)
# A running run whose runner has not checked in for this long is taken as dead and marked failed.
NAVI_RUN_STALE_SECONDS = config.positive_number(env, "NAVI_RUN_STALE_SECONDS", 30)
# The largest message a client may send: a WebSocket frame (daphne's limit is set to it, and the server announces
# it on each socket's first event) or the body of POST /sessions/{id}/messages. Not configurable: the input rules
# (sessions_app.inputs) are sized so that every message they accept fits (docs/errors-and-limits.md).
NAVI_MAX_MESSAGE_BYTES = 32 * 1024 * 1024
# How long the synchronous POST /sessions/{id}/messages waits for its run.
NAVI_SYNC_RUN_TIMEOUT = config.positive_number(env, "NAVI_SYNC_RUN_TIMEOUT", 600)

# --- Ollama --------------------------------------------------------------------------------------------------
OLLAMA_HOST = config.url(env, "OLLAMA_HOST", "http://localhost:11434", ("http", "https"))
NAVI_OLLAMA_CONNECT_TIMEOUT = config.positive_number(env, "NAVI_OLLAMA_CONNECT_TIMEOUT", 5)
# Longest silence tolerated inside one model response (loading a large model counts).
NAVI_OLLAMA_READ_TIMEOUT = config.positive_number(env, "NAVI_OLLAMA_READ_TIMEOUT", 300)
# Longest wait for a response's first part: time queued behind other requests and loading the model count.
NAVI_OLLAMA_FIRST_BYTE_TIMEOUT = config.positive_number(env, "NAVI_OLLAMA_FIRST_BYTE_TIMEOUT", 600)
# How long Ollama keeps the model loaded after a call (an Ollama duration: 30m, 1h, -1 for ever, 0 unloads).
NAVI_OLLAMA_KEEP_ALIVE = config.matching(
    env, "NAVI_OLLAMA_KEEP_ALIVE", "30m", r"-1|0|\d+(\.\d+)?(ms|s|m|h)", "an Ollama duration like 30m, 2h, 0 or -1"
)
# Context budget of profiles that set no max_context_tokens (capped by the model's own context length).
NAVI_DEFAULT_CONTEXT_TOKENS = config.positive_number(env, "NAVI_DEFAULT_CONTEXT_TOKENS", 32768, integer=True)
# How long a tool call that needs the user's approval waits for it; no answer is a denial.
NAVI_APPROVAL_TIMEOUT_SECONDS = config.positive_number(env, "NAVI_APPROVAL_TIMEOUT_SECONDS", 300)

# --- Auth (CONTRACT section 5; docs/auth.md) -----------------------------------------------------------------
NAVI_AUTH_MODE = config.choice(env, "NAVI_AUTH_MODE", "local", ("local", "oauth"))
GNEXUS_AUTH_URL = config.url(env, "GNEXUS_AUTH_URL", None, ("http", "https"))
GNEXUS_AUTH_CLIENT_ID = env.str("GNEXUS_AUTH_CLIENT_ID", default="") or None
GNEXUS_AUTH_CLIENT_SECRET = env.str("GNEXUS_AUTH_CLIENT_SECRET", default="") or None
GNEXUS_AUTH_WEBHOOK_SECRET = env.str("GNEXUS_AUTH_WEBHOOK_SECRET", default="") or None
_auth_base = (GNEXUS_AUTH_URL or "").rstrip("/")
GNEXUS_AUTH_AUTHORIZE_URL = config.url(
    env, "GNEXUS_AUTH_AUTHORIZE_URL", f"{_auth_base}/oauth/authorize" if _auth_base else None, ("http", "https")
)
GNEXUS_AUTH_TOKEN_URL = config.url(
    env, "GNEXUS_AUTH_TOKEN_URL", f"{_auth_base}/oauth/token" if _auth_base else None, ("http", "https")
)
GNEXUS_AUTH_USERINFO_URL = config.url(
    env, "GNEXUS_AUTH_USERINFO_URL", f"{_auth_base}/oauth/userinfo" if _auth_base else None, ("http", "https")
)
GNEXUS_AUTH_SCOPE = env.str("GNEXUS_AUTH_SCOPE", default="openid profile email")
NAVI_AUTH_SESSION_DAYS = config.positive_number(env, "NAVI_AUTH_SESSION_DAYS", 30)
NAVI_PUBLIC_URL = config.public_url(env, "NAVI_PUBLIC_URL", "http://localhost:8000")
NAVI_PUBLIC_URL_SET = bool(env.str("NAVI_PUBLIC_URL", default=""))
NAVI_ANDROID_PACKAGE = config.matching(
    env,
    "NAVI_ANDROID_PACKAGE",
    "app.navi",
    r"[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+",
    "an Android package name",
)
NAVI_APP_SCHEME = config.matching(env, "NAVI_APP_SCHEME", "navi", r"[a-z][a-z0-9+.-]*", "a URL scheme")
if NAVI_AUTH_MODE == "oauth":
    for name in ("GNEXUS_AUTH_URL", "GNEXUS_AUTH_CLIENT_ID"):
        if not globals()[name]:
            raise config.ConfigError(f"{name} is required when NAVI_AUTH_MODE=oauth")
# The server's own name is always a host it answers to.
ALLOWED_HOSTS = [*ALLOWED_HOSTS, config.url_host(NAVI_PUBLIC_URL)]
# Only the login's binding cookie and the auth cookie matter; the console's own session cookie stays Django's.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = NAVI_PUBLIC_URL.startswith("https://")
CSRF_TRUSTED_ORIGINS = [config.url_origin(NAVI_PUBLIC_URL)]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts_app.auth.NaviAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["navi_project.json_body.StrictJSONParser"],
    "EXCEPTION_HANDLER": "navi_project.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_SCHEMA_CLASS": "navi_project.openapi.NaviAutoSchema",
}
# /api/schema and /api/docs (docs/admin.md): every endpoint, plain views included; sign-in needed like anywhere.
SPECTACULAR_SETTINGS = {
    "TITLE": "Navi API",
    "DESCRIPTION": (
        "A self-hosted AI agent server. In auth mode `local` every request acts as the owner and needs no "
        "credentials; in mode `oauth` send the auth session as the `navi_auth_session` cookie or as a bearer "
        'token. Errors answer `{"detail": ..., "error": ...}`. The WebSocket `/ws/sessions/{session_id}` '
        "is described in the API reference, not here."
    ),
    "VERSION": "2",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "UserRoleEnum": "accounts_app.models.Role.choices",
        "MessageRoleEnum": "sessions_app.models.Role.choices",
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No validator badge: Swagger UI would load it from validator.swagger.io.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}

# --- Static files and the web client -------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = NAVI_DATA_DIR / "static_collected"

# --- Localisation, logging -----------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("NAVI_LOG_LEVEL", default="INFO")},
    # httpx logs every request to Ollama at INFO: too chatty for a server log.
    "loggers": {
        "django.channels.server": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
    },
}
