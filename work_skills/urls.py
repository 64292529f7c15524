"""Mounted under /api/ by alfred/urls.py when a work skill is listed in ALFRED_SKILLS."""

from django.urls import include, path

urlpatterns = [path("", include("work_skills.api.urls"))]
