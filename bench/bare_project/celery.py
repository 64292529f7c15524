"""The bare project's Celery app."""

import os

from celery import Celery

from alfred.beat_thread import add_beat_thread_option

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.bare_project.settings")

app = Celery("bare")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# fly/start.sh's layout: beat in a thread of the worker.
add_beat_thread_option(app)
