"""Settings of the bare project: Django's defaults for a small app, configured from the same variables."""

import os

SECRET_KEY = os.environ.get("SECRET_KEY", "bench-only-secret-key")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "bench.bare_project",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "bench.bare_project.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
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
_db = os.environ["DATABASE_URL"].removeprefix("postgres://")
_credentials, _, _rest = _db.rpartition("@")
_user, _, _password = _credentials.partition(":")
_hostport, _, _name = _rest.partition("/")
_host, _, _port = _hostport.partition(":")
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _name,
        "USER": _user,
        "PASSWORD": _password,
        "HOST": _host,
        "PORT": _port or "5432",
        "CONN_MAX_AGE": 60,
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
STATIC_URL = "static/"
USE_TZ = True
CELERY_BROKER_URL = os.environ["REDIS_URL"]
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = "bare"
CELERY_BEAT_SCHEDULE = {
    "sweep": {"task": "bench.bare_project.tasks.sweep", "schedule": 15.0},
    "hourly": {"task": "bench.bare_project.tasks.sweep", "schedule": 3600.0},
}
GRAPH_URL = os.environ.get("WHATSAPP_API_BASE", "")
