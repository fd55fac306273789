"""The django-oauth-toolkit peer of scripts/bench (--peer dot): the smallest Django project that
serves DOT's endpoints the way a deployment would. scripts/bench.d/dot_peer.py sets the
DOT_BENCH_* variables: the bench's own throwaway PostgreSQL cluster, a database of its own."""
import os

SECRET_KEY = os.environ.get("DOT_BENCH_SECRET_KEY", "bench-only-not-a-secret")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "oauth2_provider",
]

# Django's default stack minus the admin's and messages' pieces: what DOT's own authorize view
# needs (sessions, a signed-in user, CSRF). The token, introspection and bearer-protected views
# never touch the session, so it costs them no query.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]

ROOT_URLCONF = "dotbench.urls"
WSGI_APPLICATION = "dotbench.wsgi.application"
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True, "OPTIONS": {}}]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",  # psycopg 3
        "HOST": "127.0.0.1",
        "PORT": os.environ.get("DOT_BENCH_DB_PORT", "5432"),
        "NAME": os.environ.get("DOT_BENCH_DB_NAME", "dot_bench"),
        "USER": "postgres",
        # Persistent connections, one per sync worker: Django's default (0) opens a new
        # PostgreSQL connection for every request, which no tuned deployment does and which
        # would make the comparison about connection setup rather than OAuth work.
        "CONN_MAX_AGE": None,
    }
}

USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_URL = "/admin/login/"

OAUTH2_PROVIDER = {
    # The scopes the Gatehouse scenarios use; `introspection` is DOT's scope for bearer-based
    # introspection (the bench authenticates introspection with HTTP Basic, as for Gatehouse).
    "SCOPES": {"identify": "who you are", "email": "your email address", "introspection": "introspect tokens"},
    "DEFAULT_SCOPES": ["identify"],
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["stderr"], "level": "WARNING"},
}
