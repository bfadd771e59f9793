"""Settings of the test authorization server: its own SQLite file, RSA signing key and cookies.

Everything it keeps lives in the folder named by OAUTH_SERVER_DIR, so each test run gets a fresh server.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import ImproperlyConfigured

try:
    DATA_DIR = Path(os.environ["OAUTH_SERVER_DIR"]).resolve()
except KeyError:
    raise ImproperlyConfigured(
        "Set OAUTH_SERVER_DIR to the folder the test authorization server keeps its data in"
    ) from None
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _signing_key(path: Path) -> str:
    """The RSA key that signs ID tokens: made on first start, then reused so a restart keeps the same JWKS."""
    if not path.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        # Written aside and renamed, so a concurrent start never reads half a key.
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(pem)
        partial.chmod(0o600)
        os.replace(partial, path)
    return path.read_text()


SECRET_KEY = "oauth-test-server-not-a-secret-3f9c1a7e52d84b60"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "oauth2_provider",
    "tests.oauth_server.identity",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]

ROOT_URLCONF = "tests.oauth_server.urls"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
            ],
        },
    },
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DATA_DIR / "oauth_server.sqlite3",
        # Several server threads and the management commands the tests run share the file.
        "OPTIONS": {"timeout": 20},
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A real PBKDF2 hash for passwords and client secrets, at a work factor that keeps each test login quick.
PASSWORD_HASHERS = ["tests.oauth_server.identity.hashers.QuickPBKDF2PasswordHasher"]

USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"
USE_I18N = False

# Both servers answer on 127.0.0.1 and cookies are not kept apart by port: these names must not clash with
# Navi's (sessionid, csrftoken, navi_auth_session, navi_login).
SESSION_COOKIE_NAME = "gnexus_sessionid"
CSRF_COOKIE_NAME = "gnexus_csrftoken"

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/accounts/login/"
APPEND_SLASH = False

OAUTH2_PROVIDER = {
    "PKCE_REQUIRED": True,
    # Refuses the "plain" PKCE method (and a challenge without a method, which means plain): S256 only.
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    # Bearer tokens in the Authorization header only, never in the query string.
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": _signing_key(DATA_DIR / "oidc_rsa_key.pem"),
    "SCOPES": {
        "openid": "OpenID Connect",
        "profile": "Name, role and permissions",
        "email": "Email address",
    },
    "DEFAULT_SCOPES": ["openid"],
    "OAUTH2_VALIDATOR_CLASS": "tests.oauth_server.validators.ClaimsValidator",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    # With DEBUG off Django logs nothing to the console by default; the log file is what a failed test shows.
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "oauth2_provider": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
